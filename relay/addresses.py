"""Address checks and alias generation."""

from __future__ import annotations

import re
import secrets
import unicodedata

# A plain address: dot-atom local part and a dotted domain. Quoted local
# parts, source routes and address literals are not accepted from
# participants, because nobody needs them to write to a mentor.
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_ALIAS_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_ALIAS_RANDOM_CHARS = 8  # 8 symbols of a 32-letter alphabet: 40 random bits


def normalise_address(text: str) -> str:
    """Return `text` as a lower-cased plain address, or raise ValueError."""
    address = text.strip()
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        raise ValueError(f"{text!r} is not a valid email address")
    local, _, _ = address.partition("@")
    if len(local) > 64:
        raise ValueError(f"{text!r} has a local part longer than 64 characters")
    return address.lower()


def is_plain_address(text: str) -> bool:
    try:
        normalise_address(text)
    except ValueError:
        return False
    return True


def make_alias(name: str, domain: str) -> str:
    """Return a new alias: a prefix from the first name, then 40 random bits."""
    random_part = "".join(
        secrets.choice(_ALIAS_ALPHABET) for _ in range(_ALIAS_RANDOM_CHARS)
    )
    return f"{_alias_prefix(name)}.{random_part}@{domain}"


def _alias_prefix(name: str) -> str:
    words = name.split()
    first = words[0] if words else ""
    folded = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    prefix = re.sub(r"[^a-z0-9]", "", folded.lower())[:20]
    return prefix or "member"
