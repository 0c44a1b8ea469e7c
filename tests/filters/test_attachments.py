"""Tests for attachment removal, notices, uuencoded blocks and encrypted content."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from filters.attachments import (
    describe_file,
    describe_type,
    remove_attachments,
    strip_uuencoded,
)
from filters.base import FilterContext
from filters.mime import Draft, Multipart, OpaquePart, TextPart
from filters.pipeline import CleanMessage, clean_message
from filters.text import redact_text

CONTEXT = FilterContext()
PHONE = "07700 900123"
PHONE_PLACEHOLDER = redact_text(PHONE, CONTEXT, "attachment").text
ENCRYPTED = "The message is encrypted, so its content cannot be filtered."

UUENCODED = (
    "begin 644 notes.txt\n"
    'M5&AI<R!I<R!A(&9I;&4@=VET:"!A(&YU;6)E<B`P-S<P,"`Y,#`Q,C,@:6X@\n'
    '$:70N"@``\n'
    "`\n"
    "end\n"
)


def message_with_text(text: str = "See attached.\n") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Sam Mentor <sam@example.com>"
    message["To"] = "Alex Mentee <alex@example.org>"
    message["Subject"] = "Files"
    message.set_content(text)
    return message


def delivered(result: CleanMessage) -> EmailMessage:
    data = result.content.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def leaf_types(result: CleanMessage) -> list[str]:
    return [
        part.get_content_type()
        for part in delivered(result).walk()
        if not part.is_multipart()
    ]


def leaf_texts(result: CleanMessage) -> list[str]:
    texts = []
    for part in delivered(result).walk():
        if not part.is_multipart():
            content = part.get_content()
            assert isinstance(content, str)
            texts.append(content.replace("\r\n", "\n"))
    return texts


def forwarded_message() -> EmailMessage:
    inner = EmailMessage()
    inner["From"] = "Jo Friend <jo@example.com>"
    inner["Subject"] = "Contact"
    inner.set_content(f"My number is {PHONE}\n")
    return inner


def test_pdf_attachment_is_removed_with_notice() -> None:
    message = message_with_text()
    message.add_attachment(
        b"%PDF-1.4 secret", maintype="application", subtype="pdf", filename="cv.pdf"
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    assert leaf_types(result) == ["text/plain"]
    assert leaf_texts(result) == ["See attached.\n\n[attachment removed: cv.pdf]\n"]
    attachment = [f for f in result.findings if f.kind == "attachment"]
    assert len(attachment) == 1
    assert attachment[0].where == "application/pdf"
    assert attachment[0].detail == "cv.pdf"


def test_notice_in_plain_and_html() -> None:
    message = message_with_text()
    message.add_alternative("<p>See attached.</p>", subtype="html")
    message.add_attachment(
        b"PK\x03\x04", maintype="application", subtype="zip", filename="a&b.zip"
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    assert leaf_types(result) == ["text/plain", "text/html"]
    plain, html = leaf_texts(result)
    assert plain.endswith("\n[attachment removed: a&b.zip]\n")
    assert html.rstrip().endswith("<p>[attachment removed: a&amp;b.zip]</p>")


def test_unnamed_attachment_is_named_by_main_type() -> None:
    message = message_with_text()
    message.add_attachment(b"\x00\x01", maintype="application", subtype="octet-stream")

    result = clean_message(message.as_bytes(), CONTEXT)

    assert leaf_texts(result)[-1].endswith("[attachment removed: file]\n")


def test_sender_chosen_subtype_is_not_repeated() -> None:
    message = message_with_text()
    message.add_attachment(b"\x00", maintype="image", subtype="x-07700900123")

    result = clean_message(message.as_bytes(), CONTEXT)

    (text,) = leaf_texts(result)
    assert text == "See attached.\n\n[attachment removed: image]\n"
    assert "07700900123" not in result.content.as_string()


@pytest.mark.parametrize(
    ("content_type", "description"),
    [
        ("image/x-07700900123", "image"),
        ("audio/mpeg", "audio"),
        ("video/mp4", "video"),
        ("application/x-sam-at-example-net", "file"),
        ("message/rfc822", "attached message"),
        ("text/calendar", "file"),
        ("model/gltf+json", "file"),
        ("IMAGE/PNG", "image"),
        ("", "file"),
    ],
)
def test_describe_type_uses_main_type_only(content_type: str, description: str) -> None:
    assert describe_type(content_type) == description


def test_phone_in_file_name_is_removed() -> None:
    message = message_with_text()
    message.add_attachment(
        b"x", maintype="image", subtype="png", filename=f"call {PHONE}.png"
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    text = leaf_texts(result)[0]
    assert PHONE not in text
    assert text == "See attached.\n\n[attachment removed: png file]\n"


def test_encoded_file_name_is_filtered() -> None:
    encoded = "=?utf-8?b?Y2FsbCAwNzcwMCA5MDAxMjMucGRm?="
    message = message_with_text()
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf")
    attachment = list(message.iter_parts())[1]
    attachment.replace_header(
        "Content-Disposition", f'attachment; filename="{encoded}"'
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    text = leaf_texts(result)[0]
    assert text.endswith("[attachment removed: pdf file]\n")


@pytest.mark.parametrize(
    ("filename", "label", "kinds"),
    [
        ("snapchat samj10.pdf", "pdf file", ["off_platform"]),
        ("sam.home@example.net.pdf", "pdf file", ["email"]),
        ("samj04.docx", "docx file", []),
        ("IMG_1234.jpg", "jpg file", []),
        ("notes.samj10", "file", []),
        ("samj04", "file", []),
        ("my cv.pdf", "my cv.pdf", []),
        ("a&b.zip", "a&b.zip", []),
    ],
)
def test_file_name_with_contact_is_not_shown(
    filename: str, label: str, kinds: list[str]
) -> None:
    shown, findings = describe_file(filename, "file", CONTEXT)

    assert shown == label
    assert [finding.kind for finding in findings] == kinds


@pytest.mark.parametrize(
    ("filename", "notice", "kinds"),
    [
        (
            "14 Acacia Avenue LS6 2AB.pdf",
            "[attachment removed: pdf file]",
            ["street_address", "postcode"],
        ),
        ("07700900123.jpg", "[attachment removed: jpg file]", ["phone"]),
        ("sam.j@example.net.vcf", "[attachment removed: vcf file]", ["email"]),
        ("snap samj_04.png", "[attachment removed: png file]", ["off_platform"]),
        ("Acacia Avenue.pdf", "[attachment removed: Acacia Avenue.pdf]", []),
        ("CV final v2.docx", "[attachment removed: CV final v2.docx]", []),
        ("Year 10 timetable.pdf", "[attachment removed: Year 10 timetable.pdf]", []),
        (
            "Y10 options 2nd draft.pdf",
            "[attachment removed: Y10 options 2nd draft.pdf]",
            [],
        ),
    ],
)
def test_notice_names_file_only_without_contact(
    filename: str, notice: str, kinds: list[str]
) -> None:
    message = message_with_text()
    message.add_attachment(
        b"data", maintype="application", subtype="octet-stream", filename=filename
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    assert leaf_texts(result) == [f"See attached.\n\n{notice}\n"]
    removed = [f.kind for f in result.findings if f.where == "attachment"]
    assert removed == kinds


@pytest.mark.parametrize(
    ("filename", "label"),
    [
        ("samj4.png", "png file"),
        ("sj04.png", "png file"),
        ("LS6.pdf", "pdf file"),
        ("v2.docx", "v2.docx"),
        ("Q3 figures.xlsx", "Q3 figures.xlsx"),
        ("3rd draft.docx", "3rd draft.docx"),
    ],
)
def test_short_version_marks_keep_the_name(filename: str, label: str) -> None:
    # One letter and up to three digits, or an ordinal, is shorter than most
    # handles. Two letters with digits may be one, so the name is hidden.
    assert describe_file(filename, "file", CONTEXT) == (label, [])


def test_contact_in_file_name_never_reaches_the_notice() -> None:
    message = message_with_text()
    message.add_attachment(
        b"%PDF",
        maintype="application",
        subtype="pdf",
        filename="samjones2010 on gmail / snapchat samj10.pdf",
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    assert leaf_texts(result) == ["See attached.\n\n[attachment removed: pdf file]\n"]


def test_inline_image_in_related_html_is_removed() -> None:
    message = message_with_text()
    message.add_alternative('<p>Hi <img src="cid:logo"></p>', subtype="html")
    html_part = list(message.iter_parts())[1]
    html_part.add_related(
        b"\x89PNG", maintype="image", subtype="png", cid="<logo>", filename="logo.png"
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    assert leaf_types(result) == ["text/plain", "text/html"]
    assert "<img" not in leaf_texts(result)[1]
    assert "[attachment removed: logo.png]" in leaf_texts(result)[1]


def test_forwarded_message_is_removed() -> None:
    message = message_with_text()
    message.add_attachment(forwarded_message())

    result = clean_message(message.as_bytes(), CONTEXT)

    data = result.content.as_bytes(policy=email.policy.SMTP)
    assert PHONE.encode() not in data
    assert leaf_types(result) == ["text/plain"]
    assert leaf_texts(result)[0].endswith("[attachment removed: attached message]\n")


def test_calendar_tnef_and_text_file_are_removed() -> None:
    message = message_with_text()
    message.add_attachment("BEGIN:VCALENDAR\n", subtype="calendar")
    message.add_attachment(
        b"\x78\x9f\x3e\x22",
        maintype="application",
        subtype="ms-tnef",
        filename="winmail.dat",
    )
    message.add_attachment(f"call {PHONE}\n", filename="notes.txt")

    result = clean_message(message.as_bytes(), CONTEXT)

    assert leaf_types(result) == ["text/plain"]
    assert leaf_texts(result) == [
        "See attached.\n\n"
        "[attachment removed: file]\n"
        "[attachment removed: winmail.dat]\n"
        "[attachment removed: notes.txt]\n"
    ]


def test_signed_text_stays_and_signature_goes() -> None:
    signed = EmailMessage()
    signed["Subject"] = "Signed"
    signed["Content-Type"] = (
        'multipart/signed; protocol="application/pgp-signature"; boundary="sig"'
    )
    text = EmailMessage()
    text.set_content("Signed words.\n")
    signature = EmailMessage()
    signature.set_content(
        b"-----BEGIN PGP SIGNATURE-----", "application", "pgp-signature"
    )
    signed.attach(text)
    signed.attach(signature)

    result = clean_message(signed.as_bytes(), CONTEXT)

    assert result.hold_reasons == ()
    assert leaf_types(result) == ["text/plain"]
    assert leaf_texts(result) == ["Signed words.\n\n[attachment removed: file]\n"]


def test_attachment_only_message_gets_text() -> None:
    message = EmailMessage()
    message["Subject"] = "Photo"
    message.set_content(
        b"\xff\xd8", maintype="image", subtype="jpeg", filename="me.jpg"
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    assert leaf_types(result) == ["text/plain"]
    assert leaf_texts(result) == ["[attachment removed: me.jpg]\n"]


def test_uuencoded_block_is_removed_with_notice() -> None:
    message = message_with_text("Here it is:\n" + UUENCODED + "Bye\n")

    result = clean_message(message.as_bytes(), CONTEXT)

    assert leaf_texts(result) == [
        "Here it is:\nBye\n\n[attachment removed: notes.txt]\n"
    ]


def test_strip_uuencoded_keeps_text_around_block() -> None:
    text, names = strip_uuencoded("Before\n" + UUENCODED + "After\n")

    assert text == "Before\nAfter\n"
    assert names == ["notes.txt"]


def test_uuencoded_block_without_end() -> None:
    block = UUENCODED.replace("end\n", "")

    text, names = strip_uuencoded("Before\n" + block + "regards, Sam\n")

    assert text == "Before\nregards, Sam\n"
    assert names == ["notes.txt"]


def test_plain_begin_line_is_kept() -> None:
    text = "begin the meeting at ten\nend of note\n"

    assert strip_uuencoded(text) == (text, [])


def test_indented_uuencoded_block_is_removed() -> None:
    block = "".join(f"  {line}" for line in UUENCODED.splitlines(keepends=True))

    text, names = strip_uuencoded("Before\n" + block + "After\n")

    assert text == "Before\nAfter\n"
    assert names == ["notes.txt"]


def test_quoted_uuencoded_block_is_removed() -> None:
    block = "".join(f"> {line}" for line in UUENCODED.splitlines(keepends=True))

    text, names = strip_uuencoded("> Before\n" + block + "After\n")

    assert text == "> Before\nAfter\n"
    assert names == ["notes.txt"]


def test_begin_line_without_data_is_kept() -> None:
    text = "  begin 644 copies of the leaflet\nThanks, Sam\n"

    assert strip_uuencoded(text) == (text, [])


def test_file_name_with_control_characters_is_not_shown() -> None:
    label, findings = describe_file("bad\r\nname\x00.pdf", "file", CONTEXT)

    assert label == "pdf file"
    assert findings == []


def test_describe_file_shortens_long_names() -> None:
    label, _ = describe_file("a" * 300 + ".pdf", "file", CONTEXT)

    assert len(label) == 100
    assert label.endswith("…")


def test_emptied_multiparts_are_flattened() -> None:
    body = Multipart(
        "mixed",
        (
            TextPart("plain", "Hi\n"),
            Multipart("related", (OpaquePart("image/png", "a.png"),)),
        ),
    )

    result = remove_attachments(Draft(body), CONTEXT)

    assert result.draft.body == TextPart("plain", "Hi\n")
    assert result.draft.notices == ("[attachment removed: a.png]",)


def test_multipart_encrypted_is_held() -> None:
    message = EmailMessage()
    message["Subject"] = "Secret"
    message["Content-Type"] = (
        'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc"'
    )
    control = EmailMessage()
    control.set_content(b"Version: 1", "application", "pgp-encrypted")
    payload = EmailMessage()
    payload.set_content(b"-----BEGIN PGP MESSAGE-----", "application", "octet-stream")
    message.attach(control)
    message.attach(payload)

    result = clean_message(message.as_bytes(), CONTEXT)

    assert result.hold_reasons == (ENCRYPTED,)


def test_smime_enveloped_data_is_held() -> None:
    message = EmailMessage()
    message["Subject"] = "Secret"
    message.set_content(
        b"\x30\x80",
        maintype="application",
        subtype="pkcs7-mime",
        params={"smime-type": "enveloped-data"},
        filename="smime.p7m",
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    assert result.hold_reasons == (ENCRYPTED,)


def test_pgp_armoured_text_is_held() -> None:
    text = "-----BEGIN PGP MESSAGE-----\n\nhQEMA\n-----END PGP MESSAGE-----\n"
    message = message_with_text(text)

    result = clean_message(message.as_bytes(), CONTEXT)

    assert result.hold_reasons == (ENCRYPTED,)
    assert b"hQEMA" not in result.content.as_bytes(policy=email.policy.SMTP)


def test_file_name_cannot_add_text_after_the_notice() -> None:
    # The header is written by hand, so that the parser reads the RFC 2231
    # file name exactly as a sender wrote it.
    raw = (
        "From: sam@example.com\r\nTo: alex@example.org\r\nSubject: Files\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        "--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename*=utf-8''"
        "a.png%5D%0D%0A%0D%0Ahello%20there%0D%0A%5Bb.png\r\n\r\n"
        "iVBORw0KGgo=\r\n--b--\r\n"
    )

    result = clean_message(raw.encode(), CONTEXT)

    assert leaf_texts(result) == ["See attached.\n\n[attachment removed: png file]\n"]


@pytest.mark.parametrize(
    ("filename", "label"),
    [
        ("a.png] hello [b.png", "png file"),
        ("<b>notes</b>.txt", "txt file"),
        ("{draft}.docx", "docx file"),
        ("report (1).pdf", "report (1).pdf"),
        ("Year 10 options.pdf", "Year 10 options.pdf"),
    ],
)
def test_file_name_with_brackets_is_not_shown(filename: str, label: str) -> None:
    assert describe_file(filename, "file", CONTEXT) == (label, [])


@pytest.mark.parametrize(
    ("text", "filename", "label"),
    [
        ("mail sam.j@", "example.net.jpg", "jpg file"),
        ("I live at 14", "Acacia Avenue Leeds.jpg", "jpg file"),
        ("snapchat:", "samj.jpg", "jpg file"),
        ("photos attached", "holiday.jpg", "holiday.jpg"),
    ],
)
def test_file_name_completing_text_is_not_shown(
    text: str, filename: str, label: str
) -> None:
    sent = message_with_text(text + "\n")
    sent.add_attachment(
        b"\xff\xd8\xff", maintype="image", subtype="jpeg", filename=filename
    )

    result = clean_message(sent.as_bytes(), FilterContext())

    assert leaf_texts(result) == [f"{text}\n\n[attachment removed: {label}]\n"]
