"""Tests for the combined text filters and redact_text."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.base import FilterContext, Finding
from filters.text import (
    TEXT_FILTERS,
    apply_redaction,
    find_redaction_spans,
    redact_text,
)

CONTEXT = FilterContext(relay_domain="relay.example.org")
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "eml"
MAX_CORPUS_TEXT = 200_000


def test_text_filters_hold_one_filter_per_kind() -> None:
    kinds = [f.kind for f in TEXT_FILTERS]

    assert sorted(kinds) == sorted(
        ["email", "off_platform", "phone", "postcode", "street_address", "profanity"]
    )


def test_phone_in_body_is_removed() -> None:
    result = redact_text("Call me on 07700 900123 tonight", CONTEXT, "text/plain")

    assert result.text == "Call me on [phone number removed] tonight"
    assert result.findings == [Finding("phone", "text/plain", 1)]


def test_every_kind_is_removed_from_one_message() -> None:
    text = (
        "Hi! Email sam@example.com or add me on snap: samj_04. "
        "I live at Flat 3, 12 Acacia Avenue, Leeds LS11 5AB, "
        "ring 01632 960123. Shit, sorry."
    )

    result = redact_text(text, CONTEXT, "text/plain")

    assert result.text == (
        "Hi! Email [email address removed] or [contact link removed]. "
        "I live at [address removed], Leeds [postcode removed], "
        "ring [phone number removed]. ****, sorry."
    )
    assert sorted(f.kind for f in result.findings) == [
        "email",
        "off_platform",
        "phone",
        "postcode",
        "profanity",
        "street_address",
    ]


def test_where_is_copied_into_findings() -> None:
    result = redact_text("07700 900123", CONTEXT, "subject")

    assert result.findings == [Finding("phone", "subject", 1)]


def test_spans_applied_later_equal_redact_text() -> None:
    text = "Ring 07700 900123 or write to sam@example.com\u202e today"

    spans = find_redaction_spans(text, CONTEXT)

    assert apply_redaction(text, spans, "text/html") == redact_text(
        text, CONTEXT, "text/html"
    )


def test_spans_apply_to_part_with_offset() -> None:
    # A caller that filters a whole text can replace the spans in a part of
    # it, with the part's offset in the whole.
    prefix = "Hello. "
    part = "Ring 07700 900123"
    spans = find_redaction_spans(prefix + part, CONTEXT)

    redaction = apply_redaction(part, spans, "text/html", offset=len(prefix))

    assert redaction == redact_text(part, CONTEXT, "text/html")


def test_phone_inside_whatsapp_link_is_one_link() -> None:
    result = redact_text("https://wa.me/447700900123 ok", CONTEXT, "text/plain")

    assert result.text == "[contact link removed] ok"
    assert result.findings == [Finding("off_platform", "text/plain", 1)]


def test_address_on_a_service_domain_is_one_email() -> None:
    result = redact_text("mailto:sam.j@facebook.com", CONTEXT, "text/plain")

    assert result.text == "[email address removed]"


def test_relay_alias_and_ordinary_text_stay() -> None:
    text = (
        "Reply to sam.k7q2mx9d@relay.example.org. On 04/12/2026 at 14:30 we "
        "walked 5 miles down the road past Scunthorpe and scored 3-1. "
        "Read https://www.bbc.co.uk/news and look at this."
    )

    result = redact_text(text, CONTEXT, "text/plain")

    assert result.text == text
    assert result.findings == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_spans_lie_inside_the_text(text: str) -> None:
    for text_filter in TEXT_FILTERS:
        for span in text_filter.find(text, CONTEXT):
            assert 0 <= span.start < span.end <= len(text)
            assert not text[span.start].isspace()
            assert not text[span.end - 1].isspace()
            assert span.kind == text_filter.kind


PIECES = st.sampled_from(
    [" ", "0", "7", "1", "+", "(", ")", "-", ".", "@", "[at]", " at ", " dot ",
     "snap", "insta", ": ", "Road", "Flat", "double", "oh", "seven", "Dick",
     "sh1t", "f", "u", "c", "k", "A", "B1", "1AA", "gmail.com", "wa.me/", "x"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_filters_never_raise_on_near_misses(text: str) -> None:
    result = redact_text(text, CONTEXT, "text/plain")

    assert all(f.count >= 1 for f in result.findings)
    assert len(result.findings) == len({f.kind for f in result.findings})


def corpus_texts(path: Path) -> list[str]:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    texts = [str(message.get("subject", ""))]
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            continue
        if isinstance(content, str):
            texts.append(content)
    return texts


def test_corpus_messages_are_filtered_without_errors() -> None:
    paths = sorted(CORPUS.glob("*.eml"))
    if not paths:
        pytest.skip(f"no test messages in {CORPUS}")

    for path in paths:
        for text in corpus_texts(path):
            # The two largest parts (over 500 KB of HTML) take seconds and add
            # no case that the smaller ones miss.
            if len(text) <= MAX_CORPUS_TEXT:
                redact_text(text, CONTEXT, "text/plain")


def test_corpus_addresses_and_phones_are_removed() -> None:
    path = CORPUS / "flanker__enclosed.eml"
    if not path.exists():
        pytest.skip(f"{path} is missing")

    cleaned = [redact_text(t, CONTEXT, "text/plain").text for t in corpus_texts(path)]

    assert any("[phone number removed]" in text for text in cleaned)
    assert not any("512-417-1762" in text for text in cleaned)
