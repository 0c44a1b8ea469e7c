"""Find contact details hidden in base64 or hex tokens.

A sender can encode a contact detail so that no pattern matches it:
"MDc3MDA5MDAxMjM=" is base64 for 07700900123. Each token that could be
hex, base64 or base64url is decoded, and a token that decodes to
printable ASCII goes to the phone, email, postcode and street address
filters. A filter removes the whole token when it finds its kind in the
decoded text.

ROT13 needs no decoding here: it changes only letters, so an address
keeps its "@" and dots, and the email filter's plain pattern matches it
as written ("fnz.w04@rknzcyr.arg").
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import re
from collections.abc import Callable, Iterator

from filters.base import Span
from filters.normalise import find_in_joined_lines
from filters.prefilter import MIN_CODE_RUN, code_runs

log = logging.getLogger(__name__)

# An address is at most 254 characters (RFC 5321 4.5.3.1.3 limits the
# path to 256 with its angle brackets), which hex writes in 508.
_MAX_TOKEN = 512
_MIN_HEX_DIGITS = 16
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
# The parts of a run between "/" signs and after an "=" inside it, each
# with its padding: a link path "net/MDc3MDA5MDAxMjM=" or a query "p=MDc3...".
_PIECE = re.compile(r"[^/=]+=*")
_CACHED_TOKENS = 256
# Characters typed in front of a token that are skipped, and the shortest
# rest of a token that is decoded after skipping them.
MAX_JUNK_CHARS = 4
_MIN_SKIPPED_TOKEN = 8


def find_hidden(text: str, find: Callable[[str], list[Span]], kind: str) -> list[Span]:
    """Return the spans `find` finds once tokens are decoded or short lines joined.

    A decoded token that contains a detail is removed whole, as `kind`. A
    detail written down a run of short lines is removed from every line.
    """
    return [
        *find_encoded(text, lambda decoded: bool(find(decoded)), kind),
        *find_in_joined_lines(text, find),
    ]


def find_encoded(text: str, reveals: Callable[[str], bool], kind: str) -> list[Span]:
    """Find each token of `text` that decodes to a text in which `reveals` is true.

    Each span covers a whole token and has `kind`. A run of code characters
    that does not decode as a whole is tried piece by piece, split at "/"
    and at an "=" inside it.
    """
    spans = []
    for start, end in _candidate_tokens(text):
        parts = _decodable_parts(text[start:end])
        # A token with pieces (a link path, a query) is read piece by piece,
        # so skipping characters in front would take its prefix along.
        read = _readings if len(parts) == 1 else decode_token
        for piece_start, piece_end in parts:
            token = text[start + piece_start : start + piece_end]
            if any(reveals(decoded) for decoded in read(token)):
                log.debug(
                    "removing a %s hidden in a %d-character token", kind, len(token)
                )
                spans.append(Span(start + piece_start, start + piece_end, kind))
    return spans


def _readings(token: str) -> Iterator[str]:
    """Yield what `token` decodes to, also without up to MAX_JUNK_CHARS in front.

    "xxxxc2Ftal8wNA==" is base64 of a handle behind four typed letters,
    which the partner only has to delete.
    """
    for skip in range(min(MAX_JUNK_CHARS, len(token) - _MIN_SKIPPED_TOKEN) + 1):
        yield from decode_token(token[skip:])


def _candidate_tokens(text: str) -> Iterator[tuple[int, int]]:
    for start, end in code_runs(text):
        if end - start <= _MAX_TOKEN:
            yield start, end


def _decodable_parts(token: str) -> list[tuple[int, int]]:
    """Return the token whole, then its pieces if "/" or an inner "=" split it."""
    parts = [(0, len(token))]
    if "/" in token or "=" in token.rstrip("="):
        parts.extend(
            match.span()
            for match in _PIECE.finditer(token)
            if match.end() - match.start() >= MIN_CODE_RUN
        )
    return parts


@functools.lru_cache(maxsize=_CACHED_TOKENS)
def decode_token(token: str) -> tuple[str, ...]:
    """Return the printable ASCII texts that `token` encodes in hex or base64.

    A token of hex digits may also be valid base64, so both readings are
    returned when both give printable text. Base64 may use the URL-safe
    alphabet ("-" and "_") and may lack its "=" padding.
    """
    readings = (_from_hex(token), _from_base64(token))
    return tuple(reading for reading in readings if reading is not None)


def _from_hex(token: str) -> str | None:
    if len(token) < _MIN_HEX_DIGITS or len(token) % 2:
        return None
    if not _HEX_DIGITS.issuperset(token):
        return None
    return _printable(bytes.fromhex(token))


def _from_base64(token: str) -> str | None:
    body = token.rstrip("=")
    if "=" in body or len(body) % 4 == 1:
        return None
    url_safe = "-" in body or "_" in body
    if url_safe and ("+" in body or "/" in body):
        return None
    padded = body + "=" * (-len(body) % 4)
    try:
        data = base64.b64decode(
            padded, altchars=b"-_" if url_safe else None, validate=True
        )
    except binascii.Error:
        return None
    return _printable(data)


def _printable(data: bytes) -> str | None:
    if not data.isascii():
        return None
    text = data.decode("ascii")
    return text if text.isprintable() else None
