"""Tests for the postcode and street address filters."""

from __future__ import annotations

import pytest

from filters.base import FilterContext, Finding, Redaction, TextFilter, redact
from filters.postal import PostcodeFilter, StreetAddressFilter

CONTEXT = FilterContext()
POSTCODE = "[postcode removed]"
ADDRESS = "[address removed]"


def clean(text: str) -> Redaction:
    filters: list[TextFilter] = [PostcodeFilter(), StreetAddressFilter()]
    return redact(text, filters, CONTEXT, "text/plain")


@pytest.mark.parametrize(
    "postcode",
    [
        "M1 1AE",  # A9 9AA
        "B33 8TH",  # A99 9AA
        "W1A 0AX",  # A9A 9AA
        "CR2 6XH",  # AA9 9AA
        "DN55 1PT",  # AA99 9AA
        "EC1A 1BB",  # AA9A 9AA
        "ec1a 1bb",
        "EC1A1BB",
        "ls115ab",
        "GIR 0AA",
        "D02 X285",  # Eircode
        "A65 F4E2",
        "d02x285",
        "D6W XY12",
        "LS11  5AB",
        "LS11-5AB",
        "Ls6 2Aj",
    ],
)
def test_postcodes_are_removed(postcode: str) -> None:
    result = clean(f"I live in {postcode}, near the park")

    assert result.text == f"I live in {POSTCODE}, near the park"
    assert result.findings == [Finding("postcode", "text/plain", 1)]


def test_zip_code_after_state_is_removed() -> None:
    result = clean("Springfield, IL 62701-1234, USA")

    assert result.text == f"Springfield, IL {POSTCODE}, USA"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ZIP code 90210", f"ZIP code {POSTCODE}"),
        ("zip: 60614", f"zip: {POSTCODE}"),
        ("My zip is 94103-1234.", f"My zip is {POSTCODE}."),
    ],
)
def test_labelled_zip_code_is_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "COVID19 cases fell.",
        "Send it as an MP3.",
        "Print it on A4 paper.",
        "My M1 exam went well.",
        "Y9 2nd term starts soon.",
        "The R95 year plan.",
        "We meet at 3pm in room B12.",
        "Call me in 62701 days.",
        "The score was 12345 to nil.",
        "It's in block C, room C2 1st floor.",
        "Take the M62 to Leeds.",
        "I zipped 12345 files.",
    ],
)
def test_codes_and_words_that_look_like_postcodes_stay(text: str) -> None:
    result = clean(text)

    assert result.text == text
    assert result.findings == []


@pytest.mark.parametrize(
    "address",
    [
        "12 Acacia Avenue",
        "12 acacia avenue",
        "221B Baker Street",
        "12-14 Park Road",
        "5 St Mary's Road",
        "3 The Green",
        "7 Willow Ct",
        "12 High St",
        "Flat 3, 12 Acacia Avenue",
        "Apt 4B 9 Elm Grove",
        "Rose Cottage, Mill Lane",
        "The Old Mill, 4 Church Lane",
        "10 Downing Street",
        "2 Holly Bank",
        "14 Rowan Brow",
        "12 West 34th Street",
        "22 Victoria Road North",
        "No. 12 Acacia Avenue",
        "Number 12 Acacia Avenue",
        "1 Manor House, Mill Lane",
        "flat 6, 18 meadow drive",
        "Flat 1, Rose Court, 12 Acacia Avenue",
        "Flat 4, The Old School, 2 Mill Lane",
    ],
)
def test_street_addresses_are_removed(address: str) -> None:
    result = clean(f"I'm at {address}, Leeds")

    assert result.text == f"I'm at {ADDRESS}, Leeds"
    assert result.findings == [Finding("street_address", "text/plain", 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1600 Maple Ave NW, Washington", f"{ADDRESS}, Washington"),
        ("1234 Main St, Apt 5, Springfield", f"{ADDRESS}, Springfield"),
        ("4 Elm Street, Suite 200.", f"{ADDRESS}."),
        ("9 Pine Rd, Austin, TX 78701", f"{ADDRESS}, Austin, TX {POSTCODE}"),
    ],
)
def test_us_street_addresses_are_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


def test_full_address_loses_street_and_postcode() -> None:
    result = clean("Flat 3, 12 Acacia Avenue, Leeds LS11 5AB")

    assert result.text == f"{ADDRESS}, Leeds {POSTCODE}"
    assert result.findings == [
        Finding("street_address", "text/plain", 1),
        Finding("postcode", "text/plain", 1),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "I walked 5 miles down the road.",
        "It's a 10 minute walk from the station.",
        "It's a 10 Minute Walk from the station.",
        "We did 3 laps of the park.",
        "There were 20 cars on the road.",
        "Take the 2nd left into Mill Lane.",
        "I live on Mill Lane.",
        "Top 10 Park Rides of the year.",
        "I have 2 dogs and a cat.",
        "Only 4 more weeks to go.",
        "Chapter 3 The Green Knight is next.",
        "Question 7 The Crescent Moon is hard.",
        "Level 7 Castle Hill is really hard in the game.",
        "Part 2 The Long Walk Home starts on page 80.",
        "We're 3 very close friends.",
    ],
)
def test_prose_with_numbers_and_roads_stays(text: str) -> None:
    result = clean(text)

    assert result.text == text
    assert result.findings == []
