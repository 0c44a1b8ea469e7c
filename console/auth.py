"""Staff passwords, sessions, sign-in rate limits and what each role may do.

Passwords are hashed with Argon2id (argon2-cffi's defaults). A session is a
random token in an HttpOnly cookie. The archive stores only its SHA-256, so
a copy of the database does not let anyone sign in as staff.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from archive.console import StaffLogin

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024

# The roles granted each permission. "read" covers the dashboard, search,
# delivered copies, relationships and reports. "review" covers the review
# queue, originals and decisions. "manage" covers registering and pairing
# participants and ending relationships. "suspend" covers suspending and
# restoring a participant, which a safeguarding officer may need to do at
# once in an emergency.
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset({"coordinator", "safeguarding", "admin"}),
    "review": frozenset({"safeguarding", "admin"}),
    "manage": frozenset({"coordinator", "admin"}),
    "suspend": frozenset({"coordinator", "safeguarding", "admin"}),
    "export": frozenset({"coordinator", "admin"}),
    "audit": frozenset({"admin"}),
}

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong username
# takes as long to reject as a wrong password.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


class PasswordError(ValueError):
    """A new password that does not meet the length rules."""


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def looks_like_username(text: str) -> bool:
    """Tell whether `text` has the form `mentor-relay staff add` accepts.

    Text of another form is more likely a password typed into the username
    field, so the audit log does not keep it.
    """
    letters = text.replace(".", "").replace("-", "").replace("_", "")
    return 0 < len(text) <= 64 and letters.isascii() and letters.isalnum()


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordError(
            f"the password has {len(password)} characters: use at least "
            f"{MIN_PASSWORD_CHARS}, such as four unrelated words"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordError(
            f"the password is longer than {MAX_PASSWORD_CHARS} characters"
        )


def hash_password(password: str) -> str:
    check_new_password(password)
    return _hasher.hash(password)


async def verify_password(login: StaffLogin | None, password: str) -> bool:
    """Check a password in a worker thread, because Argon2 takes tens of ms."""
    stored = login.password_hash if login else _UNKNOWN_USER_HASH
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        await asyncio.to_thread(_hasher.verify, stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return login is not None and login.member.status == "active"


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@dataclass(frozen=True)
class NewSession:
    token: str
    token_hash: str
    csrf_token: str


def new_session() -> NewSession:
    token = secrets.token_urlsafe(32)
    return NewSession(token, token_hash(token), secrets.token_urlsafe(32))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LoginLimiter:
    """Counts failed sign-ins per username and per client address.

    A username with `per_username` failures, or an address with
    `per_address` failures, inside `window_seconds` is locked until the
    oldest of them leaves the window. The counts live in memory, so a
    restart clears them.
    """

    def __init__(
        self,
        per_username: int = 5,
        per_address: int = 20,
        window_seconds: float = 900.0,
        max_keys: int = 10_000,
    ) -> None:
        self._limits = {"user": per_username, "addr": per_address}
        self._window = window_seconds
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    @property
    def window_seconds(self) -> float:
        return self._window

    def retry_after(
        self, username: str, address: str, now: float | None = None
    ) -> float:
        """Return seconds until a sign-in may be tried, 0 when it may be now."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        for key, limit in self._keys(username, address):
            failures = self._recent(key, now)
            if len(failures) >= limit:
                wait = max(wait, failures[0] + self._window - now)
        return wait

    def failed(
        self, username: str, address: str, now: float | None = None
    ) -> list[str]:
        """Count a failure and return the locks it starts: "username", "address"."""
        now = time.monotonic() if now is None else now
        if len(self._failures) >= self._max_keys:
            self._forget_expired(now)
        locked = []
        for (key, limit), kind in zip(
            self._keys(username, address), ("username", "address"), strict=True
        ):
            failures = self._failures.setdefault(key, deque())
            failures.append(now)
            if len(self._recent(key, now)) == limit:
                locked.append(kind)
        return locked

    def succeeded(self, username: str) -> None:
        self._failures.pop(f"user:{username.casefold()}", None)

    def _keys(self, username: str, address: str) -> list[tuple[str, int]]:
        # NOTE: behind a reverse proxy every client has the proxy's address,
        # so `per_address` failures by one outsider lock out all staff. Such
        # a deployment raises [console] max_failed_logins_per_address; the
        # console does not read X-Forwarded-For, which any client can forge.
        return [
            (f"user:{username.casefold()}", self._limits["user"]),
            (f"addr:{address}", self._limits["addr"]),
        ]

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures

    def _forget_expired(self, now: float) -> None:
        for key in list(self._failures):
            if not self._recent(key, now):
                del self._failures[key]
        # NOTE: a flood of distinct usernames inside one window can still
        # fill the table; the oldest keys are dropped so memory stays bounded.
        while len(self._failures) >= self._max_keys:
            del self._failures[next(iter(self._failures))]
