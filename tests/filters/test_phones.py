"""Tests for the phone number filter."""

from __future__ import annotations

import pytest

from filters.base import FilterContext, Finding, Redaction, redact
from filters.phones import PhoneFilter

CONTEXT = FilterContext()
REMOVED = "[phone number removed]"


def clean(text: str, context: FilterContext = CONTEXT) -> Redaction:
    return redact(text, [PhoneFilter()], context, "text/plain")


@pytest.mark.parametrize(
    "number",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "07700.900.123",
        "07700 900 123",
        "(01632) 960123",
        "01632 960123",
        "020 7946 0123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)7700 900123",
        "+44(0)7700900123",
        "0044 7700 900123",
    ],
)
def test_uk_layouts_are_removed(number: str) -> None:
    result = clean(f"Call me on {number} tonight")

    assert result.text == f"Call me on {REMOVED} tonight"
    assert result.findings == [Finding("phone", "text/plain", 1)]


@pytest.mark.parametrize(
    "number",
    [
        "+353 87 123 4567",
        "00353 87 123 4567",
        "(555) 010-1234",
        "555-010-1234",
        "+1 555 010 1234",
        "+33 6 12 34 56 78",
    ],
)
def test_international_layouts_are_removed(number: str) -> None:
    assert clean(f"Ring {number}.").text == f"Ring {REMOVED}."


def test_number_at_end_of_sentence_keeps_full_stop() -> None:
    assert clean("My mobile is 07700 900123.").text == f"My mobile is {REMOVED}."


def test_adjacent_numbers_are_removed_separately() -> None:
    result = clean("Home 01632 960123 07700 900123, work +44 20 7946 0123")

    assert result.text == f"Home {REMOVED} {REMOVED}, work {REMOVED}"
    assert result.findings == [Finding("phone", "text/plain", 3)]


def test_tel_prefix_stays_and_number_goes() -> None:
    assert clean("tel:07700900123").text == f"tel:{REMOVED}"


@pytest.mark.parametrize(
    "text",
    [
        "See you on 04/12/2026 at 14:30.",
        "The final is on 2026-12-04.",
        "It cost £1,250.00 in total.",
        "Back in 2019, 2020 and 2021.",
        "Your order ORD-2026-1234 has shipped.",
        "Sort code 12-34-56, please.",
        "We won 3-1 on Saturday.",
        "The room is 4.5 m by 3.2 m.",
        "ISBN 978-0-306-40615-7 is on the list.",
        "ISBN 0-306-40615-2 is the old one.",
        "The school is in SW1A 1AA.",
        "Reference 12345678 is on the letter.",
        "The server is 192.168.100.200.",
        "Scores: 10 20 30 40 50 60 70.",
    ],
)
def test_other_numbers_stay(text: str) -> None:
    result = clean(text)

    assert result.text == text
    assert result.findings == []


def test_price_with_pound_sign_stays() -> None:
    assert clean("It was £07700900123 exactly").text == "It was £07700900123 exactly"


def test_number_glued_to_letters_stays() -> None:
    assert clean("Code 07700900123abc").text == "Code 07700900123abc"


def test_default_region_decides_national_numbers() -> None:
    irish = FilterContext(default_region="IE")

    assert clean("Ring 087 123 4567", irish).text == f"Ring {REMOVED}"


@pytest.mark.parametrize(
    "spelled",
    [
        "oh seven seven double oh nine hundred one two three",
        "zero seven seven zero zero, nine zero zero, one two three",
        "07700 nine zero zero one two three",
        "plus four four seven seven zero zero nine zero zero one two three",
    ],
)
def test_spelled_out_numbers_are_removed(spelled: str) -> None:
    assert clean(f"Text me on {spelled} ok").text == f"Text me on {REMOVED} ok"


@pytest.mark.parametrize(
    "text",
    [
        "I have two dogs and one cat.",
        "One, two, three, four: everybody jump!",
        "Nine eight seven six five four three two one, lift off.",
        "We won three nil, then two one, then four four.",
        "Oh, I got seven out of ten and a double nine on the dice.",
        "Meet at nine or ten, one of us will be there by half two.",
    ],
)
def test_sentences_with_number_words_stay(text: str) -> None:
    assert clean(text).text == text


def test_long_bodies_are_scanned_without_blowup() -> None:
    # Each body would take seconds with a backtracking or pairwise search, but
    # a linear scan finishes in milliseconds. No timing assert, only a run.
    ordinary = (
        "Hi Sam, the session on 04/12/2026 at 14:30 went well. We scored 3-1 "
        "and the trip cost £1,250.00. See you next week!\n"
    ) * 80
    bodies = [ordinary, "1 " * 5000, "1-" * 5000, "0" * 10000, "+1 " * 3000]
    for body in bodies:
        PhoneFilter().find(body, CONTEXT)

    assert PhoneFilter().find(ordinary, CONTEXT) == []
