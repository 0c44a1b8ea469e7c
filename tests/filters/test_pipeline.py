"""Tests for clean_message: decoding, filtering, limits, hold reasons and output."""

from __future__ import annotations

import base64
import email
import email.policy
import quopri
import zlib
from email.message import EmailMessage

import pytest

from filters import mime, pipeline
from filters.base import FilterContext
from filters.mime import MAX_DEPTH, MAX_PARTS, MAX_TEXT_CHARS, Draft, StepResult
from filters.pipeline import HELD_PLACEHOLDER, INTERNAL_ERROR, clean_message
from filters.text import redact_text

CONTEXT = FilterContext()
PHONE = "07700 900123"
ADDRESS = "sam@example.com"
PHONE_PLACEHOLDER = redact_text(PHONE, CONTEXT, "text/plain").text
ADDRESS_PLACEHOLDER = redact_text(ADDRESS, CONTEXT, "text/plain").text


def raw_message(
    body: bytes,
    content_type: str = 'text/plain; charset="utf-8"',
    encoding: str = "8bit",
    subject: bytes = b"Hello",
) -> bytes:
    headers = (
        b"From: Sam Mentor <sam@example.com>\r\n"
        b"To: Alex Mentee <alex@example.org>\r\n"
        b"Subject: " + subject + b"\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: " + content_type.encode() + b"\r\n"
        b"Content-Transfer-Encoding: " + encoding.encode() + b"\r\n"
    )
    return headers + b"\r\n" + body


def plain_message(text: str, subject: str = "Hello") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Sam Mentor <sam@example.com>"
    message["To"] = "Alex Mentee <alex@example.org>"
    message["Subject"] = subject
    message.set_content(text)
    return message


def delivered(result: pipeline.CleanMessage) -> tuple[bytes, EmailMessage]:
    data = result.content.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return data, parsed


def delivered_texts(result: pipeline.CleanMessage) -> list[str]:
    """Return the decoded text of every leaf part, with "\n" line breaks."""
    _, parsed = delivered(result)
    texts = []
    for part in parsed.walk():
        if not part.is_multipart():
            content = part.get_content()
            assert isinstance(content, str)
            texts.append(content.replace("\r\n", "\n"))
    return texts


def content_types(result: pipeline.CleanMessage) -> list[str]:
    _, parsed = delivered(result)
    return [part.get_content_type() for part in parsed.walk()]


def nested_multipart(depth: int) -> bytes:
    opening = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(depth - 1)
    )
    leaf = b"--b%d\r\nContent-Type: text/plain\r\n\r\nhi\r\n" % (depth - 1)
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    head = b"Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    return head + opening + leaf + closing


def test_text_filters_catch_the_test_values() -> None:
    assert PHONE_PLACEHOLDER != PHONE
    assert ADDRESS_PLACEHOLDER != ADDRESS


def test_phone_in_plain_text_is_removed() -> None:
    message = plain_message(f"Ring me on {PHONE} tonight.\n")

    result = clean_message(message.as_bytes(), CONTEXT)

    assert result.hold_reasons == ()
    assert delivered_texts(result) == [f"Ring me on {PHONE_PLACEHOLDER} tonight.\n"]
    assert [
        (f.kind, f.where, f.count) for f in result.findings if f.kind == "phone"
    ] == [("phone", "text/plain", 1)]


def test_encoded_subject_is_filtered() -> None:
    subject = b"=?utf-8?q?Caf=C3=A9_chat_on_07700_900123?="
    result = clean_message(raw_message(b"Hi\r\n", subject=subject), CONTEXT)

    assert result.subject == f"Café chat on {PHONE_PLACEHOLDER}"
    assert any(f.where == "subject" for f in result.findings)


def test_subject_with_raw_utf8_is_decoded() -> None:
    subject = "Café at four".encode()
    result = clean_message(raw_message(b"Hi\r\n", subject=subject), CONTEXT)

    assert result.subject == "Café at four"


def test_missing_subject_is_empty() -> None:
    raw = b"Content-Type: text/plain\r\n\r\nHi\r\n"

    assert clean_message(raw, CONTEXT).subject == ""


@pytest.mark.parametrize(
    "subject",
    [
        b"=?utf-8?q?Caf=C3=A9_chat?=",
        "Café at four".encode(),
        b"A long subject\r\n folded onto a second line",
        b"Line\x00break and\ttab",
    ],
)
def test_subject_of_equals_read_subject(subject: bytes) -> None:
    raw = raw_message(b"Hi\r\n", subject=subject)

    assert mime.subject_of(mime.parse_message(raw)) == mime.read_subject(raw)


def test_subject_of_unparseable_nest_is_filtered() -> None:
    raw = nested_multipart(3000).replace(
        b"Subject: deep", b"Subject: ring " + PHONE.encode()
    )

    result = clean_message(raw, CONTEXT)

    assert result.subject == f"ring {PHONE_PLACEHOLDER}"
    assert "levels deep" in result.hold_reasons[0]
    assert [f.where for f in result.findings] == ["subject"]


def test_content_has_no_identity_headers() -> None:
    message = plain_message("Hi\n")
    message["Message-ID"] = "<1@example.com>"
    message["Date"] = "Mon, 1 Jan 2024 10:00:00 +0000"

    result = clean_message(message.as_bytes(), CONTEXT)

    names = {name.lower() for name in result.content}
    assert names == {"mime-version", "content-type", "content-transfer-encoding"}


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [
        ("utf-8", "8bit"),
        ("utf-8", "base64"),
        ("utf-8", "quoted-printable"),
        ("iso-8859-1", "8bit"),
        ("iso-8859-1", "quoted-printable"),
        ("windows-1252", "8bit"),
        ("shift_jis", "8bit"),
        ("shift_jis", "base64"),
        ("iso-2022-jp", "7bit"),
        ("koi8-r", "8bit"),
    ],
)
def test_charsets_are_decoded_and_filtered(charset: str, encoding: str) -> None:
    words = {
        "utf-8": "Café ☕",
        "iso-8859-1": "Café",
        "windows-1252": "Café \u2013 \u201cquoted\u201d",
        "shift_jis": "電話",
        "iso-2022-jp": "電話",
        "koi8-r": "Привет",
    }[charset]
    text = f"{words} {PHONE} {words}\n"
    body = text.encode(charset)
    if encoding == "base64":
        body = base64.encodebytes(body)
    elif encoding == "quoted-printable":
        body = quopri.encodestring(body)
    raw = raw_message(body, f'text/plain; charset="{charset}"', encoding)

    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == ()
    assert delivered_texts(result) == [f"{words} {PHONE_PLACEHOLDER} {words}\n"]


def test_output_is_seven_bit_utf8_with_short_lines() -> None:
    text = "é" * 3000 + "\n" + "a" * 5000 + "\n"
    result = clean_message(plain_message(text).as_bytes(), CONTEXT)

    data, parsed = delivered(result)
    assert data.isascii()
    assert max(len(line) for line in data.split(b"\r\n")) < 998
    assert parsed.get_content_charset() == "utf-8"
    assert parsed["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    assert parsed.get_content().replace("\r\n", "\n") == text


def test_ascii_label_accepts_utf8_bytes() -> None:
    raw = raw_message("Café\r\n".encode(), "text/plain; charset=us-ascii")

    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == ()
    assert delivered_texts(result) == ["Café\n"]


def test_unknown_charset_is_held() -> None:
    raw = raw_message(b"Caf\xe9 \xff\xfe\r\n", "text/plain; charset=x-martian")

    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == (
        "A text part declares the unknown charset 'x-martian'.",
    )
    assert delivered_texts(result) == [HELD_PLACEHOLDER + "\n"]


@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_unknown_transfer_encoding_is_held(subtype: str) -> None:
    # zlib then base64: the recipient's program might decode it, the
    # filters cannot.
    body = base64.b64encode(zlib.compress(b"ring me on 07700 900123")) + b"\r\n"
    raw = raw_message(body, f"text/{subtype}; charset=utf-8", encoding="x-gzip64")

    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == (
        f"The text/{subtype} part uses the unknown transfer encoding 'x-gzip64',"
        " so its text cannot be read.",
    )
    assert delivered_texts(result) == [HELD_PLACEHOLDER + "\n"]


@pytest.mark.parametrize("encoding", ["7BIT", "Quoted-Printable", "BASE64"])
def test_known_transfer_encoding_in_any_case_is_read(encoding: str) -> None:
    body = b"SGVsbG8=\r\n" if encoding == "BASE64" else b"Hello\r\n"
    raw = raw_message(body, "text/plain; charset=utf-8", encoding=encoding)

    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == ()
    assert delivered_texts(result) == ["Hello\n"]


SECRET = "ring 07700 900123, home 14 Acacia Avenue, Leeds LS6 2AB, snap samj_04"


@pytest.mark.parametrize("codec", ["cp500", "cp037", "cp273"])
def test_other_charset_under_latin_label_is_held(codec: str) -> None:
    # EBCDIC read as ISO-8859-1 is unreadable to the filters, but the
    # partner can encode it back and decode it as EBCDIC.
    body = base64.encodebytes(SECRET.encode(codec))
    raw = raw_message(body, "text/plain; charset=iso-8859-1", encoding="base64")

    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == (
        "The text/plain part does not read as text in its declared charset"
        " 'iso-8859-1'.",
    )


def test_utf7_under_ascii_label_is_held() -> None:
    shifted = "".join(
        "+" + base64.b64encode(char.encode("utf-16-be")).decode().rstrip("=") + "-"
        for char in SECRET
    )
    raw = raw_message(shifted.encode() + b"\r\n", "text/plain; charset=us-ascii")

    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == (
        "The text/plain part declares the charset 'us-ascii' but holds UTF-7 text.",
    )


@pytest.mark.parametrize(
    ("text", "charset"),
    [
        (
            "Dw i'n byw yng Nghymru. Café résumé naïve façade, diolch yn fawr!",
            "latin-1",
        ),
        ("Ça été très agréable, à bientôt! Où est la bibliothèque?", "windows-1252"),
        ("C++ is fun: a+b=c, 2+2=4, +44 is the UK code, +1 +2 +3", "us-ascii"),
    ],
)
def test_latin_text_in_its_charset_is_read(text: str, charset: str) -> None:
    body = base64.encodebytes(text.encode(charset))
    raw = raw_message(body, f"text/plain; charset={charset}", encoding="base64")

    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == ()
    assert delivered_texts(result) == [text + "\n"]


def test_invalid_bytes_for_charset_are_held() -> None:
    raw = raw_message(b"\x81\x20\xff\xff\r\n", "text/plain; charset=shift_jis")

    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == (
        "A text part has bytes that are not valid shift_jis.",
    )


def test_binary_data_in_text_part_is_held() -> None:
    raw = raw_message(bytes(range(1, 32)) * 20, "text/plain; charset=utf-8")

    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == (
        "The text/plain part contains binary data, not text.",
    )


def test_alternative_keeps_both_parts_filtered() -> None:
    message = plain_message(f"Ring {PHONE}\n")
    message.add_alternative(f"<p>Write to {ADDRESS}</p>", subtype="html")

    result = clean_message(message.as_bytes(), CONTEXT)

    assert content_types(result) == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    plain, html = delivered_texts(result)
    assert plain == f"Ring {PHONE_PLACEHOLDER}\n"
    assert html.strip() == f"<p>Write to {ADDRESS_PLACEHOLDER}</p>"


def test_single_remaining_part_is_flattened() -> None:
    message = plain_message("See the file.\n")
    message.add_attachment(
        b"%PDF-1.4", maintype="application", subtype="pdf", filename="report.pdf"
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    assert content_types(result) == ["text/plain"]
    assert delivered_texts(result) == [
        "See the file.\n\n[attachment removed: report.pdf]\n"
    ]


def test_findings_of_one_kind_are_merged() -> None:
    message = plain_message(f"{PHONE} and again {PHONE}\n")

    result = clean_message(message.as_bytes(), CONTEXT)

    plain_findings = [f for f in result.findings if f.where == "text/plain"]
    assert len(plain_findings) == 1
    assert plain_findings[0].count == 2


def test_nesting_past_the_limit_is_held() -> None:
    result = clean_message(nested_multipart(MAX_DEPTH + 5), CONTEXT)

    assert result.subject == "deep"
    assert result.hold_reasons == (
        f"The message nests MIME parts {MAX_DEPTH + 1} levels deep, "
        f"more than the limit of {MAX_DEPTH}.",
    )
    assert delivered_texts(result) == [HELD_PLACEHOLDER + "\n"]


def test_parser_exhausting_nest_is_held() -> None:
    result = clean_message(nested_multipart(3000), CONTEXT)

    assert len(result.hold_reasons) == 1
    assert "levels deep" in result.hold_reasons[0]
    assert delivered_texts(result) == [HELD_PLACEHOLDER + "\n"]


def test_too_many_parts_are_held() -> None:
    message = plain_message("Hi\n")
    message.make_mixed()
    for index in range(MAX_PARTS):
        message.add_attachment(f"part {index}\n", disposition="inline")

    result = clean_message(message.as_bytes(), CONTEXT)

    assert result.hold_reasons == (
        f"The message has {MAX_PARTS + 1} MIME parts, "
        f"more than the limit of {MAX_PARTS}.",
    )


def test_too_much_text_is_held() -> None:
    text = ("word " * 20 + "\n") * (MAX_TEXT_CHARS // 100 + 1)
    result = clean_message(plain_message(text).as_bytes(), CONTEXT)

    assert len(result.hold_reasons) == 1
    assert result.hold_reasons[0].startswith("The message has ")
    assert result.hold_reasons[0].endswith(f"the limit of {MAX_TEXT_CHARS}.")


def test_raising_step_holds_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_step(draft: Draft, context: FilterContext) -> StepResult:
        raise RuntimeError("broken step")

    monkeypatch.setattr(pipeline, "STEPS", (broken_step,))

    result = clean_message(plain_message("Hi\n").as_bytes(), CONTEXT)

    assert result.hold_reasons == (INTERNAL_ERROR,)
    assert delivered_texts(result) == [HELD_PLACEHOLDER + "\n"]


def test_garbage_bytes_do_not_raise() -> None:
    result = clean_message(bytes(range(256)) * 10, CONTEXT)

    data, _ = delivered(result)
    assert data.isascii()


def test_empty_input_gives_empty_text_part() -> None:
    result = clean_message(b"", CONTEXT)

    assert result.hold_reasons == ()
    assert delivered_texts(result) == ["\n"]


def test_subject_handle_shape_stays_and_body_one_goes() -> None:
    raw = raw_message(b"See you then\r\nSam\r\nsamj_04\r\n", subject=b"Re: sam_2009")

    result = clean_message(raw, CONTEXT)

    assert result.subject == "Re: sam_2009"
    body = result.content.get_content()
    assert body == "See you then\nSam\n[contact link removed]\n"


def test_overridden_phone_in_subject_is_removed() -> None:
    subject = "Ring \u202e321009 00770\u202c".encode()

    result = clean_message(raw_message(b"Hi\r\n", subject=subject), CONTEXT)

    assert result.subject == f"Ring {PHONE_PLACEHOLDER}"


def test_subject_pasted_file_gets_notice() -> None:
    # The first bytes of a JPEG file in base64, the rest sent in the body.
    code = base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(120)))
    message = plain_message("See you Monday.", subject=f"pic part A {code.decode()}")
    result = clean_message(message.as_bytes(), FilterContext())
    assert result.subject == "pic part A"
    assert delivered_texts(result) == [
        "See you Monday.\n\n[attachment removed: file pasted as text]\n"
    ]
    assert [(f.kind, f.where, f.count) for f in result.findings] == [
        ("attachment", "subject", 1)
    ]


def test_subject_hidden_characters_reported() -> None:
    # Eight zero-width characters per byte spell out two bytes.
    bits = "".join("\u200b" if bit == "0" else "\u200c" for bit in "0100100001101001")
    message = plain_message("See you Monday.", subject=f"Plan{bits} for Monday")
    result = clean_message(message.as_bytes(), FilterContext())
    assert result.subject == "Plan for Monday"
    assert delivered_texts(result) == ["See you Monday.\n"]
    assert [(f.kind, f.where, f.count, f.detail) for f in result.findings] == [
        ("attachment", "subject", 16, "hidden characters")
    ]
