"""Tests for contact details hidden in base64, base64url, hex and ROT13 tokens."""

from __future__ import annotations

import base64
import codecs
import random
import string
from email.message import EmailMessage

import pytest

from filters.base import FilterContext, Finding
from filters.encoded import decode_token, find_encoded
from filters.pipeline import clean_message
from filters.prefilter import code_runs
from filters.text import redact_text

CONTEXT = FilterContext(relay_domain="relay.example.org")
PHONE_REMOVED = "[phone number removed]"
EMAIL_REMOVED = "[email address removed]"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def clean(text: str) -> str:
    return redact_text(text, CONTEXT, "text/plain").text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my number MDc3MDA5MDAxMjM=", f"my number {PHONE_REMOVED}"),
        ("ring MDc3MDA5MDAxMjM tonight", f"ring {PHONE_REMOVED} tonight"),
        (f"it's {b64('+44 7700 900123')} ok", f"it's {PHONE_REMOVED} ok"),
        (f"{b64('call me on 07700 900123')}!", f"{PHONE_REMOVED}!"),
        ("hex 3037373030393030313233", f"hex {PHONE_REMOVED}"),
    ],
)
def test_encoded_phone_number_is_removed(text: str, expected: str) -> None:
    assert clean(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail c2FtLmowNEBleGFtcGxlLm5ldA==", f"mail {EMAIL_REMOVED}"),
        ("mail c2FtLmowNEBleGFtcGxlLm5ldA", f"mail {EMAIL_REMOVED}"),
        (f"({b64url('sam~j?04@example.net')})", f"({EMAIL_REMOVED})"),
        ("73616d2e6a3034406578616d706c652e6e6574.", f"{EMAIL_REMOVED}."),
        (
            f"rot13: {codecs.encode('sam.j04@example.net', 'rot13')}",
            f"rot13: {EMAIL_REMOVED}",
        ),
    ],
)
def test_encoded_address_is_removed(text: str, expected: str) -> None:
    assert clean(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"home: {b64('Leeds LS6 2AB')}", "home: [postcode removed]"),
        (f"{b64('14 Acacia Avenue')} x", "[address removed] x"),
        ("313420416361636961204176656e7565", "[address removed]"),
    ],
)
def test_encoded_postcode_or_street_is_removed(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_encoded_ordinary_words_stay() -> None:
    text = f"password hint: {b64('Leeds United won 2-1')}"

    assert clean(text) == text


def test_url_safe_token_uses_url_alphabet() -> None:
    token = b64url("sam~j?04@example.net")

    assert "_" in token
    assert decode_token(token) == ("sam~j?04@example.net",)


def test_encoded_details_get_their_own_findings() -> None:
    text = f"{b64('07700 900123')} and {b64('sam.j04@example.net')}"

    result = redact_text(text, CONTEXT, "subject")

    assert result.text == f"{PHONE_REMOVED} and {EMAIL_REMOVED}"
    assert result.findings == [
        Finding("phone", "subject", 1),
        Finding("email", "subject", 1),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "https://example.net/MDc3MDA5MDAxMjM=",
            f"https://example.net/{PHONE_REMOVED}",
        ),
        (
            "https://example.net/?p=MDc3MDA5MDAxMjM&x=1",
            f"https://example.net/?p={PHONE_REMOVED}&x=1",
        ),
    ],
)
def test_encoded_piece_of_a_link_is_removed(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_pipeline_removes_encoded_details() -> None:
    message = EmailMessage()
    message["From"] = "Sam Mentor <sam@example.com>"
    message["To"] = "Alex Mentee <alex@example.org>"
    message["Subject"] = "MDc3MDA5MDAxMjM="
    message.set_content("Write to c2FtLmowNEBleGFtcGxlLm5ldA== soon\n")

    result = clean_message(message.as_bytes(), CONTEXT)

    assert result.subject == PHONE_REMOVED
    assert result.content.get_content() == f"Write to {EMAIL_REMOVED} soon\n"
    assert Finding("phone", "subject", 1) in result.findings
    assert Finding("email", "text/plain", 1) in result.findings


@pytest.mark.parametrize(
    "text",
    [
        "Message-ID: CAF3xyz123ABCdef456.mail.example.com",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "ABCDEFGH",
        "ABCDEFGHIJKLMNOPQRST and responsibilities",
        "Booking ref ABC123DEF456GH, seat 14C.",
        f"It says {b64('hello world, how are you')} here.",
        f"Alias {b64('alex.k7q2@relay.example.org')} is fine.",
        "Key 0123456789abcdef0123456789abcdef",
        f"See https://example.net/orders/{b64('12345678')} for the order.",
    ],
)
def test_ordinary_token_stays(text: str) -> None:
    assert clean(text) == text


def test_plain_words_are_no_code_runs() -> None:
    text = "Responsibilities, apprenticeships and INTERNATIONALLY"

    assert code_runs(text) == ()


def test_encoded_token_is_a_code_run() -> None:
    text = "so MDc3MDA5MDAxMjM= ok"

    assert code_runs(text) == ((3, 19),)


def test_generated_encodings_are_all_code_runs() -> None:
    # code_runs looks only at runs with an upper-case letter, digit or "="
    # after the first character. Every encoding of a phone number or an
    # address must have one, or the encoded filter never decodes it.
    rng = random.Random(7)
    characters = string.ascii_lowercase + string.digits + "._"
    details = ["".join(rng.choices(string.digits, k=11)) for _ in range(500)]
    details += [
        "".join(rng.choices(characters, k=rng.randint(3, 15))) + "@example.com"
        for _ in range(500)
    ]
    for detail in details:
        for token in (b64(detail), b64(detail).rstrip("="), detail.encode().hex()):
            assert code_runs(token) == ((0, len(token)),), (detail, token)


def test_decode_token_rejects_invalid_tokens() -> None:
    assert decode_token("d41d8cd98f00b204e9800998ecf8427e") == ()
    assert decode_token("MDc3MDA5MDAxMjM=x") == ()
    assert decode_token("MDc3MDA5MDAxMjMab+_") == ()


def test_find_encoded_gives_each_token_its_kind() -> None:
    text = "a MDc3MDA5MDAxMjM= b aGVsbG8gd29ybGQgYWdhaW4="

    spans = find_encoded(text, lambda decoded: decoded.isdigit(), "phone")

    assert [(span.start, span.end, span.kind) for span in spans] == [(2, 18, "phone")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"codes: xxxx{b64('samj_04 on snap')}", "codes: [contact link removed]"),
        (f"yyyy{b64('LS6 2AB')}", "[postcode removed]"),
        (f"zz{b64('07700900123')}", PHONE_REMOVED),
    ],
)
def test_token_behind_typed_characters_is_removed(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_ordinary_token_behind_typed_characters_stays() -> None:
    text = f"hint: xyza{b64('Hello world')}"

    assert clean(text) == text
