"""Tests for details split over the subject and the body, or over two messages."""

from __future__ import annotations

import pickle
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from filters import junctions
from filters.base import FilterContext, Finding, Span
from filters.junctions import (
    HEAD_CHARS,
    TAIL_CHARS,
    SplitDetail,
    find_split_detail,
    leading_text_parts,
)
from filters.mime import Multipart, OpaquePart, TextPart
from filters.pipeline import HELD_PLACEHOLDER, CleanMessage, clean_message
from filters.text import find_redaction_spans

CONTEXT = FilterContext()
PHONE_REMOVED = "[phone number removed]"
EMAIL_REMOVED = "[email address removed]"
SUBJECT_PHONE = "The subject and the start of the body together hold a phone number."
PREVIOUS_PHONE = (
    "The start of this message continues a phone number begun at the end "
    "of the sender's earlier messages to the same recipient."
)


def message(subject: str, plain: str | None, html: str | None = None) -> bytes:
    built = EmailMessage()
    built["From"] = "Sam Jones <sam@example.org>"
    built["To"] = "Alex Smith <alex@example.com>"
    built["Subject"] = subject
    if plain is not None:
        built.set_content(plain)
        if html is not None:
            built.add_alternative(html, subtype="html")
    elif html is not None:
        built.set_content(html, subtype="html")
    return built.as_bytes(policy=SMTP)


def texts(result: CleanMessage) -> dict[str, str]:
    """Return the delivered text of each leaf part, by content type."""
    found: dict[str, str] = {}
    for part in result.content.walk():
        if not part.is_multipart():
            found[part.get_content_type()] = str(part.get_content())
    return found


def split_findings(result: CleanMessage) -> list[Finding]:
    return [f for f in result.findings if f.kind == "split_detail"]


# find_split_detail


@pytest.mark.parametrize(
    ("tail", "head", "expected"),
    [
        ("my number is 07700", "900123 call me", SplitDetail("phone", 13, 6)),
        ("my number starts 07700", "900123", SplitDetail("phone", 17, 6)),
        ("sam.jones04 at", "example dot net", SplitDetail("email", 0, 15)),
        ("my email is samjones04", "at example dot net", SplitDetail("email", 12, 18)),
        ("call 01632", "960123 today", SplitDetail("phone", 5, 6)),
    ],
)
def test_split_detail_found_across_junction(
    tail: str, head: str, expected: SplitDetail
) -> None:
    assert find_split_detail(tail, head, CONTEXT) == expected


@pytest.mark.parametrize(
    ("tail", "head"),
    [
        ("Week 3 plan", "1. Read chapter 2"),
        ("see you at 10", "30 people came"),
        ("my number is 07700 900123", "thanks"),
        ("", "900123 call me"),
        ("my number is 07700", ""),
    ],
)
def test_ordinary_text_has_no_split_detail(tail: str, head: str) -> None:
    assert find_split_detail(tail, head, CONTEXT) is None


@pytest.mark.parametrize(
    ("tail", "head"),
    [("add me on snap", "samj_04"), ("call 020 7946", "0123 today")],
)
def test_detail_found_by_one_side_skipped(tail: str, head: str) -> None:
    # The ordinary filtering of the tail (and here of "samj_04" too) removes
    # these already, so the junction reports nothing.
    assert find_split_detail(tail, head, CONTEXT) is None


def test_split_offsets_count_from_whole_tail() -> None:
    tail = "x" * 400 + " my number is 07700"
    assert find_split_detail(tail, "900123", CONTEXT) == SplitDetail("phone", 414, 6)


def test_filters_read_at_most_both_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []

    def recording(text: str, context: FilterContext) -> list[Span]:
        read.append(text)
        return []

    monkeypatch.setattr(junctions, "find_redaction_spans", recording)
    find_split_detail("a" * 5000 + " 07700", "900123 " + "b" * 5000, CONTEXT)

    # The first read joins the tail to the head. The next two put the head's
    # first clause before the tail's last word and last two words, all cut
    # from the same windows.
    head_clause = "900123 " + "b" * (HEAD_CHARS - 7)
    assert len(read) == 3
    assert len(read[0]) == TAIL_CHARS + 1 + HEAD_CHARS
    assert read[0].startswith("a" * (TAIL_CHARS - 6) + " 07700\n900123 ")
    assert read[1] == f"{head_clause} 07700"
    assert read[2] == f"{head_clause} {'a' * (TAIL_CHARS - 6)} 07700"


def test_sides_run_alone_only_when_a_span_crosses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read: list[str] = []

    def recording(text: str, context: FilterContext) -> list[Span]:
        read.append(text)
        return find_redaction_spans(text, context)

    monkeypatch.setattr(junctions, "find_redaction_spans", recording)
    find_split_detail("my number is 07700", "900123 call me", CONTEXT)

    assert read == [
        "my number is 07700\n900123 call me",
        "my number is 07700",
        "900123 call me",
    ]


# leading_text_parts


def test_leading_parts_offer_each_alternative() -> None:
    plain = TextPart("plain", "hello")
    html = TextPart("html", "<p>hello</p>")
    later = TextPart("plain", "second")
    body = Multipart(
        "mixed",
        (OpaquePart("image/png"), Multipart("alternative", (plain, html)), later),
    )
    parts = leading_text_parts(body)
    assert len(parts) == 2
    assert parts[0] is plain
    assert parts[1] is html


def test_leading_parts_of_single_text_part() -> None:
    plain = TextPart("plain", "hello")
    assert leading_text_parts(plain) == [plain]


# The subject and the body


def test_subject_body_phone_split_removed() -> None:
    result = clean_message(message("my number is 07700", "900123 call me\n"), CONTEXT)

    assert result.subject == f"my number is {PHONE_REMOVED}"
    assert texts(result) == {"text/plain": f"{PHONE_REMOVED} call me\n"}
    assert result.hold_reasons == ()
    assert split_findings(result) == [
        Finding("split_detail", "message", detail=SUBJECT_PHONE, severity="medium")
    ]
    assert Finding("phone", "subject") in result.findings
    assert Finding("phone", "text/plain") in result.findings


def test_phone_split_is_removed_from_both_alternatives() -> None:
    raw = message("my number is 07700", "900123 call me\n", "<p>900123 call me</p>")
    result = clean_message(raw, CONTEXT)

    assert result.subject == f"my number is {PHONE_REMOVED}"
    assert texts(result) == {
        "text/plain": f"{PHONE_REMOVED} call me\n",
        "text/html": f"<p>{PHONE_REMOVED} call me</p>\n",
    }
    assert result.hold_reasons == ()


def test_email_split_into_html_only_removed() -> None:
    raw = message("sam.jones04 at", None, "<div><p>example dot net</p> thanks</div>")
    result = clean_message(raw, CONTEXT)

    assert result.subject == EMAIL_REMOVED
    assert texts(result) == {"text/html": f"<div><p>{EMAIL_REMOVED}</p> thanks</div>\n"}
    assert [f.detail for f in split_findings(result)] == [
        "The subject and the start of the body together hold an email address."
    ]


def test_split_across_html_tags_holds_message() -> None:
    # The HTML part writes the digits in two elements, so its text cannot be
    # replaced exactly. The message is held, and the hold reason names
    # what was found.
    raw = message(
        "my number is 07700", "900123 call me\n", "<p>900<b>123</b> call me</p>"
    )
    result = clean_message(raw, CONTEXT)

    assert result.hold_reasons == (
        f"{SUBJECT_PHONE} The relay could not remove it from the HTML version.",
    )
    assert result.subject == f"my number is {PHONE_REMOVED}"
    assert texts(result) == {"text/plain": HELD_PLACEHOLDER + "\n"}
    assert "900123" not in result.hold_reasons[0]
    assert len(split_findings(result)) == 1


def test_ordinary_subject_and_body_stay() -> None:
    result = clean_message(message("Week 3 plan", "1. Read chapter 2\n"), CONTEXT)

    assert result.subject == "Week 3 plan"
    assert texts(result) == {"text/plain": "1. Read chapter 2\n"}
    assert result.findings == ()


def test_whole_phone_in_subject_is_not_a_split() -> None:
    result = clean_message(message("call 07700 900123", "thanks\n"), CONTEXT)

    assert result.subject == f"call {PHONE_REMOVED}"
    assert texts(result) == {"text/plain": "thanks\n"}
    assert split_findings(result) == []


# Two messages


def test_message_continuing_previous_phone_loses_its_start() -> None:
    context = replace(CONTEXT, previous_tail="Speak soon, my number starts 07700")
    result = clean_message(message("Hello again", "900123\nSee you Tuesday\n"), context)

    assert result.subject == "Hello again"
    assert texts(result) == {"text/plain": f"{PHONE_REMOVED}\nSee you Tuesday\n"}
    assert result.hold_reasons == ()
    assert split_findings(result) == [
        Finding("split_detail", "message", detail=PREVIOUS_PHONE, severity="medium")
    ]
    assert Finding("phone", "text/plain") in result.findings


def test_message_continuing_previous_email_loses_its_start() -> None:
    context = replace(CONTEXT, previous_tail="my email is samjones04")
    raw = message("Re: plans", "at example dot net\n", "<p>at example dot net</p>")
    result = clean_message(raw, context)

    assert texts(result) == {
        "text/plain": f"{EMAIL_REMOVED}\n",
        "text/html": f"<p>{EMAIL_REMOVED}</p>\n",
    }


def test_ordinary_message_after_previous_one_stays() -> None:
    context = replace(CONTEXT, previous_tail="see you at 10")
    result = clean_message(message("Trip", "30 people came\n"), context)

    assert texts(result) == {"text/plain": "30 people came\n"}
    assert result.findings == ()


def test_context_with_previous_tail_pickles() -> None:
    context = replace(CONTEXT, previous_tail="my number starts 07700")
    assert pickle.loads(pickle.dumps(context)) == context


# Three or more messages


def test_email_over_three_messages_loses_last_part() -> None:
    # The runner joins the ends of the earlier messages with line breaks.
    context = replace(CONTEXT, previous_tail="sam.j04\nat example")
    result = clean_message(message("Re: plans", "dot net\n"), context)

    assert texts(result) == {"text/plain": f"{EMAIL_REMOVED}\n"}
    assert [f.detail for f in split_findings(result)] == [
        "The start of this message continues an email address begun at the "
        "end of the sender's earlier messages to the same recipient."
    ]


def test_postcode_over_four_messages_loses_last_part() -> None:
    tail = "house number 14\nacacia avenue\nLS6"
    context = replace(CONTEXT, previous_tail=tail)
    result = clean_message(message("Re: address", "2AB\n"), context)

    assert texts(result) == {"text/plain": "[postcode removed]\n"}
    assert len(split_findings(result)) == 1


def test_phone_over_three_messages_loses_last_part() -> None:
    context = replace(CONTEXT, previous_tail="my number\n07700")
    result = clean_message(message("Re: call", "900\n"), context)

    assert texts(result) == {"text/plain": f"{PHONE_REMOVED}\n"}


def test_ordinary_chatter_over_three_messages_stays() -> None:
    context = replace(CONTEXT, previous_tail="ok\nsee you at 10")
    result = clean_message(message("Trip", "30 people came\n"), context)

    assert texts(result) == {"text/plain": "30 people came\n"}
    assert result.findings == ()


PARTS_EMAIL = "Two text parts shown one after the other together hold an email address."
APPLE_MAIL_LAYOUT = b"""\
From: sam@example.org
To: alex@example.com
MIME-Version: 1.0
Subject: Hi
Content-Type: multipart/alternative; boundary="OUT"

--OUT
Content-Type: text/plain; charset=utf-8

mail me: sam.j@

example.net

--OUT
Content-Type: multipart/mixed; boundary="IN"

--IN
Content-Type: text/html; charset=utf-8

<html><body><div>mail me: sam.j@</div></body></html>
--IN
Content-Type: image/jpeg; name="IMG_0001.jpg"
Content-Disposition: inline; filename="IMG_0001.jpg"
Content-Transfer-Encoding: base64

/9j/4AAQ
--IN
Content-Type: text/html; charset=utf-8

<html><body><div>example.net</div></body></html>
--IN--

--OUT--
"""


def parts_message(subtype: str, first: str, second: str) -> bytes:
    built = EmailMessage()
    built["From"] = "Sam Jones <sam@example.org>"
    built["To"] = "Alex Smith <alex@example.com>"
    built["Subject"] = "Hi"
    built.make_mixed()
    for text in (first, second):
        part = EmailMessage()
        part.set_content(text, subtype=subtype)
        built.attach(part)
    return built.as_bytes(policy=SMTP)


def leaf_texts(result: CleanMessage) -> list[str]:
    return [
        str(part.get_content())
        for part in result.content.walk()
        if not part.is_multipart()
    ]


def test_email_split_over_plain_parts_is_removed() -> None:
    raw = parts_message("plain", "mail me: sam.j@\n", "example.net\n")

    result = clean_message(raw, CONTEXT)

    assert leaf_texts(result) == [f"mail me: {EMAIL_REMOVED}\n", f"{EMAIL_REMOVED}\n"]
    assert [f.detail for f in split_findings(result)] == [PARTS_EMAIL]


def test_email_split_over_html_parts_is_removed() -> None:
    raw = parts_message("html", "<p>mail me: sam.j@</p>", "<p>example.net</p>")

    result = clean_message(raw, CONTEXT)

    assert leaf_texts(result) == [
        f"<p>mail me: {EMAIL_REMOVED}</p>\n",
        f"<p>{EMAIL_REMOVED}</p>\n",
    ]


def test_email_split_around_image_is_removed() -> None:
    # Apple Mail puts the HTML text before and after an inline image in
    # parts of their own, and the notice of the removed image follows the
    # first of them.
    result = clean_message(APPLE_MAIL_LAYOUT, CONTEXT)

    notice = "[attachment removed: jpg file]"
    assert result.hold_reasons == ()
    assert leaf_texts(result) == [
        f"mail me: {EMAIL_REMOVED}\n\n{notice}\n",
        f"<div>mail me: {EMAIL_REMOVED}</div>\n<p>{notice}</p>\n",
        f"<div>{EMAIL_REMOVED}</div>\n",
    ]


def test_ordinary_parts_stay_apart() -> None:
    raw = parts_message("plain", "See you at 4pm.\n", "Bring the forms.\n")

    result = clean_message(raw, CONTEXT)

    assert leaf_texts(result) == ["See you at 4pm.\n", "Bring the forms.\n"]
    assert split_findings(result) == []


@pytest.mark.parametrize(
    ("tail", "head"),
    [
        ("The supplier SKU for the jars is 07713.", "Order 452901 shipped today."),
        ("The supplier SKU for the jars is 07713.", "Results: 452901 views"),
    ],
)
def test_labelled_number_is_no_split_phone(tail: str, head: str) -> None:
    assert find_split_detail(tail, head, CONTEXT) is None


# Pieces in reverse order: the head's first piece comes first in the detail.

POSTCODE_REMOVED = "[postcode removed]"
ADDRESS_REMOVED = "[address removed]"
SUBJECT_POSTCODE = "The subject and the start of the body together hold a postcode."
PREVIOUS_ADDRESS = (
    "The start of this message continues a postal address begun at the end "
    "of the sender's earlier messages to the same recipient."
)


@pytest.mark.parametrize(
    ("tail", "head", "expected"),
    [
        ("2AB", "LS6", SplitDetail("postcode", 0, 3)),
        ("2AB", "LS6\nsee you soon", SplitDetail("postcode", 0, 3)),
        ("Re: 2AB", "LS6, see you", SplitDetail("postcode", 4, 3)),
        ("my postcode ends 2AB", "LS6", SplitDetail("postcode", 17, 3)),
        ("Acacia Avenue", "14, come round", SplitDetail("street_address", 0, 2)),
        ("Acacia Avenue.", "14. Come round", SplitDetail("street_address", 0, 2)),
        ("ok\nAcacia Avenue", "\n14", SplitDetail("street_address", 3, 3)),
    ],
)
def test_reversed_detail_found_across_junction(
    tail: str, head: str, expected: SplitDetail
) -> None:
    assert find_split_detail(tail, head, CONTEXT) == expected


@pytest.mark.parametrize(
    ("tail", "head"),
    [
        ("2AB", "see you at 6"),
        ("2AB", "at 6"),
        ("2AB", "Leeds 6"),
        ("Room 2AB", "Friday 6"),
        ("Class 2AB", "6 of us"),
        ("Acacia Avenue", "14 of us came"),
        ("Acacia Avenue trip", "14"),
        ("meet me at the library on Park Road", "10, ok?"),
        # "number 14" is filters.fragments' to pair with a street.
        ("Acacia Avenue", "number 14"),
    ],
)
def test_ordinary_text_has_no_reversed_detail(tail: str, head: str) -> None:
    assert find_split_detail(tail, head, CONTEXT) is None


def test_whole_reversed_halves_left_to_fragments() -> None:
    assert find_split_detail("2AB", "LS6", CONTEXT, whole_halves=False) is None


def test_reversed_postcode_subject_body_removed() -> None:
    result = clean_message(message("2AB", "LS6\nsee you soon\n"), CONTEXT)

    assert result.subject == POSTCODE_REMOVED
    assert texts(result) == {"text/plain": f"{POSTCODE_REMOVED}\nsee you soon\n"}
    assert [f.detail for f in split_findings(result)] == [SUBJECT_POSTCODE]


def test_street_subject_then_house_number_removed() -> None:
    result = clean_message(message("Acacia Avenue", "14, come round\n"), CONTEXT)

    assert result.subject == ADDRESS_REMOVED
    assert texts(result) == {"text/plain": f"{ADDRESS_REMOVED}, come round\n"}
    assert len(split_findings(result)) == 1


def test_message_after_inward_code_loses_outward_code() -> None:
    context = replace(CONTEXT, previous_tail="2AB")
    result = clean_message(message("Hi", "LS6\n"), context)

    assert texts(result) == {"text/plain": f"{POSTCODE_REMOVED}\n"}
    assert len(split_findings(result)) == 1


def test_message_after_street_loses_house_number() -> None:
    context = replace(CONTEXT, previous_tail="Acacia Avenue")
    result = clean_message(message("Hi", "14, come round\n"), context)

    assert texts(result) == {"text/plain": f"{ADDRESS_REMOVED}, come round\n"}
    assert [f.detail for f in split_findings(result)] == [PREVIOUS_ADDRESS]


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("2AB", "see you at 6\n"),
        ("Room 2AB", "Friday 6\n"),
        ("Acacia Avenue trip", "14 of us came\n"),
    ],
)
def test_reversed_near_misses_stay(subject: str, body: str) -> None:
    result = clean_message(message(subject, body), CONTEXT)

    assert result.subject == subject
    assert texts(result) == {"text/plain": body}
    assert split_findings(result) == []


def test_message_after_bare_house_number_loses_street() -> None:
    # "14!" alone is no address, and nor is a street with no cue.
    context = replace(CONTEXT, previous_tail="14!")
    result = clean_message(message("Hi", "Acacia Avenue btw\n"), context)

    assert texts(result) == {"text/plain": f"{ADDRESS_REMOVED} btw\n"}
    assert [f.detail for f in split_findings(result)] == [PREVIOUS_ADDRESS]


def test_cued_street_after_bare_number_removed() -> None:
    context = replace(CONTEXT, previous_tail="14!")
    result = clean_message(message("Hi", "I live on Acacia Avenue btw\n"), context)

    assert texts(result) == {"text/plain": f"I live on {ADDRESS_REMOVED} btw\n"}


@pytest.mark.parametrize(
    ("tail", "body"),
    [
        ("how many came?\n14!", "Park Road was packed\n"),
        ("score?\n3", "Station Road next week\n"),
        ("we need 14", "Mill Lane, ok?\n"),
    ],
)
def test_number_then_street_near_misses_stay(tail: str, body: str) -> None:
    result = clean_message(message("Hi", body), replace(CONTEXT, previous_tail=tail))

    assert texts(result) == {"text/plain": body}
    assert split_findings(result) == []
