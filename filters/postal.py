"""Find postcodes and street addresses.

Postcodes follow the published formats, so a regular expression decides them:
UK postcodes, Irish Eircodes, and US ZIP codes after a state abbreviation or
the word "zip". Street addresses have no fixed format. The filter looks for a
house number or a house name, then a street name and a street type ("12
Acacia Avenue", "Flat 3, 12 Acacia Avenue", "Rose Cottage, Mill Lane", "1234
Main St, Apt 5"). It then checks the letter case and the words around it,
because "5 miles down the road" and "Chapter 3 The Green Knight" have the
same shape.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from filters.base import FilterContext, Span
from filters.prefilter import (
    digit_runs,
    fold_case,
    follows_non_word,
    matches_after,
    matches_at,
    words,
)

log = logging.getLogger(__name__)

# UK postcode: outward code, up to two spaces or a hyphen, inward code. The
# letter classes leave out the letters Royal Mail never uses in each position,
# which keeps words and product codes ("COVID19", "MP3", "A4") from matching.
_UK_POSTCODE = re.compile(
    r"(?<![\w])(?:"
    r"[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]"
    r"|GIR(?=[ \u00a0]?0AA)"
    r")(?:[ \u00a0]{0,2}|-)(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})(?![\w])",
    re.IGNORECASE,
)
_ORDINAL = re.compile(r"[0-9](?:st|nd|rd|th)")

# Eircode: a routing key ("D02", "D6W") and a four-character unique identifier.
_EIRCODE = re.compile(
    r"(?<![\w])(?:[AC-FHKNPRTV-Y][0-9]{2}|D6W)[ \u00a0]?"
    r"(?P<unique>[0-9AC-FHKNPRTV-Y]{4})(?![\w])",
    re.IGNORECASE,
)

_US_STATES = """
    AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS
    MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY
    """.split()  # noqa: SIM905 - a word list reads better as text
# A ZIP code only counts after a state abbreviation, because five digits alone
# are far more often something else. The state itself stays. The pattern has
# no leading `\b`, so that `re` can skip ahead to capital letters;
# `_follows_non_word` checks the left edge instead.
_US_ZIP = re.compile(
    rf"(?:{'|'.join(_US_STATES)}),?[ \u00a0]+(?P<zip>[0-9]{{5}}(?:-[0-9]{{4}})?)\b"
)
# "ZIP code 90210", "zip: 60614", "my zip is 94103".
_LABELLED_ZIP = re.compile(
    r"\bzip(?:[ \u00a0]?code)?[ \u00a0]*(?:is[ \u00a0]+|[:=][ \u00a0]*|[ \u00a0])"
    r"(?P<zip>[0-9]{5}(?:-[0-9]{4})?)\b",
    re.IGNORECASE,
)


# Every code has a digit, so the patterns are tried only around runs of
# digits. Each code's first digit starts a run, because a letter or a space
# comes before it.
_FIVE_DIGITS = re.compile(r"[0-9]{5}")
# The first digit of a UK postcode is one or two characters after its start,
# or three to five in "GIR 0AA".
_UK_DIGIT_OFFSETS = range(1, 6)


class PostcodeFilter:
    """Remove UK postcodes, Irish Eircodes and US ZIP codes."""

    kind = "postcode"
    placeholder = "[postcode removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        runs = digit_runs(text)
        uk_starts = (
            start - offset for start, _ in runs for offset in _UK_DIGIT_OFFSETS
        )
        spans = [
            Span(match.start(), match.end(), self.kind)
            for match in matches_at(_UK_POSTCODE, text, uk_starts)
            if not _is_year_and_ordinal(match)
        ]
        # An Eircode starts with one letter before its first digit.
        eircode_starts = (start - 1 for start, _ in runs)
        spans.extend(
            Span(match.start(), match.end(), self.kind)
            for match in matches_at(_EIRCODE, text, eircode_starts)
            if _is_mixed(match.group("unique"))
        )
        if any(end - start >= 5 for start, end in runs) and _FIVE_DIGITS.search(text):
            spans.extend(self._zip_codes(text))
        return spans

    def _zip_codes(self, text: str) -> list[Span]:
        matches = list(matches_after(_US_ZIP, text, follows_non_word))
        # "zip" may have letters after it ("zipcode", "zipis"), so this is a
        # substring search, not a lookup in the words of the text.
        if "zip" in fold_case(text):
            matches.extend(_LABELLED_ZIP.finditer(text))
        return [
            Span(match.start("zip"), match.end("zip"), self.kind) for match in matches
        ]


def _is_year_and_ordinal(match: re.Match[str]) -> bool:
    """Recognise "Y9 2nd" (year 9, second term): an ordinal after a capital."""
    inward = match.group("inward")
    outward = match.group()[: match.start("inward") - match.start()]
    return bool(_ORDINAL.fullmatch(inward)) and not outward.islower()


def _is_mixed(unique: str) -> bool:
    """Check that an Eircode's identifier has letters and digits, unlike words."""
    return any(ch.isdigit() for ch in unique) and any(ch.isalpha() for ch in unique)


_STREET_TYPES = """
    Road Rd Street St Avenue Ave Lane Ln Close Drive Dr Way Crescent Cres
    Gardens Gdns Place Pl Court Ct Terrace Terr Grove Hill Park Square Sq Mews
    Row Walk Green Rise View Parade Boulevard Blvd Yard Wharf Quay Vale Chase
    Mount Gate Hollow Broadway Esplanade Embankment Circus Meadow Meadows
    Bank Brow Croft Fold Wynd Parkway Pkwy Highway Hwy Plaza Trail
    """.split()  # noqa: SIM905 - a word list reads better as text
# Types that are also everyday words ("a 10 minute walk", "the way") count
# only in an address written in title case.
_LOWERCASE_TYPES = frozenset(
    """
    road rd street avenue ave lane ln crescent terrace drive grove gardens close
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_HOUSE_TYPES = """
    Cottage Cottages House Farm Farmhouse Lodge Barn Villa Manor Hall Mill
    Bungalow Rectory Vicarage Grange
    """.split()  # noqa: SIM905 - a word list reads better as text
# Words that turn a number-then-road phrase into prose: "5 miles down the road",
# "a 10 Minute Walk". Units count in any case, the small words only in lower case
# because "3 The Green" is a real address.
_QUANTITY_WORDS = frozenset(
    """
    mile miles minute minutes min mins hour hours hr hrs day days week weeks
    year years km metre metres meter meters yard yards foot feet step steps
    time times people cars car bus buses
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_PROSE_WORDS = _QUANTITY_WORDS | frozenset(
    """
    a an the my your our their his her its this that these those down up along
    across past over to of in on at from by for and or into round around off
    more other few very really quite so too
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_JOINING_WORDS = frozenset({"of", "the", "and", "on", "upon", "in", "de", "la"})
# A number after one of these words counts something in a book, a game or a
# timetable, so "Chapter 3 The Green Knight" and "Level 7 Castle Hill" are
# titles, not addresses.
_COUNTED_WORDS = frozenset(
    """
    chapter chapters part episode level question section page book volume act
    scene track lesson week day step exercise task figure table stage series
    season round game year class form group team
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.?[ \t]*$")
_ORDINAL_WORD = re.compile(r"[0-9]{1,3}(?:st|nd|rd|th)")

_NUMBER = r"[0-9]{1,4}[A-Za-z]?(?:[ ]?[-\u2013/][ ]?[0-9]{1,4}[A-Za-z]?)?"
_HOUSE_NAME = rf"(?:[A-Z][a-z'\u2019]+[ \t]+){{1,3}}(?:{'|'.join(_HOUSE_TYPES)})"
# The name of a block of flats between a flat number and the street, ending
# in a comma: "Flat 1, Rose Court, 12 Acacia Avenue".
_BUILDING = r"(?:[A-Z][a-z'\u2019]+[ \t]+){0,3}[A-Z][a-z'\u2019]+,"
_UNIT = r"(?i:flat|apartment|apt|unit|suite|ste)\.?[ ]?[0-9]{1,4}[A-Za-z]?"
_DIRECTION = r"North|South|East|West|NW|NE|SW|SE"
# The longest text before the number: "Apartment. " is 11 characters.
_MAX_DIGIT_OFFSET = 11
_ADDRESS = re.compile(
    rf"""
    (?<![\w£$€])
    (?:
        (?P<flat>{_UNIT},?[ \t]+(?:{_BUILDING}[ \t]+)?)?
        (?P<number>(?i:no\.?[ ]?|number[ ])?{_NUMBER}),?[ \t]+
      | (?:{_NUMBER}[ \t]+)?(?P<house>{_HOUSE_NAME}),?[ \t]+
        (?:{_NUMBER},?[ \t]+)?
    )
    (?P<name>(?:(?:[A-Za-z][\w'\u2019.-]*|[0-9]{{1,3}}(?:st|nd|rd|th))[ \t]+){{1,3}})
    (?P<type>(?i:{"|".join(_STREET_TYPES)}))
    (?![\w])
    # A direction ("Road North", "Ave NW") and a flat or suite after the street.
    (?:[ \t]+(?:{_DIRECTION})(?![\w]))?
    (?:,?[ \t]+{_UNIT}(?![\w]))?
    """,
    re.VERBOSE,
)


class StreetAddressFilter:
    """Remove street addresses: a house number or name, a street name and type."""

    kind = "street_address"
    placeholder = "[address removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        return [
            Span(match.start(), match.end(), self.kind)
            for match in _address_matches(text)
            if _reads_as_address(match) and not _follows_counted_word(match)
        ]


def _address_matches(text: str) -> Iterator[re.Match[str]]:
    """Yield what `_ADDRESS.finditer(text)` yields, trying fewer positions.

    Without a house name, an address starts with its number, "No." or
    "number" before it, or a flat before that ("Apartment. 12"), so it
    starts at most _MAX_DIGIT_OFFSET characters before a run of digits.
    """
    if _may_have_house_name(text):
        return _ADDRESS.finditer(text)
    starts = (
        start - offset
        for start, _ in digit_runs(text)
        for offset in range(_MAX_DIGIT_OFFSET + 1)
    )
    return matches_at(_ADDRESS, text, starts)


def _may_have_house_name(text: str) -> bool:
    """Check for a house type such as "Cottage", which may start an address.

    The set of words is folded to lower case, so the case-sensitive search
    runs only for the types it holds.
    """
    found = words(text)
    return any(
        house_type in text for house_type in _HOUSE_TYPES if house_type.lower() in found
    )


def _reads_as_address(match: re.Match[str]) -> bool:
    words = match.group("name").split()
    street_type = match.group("type")
    if _is_capitalised(street_type) and _is_title_case_name(words):
        return True
    if match.group("house"):
        return False
    return _is_lowercase_address(words, street_type)


def _follows_counted_word(match: re.Match[str]) -> bool:
    """Recognise a chapter, level or question number: see _COUNTED_WORDS."""
    if match.group("number") is None or match.group("flat"):
        return False
    before = _WORD_BEFORE.search(
        match.string, max(0, match.start() - 20), match.start()
    )
    return before is not None and before.group(1).lower() in _COUNTED_WORDS


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() or bool(_ORDINAL_WORD.fullmatch(word))


def _is_title_case_name(words: list[str]) -> bool:
    if not _is_capitalised(words[0]):
        return False
    if any(w.lower() in _QUANTITY_WORDS for w in words):
        return False
    return all(_is_capitalised(w) or w in _JOINING_WORDS for w in words)


def _is_lowercase_address(words: list[str], street_type: str) -> bool:
    """Accept "12 acacia avenue", but not "5 miles down the road"."""
    if not street_type.islower() or street_type not in _LOWERCASE_TYPES:
        return False
    return all(w.islower() and w not in _PROSE_WORDS for w in words)
