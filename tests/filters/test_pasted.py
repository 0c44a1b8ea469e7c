"""Tests for the removal of files pasted into plain text as encoded text."""

from __future__ import annotations

import base64
import email.policy
from email.message import EmailMessage

import pytest

from filters.base import FilterContext, Finding
from filters.mime import Draft, Multipart, TextPart
from filters.pasted import remove_pasted_files, strip_pasted_files
from filters.pipeline import clean_message

CONTEXT = FilterContext()
NOTICE = "[attachment removed: file pasted as text]"
# 298 bytes give five 76-character lines of base64 and a shorter last line.
FILE_BYTES = bytes(range(256)) + b"Call 07700 900123 or sam@example.com, Sam."
BASE64_LINES = base64.encodebytes(FILE_BYTES).decode()
BASE64_TOKEN = base64.b64encode(FILE_BYTES).decode()


def test_base64_lines_are_removed() -> None:
    text, count = strip_pasted_files("Here:\n" + BASE64_LINES + "Bye\n")

    assert text == "Here:\nBye\n"
    assert count == 1


def test_base64_lines_have_the_expected_shape() -> None:
    lines = BASE64_LINES.splitlines()

    assert len(lines) == 6
    assert len(lines[0]) == 76
    assert len(lines[-1]) < 40


def test_quoted_base64_lines_are_removed() -> None:
    quoted = "".join(f"> {line}" for line in BASE64_LINES.splitlines(keepends=True))

    text, count = strip_pasted_files("> Here:\n" + quoted + "Bye\n")

    assert text == "> Here:\nBye\n"
    assert count == 1


def test_four_base64_lines_stay() -> None:
    four = "".join(BASE64_LINES.splitlines(keepends=True)[:4])

    assert strip_pasted_files(four) == (four, 0)


def test_single_long_base64_token_is_removed() -> None:
    text, count = strip_pasted_files(f"File: {BASE64_TOKEN} thanks")

    assert text == "File:  thanks"
    assert count == 1


def test_base64_token_under_the_limit_stays() -> None:
    token = BASE64_TOKEN[:199]

    assert strip_pasted_files(f"File: {token} thanks") == (f"File: {token} thanks", 0)


@pytest.mark.parametrize(
    "uri",
    [
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB",
        "DATA:text/plain;charset=utf-8;base64,MDc3MDAgOTAwMTIz",
        "data:;base64,MDc3MDAgOTAwMTIz",
    ],
)
def test_data_uri_is_removed(uri: str) -> None:
    text, count = strip_pasted_files(f"See <{uri}> now")

    assert text == "See <> now"
    assert count == 1


def test_wrapped_data_uri_is_removed() -> None:
    uri = "data:application/pdf;base64," + BASE64_LINES.rstrip("\n")

    text, count = strip_pasted_files(f"PDF: {uri}\nBye\n")

    assert text == "PDF: \nBye\n"
    assert count == 1


def test_begin_base64_block_is_removed() -> None:
    block = "begin-base64 644 notes.txt\n" + BASE64_LINES[:77] + "====\n"

    text, count = strip_pasted_files("Before\n" + block + "After\n")

    assert text == "Before\nAfter\n"
    assert count == 1


def test_pem_block_is_removed() -> None:
    block = (
        "-----BEGIN CERTIFICATE-----\n"
        "MIIBszCCAVmgAwIBAgIUJ\n"
        "abc=\n"
        "-----END CERTIFICATE-----\n"
    )

    text, count = strip_pasted_files("Key:\n" + block + "\nThanks\n")

    assert text == "Key:\n\nThanks\n"
    assert count == 1


def test_pem_block_without_end_stops_at_text() -> None:
    block = "  -----BEGIN PRIVATE KEY-----\n  MIIEvQIBADANBgkq\n"

    text, count = strip_pasted_files("Key:\n" + block + "\nThanks, Sam\n")

    assert text == "Key:\n\nThanks, Sam\n"
    assert count == 1


def test_signed_cleartext_stays_and_signature_goes() -> None:
    message = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSee you on Tuesday.\n"
    )
    signature = (
        "-----BEGIN PGP SIGNATURE-----\n"
        "Version: 1\n"
        "\n"
        "iQEzBAEBCAAdFiEE\n"
        "=q2Zr\n"
        "-----END PGP SIGNATURE-----\n"
    )

    text, count = strip_pasted_files(message + signature)

    assert text == message
    assert count == 1


@pytest.mark.parametrize(
    "text",
    [
        "Aaaaa" + "a" * 250 + "rgh, it rained all day\n",
        "ha" * 150 + "\n",
        "https://www.example.com/track/" + BASE64_TOKEN + " is the link\n",
        "See www.example.org/" + BASE64_TOKEN + "\n",
        "Commit 3f5a9c0e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a is merged\n",
        ("=" * 60 + "\n") * 6,
        ("abcdefghijklmnopqrstuvwxyzabcdefghijklmnop\n") * 6,
        "begin the meeting at ten\n-----BEGIN nothing\n",
        "Pneumonoultramicroscopicsilicovolcanoconiosis is a long word.\n",
    ],
)
def test_ordinary_text_stays(text: str) -> None:
    assert strip_pasted_files(text) == (text, 0)


def test_step_adds_finding_and_notice_per_file() -> None:
    plain = TextPart("plain", f"One {BASE64_TOKEN}\nTwo\n{BASE64_LINES}End\n")
    html = TextPart("html", f"<p>{BASE64_TOKEN}</p>")
    draft = Draft(Multipart("alternative", (plain, html)), ("earlier",))

    result = remove_pasted_files(draft, CONTEXT)

    assert result.draft.body == Multipart(
        "alternative", (TextPart("plain", "One \nTwo\nEnd\n"), html)
    )
    assert result.draft.notices == ("earlier", NOTICE, NOTICE)
    assert result.findings == (
        Finding("attachment", "text/plain", 2, detail="file pasted as text"),
    )


def test_step_leaves_clean_draft_alone() -> None:
    draft = Draft(TextPart("plain", "Hello Sam\n"))

    result = remove_pasted_files(draft, CONTEXT)

    assert result.draft is draft
    assert result.findings == ()


def test_pasted_file_is_removed_from_delivered_message() -> None:
    message = EmailMessage()
    message["Subject"] = "Photo"
    message.set_content("Here is my photo:\n" + BASE64_LINES + "Bye\n")

    result = clean_message(message.as_bytes(), CONTEXT)

    delivered = result.content.get_content()
    assert delivered == f"Here is my photo:\nBye\n\n{NOTICE}\n"
    assert BASE64_LINES[:76] not in result.content.as_string(policy=email.policy.SMTP)
    assert Finding("attachment", "text/plain", 1, detail="file pasted as text") in (
        result.findings
    )
