"""Tests for the removal of files pasted into plain text as encoded text."""

from __future__ import annotations

import base64
import binascii
import email.policy
import hashlib
import itertools
import random
import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage

import pytest

from filters.base import FilterContext, Finding
from filters.mime import Draft, Multipart, TextPart
from filters.pasted import (
    MIN_CODE_CHARS,
    MIN_SIGNATURE_CHARS,
    _code_words,
    _has_code_run,
    _has_spaced_groups,
    _has_web_address,
    _is_code_word,
    _line_forms,
    remove_pasted_files,
    strip_pasted_files,
    strip_pasted_html,
    strip_pasted_subject,
)
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


def test_base64_lines_under_the_limit_stay() -> None:
    two = "".join(BASE64_LINES.splitlines(keepends=True)[:2])

    assert len(two.replace("\n", "")) == MIN_CODE_CHARS - 8
    assert strip_pasted_files(two) == (two, 0)


def test_single_long_base64_token_is_removed() -> None:
    text, count = strip_pasted_files(f"File: {BASE64_TOKEN} thanks")

    assert text == "File:  thanks"
    assert count == 1


def test_base64_token_under_the_limit_stays() -> None:
    token = BASE64_TOKEN[: MIN_CODE_CHARS - 1]

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


def test_begin_base64_block_of_short_lines_is_removed() -> None:
    # No line is as long as a base64 line, so only the first line marks it.
    block = "begin-base64 644 a.txt\nQUJD\n====\n"

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
        "alternative",
        (TextPart("plain", "One \nTwo\nEnd\n"), TextPart("html", "<p></p>")),
    )
    assert result.draft.notices == ("earlier", NOTICE, NOTICE)
    assert result.findings == (
        Finding("attachment", "text/plain", 2, detail="file pasted as text"),
        Finding("attachment", "text/html", 1, detail="file pasted as text"),
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


# Encoded forms of pasted files, and text that looks like them

# An 8 by 8 PNG and a 137-byte PDF: files far smaller than MIN_CODE_CHARS
# characters of base64, found by their signatures.
SMALL_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x08\x00\x00\x00\x08"
    b"\x08\x02\x00\x00\x00Km)\xdc\x00\x00\x00\x12IDATx\x9cc\xf8\xcf\x80\x04"
    b"\x18\xa8\x04\x00\xa9\x1d?\xc1\x9f\xb0\x8f\x0f\x00\x00\x00\x00IEND\xaeB`\x82"
)
SMALL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n"
SMALL_PDF += b"%" * (136 - len(SMALL_PDF)) + b"\n"
PLAIN_DELIVERED = f"here it is\n\n{NOTICE}\n"


def delivered_texts(message: EmailMessage) -> list[str]:
    result = clean_message(message.as_bytes(), CONTEXT)
    assert result.hold_reasons == ()
    texts = []
    for part in result.content.walk():
        if not part.is_multipart():
            texts.append(part.get_content().replace("\r\n", "\n"))
    return texts


def plain_message(text: str, charset: str = "utf-8") -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "File"
    message.set_content(text, charset=charset)
    return message


# Bytes that yEnc writes as printable Latin-1 characters, because a text
# part with other control characters is held as binary data.
YENC_DATA = bytes(byte for byte in FILE_BYTES if (byte + 42) % 256 >= 32)


def yenc(data: bytes) -> str:
    """Return yEnc lines for `data`, read as Latin-1 like a mail client does."""
    encoded = bytearray()
    for byte in data:
        shifted = (byte + 42) % 256
        if shifted in (0, 10, 13, 61):
            encoded += bytes((61, (shifted + 64) % 256))
        else:
            encoded.append(shifted)
    lines = [encoded[start : start + 128] for start in range(0, len(encoded), 128)]
    return "".join(line.decode("latin-1") + "\n" for line in lines)


def spaced(code: str) -> str:
    return " ".join(code[start : start + 4] for start in range(0, len(code), 4))


def wrapped(code: str, width: int = 76) -> str:
    return "".join(code[i : i + width] + "\n" for i in range(0, len(code), width))


PASTED_FORMS = {
    "hex dump": wrapped(FILE_BYTES.hex()),
    "base32": wrapped(base64.b32encode(FILE_BYTES).decode()),
    "url-safe base64": wrapped(base64.urlsafe_b64encode(FILE_BYTES).decode()),
    "numbered lines": "".join(
        f"{number:04d} {line}\n"
        for number, line in enumerate(wrapped(BASE64_TOKEN, 60).split())
    ),
    "chunks": "\nnext part:\n".join(wrapped(BASE64_TOKEN, 100).split()) + "\n",
    "spaced groups": "".join(spaced(line) + "\n" for line in BASE64_LINES.split()),
    "small png": base64.b64encode(SMALL_PNG).decode() + "\n",
    "small pdf": wrapped(base64.b64encode(SMALL_PDF).decode()),
    "small hex png": SMALL_PNG.hex() + "\n",
    "uuencode without begin": "".join(
        binascii.b2a_uu(FILE_BYTES[start : start + 45]).decode()
        for start in range(0, len(FILE_BYTES), 45)
    ),
    "binhex": "(This file must be converted with BinHex 4.0)\n"
    ":" + FILE_BYTES[:40].hex() + ":\n",
    "ascii85": "<~" + base64.a85encode(FILE_BYTES[:60]).decode() + "~>\n",
    "bare ascii85": wrapped(base64.a85encode(FILE_BYTES).decode()),
}


@pytest.mark.parametrize("form", PASTED_FORMS, ids=str)
def test_pasted_form_is_removed(form: str) -> None:
    message = plain_message("here it is\n" + PASTED_FORMS[form])

    assert delivered_texts(message) == [PLAIN_DELIVERED]


def test_yenc_block_is_removed() -> None:
    block = "=ybegin line=128 size=266 name=cv.pdf\n" + yenc(YENC_DATA) + "=yend\n"
    message = plain_message("here it is\n" + block, charset="iso-8859-1")

    assert delivered_texts(message) == [PLAIN_DELIVERED]


def test_yenc_lines_without_markers_are_removed() -> None:
    message = plain_message("here it is\n" + yenc(YENC_DATA), "iso-8859-1")

    assert delivered_texts(message) == [PLAIN_DELIVERED]


def test_base64_in_html_alternative_is_removed() -> None:
    # Gmail and Outlook send the text twice: as plain text, and as HTML
    # with a <br> after each line.
    lines = BASE64_LINES.split()
    message = plain_message("here is my cv\n\n" + BASE64_LINES)
    message.add_alternative(
        "<div>here is my cv</div><div>" + "<br>".join(lines) + "</div>",
        subtype="html",
    )

    plain, html = delivered_texts(message)

    assert plain == f"here is my cv\n\n{NOTICE}\n"
    # NOTE: the <br> elements between the removed lines stay.
    assert html == (
        f"<div>here is my cv</div><div><br><br><br><br><br></div>\n\n<p>{NOTICE}</p>\n"
    )


def test_base64_in_html_pre_is_removed() -> None:
    message = EmailMessage()
    message["Subject"] = "File"
    message.set_content(
        f"<html><body><p>cv:</p><pre>{BASE64_LINES}</pre></body></html>",
        subtype="html",
    )

    assert delivered_texts(message) == [f"<p>cv:</p><pre></pre>\n\n<p>{NOTICE}</p>\n"]


def test_html_without_code_is_unchanged() -> None:
    source = '<p style="font-size:14px">Relationships 2024 and alex.s.2008</p>'

    assert strip_pasted_html(source) == (source, 0)


@pytest.mark.parametrize(
    "text",
    [
        "https://www.example.com/s?session=" + BASE64_TOKEN[:150] + " for details\n",
        "Message-ID: <CAKx9+vR3mXy7pQz8L2nW5tB4kJ6hF1dG0sA3eC9uY7@mail.gmail.com>\n",
        "sha256 "
        + "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d\n",
        "sha512 " + "ab12" * 32 + "\n",
        "".join(f"{'ab12' * 16}  notes{number}.txt\n" for number in range(6)),
        "".join(
            f"123e4567-e89b-12d3-a456-42661417400{number}\n" for number in range(8)
        ),
        "Fingerprint: 3A1F 9C2B 7D4E 8F60 1A2B  3C4D 5E6F 7081 92A3 B4C5\n",
        "".join(
            f"{2019 + n} {1200 + n} {3400 + n} {5600 + n} {7800 + n}\n"
            for n in range(12)
        ),
        "".join(f"{n}.25 {n}.50 {n}.75 {n}.00 1{n}.5\n" for n in range(12)),
        "Donaudampfschifffahrtselektrizitaetenhauptbetriebswerkbauunterbeamtengesellschaft\n",
        "N,N-Dimethyl-4-aminopyridine and 1,2,3,4-tetrahydroacridin-9-amine\n",
        "PLEASE BRING YOUR CV AND TWO REFERENCES TO THE INTERVIEW ON 12 MAY!!\n" * 4,
        "Tracking: JD014600006573812345, JD014600006573812346\n",
        ("-=" * 36 + "\n") * 6,
        "Thanks\nSam\n",
    ],
)
def test_text_that_looks_encoded_stays(text: str) -> None:
    assert strip_pasted_files(text) == (text, 0)


def test_quoted_dkim_signature_stays() -> None:
    signature_lines = wrapped(BASE64_TOKEN[:344], 70)
    header = (
        "> DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1;\n"
        ">        bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n"
        ">        b=\n"
        + "".join(f">        {line}\n" for line in signature_lines.split())
    )

    assert strip_pasted_files(header) == (header, 0)


def test_dkim_tag_longer_than_any_signature_is_removed() -> None:
    value = wrapped(base64.b64encode(FILE_BYTES * 3).decode()[:760], 70)
    text = "b=\n" + value

    assert strip_pasted_files(text) == ("b=\n", 1)


def test_pasted_ascii_pdf_removed() -> None:
    pdf = (
        "%PDF-1.1\n"
        "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
        "trailer << /Root 1 0 R >>\n"
        "%%EOF\n"
    )

    text, count = strip_pasted_files("save this as cv.pdf:\n" + pdf + "Thanks, Sam\n")

    assert text == "save this as cv.pdf:\nThanks, Sam\n"
    assert count == 1


def test_pasted_percent_prose_stays() -> None:
    prose = "Sales rose 12%PDF downloads doubled.\n%PDF is not how a line starts here\n"

    assert strip_pasted_files("Hi\n" + prose) == ("Hi\n" + prose, 0)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["ab12", "cd34", "ef56"], True),
        (["ab12", "cd34", "word", "1234"], False),
        # Each letter next to a digit counts, so one group can hold two.
        (["a1b2", "cd34"], True),
        (["abcd", "2024", "efgh", "5678", "ab12"], False),
        # Groups of 5 to 17 characters count too: "iVBORw0K GgoAAAAN".
        (["ab12x", "cd345", "ef56"], True),
        (["ab12cd34ef56gh78ij", "kl90", "mnop"], False),
    ],
)
def test_spaced_groups_need_three_letter_digit_pairs(
    words: list[str], expected: bool
) -> None:
    assert _has_spaced_groups(words) is expected


# Files pasted in lines of any width

SURVIVING_WINDOW = 64
FILE_HEADERS = {
    "random": b"",
    "zip": b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x8a\x5c",
    "png": SMALL_PNG[:33],
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n",
}
ENCODINGS: dict[str, Callable[[bytes], str]] = {
    "base64": lambda data: base64.b64encode(data).decode(),
    "base32": lambda data: base64.b32encode(data).decode(),
    "hex": lambda data: data.hex(),
}
# Text between two lines of the pasted file, and text in front of each.
LAYOUTS = {
    "lines": ("", ""),
    "blank lines": ("\n", ""),
    "quoted lines": ("", "> "),
    "quoted blank lines": ("> \n", ""),
}


def pasted_file(header: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    size = 200 + rng.randrange(300)
    return header + bytes(rng.randrange(256) for _ in range(size))


def paste(code: str, width: int, layout: str, newline: str) -> str:
    between, prefix = LAYOUTS[layout]
    lines = [prefix + code[i : i + width] for i in range(0, len(code), width)]
    return (newline + between.replace("\n", newline)).join(lines) + newline


def windows(text: str) -> set[str]:
    return {
        text[start : start + SURVIVING_WINDOW]
        for start in range(len(text) - SURVIVING_WINDOW + 1)
    }


def pasted_cases() -> Iterator[tuple[str, str]]:
    """Yield a name and the encoded text of each pasted file, one per seed."""
    seed = 0
    for kind, header in FILE_HEADERS.items():
        for encoding, encode in ENCODINGS.items():
            seed += 1
            yield f"{kind} in {encoding}", encode(pasted_file(header, seed))


@pytest.mark.parametrize(("name", "code"), list(pasted_cases()))
def test_file_in_lines_of_any_width_is_removed(name: str, code: str) -> None:
    # No line of 4, 8 or 12 characters is long enough to count alone, so
    # the lines are judged together as one block.
    encoded_windows = windows(code)
    escaped: list[str] = []
    for width, layout, newline in itertools.product(
        range(1, 81), LAYOUTS, ("\n", "\r\n")
    ):
        before, after = f"Here it is:{newline}", f"Thanks, Sam{newline}"
        pasted = paste(code, width, layout, newline)

        text, count = strip_pasted_files(before + pasted + after)

        flat = re.sub(r"[\s>]", "", text)
        if count != 1 or text != before + after or encoded_windows & windows(flat):
            escaped.append(f"{width} {layout} {newline!r}: {count} {text[:80]!r}")
    assert escaped == []


@pytest.mark.parametrize("width", [4, 8, 12])
def test_short_lines_of_zip_leave_one_notice(width: int) -> None:
    code = base64.b64encode(pasted_file(FILE_HEADERS["zip"], width)).decode()
    message = plain_message("here it is\n" + paste(code, width, "lines", "\n"))

    assert delivered_texts(message) == [PLAIN_DELIVERED]


def test_signature_line_takes_the_whole_block() -> None:
    # A small PNG then a zip, each in lines of 12. The line with the PNG
    # signature must not go alone and leave the zip. The PNG's base64 has
    # no padding to end it, so both are read as one block.
    png = base64.b64encode(SMALL_PNG).decode()
    zipped = base64.b64encode(pasted_file(FILE_HEADERS["zip"], 7)).decode()
    pasted = paste(png, 12, "lines", "\n") + paste(zipped, 12, "lines", "\n")

    text, count = strip_pasted_files("Hi\n" + pasted + "Bye\n")

    assert text == "Hi\nBye\n"
    assert count == 1


def test_padding_ends_a_block() -> None:
    first = base64.b64encode(pasted_file(b"", 8)[:250]).decode()
    second = base64.b64encode(pasted_file(b"", 9)).decode()
    pasted = paste(first, 8, "lines", "\n") + paste(second, 8, "lines", "\n")

    text, count = strip_pasted_files("Hi\n" + pasted + "Bye\n")

    assert first.endswith("=")
    assert text == "Hi\nBye\n"
    assert count == 2


def test_block_in_html_lines_is_removed() -> None:
    code = base64.b64encode(pasted_file(FILE_HEADERS["zip"], 3)).decode()
    lines = [code[i : i + 8] for i in range(0, len(code), 8)]
    source = "<div>cv</div><div>" + "<br>".join(lines) + "</div>"

    text, count = strip_pasted_html(source)

    assert text == "<div>cv</div><div>" + "<br>" * (len(lines) - 1) + "</div>"
    assert count == 1


ORDINARY_SHORT_LINES = {
    "days": "Mon\nTue\nWed\nThu\nFri\nSat\nSun\n" * 8,
    "times": "".join(f"Mon\n{n}am\nTue\n{n + 1}pm\n" for n in range(1, 21)),
    "poem": "Rain\nagain\nOn\nthe\nwindow\nI\nwait\nfor\nMay\n" * 6,
    "scores": "".join(f"W{n % 4}-{n % 3}\nL{n % 2}-{n % 5}\n" for n in range(30)),
    "order numbers": "".join(f"ORD{n:05d}\n" for n in range(10020, 10060)),
    "order numbers in two cases": "".join(
        f"Ord{n:05d}x\nord{n + 7:05d}Y\n" for n in range(10020, 10040)
    ),
    "postcodes": "".join(f"SW1A{n}AA\nB{n}3QT\nEC2A{n}BB\n" for n in range(1, 10)),
    "code": "for\nitem\nin\nitems\nx1\n+=\nitem\nreturn\nx1\n" * 6,
    "room numbers": "".join(f"Room{n}\nBlock{n}B\n" for n in range(1, 30)),
    "words then data": "Hi\nSam\n" + ("Mon\n9am\n" * 40) + "Thanks\nAlex\n",
}


@pytest.mark.parametrize("name", ORDINARY_SHORT_LINES)
def test_ordinary_short_lines_stay(name: str) -> None:
    text = ORDINARY_SHORT_LINES[name]

    assert strip_pasted_files(text) == (text, 0)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Hi\n", "Thanks\nSam\n"),
        ("hi sam\n\n", "\nBye\n"),
        ("Dear\nAlex\n", "Sam\n"),
    ],
)
def test_words_next_to_short_lines_stay(before: str, after: str) -> None:
    code = base64.b64encode(pasted_file(FILE_HEADERS["zip"], 11)).decode()
    pasted = paste(code, 8, "lines", "\n")

    assert strip_pasted_files(before + pasted + after) == (before + after, 1)


# Groups of any width, with any separator, and base85


def _grouped(code: str, width: int, separator: str) -> str:
    return separator.join(code[i : i + width] for i in range(0, len(code), width))


def _wrapped(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


PNG_BYTES = b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(600)
PNG_BASE64 = base64.b64encode(PNG_BYTES).decode()
PNG_URL_SAFE = base64.urlsafe_b64encode(PNG_BYTES).decode()


@pytest.mark.parametrize(
    "pasted",
    [
        _grouped(PNG_BASE64, 8, " "),
        _wrapped(_grouped(PNG_BASE64, 8, " "), 72),
        _grouped(PNG_BASE64, 8, "\t"),
        _grouped(PNG_BASE64, 16, ", "),
        _wrapped(_grouped(PNG_URL_SAFE, 8, " "), 72),
        base64.b85encode(PNG_BYTES).decode(),
        _wrapped(base64.b85encode(PNG_BYTES).decode(), 64),
    ],
    ids=[
        "groups of 8",
        "groups of 8 wrapped",
        "tabs",
        "groups of 16 with commas",
        "url-safe groups",
        "base85",
        "base85 wrapped",
    ],
)
def test_file_in_spaced_groups_or_base85_is_removed(pasted: str) -> None:
    text, count = strip_pasted_files("Here it is:\n" + pasted + "\nthanks\n")

    assert text == "Here it is:\nthanks\n"
    assert count == 1


def test_spaced_words_of_eight_letters_stay() -> None:
    prose = "Absolute business capacity daughter elements February\n" * 6

    assert strip_pasted_files(prose) == (prose, 0)


# A small file after a label, or with characters typed in front of it

TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9"
    "i18U1AAAAABJRU5ErkJggg=="
)
TINY_BASE64 = base64.b64encode(TINY_PNG).decode()


@pytest.mark.parametrize(
    "pasted",
    [
        _grouped(TINY_BASE64, 8, " "),
        _grouped(TINY_BASE64, 4, " "),
        _grouped(TINY_BASE64, 8, "\t"),
        _grouped(TINY_BASE64, 16, ", "),
        _grouped(TINY_BASE64, 12, " "),
        "abcd" + TINY_BASE64,
        base64.b85encode(TINY_PNG).decode(),
        base64.a85encode(TINY_PNG).decode(),
    ],
    ids=[
        "groups of 8",
        "groups of 4",
        "tabs",
        "commas",
        "groups of 12",
        "junk",
        "base85",
        "ascii85",
    ],
)
def test_small_file_after_label_is_removed(pasted: str) -> None:
    text, count = strip_pasted_files("photo: " + pasted + "\nthanks\n")

    assert text == "photo: \nthanks\n"
    assert count == 1


@pytest.mark.parametrize(
    "text",
    [
        "Meeting notes: done done done done, next week we go\n",
        "I like cats, dogs, birds, fish, and more\n",
        "Codes: AB12 CD34 EF56 GH78 are the lockers\n",
    ],
)
def test_words_after_label_stay(text: str) -> None:
    assert strip_pasted_files(text) == (text, 0)


# Files hidden by notes, prose, parts, byte values, image markup and attributes

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + random.Random(7).randbytes(1200)
# The same bytes without the JPEG signature, as a partner who restores the
# first bytes by hand would receive them.
PLAIN_BYTES = random.Random(8).randbytes(1200)


def noted(lines: list[str], note: str = " <- {}") -> str:
    return "".join(f"{line}{note.format(index)}\n" for index, line in enumerate(lines))


def clean(message: EmailMessage) -> tuple[list[str], list[Finding]]:
    result = clean_message(message.as_bytes(), CONTEXT)
    assert result.hold_reasons == ()
    texts = [
        part.get_content().replace("\r\n", "\n")
        for part in result.content.walk()
        if not part.is_multipart()
    ]
    files = [finding for finding in result.findings if finding.detail == NOTICE]
    return texts, files


def pasted_findings(message: EmailMessage) -> list[Finding]:
    result = clean_message(message.as_bytes(), CONTEXT)
    return [f for f in result.findings if f.detail == "file pasted as text"]


@pytest.mark.parametrize(
    "lines",
    [
        wrapped(base64.b64encode(JPEG_BYTES).decode()).split(),
        wrapped(base64.b64encode(PLAIN_BYTES).decode()).split(),
        wrapped(PLAIN_BYTES.hex(), 64).split(),
        wrapped(base64.b85encode(PLAIN_BYTES).decode(), 70).split(),
    ],
    ids=["base64 jpeg", "base64", "hex", "base85"],
)
def test_code_lines_with_a_note_each_are_removed(lines: list[str]) -> None:
    message = plain_message("Here it is:\n" + noted(lines) + "Bye\n")

    assert delivered_texts(message) == [f"Here it is:\nBye\n\n{NOTICE}\n"]
    assert len(pasted_findings(message)) == 1


def test_code_lines_of_varied_width_with_notes_are_removed() -> None:
    # Lines of 9 to 76 characters, so that no run of full lines is long
    # enough alone.
    code = base64.b64encode(PLAIN_BYTES).decode()
    widths = itertools.cycle([76, 13, 9, 40, 13, 62, 11])
    lines = []
    while code:
        width = next(widths)
        lines.append(code[:width])
        code = code[width:]

    text, count = strip_pasted_files(noted(lines) + "Thanks, Sam\n")

    assert text == "Thanks, Sam\n"
    assert count == 1


def test_short_last_line_with_a_note_is_removed() -> None:
    # 57 bytes fill one line of 76 characters, and 3 more give 4 characters.
    lines = wrapped(base64.b64encode(JPEG_BYTES[: 57 * 17 + 3]).decode()).split()

    assert len(lines[-1]) < 8
    assert strip_pasted_files(noted(lines, " <- line {}")) == ("", 1)


def test_prose_between_code_lines_is_removed_with_them() -> None:
    lines = wrapped(base64.b64encode(JPEG_BYTES).decode()).split()
    prose = itertools.cycle(["We went to the beach", "Then we had chips on the pier"])
    body = "".join(f"{next(prose)}\n{line}\n" for line in lines)

    text, count = strip_pasted_files("Our holiday:\n" + body + "See you soon\n")

    assert text == "Our holiday:\nWe went to the beach\nSee you soon\n"
    assert count == 1


def test_code_spread_over_plain_parts_is_removed_once() -> None:
    message = EmailMessage()
    message["Subject"] = "File"
    message.make_mixed()
    for line in wrapped(base64.b64encode(SMALL_PNG * 4).decode()).split():
        message.attach(plain_message(line + "\n"))

    texts = delivered_texts(message)

    assert texts[0] == f"{NOTICE}\n"
    assert set(texts[1:]) == {"\n"}
    assert len(pasted_findings(message)) == 1


def test_signature_line_alone_leaves_notice_and_finding() -> None:
    first = base64.b64encode(JPEG_BYTES[:57]).decode()
    message = plain_message(f"Look:\n{first} <- 0\nBye\n")

    assert delivered_texts(message) == [f"Look:\nBye\n\n{NOTICE}\n"]
    assert pasted_findings(message) == [
        Finding("attachment", "text/plain", 1, detail="file pasted as text")
    ]


def byte_lines(data: bytes, write: Callable[[int], str], sep: str = ",") -> str:
    return "".join(
        sep.join(write(byte) for byte in data[start : start + 20]) + "\n"
        for start in range(0, len(data), 20)
    )


@pytest.mark.parametrize(
    "lines",
    [
        byte_lines(SMALL_PNG, str),
        byte_lines(SMALL_PNG, lambda byte: f"{byte:03o}", " "),
        byte_lines(SMALL_PNG, lambda byte: f"0x{byte:02x}", ", "),
        byte_lines(PLAIN_BYTES[:400], str),
    ],
    ids=["decimal png", "octal png", "hexadecimal png", "decimal random"],
)
def test_file_as_byte_values_is_removed(lines: str) -> None:
    message = plain_message("Numbers:\n" + lines + "Bye\n")

    assert delivered_texts(message) == [f"Numbers:\nBye\n\n{NOTICE}\n"]


@pytest.mark.parametrize(
    "text",
    [
        "".join(
            ",".join(str((row * 7 + col * 13) % 101) for col in range(20)) + "\n"
            for row in range(30)
        ),
        "Scores: 12, 15, 9, 20, 18, 17, 11, 14, 16, 19\n",
        "".join(f"{n}, {n + 1}, {n + 2}, {n + 3}, 4, 5, 6, 7, 8\n" for n in range(20)),
        "1 2 3 4 5 6 7 8 9 10 11 12\n13 14 15 16 17 18 19 20 21 22 23 24\n",
    ],
    ids=["scores table", "scores", "counting", "numbers"],
)
def test_ordinary_numbers_stay(text: str) -> None:
    assert strip_pasted_files(text) == (text, 0)


SVG_DRAWING = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">\n'
    '<path stroke="black" d="M10 10L20 10 M20 10L20 20"/>\n'
    "</svg>\n"
)
XPM_IMAGE = (
    "/* XPM */\n"
    "static char *p[] = {\n"
    '"4 2 2 1",\n'
    '"  c #000000",\n'
    '". c #ffffff",\n'
    '" . .",\n'
    '". . "};\n'
)
PGM_IMAGE = "P2\n4 3\n255\n0 64 128 255\n255 128 64 0\n1 2 3 4\n"
PBM_IMAGE = "P1\n# a checkerboard\n4 2\n0 1 0 1\n1 0 1 0\n"


@pytest.mark.parametrize(
    "image",
    [SVG_DRAWING, XPM_IMAGE, PGM_IMAGE, PBM_IMAGE],
    ids=["svg", "xpm", "pgm", "pbm"],
)
def test_image_written_as_text_is_removed(image: str) -> None:
    message = plain_message("Save this:\n" + image + "Bye\n")

    assert delivered_texts(message) == [f"Save this:\nBye\n\n{NOTICE}\n"]


@pytest.mark.parametrize(
    "text",
    [
        "Use <svg> for icons and <path> for lines.\n",
        "P2 results are in: 4 3\nwell done\n",
        "P1\n2 3\nthat is the group and the rooms\n",
        "def area(width, height):\n    return width * height\n",
    ],
)
def test_text_about_images_stays(text: str) -> None:
    assert strip_pasted_files(text) == (text, 0)


def test_base64_in_title_attributes_is_removed() -> None:
    lines = wrapped(base64.b64encode(SMALL_PNG * 3).decode()).split()
    source = "".join(f'<p title="{line}">.</p>' for line in lines)

    text, count = strip_pasted_html(source)

    assert text == '<p title="">.</p>' * len(lines)
    assert count == 1


def test_ordinary_title_attribute_stays() -> None:
    source = '<p title="Photos from the trip, 12 May 2024">See below</p>'

    assert strip_pasted_html(source) == (source, 0)


def test_base64_in_subject_is_removed() -> None:
    code = base64.b64encode(SMALL_PNG).decode()[:180]

    assert strip_pasted_subject(f"r05 {code} thanks") == ("r05 thanks", 1)


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Personal statement draft",
        "Order AB12CD34EF56 has shipped",
        "sha256 6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    ],
)
def test_ordinary_subject_stays(subject: str) -> None:
    assert strip_pasted_subject(subject) == (subject, 0)


def test_checksum_list_with_file_names_stays() -> None:
    digests = [hashlib.sha256(bytes([n])).hexdigest() for n in range(24)]
    text = "".join(f"{digest}  report-{n}.pdf\n" for n, digest in enumerate(digests))

    assert strip_pasted_files(text) == (text, 0)


def test_reference_list_with_notes_stays() -> None:
    text = "".join(f"ORD{2024000 + n}AB  - arrived {n} May\n" for n in range(20))

    assert strip_pasted_files(text) == (text, 0)


# Files written one escape, number or word per byte, and hex dumps

# A small PNG file: its signature, then bytes of every value.
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
HEX_DIGIT_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ay",
    "bee",
    "see",
    "dee",
    "ee",
    "eff",
]


def backslash_escapes(data: bytes) -> str:
    return "".join(f"\\x{byte:02x}" for byte in data)


def test_backslash_escapes_of_a_png_are_removed() -> None:
    text, count = strip_pasted_files(
        "Here:\n" + backslash_escapes(PNG_BYTES) + "\nBye\n"
    )

    assert text == "Here:\nBye\n"
    assert count == 1


def test_backslash_escapes_in_a_quoted_reply_are_removed() -> None:
    escapes = backslash_escapes(PNG_BYTES)
    quoted = "\n".join("> " + escapes[i : i + 72] for i in range(0, len(escapes), 72))

    text, count = strip_pasted_files("Thanks!\n\nAlex wrote:\n" + quoted + "\n")

    assert text == "Thanks!\n\nAlex wrote:\n"
    assert count == 1


def test_escaped_text_file_without_signature_is_removed() -> None:
    # The middle of a PDF split over several messages is ASCII text with
    # no signature, but no writer escapes every letter and digit.
    middle = b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type"

    text, count = strip_pasted_files("part 2 of 3\n" + backslash_escapes(middle))

    assert text == "part 2 of 3\n"
    assert count == 1


def test_percent_escapes_of_a_png_are_removed() -> None:
    lower = "".join(f"%{byte:02x}" for byte in PNG_BYTES)
    upper = lower.upper()

    for escapes in (lower, upper):
        text, count = strip_pasted_files("Here:\n" + escapes + "\nBye\n")
        assert text == "Here:\nBye\n"
        assert count == 1


def test_equals_sign_escapes_of_a_png_are_removed() -> None:
    escapes = "".join(f"={byte:02X}" for byte in PNG_BYTES)

    text, count = strip_pasted_files("Here:\n" + escapes + "\nBye\n")

    assert text == "Here:\nBye\n"
    assert count == 1


def test_references_in_plain_text_are_removed() -> None:
    references = "".join(f"&#x{byte:x};" for byte in PNG_BYTES)

    text, count = strip_pasted_files("Here:\n" + references + "\nBye\n")

    assert text == "Here:\nBye\n"
    assert count == 1


def test_c_array_after_a_declaration_is_removed() -> None:
    values = ", ".join(f"0x{byte:02x}" for byte in PNG_BYTES)

    text, count = strip_pasted_files(
        "Here:\nunsigned char img[] = {" + values + "};\nBye\n"
    )

    assert text == "Here:\nunsigned char img[] = {};\nBye\n"
    assert count == 1


def test_binary_octets_of_a_png_are_removed() -> None:
    octets = " ".join(f"{byte:08b}" for byte in PNG_BYTES)

    text, count = strip_pasted_files("Here:\n" + octets + "\nBye\n")

    assert text == "Here:\nBye\n"
    assert count == 1


def test_hex_digits_written_as_words_are_removed() -> None:
    words = " ".join(HEX_DIGIT_WORDS[int(digit, 16)] for digit in PNG_BYTES.hex())

    text, count = strip_pasted_files("Here:\n" + words + "\nBye\n")

    assert text == "Here:\nBye\n"
    assert count == 1


def xxd_listing(data: bytes) -> str:
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16].hex()
        groups = " ".join(chunk[i : i + 4] for i in range(0, len(chunk), 4))
        shown = "".join(chr(b) if 32 <= b < 127 else "." for b in data[offset:][:16])
        lines.append(f"{offset:08x}: {groups:<39}  {shown}")
    return "\n".join(lines) + "\n"


def hexdump_listing(data: bytes) -> str:
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        left = " ".join(f"{b:02x}" for b in chunk[:8])
        right = " ".join(f"{b:02x}" for b in chunk[8:])
        shown = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {left:<23}  {right:<23}  |{shown}|")
    return "\n".join(lines) + f"\n{len(data):08x}\n"


def test_xxd_listing_of_text_is_removed() -> None:
    # A listing with offsets is a file whatever its bytes.
    listing = xxd_listing(b"Plain words, dumped to look like a file. " * 3)

    text, count = strip_pasted_files("Here:\n" + listing + "Bye\n")

    assert text == "Here:\nBye\n"
    assert count == 1


def test_hexdump_listing_with_end_offset_is_removed() -> None:
    text, count = strip_pasted_files("Here:\n" + hexdump_listing(PNG_BYTES) + "Bye\n")

    assert text == "Here:\nBye\n"
    assert count == 1


def test_short_hexdump_in_a_question_stays() -> None:
    question = (
        "Why does my file start like this?\n"
        + xxd_listing(PNG_BYTES[:32])
        + "Is it corrupt?\n"
    )

    assert strip_pasted_files(question) == (question, 0)


def test_base64_chunks_in_prose_lines_are_removed() -> None:
    code = base64.b64encode(PNG_BYTES).decode()
    diary = "".join(
        f"Day {i}: today I learned {code[start : start + 8]} which was fun\n"
        for i, start in enumerate(range(0, len(code), 8))
    )

    text, count = strip_pasted_files("My diary:\n" + diary + "See you soon\n")

    assert text == "My diary:\nSee you soon\n"
    assert count == 1


@pytest.mark.parametrize(
    "text",
    [
        "The form is at https://example.org/apply?name=Sam%20Jones&year=Year%2011\n",
        "Search https://example.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0"
        "%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0 for the Russian page.\n",
        'In C, printf("\\x1b[31mred\\x1b[0m\\n") prints red text.\n',
        'My regex is r"[\\x00-\\x1f\\x7f]+\\n" and it works now.\n',
        "PNG files start with \\x89\\x50\\x4e\\x47\\x0d\\x0a\\x1a\\x0a, I think.\n",
        "Use #ff00aa for the title and 0xFF00AA in the code.\n",
        "My laptop's MAC address is 00:1A:2B:3C:4D:5E.\n",
        "101 in binary is 5, and 11111111 is 255.\n",
        "Two bytes: 01001000 01101001 spell Hi.\n",
        "ISBN 978-0-306-40615-7, checksum 9e107d9d372bb6826bd81d3542a419d6.\n",
        "Soft breaks: caf=C3=A9 au lait, =E2=80=9Cquoted=E2=80=9D.\n",
        "Count with me: one two three four five six seven eight nine ten.\n",
        "Table:\n2024 10 12 15\n2025 11 13 16\n2026 12 14 17\n2027 13 15 18\n",
    ],
)
def test_ordinary_escapes_and_numbers_stay(text: str) -> None:
    assert strip_pasted_files(text) == (text, 0)


def test_references_in_html_are_removed() -> None:
    # Control bytes cannot be written as references, so they are written
    # as braille patterns, one per byte value.
    references = "".join(
        f"&#x{b:x};" if b >= 0x20 and b != 0x7F else f"&#x{b + 0x2800:x};"
        for b in PNG_BYTES
    )

    html, count = strip_pasted_html("<p>Hi</p><p>" + references + "</p>")

    assert html == "<p>Hi</p><p></p>"
    assert count == 1


def test_percent_escapes_in_a_link_are_removed() -> None:
    escapes = "".join(f"%{byte:02x}" for byte in PNG_BYTES)

    html, count = strip_pasted_html(
        f'<p><a href="https://example.org/x?d={escapes}">link</a></p>'
    )

    assert html == '<p><a href="https://example.org/x?d=">link</a></p>'
    assert count == 1


def test_accented_html_references_stay() -> None:
    html = "<p>Caf&#xe9; cr&#232;me, na&#xef;ve &#x201c;r&#xe9;sum&#xe9;&#x201d;</p>"

    assert strip_pasted_html(html) == (html, 0)


def test_escaped_png_in_a_message_gets_the_notice() -> None:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "sam@example.org"
    message["To"] = "alex@example.org"
    message["Subject"] = "photo"
    message.set_content("Here:\n" + backslash_escapes(PNG_BYTES) + "\nBye\n")

    clean = clean_message(message.as_bytes(), CONTEXT)

    assert clean.content.get_content() == f"Here:\nBye\n\n{NOTICE}\n"
    assert clean.hold_reasons == ()


def test_line_forms_are_found_on_the_first_line() -> None:
    byte_values = "0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a"
    noted_code = "iVBORw0KGgoAAAANSUhEUg  <- part 1"

    assert _line_forms(byte_values + "\nThanks") == {"bytes"}
    assert _line_forms(noted_code + "\nThanks") == {"noted"}


def test_line_forms_are_found_on_later_lines() -> None:
    text = "Hi Alex,\n> iVBORw0KGgoAAAANSUhEUg  <- part 1\n\t137 80 78 71 13 10 26 10\n"

    assert _line_forms(text) == {"noted", "bytes"}
    assert _line_forms("Hi Alex,\nSee you on the 12th at 10.\n") == set()


def test_code_words_match_per_word_check() -> None:
    # Long words of punctuation and Ascii85 words. When no word has a run
    # of base64 characters, _code_words skips that search, and it must
    # still find the words that _is_code_word finds.
    rng = random.Random(7)
    fast_path_words = 0
    for _ in range(40):
        words = [
            base64.a85encode(rng.randbytes(16)).decode()
            if rng.random() < 0.3
            else "".join(rng.choices("!#$%&()*;<=>?@^`{|}~.,:", k=rng.randint(10, 40)))
            for _ in range(30)
        ]
        long_words = [word for word in words if len(word) >= MIN_SIGNATURE_CHARS]
        expected = set(filter(_is_code_word, long_words))

        found = _code_words(" ".join(words))

        assert (found or set()) == expected
        if not _has_code_run(long_words):
            fast_path_words += len(expected)
    assert fast_path_words > 0


def test_web_address_is_found_in_any_case() -> None:
    assert _has_web_address("See:HTTPS://example.org/a")
    assert _has_web_address("WwW.example.org/a")
    assert _has_web_address("x" * 1000 + "://")


def test_long_word_without_scheme_is_no_web_address() -> None:
    assert not _has_web_address("a" * 1000)
    assert not _has_web_address("a" * 1000 + "_://")
    assert not _has_web_address("ww.example.org:/a")
