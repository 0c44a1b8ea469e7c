"""Find postcodes, street addresses and map locations.

Postcodes follow the published formats, so a regular expression decides them:
UK postcodes (also written with look-alike characters, spaced out, over a
line break, with digits as words or with words between the halves), Irish
Eircodes, Canadian postal codes, Australian postcodes
after a state, Dutch postcodes before a town, and US ZIP codes after a state
abbreviation or the word "zip". Street addresses have no fixed format. The
filter looks for a house number or a house name, then a street name and a
street type ("12 Acacia Avenue", "Flat 3, 12 Acacia Avenue", "Rose Cottage,
Mill Lane", "1234 Main St, Apt 5", "fourteen Station Road"). It then checks
the letter case and the words around it, because "5 miles down the road" and
"Chapter 3 The Green Knight" have the same shape. PO boxes, house names
with a town, flats on an estate, German, Dutch, French, Spanish, Polish,
Indian, Welsh and Gaelic street forms, and the map locations in
filters.locations count as street addresses too. Two public addresses
("10 Downing Street") stay, because they are nobody's home.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from itertools import chain

from filters.base import FilterContext, Span
from filters.locations import find_locations
from filters.prefilter import (
    digit_runs,
    fold_case,
    follows_non_word,
    matches_after,
    matches_at,
    token_runs,
    words,
)

log = logging.getLogger(__name__)

# UK postcode: outward code, then up to two spaces, a hyphen, a dot or one
# line break, then the inward code. The letter classes leave out the letters Royal
# Mail never uses in each position, which keeps words and product codes
# ("COVID19", "MP3", "A4") from matching.
_UK_OUTWARD = (
    r"[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]"
)
_UK_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_UK_POSTCODE = re.compile(
    rf"(?<![\w])(?:{_UK_OUTWARD}|GIR(?=[ \u00a0]?0AA))"
    r"(?:[ \u00a0]{0,2}|[-.]|[ \u00a0]*\r?\n[ \u00a0]*)"
    rf"(?P<inward>{_UK_INWARD})(?![\w])",
    re.IGNORECASE,
)
_UK_POSTCODE_PARTS = re.compile(
    rf"(?P<outward>{_UK_OUTWARD}) (?P<inward>{_UK_INWARD})", re.IGNORECASE
)
_ORDINAL = re.compile(r"[0-9](?:st|nd|rd|th)")
# The postcode areas, which the look-alike forms below must start with.
_UK_AREAS = frozenset(
    """
    AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE
    DG DH DL DN DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX
    IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP
    NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS
    ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# A UK postcode typed with look-alike characters: "SW1A lAA", "5W1A 1AA",
# "SWIA IAA". Letters must be capitals, because in lower case too many word
# pairs ("so old") read as postcodes once O and I stand for digits. For the
# same reason O never stands for the 0 of an inward code ("M6 ONE").
_LOOKALIKE_POSTCODE = re.compile(
    r"(?P<outward>[A-Z0158][A-Z0-9l]{1,3})[ \u00a0]{0,2}"
    r"(?P<inward>[0-9Il][A-Z]{2})(?![\w])"
)
_AS_DIGIT = {"O": "0", "I": "1", "l": "1"}
_AS_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B"}
# "A" is a letter and "9" a digit in each form of outward code.
_OUTWARD_SHAPES = {
    2: ("A9",),
    3: ("A99", "A9A", "AA9"),
    4: ("AA99", "AA9A"),
}
# A postcode with a space between characters: "S W 1 A 1 A A". The first
# digit is the second or third character of the outward code.
_SPACED_POSTCODE = re.compile(
    r"[A-Za-z](?: [A-Za-z0-9]){1,3}[ \u00a0]{1,2}[0-9](?: [A-Za-z]){2}(?![\w])"
)
_SPACED_DIGIT_OFFSETS = (2, 4)
# A postcode with a few lower-case words between its halves: "LS6 and then
# 2AB". Both halves must be in capitals, so "the M1 and then 3rd" stays.
_GAPPED_POSTCODE = re.compile(
    rf"(?<![\w])(?P<outward>{_UK_OUTWARD})(?:[ \t]+[a-z]{{1,8}}){{1,3}}[ \t]+"
    rf"(?P<inward>{_UK_INWARD})(?![\w])"
)
# A postcode with digits written as words: "LS six 2AB", "L S six two A B".
# At least one digit must be a word, since other finders handle the rest.
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_SPELLED_DIGIT = rf"(?:[0-9]|(?i:{'|'.join(_DIGIT_WORDS)}))"
_SPELLED_POSTCODE = re.compile(
    rf"(?<![\w])(?P<area>[A-Z](?:[ ]?[A-Z])?)[ ]"
    rf"(?P<district>{_SPELLED_DIGIT}(?:[ -]?{_SPELLED_DIGIT})?(?:[ ]?[A-Z])?)[ ]"
    rf"(?P<inward>{_SPELLED_DIGIT}[ ]?[A-Z][ ]?[A-Z])(?![\w])"
)

# Eircode: a routing key ("D02", "D6W") and a four-character unique identifier.
_EIRCODE = re.compile(
    r"(?<![\w])(?:[AC-FHKNPRTV-Y][0-9]{2}|D6W)[ \u00a0]?"
    r"(?P<unique>[0-9AC-FHKNPRTV-Y]{4})(?![\w])",
    re.IGNORECASE,
)
# Canadian postal code: "K1A 0B1". The letter classes are Canada Post's.
_CANADIAN_POSTAL_CODE = re.compile(
    r"(?<![\w])[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z][ \u00a0-]?"
    r"[0-9][ABCEGHJ-NPRSTV-Z][0-9](?![\w])",
    re.IGNORECASE,
)
# Australian postcode after a state: "Sydney NSW 2000". The state stays.
_AUSTRALIAN_STATES = frozenset({"nsw", "vic", "qld", "sa", "wa", "tas", "nt", "act"})
_AUSTRALIAN_POSTCODE = re.compile(
    rf"(?:{'|'.join(sorted(_AUSTRALIAN_STATES)).upper()}),?[ \u00a0]+"
    r"(?P<zip>[0-9]{4})(?![\w])"
)
# Dutch postcode before a town: "1012 AB Amsterdam". It must start a line or
# follow a comma, and common abbreviations after a year ("1066 AD", "2024
# TV") are left out, because a year before two capitals is common in prose.
_DUTCH_POSTCODE = re.compile(
    r"[1-9][0-9]{3}[ \u00a0]?"
    r"(?!AD|BC|CE|AM|PM|UK|US|EU|TV|AI|IT|GB|SA|SD|SS)[A-Z]{2}"
    r"(?=[ \u00a0]+[A-Z][a-z])"
)
_DUTCH_LEFT_EDGE = re.compile(r"(?:^|\n|,)[ \u00a0]*$")

_US_STATES = """
    AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS
    MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY
    """.split()  # noqa: SIM905 - a word list reads better as text
# A ZIP code only counts after a state abbreviation, because five digits alone
# are far more often something else. The state itself stays. The pattern has
# no leading `\b`, so that `re` can skip ahead to capital letters;
# `follows_non_word` checks the left edge instead.
_US_ZIP = re.compile(
    rf"(?:{'|'.join(_US_STATES)}),?[ \u00a0]+(?P<zip>[0-9]{{5}}(?:-[0-9]{{4}})?)\b"
)
# "ZIP code 90210", "zip: 60614", "my zip is 94103".
_LABELLED_ZIP = re.compile(
    r"\bzip(?:[ \u00a0]?code)?[ \u00a0]*(?:is[ \u00a0]+|[:=][ \u00a0]*|[ \u00a0])"
    r"(?P<zip>[0-9]{5}(?:-[0-9]{4})?)\b",
    re.IGNORECASE,
)


# Every code but a look-alike one has a digit, so most patterns are tried
# only around runs of digits. Each code's first digit starts a run, because
# a letter or a space comes before it.
_FIVE_DIGITS = re.compile(r"[0-9]{5}")
# The first digit of a UK postcode is one or two characters after its start,
# or three to five in "GIR 0AA".
_UK_DIGIT_OFFSETS = range(1, 6)

Runs = tuple[tuple[int, int], ...]
Offsets = Iterator[tuple[int, int]]


class PostcodeFilter:
    """Remove UK, Irish, Canadian, Australian, Dutch and US postcodes."""

    kind = "postcode"
    placeholder = "[postcode removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        runs = digit_runs(text)
        return [
            Span(start, end, self.kind)
            for finder in _POSTCODE_FINDERS
            for start, end in finder(text, runs)
        ]


def _uk_postcodes(text: str, runs: Runs) -> Offsets:
    starts = (start - offset for start, _ in runs for offset in _UK_DIGIT_OFFSETS)
    for match in matches_at(_UK_POSTCODE, text, starts):
        if not _is_year_and_ordinal(match):
            yield match.span()


def _lookalike_postcodes(text: str, runs: Runs) -> Offsets:
    for match in matches_after(_LOOKALIKE_POSTCODE, text, follows_non_word):
        if _reads_as_lookalike_postcode(match["outward"], match["inward"]):
            yield match.span()


def _spaced_postcodes(text: str, runs: Runs) -> Offsets:
    starts = (
        start - offset
        for start, end in runs
        if end - start == 1
        for offset in _SPACED_DIGIT_OFFSETS
    )
    for match in matches_at(_SPACED_POSTCODE, text, starts):
        if follows_non_word(text, match.start()) and _is_spaced_postcode(match[0]):
            yield match.span()


def _gapped_postcodes(text: str, runs: Runs) -> Offsets:
    # The first digit of the outward code is its second or third character.
    starts = (start - offset for start, _ in runs for offset in (1, 2))
    for match in matches_at(_GAPPED_POSTCODE, text, starts):
        if _is_uk_postcode(match["outward"], match["inward"]):
            yield match.span()


def _spelled_postcodes(text: str, runs: Runs) -> Offsets:
    if words(text).isdisjoint(_DIGIT_WORDS):
        return
    for match in _SPELLED_POSTCODE.finditer(text):
        pieces = re.split(r"[ -]", match.group().lower())
        if _DIGIT_WORDS.keys().isdisjoint(pieces):
            continue
        outward = _digits_of(match["area"] + " " + match["district"])
        if _is_uk_postcode(outward, _digits_of(match["inward"])):
            yield match.span()


def _digits_of(spelled: str) -> str:
    """Return `spelled` with digit words as digits and no spaces or hyphens."""
    pieces = re.split(r"[ -]", spelled)
    return "".join(_DIGIT_WORDS.get(piece.lower(), piece) for piece in pieces)


def _eircodes(text: str, runs: Runs) -> Offsets:
    # An Eircode starts with one letter before its first digit.
    starts = (start - 1 for start, _ in runs)
    for match in matches_at(_EIRCODE, text, starts):
        if _is_mixed(match.group("unique")):
            yield match.span()


def _canadian_postal_codes(text: str, runs: Runs) -> Offsets:
    starts = (start - 1 for start, _ in runs)
    for match in matches_at(_CANADIAN_POSTAL_CODE, text, starts):
        yield match.span()


def _four_digit_codes(text: str, runs: Runs) -> Offsets:
    if not any(end - start == 4 for start, end in runs):
        return
    if not words(text).isdisjoint(_AUSTRALIAN_STATES):
        for match in matches_after(_AUSTRALIAN_POSTCODE, text, follows_non_word):
            yield match.span("zip")
    starts = (start for start, end in runs if end - start == 4)
    for match in matches_at(_DUTCH_POSTCODE, text, starts):
        if _DUTCH_LEFT_EDGE.search(text, max(0, match.start() - 20), match.start()):
            yield match.span()


def _zip_codes(text: str, runs: Runs) -> Offsets:
    if not any(end - start >= 5 for start, end in runs):
        return
    if not _FIVE_DIGITS.search(text):
        return
    matches = list(matches_after(_US_ZIP, text, follows_non_word))
    # "zip" may have letters after it ("zipcode", "zipis"), so this is a
    # substring search, not a lookup in the words of the text.
    if "zip" in fold_case(text):
        matches.extend(_LABELLED_ZIP.finditer(text))
    for match in matches:
        yield match.span("zip")


_POSTCODE_FINDERS = (
    _uk_postcodes,
    _lookalike_postcodes,
    _spaced_postcodes,
    _gapped_postcodes,
    _spelled_postcodes,
    _eircodes,
    _canadian_postal_codes,
    _four_digit_codes,
    _zip_codes,
)


def _is_year_and_ordinal(match: re.Match[str]) -> bool:
    """Recognise "Y9 2nd" (year 9, second term): an ordinal after a capital."""
    inward = match.group("inward")
    outward = match.group()[: match.start("inward") - match.start()]
    return bool(_ORDINAL.fullmatch(inward)) and not outward.islower()


def _reads_as_lookalike_postcode(outward: str, inward: str) -> bool:
    """Check that swapping look-alike characters turns a candidate into a postcode.

    At least one character must be swapped, since plain postcodes are found
    elsewhere. Without any real digit the candidate must have a four-character
    outward code and only I or l for 1, because short capital words such as
    "BIT" and "OLD" also read as postcodes when O stands for 0.
    """
    inward_read = _AS_DIGIT.get(inward[0], inward[0]) + inward[1:]
    has_digit = any(char.isdigit() for char in outward + inward)
    if not has_digit and (len(outward) != 4 or "O" in outward + inward[0]):
        return False
    for shape in _OUTWARD_SHAPES[len(outward)]:
        outward_read = "".join(
            _AS_DIGIT.get(char, char) if kind == "9" else _AS_LETTER.get(char, char)
            for char, kind in zip(outward, shape, strict=True)
        )
        if outward_read + inward_read == outward + inward:
            continue
        if _is_uk_postcode(outward_read, inward_read):
            return True
    return False


def _is_uk_postcode(outward: str, inward: str) -> bool:
    area = outward[:2] if outward[1].isalpha() else outward[:1]
    if area.upper() not in _UK_AREAS:
        return False
    return _UK_POSTCODE_PARTS.fullmatch(f"{outward} {inward}") is not None


def _is_spaced_postcode(spaced: str) -> bool:
    compact = "".join(spaced.split())
    return _is_uk_postcode(compact[:-3], compact[-3:])


def _is_mixed(unique: str) -> bool:
    """Check that an Eircode's identifier has letters and digits, unlike words."""
    return any(ch.isdigit() for ch in unique) and any(ch.isalpha() for ch in unique)


_STREET_TYPES = """
    Road Rd Street St Avenue Ave Lane Ln Close Drive Dr Way Crescent Cres
    Gardens Gdns Place Pl Court Ct Terrace Terr Grove Hill Park Square Sq Mews
    Row Walk Green Rise View Parade Boulevard Blvd Yard Wharf Quay Vale Chase
    Mount Gate Hollow Broadway Esplanade Embankment Circus Meadow Meadows
    Bank Brow Croft Fold Wynd Parkway Pkwy Highway Hwy Plaza Trail
    Cl Gr Pk Tce Wy Av Str
    Steet Stret Streat Sreet Raod Avnue Avenu Aveune
    """.split()  # noqa: SIM905 - a word list reads better as text
# Types that also count in an address written in lower case.
_LOWERCASE_TYPES = frozenset(
    """
    road rd street st avenue ave lane ln crescent cres terrace tce terr drive dr
    grove gr gardens gdns close cl court ct place pl square sq way wy park pk
    mews row hill walk rise view green parade blvd pkwy hwy steet avnue
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Lower-case types that are also everyday words ("a 10 minute walk", "the
# way"): the address must also end where an address ends (see _ends_address).
_EVERYDAY_TYPES = frozenset(
    """
    court place square way park row hill walk rise view green parade
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words that may follow a lower-case address that ends in an everyday word:
# "3 river walk near the shops".
_WORDS_AFTER_ADDRESS = frozenset(
    """
    near in by off opposite next behind and if x xx
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
    time times people cars car bus buses percent per cent pence pound pounds
    point points goal goals mark marks degree degrees
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_PROSE_WORDS = _QUANTITY_WORDS | frozenset(
    """
    a an the my your our their his her its this that these those down up along
    across past over to of in on at from by for and or into round around off
    more other few very really quite so too either each every any same wrong
    right whole half long all both
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
# A lower-case address never follows one of these words: "a 5k charity walk".
_DETERMINERS = frozenset(
    """
    a an the another every each per only about around over under nearly almost
    than just
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.?[ \t]*$")
_ORDINAL_WORD = re.compile(r"[0-9]{1,3}(?:st|nd|rd|th)")
_FIRST_WORD = re.compile(r"[^\W\d_]+")

_NUMBER = r"[0-9]{1,4}[A-Za-z]?(?:[ ]?[-\u2013/][ ]?[0-9]{1,4}[A-Za-z]?)?"
_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_TEENS = """
    ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen
    nineteen
    """.split()  # noqa: SIM905 - a word list reads better as text
# A house number written in words: "fourteen", "twenty-one". Longer words
# come first, so that "fourteen" is not read as "four".
_NUMBER_WORD = (
    rf"(?i:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_UNITS)}))?"
    rf"|{'|'.join(_TEENS[::-1])}|{'|'.join(_UNITS)})"
)
NUMBER_WORDS = frozenset(_UNITS + _TENS + _TEENS)
_HOUSE_NAME = rf"(?:[A-Z][a-z'\u2019]+[ \t]+){{1,3}}(?:{'|'.join(_HOUSE_TYPES)})"
# The name of a block of flats between a flat number and the street, ending
# in a comma: "Flat 1, Rose Court, 12 Acacia Avenue".
_BUILDING = r"(?:[A-Z][a-z'\u2019]+[ \t]+){0,3}[A-Z][a-z'\u2019]+,"
_UNIT = r"(?i:flat|apartment|apt|unit|suite|ste)\.?[ ]?[0-9]{1,4}[A-Za-z]?"
_DIRECTION = r"North|South|East|West|NW|NE|SW|SE"
# The longest text before the number: "Apartment. " is 11 characters.
_MAX_DIGIT_OFFSET = 11
# The street after the house number or name, with a direction ("Road
# North", "Ave NW") and a flat or suite after it.
_STREET = rf"""
    (?P<name>(?:(?:[A-Za-z][\w'\u2019.-]*|[0-9]{{1,3}}(?:st|nd|rd|th))[ \t]+){{0,2}}
        (?:[A-Za-z][\w'\u2019.-]*|[0-9]{{1,3}}(?:st|nd|rd|th))
        (?:[ \t]+|[ \t]*\r?\n[ \t]*))
    (?P<type>(?i:{"|".join(_STREET_TYPES)}))
    (?![\w])
    (?:[ \t]+(?:{_DIRECTION})(?![\w]))?
    (?:,?[ \t]+{_UNIT}(?![\w]))?
    """
_ADDRESS = re.compile(
    rf"""
    (?<![\w£$€])
    (?:
        (?P<flat>{_UNIT},?[ \t]+(?:{_BUILDING}[ \t]+)?)?
        (?P<number>
            # "no. 14 Station Road", "number 14 on Station Road"
            (?i:no\.?[ ]?|number[ ]){_NUMBER}(?:[ \t]+(?i:on|in))?
          | {_NUMBER}
        ),?[ \t]+
      | (?:{_NUMBER}[ \t]+)?(?P<house>{_HOUSE_NAME}),?[ \t]+
        (?:{_NUMBER},?[ \t]+)?
    )
    {_STREET}
    """,
    re.VERBOSE,
)
# "fourteen Station Road". A separate pattern, tried only where a number word
# starts, keeps the number words out of every try of _ADDRESS.
_SPELLED_ADDRESS = re.compile(
    rf"(?P<number>(?i:number[ ])?{_NUMBER_WORD}(?:[ \t]+(?i:on|in))?),?[ \t]+{_STREET}",
    re.VERBOSE,
)
_STREET_TYPE_SET = frozenset(_STREET_TYPES)


class StreetAddressFilter:
    """Remove street addresses, PO boxes and map locations."""

    kind = "street_address"
    placeholder = "[address removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        matches = chain(_address_matches(text), _spelled_address_matches(text))
        spans = [
            Span(match.start(), match.end(), self.kind)
            for match in matches
            if _reads_as_address(match)
            and not _follows_counted_word(match)
            and not _is_public_address(match.group())
        ]
        for finder in _OTHER_ADDRESS_FINDERS:
            spans.extend(Span(start, end, self.kind) for start, end in finder(text))
        return spans


# Addresses of public buildings that are nobody's home, and the idiom "a
# two-way street" written with a digit ("The 2 Way Street exercise").
_PUBLIC_ADDRESSES = frozenset({"10 downing street", "11 downing street"})
_WAY_STREET_IDIOM = re.compile(r"(?:1|2|one|two)[ -]way[ ]street", re.IGNORECASE)


def _is_public_address(matched: str) -> bool:
    folded = " ".join(matched.lower().split())
    return folded in _PUBLIC_ADDRESSES or bool(_WAY_STREET_IDIOM.fullmatch(folded))


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


def _spelled_address_matches(text: str) -> Iterator[re.Match[str]]:
    """Yield the matches of _SPELLED_ADDRESS, tried where a number word starts.

    Such an address must be in title case (see _reads_as_address), so a
    text without a capitalised street type is skipped, and so is a number
    word that no capital or hyphen follows.
    """
    if token_runs(text).isdisjoint(_STREET_TYPE_SET):
        return
    found = words(text)
    if found.isdisjoint(NUMBER_WORDS):
        return
    folded = fold_case(text)
    starts = []
    for number_word in NUMBER_WORDS.intersection(found):
        start = folded.find(number_word)
        while start != -1:
            after = text[start + len(number_word) : start + len(number_word) + 5]
            if follows_non_word(text, start) and _starts_title(after):
                starts.append(_with_number_label(folded, start))
            start = folded.find(number_word, start + 1)
    yield from matches_at(_SPELLED_ADDRESS, text, starts)


def _with_number_label(folded: str, start: int) -> int:
    """Move `start` back over "number " before a number word."""
    label = "number "
    if folded[max(0, start - len(label)) : start] == label:
        return start - len(label)
    return start


def _may_have_house_name(text: str) -> bool:
    """Check for a house type such as "Cottage", which may start an address.

    The set of words is folded to lower case, so the case-sensitive search
    runs only for the types it holds.
    """
    found = words(text)
    return any(
        house_type in text for house_type in _HOUSE_TYPES if house_type.lower() in found
    )


def _starts_title(after: str) -> bool:
    """Check that text after a number word starts a capitalised word or "-".

    "on" or "in" may come first: "number twelve on Acacia Avenue".
    """
    if after[:1] == "-" or (after[:1] == " " and after[1:2].isupper()):
        return True
    return after[:4].lower() in {" on ", " in "} and after[4:5].isupper()


def _reads_as_address(match: re.Match[str]) -> bool:
    words = match.group("name").split()
    street_type = match.group("type")
    title_case = _is_capitalised(street_type) and _is_title_case_name(words)
    if match.re is _SPELLED_ADDRESS:
        # "One Way Street sign": a number in words needs more evidence.
        return title_case and _ends_address(match)
    if title_case:
        return True
    if match.groupdict().get("house"):
        return False
    if not _is_lowercase_address(words, street_type) or _follows_determiner(match):
        return False
    return street_type not in _EVERYDAY_TYPES or _ends_address(match)


def _ends_address(match: re.Match[str]) -> bool:
    """Check that no lower-case word other than _WORDS_AFTER_ADDRESS follows."""
    rest = match.string[match.end() : match.end() + 30].lstrip(" \t")
    next_word = _FIRST_WORD.match(rest)
    if next_word is None or not next_word.group().islower():
        return True
    return next_word.group() in _WORDS_AFTER_ADDRESS


def _follows_determiner(match: re.Match[str]) -> bool:
    before = _WORD_BEFORE.search(
        match.string, max(0, match.start() - 20), match.start()
    )
    return before is not None and before.group(1).lower() in _DETERMINERS


def _follows_counted_word(match: re.Match[str]) -> bool:
    """Recognise a chapter, level or question number: see _COUNTED_WORDS."""
    if match.group("number") is None or match.groupdict().get("flat"):
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


# "PO Box 123", "P.O. Box 12", "Post Office Box 7". "Box 3 on the form" stays,
# because a box number without "PO" is more often a form or a game.
_PO_BOX = re.compile(
    r"\b(?:P\.?[ ]?O\.?|Post[ ]Office)[ ]?Box[ ]?(?:No\.?[ ]?|\#[ ]?)?[0-9]{1,6}"
    r"(?![\w])",
    re.IGNORECASE,
)


def _po_boxes(text: str) -> Iterator[tuple[int, int]]:
    if "box" not in fold_case(text):
        return
    for match in _PO_BOX.finditer(text):
        yield match.span()


# A street name ending in a German or Dutch street word, then the house
# number: "Hauptstraße 5", "Berliner Straße 12a", "Prinsengracht 263". A
# postcode before the town goes with it: "Hauptstraße 5, 10115 Berlin".
_GERMAN_DUTCH_SUFFIXES = """
    straße strasse str. weg platz allee gasse straat gracht laan plein kade
    singel dijk
    """.split()  # noqa: SIM905 - a word list reads better as text
_GERMAN_DUTCH_ENDINGS = tuple(_GERMAN_DUTCH_SUFFIXES)
# The longest street name searched before a house number, in characters.
_MAX_STREET_NAME = 80
_CAPITALISED = r"[A-ZÄÖÜ][a-zäöüß]+"
_GERMAN_DUTCH_STREET = re.compile(
    rf"(?:{_CAPITALISED}[ -]){{0,2}}(?=[A-ZÄÖÜ])[^\W\d_]{{0,30}}?"
    rf"(?i:{'|'.join(map(re.escape, _GERMAN_DUTCH_SUFFIXES))})"
    r"[ ]?[0-9]{1,4}[a-z]?(?![\w])"
    r"(?:,?[ ]+[0-9]{4,5}(?:[ ]?[A-Z]{2})?(?=[ ]+[A-ZÄÖÜ]))?"
)
# A house number, a French street word and a capitalised name: "12 rue de la
# Paix", with a postcode before the town: "12 rue de la Paix, 75002 Paris".
_FRENCH_WORDS = frozenset(
    {
        "rue", "avenue", "av", "boulevard", "bd", "chemin", "allée", "impasse",
        "quai", "cours",
    }
)  # fmt: skip
_FRENCH_STREET = re.compile(
    r"[0-9]{1,4}(?:[ ]?(?:bis|ter))?,?[ ]+"
    rf"(?i:{'|'.join(_FRENCH_WORDS)})\.?[ ]+"
    r"(?:(?:de|du|des|la|le|les)[ ]+|[dl]['\u2019])*"
    r"[A-ZÉÈ][\w'\u2019-]*(?:[ ]+(?:de[ ]+)?[A-ZÉÈ][\w'\u2019-]*){0,2}"
    r"(?:,?[ ]+[0-9]{5}(?=[ ]+[A-ZÉ]))?"
)


def _european_streets(text: str) -> Iterator[tuple[int, int]]:
    yield from _german_dutch_streets(text)
    if not _FRENCH_WORDS.isdisjoint(words(text)):
        starts = (start for start, _ in digit_runs(text))
        for match in matches_at(_FRENCH_STREET, text, starts):
            if follows_non_word(text, match.start()):
                yield match.span()


def _german_dutch_streets(text: str) -> Iterator[tuple[int, int]]:
    """Yield German and Dutch street addresses, searched near house numbers.

    The house number comes after the street word, so only the text just
    before a run of digits that follows a street word is searched.
    """
    folded = fold_case(text)
    found: set[tuple[int, int]] = set()
    for start, end in digit_runs(text):
        before = folded[max(0, start - 8) : start].rstrip(" ")
        if not before.endswith(_GERMAN_DUTCH_ENDINGS):
            continue
        window = max(0, start - _MAX_STREET_NAME)
        for match in _GERMAN_DUTCH_STREET.finditer(text, window, end + 20):
            if match.start() <= start < match.end() and follows_non_word(
                text, match.start()
            ):
                found.add(match.span())
    yield from sorted(found)


# "Acacia Avenue, number 12": the house number after the street.
_NUMBER_AFTER_STREET = re.compile(
    rf"(?<![\w])(?:[A-Z][\w'\u2019-]*[ \t]+){{1,3}}(?:{'|'.join(_STREET_TYPES)})"
    r"(?![\w]),?[ \t]+(?i:number|no\.?|house|flat)[ \t]*[0-9]{1,4}[A-Za-z]?(?![\w])"
)
_NUMBER_LABELS = frozenset({"number", "no", "house", "flat"})
# A house name and a town with no street: "Rose Cottage, Ambridge". Only
# names of homes count ("Hall" and "House" also name public buildings), and
# the town must end the sentence or the line, because "Animal Farm, George
# Orwell's novel" has the same start.
_HOME_TYPES = """
    Cottage Cottages Farm Farmhouse Lodge Barn Bungalow Rectory Vicarage Villa
    Grange
    """.split()  # noqa: SIM905 - a word list reads better as text
_HOME_AND_TOWN = re.compile(
    rf"(?<![\w])(?:[A-Z][a-z'\u2019]+[ \t]+){{1,3}}(?:{'|'.join(_HOME_TYPES)}),"
    r"[ \t]+[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?(?=[ \t]*(?:[,.;!?\r\n]|$))"
)
# A flat on an estate: "block C, Park Hill estate, flat 31", "Flat 4, Park
# Hill Estate". A block or flat number must come before or after the name.
_ESTATE = re.compile(
    r"(?<![\w])(?P<before>(?i:block|flat|unit)[ \t]+[A-Za-z0-9]{1,4},?[ \t]+)?"
    r"(?:[A-Z][a-z]+[ \t]+){1,3}(?i:estate)(?![\w])"
    r"(?P<after>(?:,?[ \t]+(?i:block|flat|unit|no\.?|number)[ \t]*"
    r"[A-Za-z0-9]{1,4}(?![\w])){1,2})?"
)
# Spanish: "Calle Mayor 5, 28013 Madrid", "Avda. de la Paz 12".
_SPANISH_STREET = re.compile(
    r"(?<![\w])(?:Calle|C/|Avenida|Avda\.?|Plaza|Paseo|Camino|Carrer|Ronda)[ \t]*"
    r"(?:(?:de|del|de[ ]la|de[ ]los|de[ ]las)[ \t]+)?"
    r"[A-ZÁÉÍÓÚÑ][\w'-]*(?:[ \t]+(?:de[ \t]+)?[A-ZÁÉÍÓÚÑ][\w'-]*){0,2}"
    r",?[ \t]+(?:n[º°o]\.?[ \t]*)?[0-9]{1,4}[A-Za-z]?(?![\w])"
    r"(?:,?[ \t]+[0-9]{5}(?=[ \t]+[A-ZÁÉÍÓÚ]))?"
)
# Polish: "ul. Marszałkowska 10, 00-590 Warszawa", "al. Jana Pawła 5/12".
_POLISH_UPPER = "A-ZĄĆĘŁŃÓŚŹŻ"
_POLISH_STREET = re.compile(
    rf"(?<![\w])(?i:ul|al|pl|os)\.[ \t]*[{_POLISH_UPPER}][\w-]*"
    rf"(?:[ \t]+[{_POLISH_UPPER}][\w-]*){{0,2}}[ \t]+[0-9]{{1,4}}[a-z]?"
    r"(?:/[0-9]{1,4})?(?![\w])"
    rf"(?:,?[ \t]+[0-9]{{2}}-[0-9]{{3}}(?=[ \t]+[{_POLISH_UPPER}]))?"
)
# Indian: "House No. 12, Sector 15, Noida 201301". Two of the three parts
# (house number, sector, town and six-digit PIN code) must be present.
_INDIAN_HOUSE = (
    r"(?P<house>(?i:house|h\.)[ \t]*(?i:no\.?|number|\#)[ \t]*"
    r"[0-9]{1,5}[A-Za-z]?(?:[-/][0-9A-Za-z]{1,5})?)"
)
_INDIAN_SECTOR = r"(?i:sector|phase|block)[ \t]+[0-9]{1,3}[A-Za-z]?(?![\w])"
_INDIAN_ADDRESS = re.compile(
    rf"(?<![\w])(?:{_INDIAN_HOUSE}(?:,?[ \t]+(?P<sector>{_INDIAN_SECTOR}))?"
    rf"|(?P<lone_sector>{_INDIAN_SECTOR}))"
    r"(?P<pin>,?[ \t]*[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?[ \t]*-?[ \t]*[0-9]{6}"
    r"(?![\w]))?"
)
# Welsh, Scottish Gaelic and Irish streets, whose street word comes first:
# "12 Heol y Frenhines", "14 Sràid na h-Eaglaise".
_CELTIC_STREET = re.compile(
    r"(?<![\w])[0-9]{1,4}[a-z]?,?[ \t]+"
    r"(?:Heol|Ffordd|Stryd|Lôn|Rhodfa|Teras|Cilgant|Sgwâr|Sràid|Rathad|Bóthar"
    r"|Sráid)[ \t]+(?:(?:y|yr|na|an)[ \t]+)?(?:[nht]-)?[A-ZÀ-Ý][\w'-]*"
    r"(?:[ \t]+[A-ZÀ-Ý][\w'-]*){0,2}"
)
_CELTIC_WORDS = frozenset(
    """
    heol ffordd stryd lôn rhodfa teras cilgant sgwâr sràid rathad bóthar sráid
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _other_street_forms(text: str) -> Iterator[tuple[int, int]]:
    found = words(text)
    if not found.isdisjoint(_NUMBER_LABELS):
        yield from (m.span() for m in _NUMBER_AFTER_STREET.finditer(text))
    if not found.isdisjoint(word.lower() for word in _HOME_TYPES):
        yield from (m.span() for m in _HOME_AND_TOWN.finditer(text))
    if "estate" in found:
        yield from _estates(text)
    if not found.isdisjoint(_CELTIC_WORDS):
        yield from (m.span() for m in _CELTIC_STREET.finditer(text))
    yield from _foreign_streets(text, found)


def _estates(text: str) -> Iterator[tuple[int, int]]:
    for match in _ESTATE.finditer(text):
        if match.group("before") or match.group("after"):
            yield match.span()


def _foreign_streets(text: str, found: frozenset[str]) -> Iterator[tuple[int, int]]:
    spanish = {"calle", "avenida", "avda", "c", "plaza", "paseo", "camino", "carrer"}
    if not found.isdisjoint(spanish | {"ronda"}):
        yield from (m.span() for m in _SPANISH_STREET.finditer(text))
    if not found.isdisjoint({"ul", "al", "pl", "os"}):
        yield from (m.span() for m in _POLISH_STREET.finditer(text))
    if not found.isdisjoint({"house", "h", "sector", "phase", "block"}):
        yield from _indian_addresses(text)


def _indian_addresses(text: str) -> Iterator[tuple[int, int]]:
    for match in _INDIAN_ADDRESS.finditer(text):
        parts = [
            match.group(name) for name in ("house", "sector", "lone_sector", "pin")
        ]
        if sum(part is not None for part in parts) >= 2:
            yield match.start(), match.end()


_OTHER_ADDRESS_FINDERS = (
    _po_boxes,
    _european_streets,
    _other_street_forms,
    find_locations,
)
