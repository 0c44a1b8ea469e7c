"""CSRF tokens: one per session, and a signed one for the sign-in form.

Every POST form carries a hidden `csrf_token` input. After sign-in the token
is a random value stored with the session. Before sign-in there is no
session, so the form gets a random nonce in a cookie and the same nonce,
signed with the console's secret key, in the form: a forged form cannot
produce the signature, and a forged cookie does not match a genuine form.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, TimestampSigner

FIELD = "csrf_token"
LOGIN_COOKIE = "mr_login_nonce"
LOGIN_FORM_SECONDS = 3600


class LoginCsrf:
    """Issues and checks the sign-in form's token."""

    def __init__(self, secret_key: bytes) -> None:
        self._signer = TimestampSigner(secret_key, salt="mentor-relay-login")

    def issue(self) -> tuple[str, str]:
        """Return (cookie nonce, form token) for one sign-in form."""
        nonce = secrets.token_urlsafe(24)
        return nonce, self._signer.sign(nonce).decode()

    def valid(self, cookie_nonce: str | None, form_token: str | None) -> bool:
        if not cookie_nonce or not form_token:
            return False
        try:
            nonce = self._signer.unsign(form_token, max_age=LOGIN_FORM_SECONDS)
        except BadSignature:
            return False
        return hmac.compare_digest(nonce, cookie_nonce.encode())


def same_token(expected: str, given: object) -> bool:
    """Compare a session's token with a form field in constant time."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
