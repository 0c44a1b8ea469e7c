"""Bounce addresses (VERP) that tie a returned message to its delivery job.

Every outbound message carries an envelope sender such as
`bounces+42.k3j9x0qz2m@relay.example.org`: the job id and an HMAC over it,
so a bounce names the job it belongs to and a forged bounce for a job
that does not exist, or for someone else's job, is recognised. The key is
derived from the relay's DKIM private key, so there is no second secret to
manage; rotating the DKIM key invalidates older bounce addresses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

BOUNCE_LOCAL_PREFIX = "bounces"
_TOKEN_BYTES = 10  # 80 bits of HMAC-SHA256, base32 without padding


def bounce_key(private_key_pem: bytes) -> bytes:
    """Derive the bounce-token key from the relay's DKIM private key."""
    return hashlib.sha256(b"mentor-relay bounce token\0" + private_key_pem).digest()


def _token(job_id: int, key: bytes) -> str:
    digest = hmac.new(key, str(job_id).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:_TOKEN_BYTES]).decode().lower()


def make_bounce_address(job_id: int, domain: str, key: bytes) -> str:
    return f"{BOUNCE_LOCAL_PREFIX}+{job_id}.{_token(job_id, key)}@{domain}"


def parse_bounce_address(address: str, domain: str, key: bytes) -> int | None:
    """Return the job id of a valid bounce address of this relay, else None."""
    local, _, address_domain = address.lower().rpartition("@")
    prefix, plus, tagged = local.partition("+")
    if address_domain != domain.lower() or prefix != BOUNCE_LOCAL_PREFIX or not plus:
        return None
    job_text, _, token = tagged.partition(".")
    if not job_text.isdigit() or len(job_text) > 18:
        return None
    job_id = int(job_text)
    if not hmac.compare_digest(token, _token(job_id, key)):
        return None
    return job_id
