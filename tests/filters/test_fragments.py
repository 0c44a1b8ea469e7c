"""Tests for pieces of phone numbers and postcodes spread over messages."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from filters.base import FilterContext
from filters.fragments import (
    CORRECTION,
    LONE_START,
    REST_AFTER_REMOVAL,
    SPELLED_POSTCODE,
    SPREAD_ADDRESS,
    SPREAD_PHONE,
    SPREAD_POSTCODE,
)
from filters.pipeline import CleanMessage, clean_message

PHONE = "[phone number removed]"
POSTCODE = "[postcode removed]"
ADDRESS = "[address removed]"


def message(body: str, subject: str = "Hi", html: str | None = None) -> bytes:
    sent = EmailMessage()
    sent["From"] = "Sam Jones <sam@example.org>"
    sent["To"] = "alex@example.com"
    sent["Subject"] = subject
    sent.set_content(body)
    if html is not None:
        sent.add_alternative(html, subtype="html")
    return sent.as_bytes()


def texts_of(result: CleanMessage) -> list[str]:
    parsed = email.message_from_bytes(
        result.content.as_bytes(), policy=email.policy.default
    )
    assert isinstance(parsed, EmailMessage)
    return [
        str(part.get_content()).replace("\r\n", "\n")
        for part in parsed.walk()
        if not part.is_multipart()
    ]


def split_details(result: CleanMessage) -> list[str]:
    return [f.detail for f in result.findings if f.kind == "split_detail"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "ends in 900123, starts with 07700",
            f"ends in {PHONE}, starts with {PHONE}",
        ),
        (
            "my number starts 07700. I am in year 9 by the way. It ends 900123.",
            f"my number starts {PHONE}. I am in year 9 by the way. It ends {PHONE}.",
        ),
        ("ok\n0770\nis\n0900\nand\n123", f"ok\n{PHONE}\nis\n{PHONE}\nand\n{PHONE}"),
    ],
)
def test_pieces_in_one_body_are_removed(body: str, expected: str) -> None:
    result = clean_message(message(body), FilterContext())

    assert texts_of(result) == [expected + "\n"]
    assert split_details(result) == [SPREAD_PHONE]


def test_pieces_in_subject_and_body_are_removed() -> None:
    # filters.junctions joins only the end of the subject to the start of
    # the body, so the other order needs this step.
    result = clean_message(
        message("start: 07700", subject="the rest is 900123"), FilterContext()
    )

    assert result.subject == f"the rest is {PHONE}"
    assert texts_of(result) == [f"start: {PHONE}\n"]


def test_pieces_in_plain_and_html_parts_are_removed() -> None:
    result = clean_message(
        message("it ends 900123, it starts 07700", html="<p>900123, then 07700</p>"),
        FilterContext(),
    )

    assert texts_of(result) == [
        f"it ends {PHONE}, it starts {PHONE}\n",
        f"<p>{PHONE}, then {PHONE}</p>\n",
    ]


def test_lone_start_with_number_word_is_removed() -> None:
    result = clean_message(message("my number starts 07700"), FilterContext())

    assert texts_of(result) == [f"my number starts {PHONE}\n"]
    assert split_details(result) == [LONE_START]


@pytest.mark.parametrize(
    ("earlier", "body", "expected", "detail"),
    [
        ("bit 1: 07700", "bit 2: 900123", f"bit 2: {PHONE}", SPREAD_PHONE),
        ("my number 077009", "then 00123", f"then {PHONE}", SPREAD_PHONE),
        (f"my number starts {PHONE}", "900123", PHONE, REST_AFTER_REMOVAL),
    ],
)
def test_rest_after_earlier_piece_is_removed(
    earlier: str, body: str, expected: str, detail: str
) -> None:
    result = clean_message(message(body), FilterContext(previous_tail=earlier))

    assert texts_of(result) == [expected + "\n"]
    assert split_details(result) == [detail]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "LS6 is the first bit and 2AB is the second",
            f"{POSTCODE} is the first bit and {POSTCODE} is the second",
        ),
        (
            "2AB is the end of my postcode and LS6 the start",
            f"{POSTCODE} is the end of my postcode and {POSTCODE} the start",
        ),
    ],
)
def test_postcode_halves_apart_are_removed(body: str, expected: str) -> None:
    result = clean_message(message(body), FilterContext())

    assert texts_of(result) == [expected + "\n"]
    assert split_details(result) == [SPREAD_POSTCODE]


@pytest.mark.parametrize(
    "body",
    [
        "The meeting is in room 0712 at 10:30, bring 3 copies.",
        "Page 123 of 07700 results, 2026 and 4567",
        "Order 12345 cost £077.50 and shipped 2026-12-05.",
        "We scored 1200 points and 345 more on level 2.",
        "The M1 is closed near junction 2AB of the plan.",
    ],
)
def test_ordinary_numbers_and_codes_stay(body: str) -> None:
    result = clean_message(message(body), FilterContext())

    assert texts_of(result) == [body + "\n"]
    assert split_details(result) == []


@pytest.mark.parametrize(
    ("earlier", "body", "expected"),
    [
        (
            "my house number is 14",
            "and the street is Acacia Avenue",
            f"and the street is {ADDRESS}",
        ),
        ("I'm on Acacia Avenue", "number 14", f"number {ADDRESS}"),
    ],
)
def test_house_and_street_over_messages_are_removed(
    earlier: str, body: str, expected: str
) -> None:
    result = clean_message(message(body), FilterContext(previous_tail=earlier))

    assert texts_of(result) == [expected + "\n"]
    assert split_details(result) == [SPREAD_ADDRESS]


def test_street_after_ranking_in_earlier_message_stays() -> None:
    body = "See you at the shops on Park Road"
    context = FilterContext(previous_tail="We came 14th in the league")

    result = clean_message(message(body), context)

    assert texts_of(result) == [body + "\n"]
    assert split_details(result) == []


@pytest.mark.parametrize(
    ("subject", "body", "expected_subject", "expected_body"),
    [
        ("Acacia Avenue", "number 14", ADDRESS, f"number {ADDRESS}"),
        (
            "my house number is 14",
            "Acacia Avenue",
            f"my house number is {ADDRESS}",
            ADDRESS,
        ),
    ],
)
def test_house_street_subject_body_removed(
    subject: str, body: str, expected_subject: str, expected_body: str
) -> None:
    result = clean_message(message(body, subject=subject), FilterContext())

    assert result.subject == expected_subject
    assert texts_of(result) == [expected_body + "\n"]
    assert split_details(result) == [SPREAD_ADDRESS]


@pytest.mark.parametrize(
    ("subject", "body", "earlier", "expected_subject", "expected_body"),
    [
        ("2AB", "LS6", "", POSTCODE, POSTCODE),
        ("hey", "start LS6", "end bit 2AB", "hey", f"start {POSTCODE}"),
    ],
)
def test_bare_or_cued_postcode_halves_are_removed(
    subject: str, body: str, earlier: str, expected_subject: str, expected_body: str
) -> None:
    context = FilterContext(previous_tail=earlier)

    result = clean_message(message(body, subject=subject), context)

    assert result.subject == expected_subject
    assert texts_of(result) == [expected_body + "\n"]
    assert split_details(result) == [SPREAD_POSTCODE]


@pytest.mark.parametrize(
    ("subject", "body", "earlier"),
    [
        ("Form 9LB", "Room M4", ""),
        (
            "hi",
            "Maths is in M4 then we have form in 9LB, the SW1 trip is on Friday.",
            "the end bit of the trip",
        ),
    ],
)
def test_room_and_form_codes_stay(subject: str, body: str, earlier: str) -> None:
    context = FilterContext(previous_tail=earlier)

    result = clean_message(message(body, subject=subject), context)

    assert result.subject == subject
    assert texts_of(result) == [body + "\n"]


def test_spelled_start_after_spelled_rest_is_removed() -> None:
    context = FilterContext(previous_tail="the end is nine oh oh one two three")

    result = clean_message(message("the start is oh seven seven oh oh"), context)

    assert texts_of(result) == [f"the start is {PHONE}\n"]
    assert split_details(result) == [SPREAD_PHONE]


def test_piece_split_by_html_tag_holds_message() -> None:
    # "900<b>123</b>" hides the piece from the replacement in the HTML part.
    raw = message(
        "it ends 900123, it starts 07700",
        html="<p>it ends 900<b>123</b>, it starts 07700</p>",
    )

    result = clean_message(raw, FilterContext())

    assert result.hold_reasons == (
        f"{SPREAD_PHONE} The relay could not remove every piece from the HTML version.",
    )


@pytest.mark.parametrize(
    "html",
    [
        "<ul><li>LS6</li><li>2AB</li></ul>",
        "<table><tr><td>LS6</td></tr><tr><td>2AB</td></tr></table>",
        "<div>LS6</div><div></div><div>2AB</div>",
    ],
)
def test_postcode_halves_in_html_blocks_are_removed(html: str) -> None:
    # Both alternatives lose the halves, however the HTML one spreads them.
    result = clean_message(message("LS6\n2AB", html=html), FilterContext())

    assert texts_of(result) == [f"{POSTCODE}\n", f"<pre>{POSTCODE}</pre>\n"]
    assert result.hold_reasons == ()


def test_half_split_by_tag_in_list_holds_message() -> None:
    sent = EmailMessage()
    sent["From"] = "Sam Jones <sam@example.org>"
    sent["To"] = "alex@example.com"
    sent["Subject"] = "2AB"
    sent.set_content("<ul><li>L<b>S6</b></li></ul>", subtype="html")

    result = clean_message(sent.as_bytes(), FilterContext())

    assert result.hold_reasons == (
        f"{SPREAD_POSTCODE} The relay could not remove every piece from the HTML"
        " version.",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "07700 900124 sorry typo, last bit is 900123",
            f"{PHONE} sorry typo, last bit is {PHONE}",
        ),
        ("07700 then 300123 no wait 900123", f"{PHONE} no wait {PHONE}"),
    ],
)
def test_correction_after_removed_number_is_removed(body: str, expected: str) -> None:
    result = clean_message(message(body), FilterContext())

    assert texts_of(result) == [expected + "\n"]
    assert split_details(result) == [CORRECTION]


@pytest.mark.parametrize(
    "body",
    ["07700 then nine hundred thousand plus 123", "07700 then 900k + 123"],
)
def test_rest_written_as_sum_is_removed(body: str) -> None:
    result = clean_message(message(body), FilterContext())

    assert texts_of(result) == [f"{PHONE} then {PHONE}\n"]
    assert split_details(result) == [SPREAD_PHONE]


def test_sum_after_earlier_start_is_removed() -> None:
    context = FilterContext(previous_tail="07700")

    result = clean_message(message("nine hundred k + one two three"), context)

    assert texts_of(result) == [f"{PHONE}\n"]
    assert split_details(result) == [SPREAD_PHONE]


@pytest.mark.parametrize(
    "body", ["Our exam centre number is 07342.", "My locker number is 07342."]
)
def test_lone_number_without_phone_word_stays(body: str) -> None:
    result = clean_message(message(body), FilterContext())

    assert texts_of(result) == [body + "\n"]
    assert split_details(result) == []


def test_lone_start_with_mobile_word_is_removed() -> None:
    result = clean_message(message("mobile is 07700, rest later"), FilterContext())

    assert texts_of(result) == [f"mobile is {PHONE}, rest later\n"]
    assert split_details(result) == [LONE_START]


@pytest.mark.parametrize(
    "body", ["Order 452901 shipped today, 3 jars.", "Results: 452901 views"]
)
def test_labelled_number_after_earlier_start_stays(body: str) -> None:
    context = FilterContext(previous_tail="The supplier SKU for the jars is 07713.")

    result = clean_message(message(body), context)

    assert texts_of(result) == [body + "\n"]
    assert split_details(result) == []


@pytest.mark.parametrize(
    ("earlier", "body", "expected"),
    [
        (
            "the bus is the LS6 one",
            "and the rest is 2AB",
            f"and the rest is {POSTCODE}",
        ),
        # The partner's question is part of the conversation's tail.
        ("which bit of Leeds, LS6?", "yep and then 2AB", f"yep and then {POSTCODE}"),
        (
            "2AB is what I said",
            "LS6 is the other half",
            f"{POSTCODE} is the other half",
        ),
    ],
)
def test_halves_over_messages_are_removed(
    earlier: str, body: str, expected: str
) -> None:
    context = FilterContext(previous_tail=earlier)

    result = clean_message(message(body), context)

    assert texts_of(result) == [expected + "\n"]
    assert split_details(result) == [SPREAD_POSTCODE]


@pytest.mark.parametrize(
    ("earlier", "body"),
    [
        ("Room 2AB", "see you at LS6 later"),
        ("the LS6 bus", "Rooms 2AB, 3DE and 4FG are free"),
        ("the LS6 bus", "meet at junction 2AB"),
        # filters.postal pairs halves at most 200 characters apart.
        ("the LS6 bus was late" + " and we walked a long way" * 8, "we went to 2AB"),
        ("see you at 6", "the ls6 one and 2ab"),
    ],
)
def test_labelled_halves_over_messages_stay(earlier: str, body: str) -> None:
    context = FilterContext(previous_tail=earlier)

    result = clean_message(message(body), context)

    assert texts_of(result) == [body + "\n"]
    assert split_details(result) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "L for Leeds, S for Sam, 6 like my age when I moved, then 2 A B like"
            " the alphabet",
            f"{POSTCODE} like the alphabet",
        ),
        ("Lima Sierra six two Alpha Bravo", POSTCODE),
        ("it's LS6 then 2 Alpha Bravo ok", f"it's {POSTCODE} ok"),
        ("M as in Mike, 1, 1 A for apple, E for egg", POSTCODE),
    ],
)
def test_spelled_postcode_is_removed(body: str, expected: str) -> None:
    result = clean_message(message(body), FilterContext())

    assert texts_of(result) == [expected + "\n"]
    assert split_details(result) == [SPELLED_POSTCODE]


def test_spelled_rest_after_outward_code_removed() -> None:
    context = FilterContext(previous_tail="mine is LS6")

    result = clean_message(message("then 2 Alpha Bravo"), context)

    assert texts_of(result) == [f"then {POSTCODE}\n"]
    assert split_details(result) == [SPELLED_POSTCODE]


@pytest.mark.parametrize(
    "body",
    [
        "You get an A for effort, and a B for bravery.",
        "P for parking is on the left, then 2 spaces.",
        "Alpha Centauri is 4 light years away.",
        "Mike and I went to the hotel, then two of us left.",
        "Team Alpha won 6 2 in the final.",
        "I for one think Echo and Delta are good names.",
    ],
)
def test_ordinary_letters_and_words_stay(body: str) -> None:
    result = clean_message(message(body), FilterContext())

    assert texts_of(result) == [body + "\n"]
    assert split_details(result) == []
