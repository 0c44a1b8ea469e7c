"""Every public test email in the shared corpus goes through the pipeline cleanly.

The corpus holds real malformed and unusual messages (missing boundaries,
8-bit headers, broken encodings, deep HTML); the pipeline must not raise on
any of them, and what it returns must serialise, re-parse and carry no part
other than text and multiparts.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from filters.base import FilterContext
from filters.pipeline import clean_message

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "eml"
FILES = sorted(CORPUS.glob("*.eml")) if CORPUS.is_dir() else []
DELIVERABLE_TYPES = {
    "text/plain",
    "text/html",
    "multipart/alternative",
    "multipart/mixed",
}

pytestmark = pytest.mark.skipif(not FILES, reason=f"no corpus at {CORPUS}")


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_corpus_message_is_cleaned(path: Path) -> None:
    result = clean_message(path.read_bytes(), FilterContext())

    data = result.content.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.defects == []
    assert {part.get_content_type() for part in parsed.walk()} <= DELIVERABLE_TYPES
    assert data.isascii()
    assert max(len(line) for line in data.split(b"\r\n")) < 998
    for part in parsed.walk():
        if not part.is_multipart():
            assert part.get_content_charset() == "utf-8"
            assert isinstance(part.get_content(), str)


def test_corpus_holds_only_oversized_message() -> None:
    held = sorted(
        path.name
        for path in FILES
        if clean_message(path.read_bytes(), FilterContext()).hold_reasons
    )

    assert held == ["mailparser__outofmemory.eml"]
