"""Find postcodes, street addresses and map locations.

Postcodes follow the published formats, so a regular expression decides them.
UK postcodes are also found written with look-alike characters, spaced out,
over a line break, with digits as words, with words between the halves,
glued to lower-case letters, read aloud letter by letter, or as a town and
its district number before the inward code ("Leeds 6, 2AB"). The filter also
finds Irish Eircodes, Canadian postal codes, Australian postcodes after a
state, Dutch postcodes before a town, US ZIP codes after a state
abbreviation or the word "zip", and Japanese postcodes after "〒".

Street addresses have no fixed format. The filter looks for a house number
or a house name, then a street name and a street type ("12 Acacia Avenue",
"Flat 3, 12 Acacia Avenue", "Rose Cottage, Mill Lane", "1234 Main St, Apt
5", "fourteen Station Road"). It then checks the letter case and the words
around it, because "5 miles down the road" and "Chapter 3 The Green Knight"
have the same shape. A house number and a name with no street type count
after a cue such as "I live at", before one such as "come round", or on a
short line next to a postcode or a flat. A house number may be in Roman
numerals ("XIV Acacia Avenue"). A street before its number ("Acacia Avenue
14") counts after such a cue, before an outward code, or at the end of a
sentence or line. A street alone counts after "I live on" or "my road is".
An address typed one word a line is searched with its lines joined, and
the lines of an address laid out like an envelope above a postcode are
removed together. PO boxes, house names with a town, flats on an estate,
German, Dutch, Nordic, French, Spanish, Italian, Portuguese, Hungarian,
Polish, Indian, Welsh and Gaelic street forms, Japanese, Chinese and
Korean addresses, and the map locations in filters.locations count as
street addresses too. Two public addresses ("10 Downing Street") stay,
because they are nobody's home, and so does "221B Baker Street" on a line
that mentions Sherlock Holmes or a detective. A house number and a street
named apart ("I'm at number 14. The road is called Acacia Avenue") are
removed when they are at most one sentence apart.

Both filters also search each link with its "+" signs and percent escapes
decoded, for an address typed into a map search ("?q=14%20Acacia%20Avenue").
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, pairwise

from filters.base import FilterContext, Span
from filters.encoded import find_encoded
from filters.link_view import decoded_links
from filters.locations import find_locations
from filters.prefilter import (
    ascii_shape,
    fast_digit_runs,
    fold_case,
    follows_non_word,
    letter_words,
    matches_at,
    precedes_non_word,
    word_starts,
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
# A postcode with a space, dot or dash between characters: "S W 1 A 1 A
# A", "L-S-6 2-A-B". The first digit is the second or third character of the
# outward code.
_SPACED_POSTCODE = re.compile(
    r"[A-Za-z](?:[ .\-][A-Za-z0-9]){1,3}[ \u00a0]{1,2}[0-9](?:[ .\-][A-Za-z]){2}"
    r"(?![\w])"
)
_SPACED_DIGIT_OFFSETS = (2, 4)
# A postcode with a few lower-case words between its halves: "LS6 and then
# 2AB", "LS 6, then 2AB". Both halves must be in capitals, so "the M1 and
# then 3rd" stays. The area and district may have a space between them, and
# a comma may follow each part. An inward code that reads as a time, a
# clothing size or an ordinal ("B 6 at 3PM", "M 1 in 3XL", "B 6, then
# 3RD") does not count.
_GAPPED_POSTCODE = re.compile(
    r"(?<![\w])(?P<outward>[A-Z]{1,2}[ ]?[0-9][0-9A-Z]?),?"
    r"(?:[ \t]+[a-z]{1,8},?){1,3}[ \t]+"
    rf"(?![0-9](?:AM|PM|XL|XS|XX|ST|ND|RD|TH))(?P<inward>{_UK_INWARD})(?![\w])"
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
        return [
            *self._find(text),
            *_in_links(text, self._find),
            *find_encoded(text, lambda decoded: bool(self._find(decoded)), self.kind),
        ]

    def _find(self, text: str) -> list[Span]:
        runs = fast_digit_runs(text)
        return [
            Span(start, end, self.kind)
            for finder in _POSTCODE_FINDERS
            for start, end in finder(text, runs)
        ]


def _in_links(text: str, find: Callable[[str], list[Span]]) -> list[Span]:
    """Return the spans `find` finds in the links of `text` once decoded.

    A map search typed into a link hides its address behind "+" signs and
    percent escapes: "?q=14%20Acacia%20Avenue", "?daddr=14%2C+Acacia+Avenue".
    The links are searched apart from the text around them, as
    filters.link_view.decoded_links writes them out.
    """
    view = decoded_links(text)
    if view is None:
        return []
    spans = []
    for span in find(view.text):
        # A span with the NUL character of link_view.LINK_SEPARATOR in it
        # would take the text between two links.
        if "\x00" in view.text[span.start : span.end]:
            continue
        start, end = view.original_span(span.start, span.end)
        spans.append(Span(start, end, span.kind))
    return spans


def _uk_postcodes(text: str, runs: Runs) -> Offsets:
    starts = (start - offset for start, _ in runs for offset in _UK_DIGIT_OFFSETS)
    for match in matches_at(_UK_POSTCODE, text, starts):
        if not _is_year_and_ordinal(match):
            yield match.span()


def _lookalike_postcodes(text: str, runs: Runs) -> Offsets:
    starts = (
        start
        for start in _lookalike_postcode_starts(ascii_shape(text))
        if follows_non_word(text, start)
    )
    for match in matches_at(_LOOKALIKE_POSTCODE, text, starts):
        if _reads_as_lookalike_postcode(match["outward"], match["inward"]):
            yield match.span()


def _lookalike_postcode_starts(shape: str) -> Iterator[int]:
    """Yield every position where _LOOKALIKE_POSTCODE may start, from a text's shape.

    The inward code ends in two capitals ("AA" in the shape), after one
    character. The outward code has two to four characters and up to two
    spaces follow it, so the match starts three to seven characters before
    the two capitals.
    """
    capitals = shape.find("AA")
    while capitals != -1:
        yield from range(max(0, capitals - 7), capitals - 2)
        capitals = shape.find("AA", capitals + 1)


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
    # The first digit of the outward code is its second, third or, after a
    # space, fourth character.
    starts = (start - offset for start, _ in runs for offset in (1, 2, 3))
    for match in matches_at(_GAPPED_POSTCODE, text, starts):
        if _is_uk_postcode(match["outward"].replace(" ", ""), match["inward"]):
            yield match.span()


def _spoken_postcodes(text: str, runs: Runs) -> Offsets:
    """Find postcodes with digits as words, written or read aloud.

    Both forms are tried only where a digit word starts, found once here. A
    postcode read aloud may also give its digits as digits ("el ess 6, 2 ay
    bee"), so its inward code may start at a single digit too.
    """
    spelled = [
        (start, start + len(digit_word))
        for digit_word in _DIGIT_WORDS
        for start in word_starts(text, digit_word)
    ]
    if spelled:
        yield from _spelled_postcodes(text, runs, [start for start, _ in spelled])
    yield from _glued_spelled_postcodes(text)
    # A postcode read aloud has a space, a hyphen or a comma after each digit.
    digits = [(start, end) for start, end in runs if end - start == 1]
    named = [
        start
        for start, end in chain(spelled, digits)
        if text[end : end + 1] in (" ", "-", ",")
    ]
    yield from _named_postcodes(text, named)


# A postcode with digit words glued to its letters: "LSsix twoAB",
# "LSsix 2AB". The area has two capitals and the digit word after it is in
# lower case, so capitalised words ("None", "ALone") stay.
_GLUED_SPELLED_POSTCODE = re.compile(
    rf"(?<![A-Za-z0-9])(?P<area>[A-Z]{{2}})(?P<district>{_SPELLED_DIGIT})[ ]?"
    rf"(?P<inward>{_SPELLED_DIGIT}[A-Z]{{2}})(?![A-Za-z0-9])"
)
_LOWER_DIGIT_WORDS = tuple(word for word in _DIGIT_WORDS if word != "oh")


def _glued_spelled_postcodes(text: str) -> Offsets:
    starts = (
        start - 2
        for digit_word in _LOWER_DIGIT_WORDS
        for start in _find_all(text, digit_word)
        if start >= 2 and text[start - 2 : start].isupper()
    )
    for match in matches_at(_GLUED_SPELLED_POSTCODE, text, starts):
        if not match["district"].islower():
            continue
        outward = match["area"] + _digits_of(match["district"])
        inward = _digits_of(match["inward"][:-2]) + match["inward"][-2:]
        if _is_uk_postcode(outward, inward):
            yield match.span()


def _spelled_postcodes(text: str, runs: Runs, spelled: list[int]) -> Offsets:
    # The district starts with a digit or a digit word, after the area, which
    # ends in a capital, and a space. So the match starts two to four
    # characters before the district.
    district_starts = chain(spelled, (start for start, _ in runs))
    starts = (
        start - offset
        for start in district_starts
        if text[start - 2 : start - 1].isupper() and text[start - 1] == " "
        for offset in (2, 3, 4)
    )
    for match in matches_at(_SPELLED_POSTCODE, text, starts):
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


# A postcode in capitals glued to lower-case letters, which hides it from
# the word boundaries of _UK_POSTCODE: "postcodeLS62AB", "LS6 2ABx". Only
# capitals and digits count as its edges, so lower case may touch it.
_GLUED_POSTCODE = re.compile(
    rf"(?<![A-Z0-9])(?P<outward>{_UK_OUTWARD})[ \u00a0]?"
    rf"(?P<inward>{_UK_INWARD})(?![A-Z0-9])"
)


def _glued_postcodes(text: str, runs: Runs) -> Offsets:
    starts = (start - offset for start, _ in runs for offset in (1, 2))
    for match in matches_at(_GLUED_POSTCODE, text, starts):
        start, end = match.span()
        glued = not follows_non_word(text, start) or text[end : end + 1].isalpha()
        if glued and _is_uk_postcode(match["outward"], match["inward"]):
            yield start, end


# A town, then the district number and the inward code: "Leeds 6 2AB",
# "Leeds 6, 2AB". The
# town stays, as the state does in "NSW 2000". The inward code must be in
# capitals, so "Leeds 6 Bradford 2" (a score) and "Year 9 2nd" stay, and
# it must not read as a time or a clothing size ("Size 6 3XL", "Fri 6 2PM").
_TOWN_DISTRICT = re.compile(
    rf"[0-9]{{1,2}},?[ ](?![0-9](?:AM|PM|XL|XS|XX)){_UK_INWARD}(?![\w])"
)
_TOWN_BEFORE = re.compile(r"(?<![\w])([A-Z][A-Za-z]+)[ ]$")
# Capitalised words before a number that counts something, not a district.
_NOT_TOWNS = frozenset(
    """
    room form year class set group table block level stage key flat unit no
    number page chapter part section question lesson week day step bus
    route platform gate seat row team score
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _town_district_postcodes(text: str, runs: Runs) -> Offsets:
    starts = (
        start
        for start, end in runs
        if end - start <= 2 and text[start - 1 : start] == " "
    )
    for match in matches_at(_TOWN_DISTRICT, text, starts):
        town = _TOWN_BEFORE.search(text, max(0, match.start() - 30), match.start())
        if town is not None and town.group(1).lower() not in _NOT_TOWNS:
            yield match.span()


# A postcode read aloud letter by letter: "ell ess six two ay bee" for LS6
# 2AB. Each name stands for its letter, and _DIGIT_WORDS for digits. "oh"
# may be the letter O or the digit 0.
# NOTE: "double you" for W is not read, and nor are mixes with single
# capitals ("L S six two A B" is _SPELLED_POSTCODE's).
_LETTER_NAMES = {
    "ay": "A", "bee": "B", "cee": "C", "see": "C", "dee": "D", "ee": "E",
    "ef": "F", "eff": "F", "gee": "G", "aitch": "H", "haitch": "H", "eye": "I",
    "jay": "J", "kay": "K", "el": "L", "ell": "L", "em": "M", "en": "N",
    "oh": "O", "pee": "P", "cue": "Q", "queue": "Q", "ar": "R", "arr": "R",
    "ess": "S", "tee": "T", "you": "U", "vee": "V", "ex": "X", "why": "Y",
    "wye": "Y", "zed": "Z", "zee": "Z",
}  # fmt: skip
_NAMED_CHARACTER = re.compile(r"[A-Za-z]+|[0-9]+")
# The separator between two names: a space, a hyphen or a comma.
_NAMED_SEPARATOR = r"(?:,?[ -]|,)"
# The inward code read aloud, which every such postcode ends with.
_NAMED_INWARD = re.compile(
    rf"(?:(?i:{'|'.join(_DIGIT_WORDS)})|[0-9]){_NAMED_SEPARATOR}"
    rf"(?i:{'|'.join(_LETTER_NAMES)}){_NAMED_SEPARATOR}"
    rf"(?i:{'|'.join(_LETTER_NAMES)})(?![\w])"
)
# The maximum length of a postcode read aloud before its inward code: four
# names, none longer than "haitch" and a space, fit in well under this.
_MAX_NAMED_POSTCODE = 7 * 7


def _named_postcodes(text: str, spelled: list[int]) -> Offsets:
    """Find postcodes read aloud, searched before each inward code read aloud."""
    found: set[tuple[int, int]] = set()
    for inward in matches_at(_NAMED_INWARD, text, spelled):
        window = max(0, inward.start() - _MAX_NAMED_POSTCODE)
        found.update(_named_postcodes_in(text, window, inward.end()))
    yield from sorted(found)


def _named_postcodes_in(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    tokens = [
        token
        for token in _NAMED_CHARACTER.finditer(text, start, end)
        if token.group().lower() in _LETTER_NAMES
        or token.group().lower() in _DIGIT_WORDS
        or (len(token.group()) == 1 and token.group().isdigit())
    ]
    for first in range(len(tokens)):
        for count in (5, 6, 7):
            chosen = tokens[first : first + count]
            if (
                len(chosen) == count
                and _are_adjacent(text, chosen)
                and _reads_as_named_postcode([t.group().lower() for t in chosen])
            ):
                yield chosen[0].start(), chosen[-1].end()


def _are_adjacent(text: str, tokens: list[re.Match[str]]) -> bool:
    """Check that a space, a hyphen or a comma separates each token from the next."""
    return all(
        text[left.end() : right.start()] in (" ", "-", ",", ", ", ",-")
        for left, right in pairwise(tokens)
    ) and follows_non_word(text, tokens[0].start())


def _reads_as_named_postcode(names: list[str]) -> bool:
    """Check that five to seven letter and digit names spell a UK postcode."""
    inward = names[-3:]
    inward_read = _digit_read(inward[0]) + "".join(
        _LETTER_NAMES.get(name, "?") for name in inward[1:]
    )
    for shape in _OUTWARD_SHAPES[len(names) - 3]:
        outward_read = "".join(
            _digit_read(name) if kind == "9" else _LETTER_NAMES.get(name, "?")
            for name, kind in zip(names[:-3], shape, strict=True)
        )
        if "?" not in outward_read + inward_read and _is_uk_postcode(
            outward_read, inward_read
        ):
            return True
    return False


def _digit_read(name: str) -> str:
    """Return the digit that a digit word or a digit stands for, or "?"."""
    return name if name.isdigit() else _DIGIT_WORDS.get(name, "?")


def _eircodes(text: str, runs: Runs) -> Offsets:
    # An Eircode starts with one letter before its first digit.
    starts = (start - 1 for start, _ in runs)
    for match in matches_at(_EIRCODE, text, starts):
        if _is_mixed(match.group("unique")) and not _reads_as_commit_hash(match):
            yield match.span()


# A short git commit hash is seven hex digits, and about one in ten of them
# has an Eircode's shape when written without its space ("a94a8fe" reads as
# A94 A8FE). That share is an estimate from the character classes.
_HEX_EIRCODE = re.compile(r"[0-9a-f]{7}", re.IGNORECASE)
_HEX_WORD = re.compile(
    r"(?<![\w])(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}(?![\w])",
    re.IGNORECASE,
)
_GIT_WORD = re.compile(
    r"\b(?:git|commits?|committed|squash(?:ed)?|rebased?|merged?|merges"
    r"|hash(?:es)?|sha1?|revert(?:ed)?|cherry-pick(?:ed)?)\b",
    re.IGNORECASE,
)
_EIRCODE_WORD = re.compile(r"\beir[ ]?code\b", re.IGNORECASE)
_HASH_CONTEXT_CHARS = 200


def _reads_as_commit_hash(match: re.Match[str]) -> bool:
    """Recognise a git commit hash with an Eircode's shape ("a94a8fe").

    Only a code of seven hex digits with no space can be a hash. It is one
    when it is in lower case or has another hex word or a git word near it,
    unless the word "eircode" is near it ("d02af30 is my eircode").
    """
    code = match.group()
    if not _HEX_EIRCODE.fullmatch(code):
        return False
    text = match.string
    low = max(0, match.start() - _HASH_CONTEXT_CHARS)
    high = match.end() + _HASH_CONTEXT_CHARS
    if _EIRCODE_WORD.search(text, low, high):
        return False
    if code.islower() or _GIT_WORD.search(text, low, high):
        return True
    return any(
        word.span() != match.span() for word in _HEX_WORD.finditer(text, low, high)
    )


def _canadian_postal_codes(text: str, runs: Runs) -> Offsets:
    starts = (start - 1 for start, _ in runs)
    for match in matches_at(_CANADIAN_POSTAL_CODE, text, starts):
        yield match.span()


def _four_digit_codes(text: str, runs: Runs) -> Offsets:
    if not any(end - start == 4 for start, end in runs):
        return
    # A state has two or three letters.
    starts = (
        before - offset
        for start, end in runs
        if end - start == 4
        for before in _state_end(text, start)
        for offset in (2, 3)
    )
    for match in _matches_where(_AUSTRALIAN_POSTCODE, text, starts):
        yield match.span("zip")
    starts = (start for start, end in runs if end - start == 4)
    for match in matches_at(_DUTCH_POSTCODE, text, starts):
        if _DUTCH_LEFT_EDGE.search(text, max(0, match.start() - 20), match.start()):
            yield match.span()


def _zip_codes(text: str, runs: Runs) -> Offsets:
    if not any(end - start >= 5 for start, end in runs):
        return
    # A ZIP code after a state is a run of exactly five digits, because `\b`
    # follows them, and each state has two letters.
    starts = (
        before - 2
        for start, end in runs
        if end - start == 5
        for before in _state_end(text, start)
    )
    matches = list(_matches_where(_US_ZIP, text, starts))
    # "zip" may have letters after it ("zipcode", "zipis").
    labels = word_starts(text, "zip")
    matches.extend(matches_at(_LABELLED_ZIP, text, labels))
    for match in matches:
        yield match.span("zip")


class _WordLookup:
    """Words to look up without case and without a trailing "." or "/"."""

    def __init__(self, words: Iterable[str]) -> None:
        self.by_key: dict[str, list[str]] = {}
        for word in words:
            self.by_key.setdefault(word.lower().rstrip("./"), []).append(word)
        self.other_keys = [key for key in self.by_key if not key.isascii()]

    def present(self, text: str) -> list[str]:
        """Return the words that may occur in `text` as whole words.

        An ASCII key is looked up in `letter_words(text)` and any other key
        in `fold_case(text)`, so a word left out cannot occur.
        """
        keys = set(letter_words(text).intersection(self.by_key))
        if not text.isascii():
            keys.update(key for key in self.other_keys if key in fold_case(text))
        return [word for key in keys for word in self.by_key[key]]


def _find_all(text: str, needle: str) -> Iterator[int]:
    """Yield every position where `needle` occurs in `text`, case and all."""
    start = text.find(needle)
    while start != -1:
        yield start
        start = text.find(needle, start + 1)


def _line_matches(
    pattern: re.Pattern[str], text: str, positions: Iterable[int]
) -> Iterator[re.Match[str]]:
    """Yield what `pattern.finditer(text)` yields on the lines around `positions`.

    The result equals finditer's when `pattern` never matches a line break
    and each of its matches has a line in `positions`.
    """
    searched_to = -1
    for position in sorted(set(positions)):
        if position <= searched_to:
            continue
        start = text.rfind("\n", 0, position) + 1
        end = text.find("\n", position)
        searched_to = len(text) if end == -1 else end
        yield from pattern.finditer(text, start, searched_to)


def _state_end(text: str, start: int) -> Iterator[int]:
    """Yield where a state ends before the digits at `start`.

    One or more spaces or no-break spaces, with a comma before them, may
    come between. Nothing is yielded when no space comes first.
    """
    before = start
    while before > 0 and text[before - 1] in " \u00a0":
        before -= 1
    if before == start:
        return
    yield before - 1 if text[before - 1 : before] == "," else before


def _matches_where(
    pattern: re.Pattern[str], text: str, starts: Iterable[int]
) -> Iterator[re.Match[str]]:
    """Yield what `matches_after(pattern, text, follows_non_word)` yields.

    Only `starts` are tried, so it must contain every position where a
    match with no word character before it can start.
    """
    resume = 0
    for start in sorted(set(starts)):
        if start < resume:
            continue
        match = pattern.match(text, start)
        if match is not None and follows_non_word(text, start):
            resume = match.end()
            yield match


# A Japanese postcode after the postal mark or the word for postcode:
# "〒100-0001", "郵便番号 100-0001". Seven digits alone stay, because phone
# and order numbers have the same shape.
_JAPANESE_POSTCODE = re.compile(
    r"(?:〒|郵便番号:?)[ ]?(?P<code>[0-9]{3}[-\u2212\u30fc]?[0-9]{4})(?![0-9])"
)


def _japanese_postcodes(text: str, runs: Runs) -> Offsets:
    if text.isascii() or ("〒" not in text and "郵便番号" not in text):
        return
    for match in _JAPANESE_POSTCODE.finditer(text):
        yield match.span("code")


# After the word "postcode", a UK postcode written with any mix of spaces,
# dots, dashes and commas inside it, in either case, with digits or letters
# spelled as words: "postcode LS6 2 AB", "post code L.S.6 2.A.B", "postcode
# ls six two ab", "my postcode is lima sierra 6 2 alpha bravo".
_POSTCODE_LABEL = re.compile(r"\bpost ?code\b(?:\s+is)?\s*[:=-]?\s*", re.IGNORECASE)
_COMPACT_UK_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
# A bracketed aside between the characters is skipped like a separator:
# "postcode: ls (leeds) 6, then 2ab".
_POSTCODE_TOKEN = re.compile(r"[A-Za-z0-9]+|[ .,\-]+|\([^()\n]{0,30}\)")
# Words that join the parts of a postcode without being part of it.
_POSTCODE_FILLERS = frozenset({"then", "and"})
_NATO_LETTERS = {
    word: word[0].upper()
    for word in """
        alpha alfa bravo charlie delta echo foxtrot golf hotel india juliet
        juliett kilo lima mike november oscar papa quebec romeo sierra tango
        uniform victor whiskey whisky xray yankee zulu
        """.split()  # noqa: SIM905 - a word list reads better as text
}
_SPOKEN_CHARACTERS = {**_LETTER_NAMES, **_NATO_LETTERS, **_DIGIT_WORDS}
# Seven characters each written as a word such as "november" fit in this.
_MAX_LABELLED_POSTCODE = 80


def _labelled_postcodes(text: str, runs: Runs) -> Offsets:
    folded = fold_case(text)
    for start in word_starts(text, "post"):
        label = _POSTCODE_LABEL.match(folded, start)
        if label is None:
            continue
        found = _separated_postcode_end(text, label.end())
        if found is not None:
            yield label.end(), found


def _separated_postcode_end(text: str, start: int) -> int | None:
    """Return where a postcode written with separators from `start` ends, if any."""
    compact = ""
    end = None
    limit = min(len(text), start + _MAX_LABELLED_POSTCODE)
    for token in _POSTCODE_TOKEN.finditer(text, start, limit):
        word = token.group()
        if not word[0].isalnum():
            continue
        if word.lower() in _POSTCODE_FILLERS and compact:
            continue
        spoken = _SPOKEN_CHARACTERS.get(word.lower())
        # A word of three letters or more is a spoken character or the end.
        if spoken is None and len(word) > 2 and not _has_digit(word):
            break
        compact += spoken if spoken is not None else word.upper()
        if len(compact) > len("AA9A9AA"):
            break
        if _COMPACT_UK_POSTCODE.fullmatch(compact):
            end = token.end()
    return end


def _has_digit(word: str) -> bool:
    return any(char.isdigit() for char in word)


# A UK postcode in capitals cut into short chunks by any separators that
# are not letters, digits or line breaks: "LS6 - 2AB", "LS6 / 2AB", "LS6 ...
# 2AB", "LS 6 2 AB", "LS6 🏡 2AB". The chunks are joined and must spell a
# postcode of a real area. Lower-case chunks count only after a postcode
# label (see _labelled_postcodes), because words such as "m1 ok" are
# common.
_CHUNKED_POSTCODE = re.compile(
    r"(?<![\w])[A-Z0-9]{1,4}(?:[^\w\n]{1,6}[A-Z0-9]{1,4}){1,5}(?![\w])"
)
# The farthest such a postcode may start before a digit, in characters.
_CHUNK_LOOKBACK = 10


def _chunked_postcodes(text: str, runs: Runs) -> Offsets:
    starts = sorted(
        {
            start
            for digit_start, _ in runs
            for start in range(max(0, digit_start - _CHUNK_LOOKBACK), digit_start + 1)
            if text[start].isupper() or text[start].isdigit()
        }
    )
    found_to = -1
    for match in matches_at(_CHUNKED_POSTCODE, text, starts):
        if match.start() < found_to:
            continue
        span = _postcode_in_chunks(match)
        if span is not None:
            found_to = span[1]
            yield span


def _postcode_in_chunks(match: re.Match[str]) -> tuple[int, int] | None:
    """Return the span of the chunks of `match` that spell a UK postcode, if any."""
    chunks = list(re.finditer(r"[A-Z0-9]+", match.group()))
    for first in range(len(chunks)):
        compact = ""
        for last in range(first, len(chunks)):
            compact += chunks[last].group()
            if len(compact) > len("AA9A9AA"):
                break
            if last > first and _COMPACT_UK_POSTCODE.fullmatch(compact):
                outward, inward = compact[:-3], compact[-3:]
                if _is_uk_postcode(outward, inward):
                    base = match.start()
                    return base + chunks[first].start(), base + chunks[last].end()
    return None


# The two halves of a UK postcode apart in one text: "the bus is the LS6 one
# and my locker code is 2AB". Each half alone stays ("the LS6 bus", "room
# 2AB"), and so does a list of inward-shaped codes with no outward code.
# Both halves must be in capitals and at most _MAX_HALVES_APART characters
# apart. Halves side by side are a whole postcode, which _uk_postcodes finds.
# filters.fragments pairs halves in two messages with the same guards
# (postcode_halves_apart).
_OUTWARD_HALF = re.compile(rf"(?<![\w-])(?:{_UK_OUTWARD})(?![\w-])")
_INWARD_HALF = re.compile(rf"(?<![\w-]){_UK_INWARD}(?![\w-])")
_MAX_HALVES_APART = 200
_MIN_HALVES_GAP = 3
# Inward-shaped codes this close together, in characters, are a list.
_MAX_LIST_GAP = 6


# Words that filters.fragments reads as tying halves to a postcode. It pairs
# the halves in such a text itself and flags the split, so they are left to it.
_SPLIT_POSTCODE_CUE = re.compile(
    r"\b(?:post ?code|(?:first|second|other|last|start|end|beginning)"
    r" (?:bit|half|part))\b",
    re.IGNORECASE,
)
# A half after one of these words, up to two words before it, names a room,
# a form or a road: "form in 9LB", "junction 2AB".
_LABEL_BEFORE_HALF = re.compile(r"([A-Za-z]+)[ ]+(?:[A-Za-z]+[ ]+)?$")
_NOT_HALF_LABELS = _NOT_TOWNS | {"junction", "exit", "motorway", "road"}


def _paired_halves(text: str, runs: Runs) -> Offsets:
    inwards = _unlabelled_inwards(text, runs)
    if not inwards or _SPLIT_POSTCODE_CUE.search(text):
        return
    yield from _pair_halves(text, runs, inwards)


def postcode_halves_apart(text: str) -> list[tuple[int, int]]:
    """Return the spans of the two halves of UK postcodes given apart in `text`.

    The halves pass the guards of one text's halves: capitals, a real area,
    no room or road label before either half, not in a list of codes, and
    3 to 200 characters apart.
    """
    runs = fast_digit_runs(text)
    inwards = _unlabelled_inwards(text, runs)
    return list(_pair_halves(text, runs, inwards)) if inwards else []


def _unlabelled_inwards(text: str, runs: Runs) -> list[re.Match[str]]:
    found = list(matches_at(_INWARD_HALF, text, (start for start, _ in runs)))
    found.sort(key=lambda match: match.start())
    return [
        inward
        for index, inward in enumerate(found)
        if not _has_half_label(inward) and not _is_listed(found, index)
    ]


def _pair_halves(text: str, runs: Runs, inwards: list[re.Match[str]]) -> Offsets:
    starts = (start - offset for start, _ in runs for offset in (1, 2))
    outwards = [
        outward
        for outward in matches_at(_OUTWARD_HALF, text, starts)
        if not _has_half_label(outward)
    ]
    for outward in outwards:
        for inward in inwards:
            if _are_paired_halves(outward, inward):
                yield outward.span()
                yield inward.span()


def _is_listed(inwards: list[re.Match[str]], index: int) -> bool:
    """Check whether `inwards[index]` is in a list: "Rooms 2AB, 3DE and 4FG".

    `inwards` is sorted by position, so only the neighbours can be close.
    """
    inward = inwards[index]
    before = inwards[index - 1] if index > 0 else None
    after = inwards[index + 1] if index + 1 < len(inwards) else None
    if before is not None and inward.start() - before.end() <= _MAX_LIST_GAP:
        return True
    return after is not None and after.start() - inward.end() <= _MAX_LIST_GAP


def _has_half_label(half: re.Match[str]) -> bool:
    before = half.string[max(0, half.start() - 30) : half.start()]
    label = _LABEL_BEFORE_HALF.search(before)
    if label is None:
        return False
    words = [word.lower() for word in label.group().split()]
    # A plural label names rooms or forms as well: "Rooms 2AB".
    singulars = [word.removesuffix("s") for word in words]
    return not _NOT_HALF_LABELS.isdisjoint([*words, *singulars])


def _are_paired_halves(outward: re.Match[str], inward: re.Match[str]) -> bool:
    first, second = sorted((outward.span(), inward.span()))
    gap = second[0] - first[1]
    if not _MIN_HALVES_GAP <= gap <= _MAX_HALVES_APART:
        return False
    return _is_uk_postcode(outward.group(), inward.group())


# Half a postcode tied to a word about postcodes or about where someone
# lives: "my postcode starts LS6", "I live in LS6", "I'm in Leeds 6". The
# district alone narrows a home down to one postcode district. A town
# stays, as in _town_district_postcodes, and so does a number after a word
# that counts something ("I'm in Year 6", "I'm in Set 6").
_POSTCODE_CUE_BEFORE = re.compile(
    r"(?<![\w])(?i:post[ ]?code|postal[ ]code|my[ ](?:area|district))"
    r"(?:[ ](?:is|starts|begins|was))?(?:[ ](?:with|in))?[ ]*[:=-]?[ ]*$"
)
_LIVING_CUE_BEFORE_DISTRICT = re.compile(
    r"(?<![\w])(?i:(?:i|we|they)[ ]live|lives|living|i['\u2019]m|i[ ]am"
    r"|we['\u2019]re|we[ ]are|they['\u2019]re)[ ](?:in|at)[ ]+$"
)
_TOWN_AND_DISTRICT = re.compile(
    r"(?P<town>[A-Z][a-z]+)[ ](?P<district>[0-9]{1,2})(?![\w]|[-:.\u2013][0-9])"
)
_NOT_DISTRICT_TOWNS = _NOT_TOWNS | {"grade", "band", "zone", "tier", "top", "division"}
_CUE_CHARS = 40


def _cued_outward_codes(text: str, runs: Runs) -> Offsets:
    starts = (start - offset for start, _ in runs for offset in (1, 2))
    for match in matches_at(_OUTWARD_HALF, text, starts):
        if not _is_outward_code(match.group()):
            continue
        before = text[max(0, match.start() - _CUE_CHARS) : match.start()]
        if _POSTCODE_CUE_BEFORE.search(before) or _LIVING_CUE_BEFORE_DISTRICT.search(
            before
        ):
            yield match.span()


def _cued_town_districts(text: str, runs: Runs) -> Offsets:
    starts = (start for start, end in runs if end - start <= 2)
    for match in matches_at(_TOWN_AND_DISTRICT, text, _town_starts(text, starts)):
        if match["town"].lower() in _NOT_DISTRICT_TOWNS:
            continue
        before = text[max(0, match.start() - _CUE_CHARS) : match.start()]
        if _LIVING_CUE_BEFORE_DISTRICT.search(before):
            yield match.span("district")


def _town_starts(text: str, digit_starts: Iterable[int]) -> Iterator[int]:
    """Yield where the capitalised word before each digit run starts."""
    for start in digit_starts:
        town = _TOWN_BEFORE.search(text, max(0, start - 30), start)
        if town is not None:
            yield town.start(1)


def _is_outward_code(code: str) -> bool:
    area = code[:2] if code[1].isalpha() else code[:1]
    return area in _UK_AREAS


_POSTCODE_FINDERS = (
    _labelled_postcodes,
    _chunked_postcodes,
    _uk_postcodes,
    _lookalike_postcodes,
    _spaced_postcodes,
    _gapped_postcodes,
    _spoken_postcodes,
    _glued_postcodes,
    _town_district_postcodes,
    _paired_halves,
    _cued_outward_codes,
    _cued_town_districts,
    _eircodes,
    _canadian_postal_codes,
    _four_digit_codes,
    _zip_codes,
    _japanese_postcodes,
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


def nato_letter(word: str) -> str | None:
    """Return the letter a NATO spelling-alphabet word ("Lima") stands for."""
    return _NATO_LETTERS.get(word.lower())


def is_uk_postcode(outward: str, inward: str) -> bool:
    """Check that `outward` and `inward` form a UK postcode with a real area."""
    return _is_uk_postcode(outward, inward)


def _is_uk_postcode(outward: str, inward: str) -> bool:
    area = outward[:2] if outward[1].isalpha() else outward[:1]
    if area.upper() not in _UK_AREAS:
        return False
    return _UK_POSTCODE_PARTS.fullmatch(f"{outward} {inward}") is not None


def _is_spaced_postcode(spaced: str) -> bool:
    compact = "".join(spaced.replace(".", " ").replace("-", " ").split())
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
    mews row hill walk rise view green parade blvd pkwy hwy steet avnue av
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Lower-case types that are also everyday words ("a 10 minute walk", "the
# way") or abbreviations ("av" for audio-visual): the address must also end
# where an address ends (see _ends_address).
_EVERYDAY_TYPES = frozenset(
    """
    court place square way park row hill walk rise view green parade av
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Lower-case types that count after a number in words or a cue with no
# number ("fourteen acacia avenue", "I live on acacia avenue"): whole words
# that are not everyday words, and "ave".
_SPELLED_LOWERCASE_TYPES = frozenset(
    """
    road street avenue ave lane crescent terrace drive grove gardens close mews
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# The most characters searched after a number word for a lower-case street
# type: _STREET allows three name words before it.
_MAX_SPELLED_NAME = 60
# Lower-case words that describe a road rather than name it: "one main road
# in", "two busy lanes". A house number in words before them is prose.
_ROAD_ADJECTIVES = frozenset(
    """
    main busy quiet big small little long short wide narrow new old back side
    country dirt ring slip toll private public same next last first only
    cycle bike fast slow middle inside outside left dead open closed
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
# The same, also across an opening bracket: "the bus (number 36".
_WORD_BEFORE_BRACKET = re.compile(r"([A-Za-z]+)\.?[ \t]*[(\[]?[ \t]*$")
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
# The labels that _ADDRESS accepts right before a flat or house number,
# each with an optional dot and space: "No. 12", "number 12", "Apt.4", "#12".
_DIGIT_LABELS = (
    "no", "number", "house", "door", "#", "flat", "apartment", "apt", "unit", "suite",
    "ste",
)  # fmt: skip
_AFTER_HOUSE_NUMBER = frozenset(
    " \t,-\u2013/" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
# The street after the house number or name, with a direction ("Road
# North", "Ave NW") and a flat or suite after it.
# A word of a street's name. "and" or "or" joins two phrases, never words
# of one name: "221B Baker Street and Dr Watson".
_NAME_WORD = r"(?!(?i:and|or)[ \t])(?:[A-Za-z][\w'\u2019.-]*|[0-9]{1,3}(?:st|nd|rd|th))"
_STREET = rf"""
    (?P<name>(?:{_NAME_WORD}[ \t]+){{0,2}}
        {_NAME_WORD}
        (?:[ \t]+|[ \t]*\r?\n[ \t]*))
    (?P<type>(?i:{"|".join(_STREET_TYPES)}))
    # Kisses typed onto the end: "14 Acacia Avenuex".
    (?:x{{1,3}})?(?![\w])
    (?:[ \t]+(?:{_DIRECTION})(?![\w]))?
    (?:,?[ \t]+{_UNIT}(?![\w]))?
    """
_ADDRESS = re.compile(
    rf"""
    # Digits after a price sign or a decimal point ("1.4701 W") are no
    # house number.
    (?<![\w£$€])(?<![0-9]\.)
    (?:
        (?P<flat>{_UNIT},?[ \t]+(?:{_BUILDING}[ \t]+)?)?
        (?P<number>
            # "no. 14 Station Road", "number 14 on Station Road", "house 14
            # on Station Road", "#14 Station Road". A capitalised "House 3"
            # names a school house.
            (?:(?i:no\.?[ ]?|number[ ])|house[ ]|door[ ]|\#[ ]?){_NUMBER}
            (?:[ \t]+(?i:on|in))?
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


class StreetAddressFilter:
    """Remove street addresses, PO boxes and map locations."""

    kind = "street_address"
    placeholder = "[address removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        spans = _street_address_spans(text)
        spans.extend(Span(start, end, self.kind) for start, end in _word_lines(text))
        spans.extend(_in_links(text, _street_address_spans))
        spans.extend(
            find_encoded(
                text, lambda decoded: bool(_street_address_spans(decoded)), self.kind
            )
        )
        spans.extend(
            Span(start, end, self.kind) for start, end in _spaced_out_addresses(text)
        )
        spans.extend(
            Span(start, end, self.kind) for start, end in _squeezed_addresses(text)
        )
        for finder in (
            _letters_for_digits,
            _words_over_line_breaks,
            _roman_house_numbers,
        ):
            spans.extend(Span(start, end, self.kind) for start, end in finder(text))
        if _has_shouted_words(text):
            spans.extend(_street_address_spans(_shouted_as_title_case(text)))
        return spans


# Words in capitals: "ACACIA AVENUE no 14", "14 ACACIA-AVENUE". The street
# patterns expect a capital and small letters, so the text is searched
# again with each word of capitals in title case and a hyphen between two
# such words as a space. Both keep the text's length, so offsets hold.
# The look-behind starts a match only at the start of a run of capitals.
# Without it the search is quadratic in a long run such as a link token.
_SHOUTED_WORDS = re.compile(r"(?<![A-Z])[A-Z]{3,}[ \-][A-Z]{2,}(?![A-Za-z])")
_SHOUTED_SHAPES = ("AAA AA", "AAA-AA")
_SHOUTED_WORD = re.compile(r"\b[A-Z]{2,}\b")
_HYPHEN_BETWEEN_CAPITALS = re.compile(r"(?<=[A-Za-z])-(?=[A-Z])")


def _has_shouted_words(text: str) -> bool:
    shape = ascii_shape(text)
    if not any(shouted in shape for shouted in _SHOUTED_SHAPES):
        return False
    return _SHOUTED_WORDS.search(text) is not None


def _shouted_as_title_case(text: str) -> str:
    titled = _SHOUTED_WORD.sub(lambda word: word.group().capitalize(), text)
    return _HYPHEN_BETWEEN_CAPITALS.sub(" ", titled)


# An address typed with a space after each character: "1 4 A c a c i a
# A v e n u e", "14 A c a c i a Avenue". Each run of single characters is
# joined, with a space where the case changes, where digits meet letters,
# where two spaces stood, and before a street type that ends the run. Its
# line is then searched again. _SPACED_OUT_GATE starts with a literal, so
# re skips through ordinary text quickly.
_SPACED_OUT_GATE = re.compile(r" [A-Za-z0-9] [A-Za-z0-9] [A-Za-z0-9] ")
_SPACED_OUT_RUN = re.compile(
    r"(?<![^\s])[A-Za-z0-9](?:[ ]{1,2}[A-Za-z0-9]){3,}(?![^\s,.;:!?])"
)
_LONGEST_TYPES_FIRST = sorted({kind.lower() for kind in _STREET_TYPES}, key=len)[::-1]
_TYPE_AT_END = re.compile(rf"(?<=[a-z])(?=(?:{'|'.join(_LONGEST_TYPES_FIRST)})$)")


# A house number and a street with signs or emoji between them, or glued
# together: "14 ... Acacia Avenue", "14 🏠 Acacia Avenue", "fourteen,
# acacia avenue", "14AcaciaAvenue" (zero-width spaces between the words,
# which the normalised view drops).
_TYPE_WORDS = "|".join(_LONGEST_TYPES_FIRST)
_PUNCTUATED_ADDRESS = re.compile(
    rf"(?<![\w£$€.])(?:[0-9]{{1,4}}[A-Za-z]?|{_NUMBER_WORD})"
    r"(?P<gap>[^\w\n]{1,6})"
    r"(?P<name>(?:[A-Za-z][a-z'\u2019-]+[ \t]+){1,3})"
    rf"(?i:{_TYPE_WORDS})(?![\w])"
)
_SIGN_OR_CAPITAL = re.compile(r"[A-Za-z]?[ \t]*(?:[^\w\s]|(?<=[0-9])[A-Z])")
_GLUED_TYPE = re.compile(
    rf"[a-z](?:{'|'.join(kind.title() for kind in _LONGEST_TYPES_FIRST)})(?![a-z])"
)
_GLUED_ADDRESS = re.compile(
    r"(?<![\w£$€.])[0-9]{1,4}(?:[A-Z][a-z'\u2019-]+){1,3}"
    rf"(?:{'|'.join(kind.title() for kind in _LONGEST_TYPES_FIRST)})(?![a-z])"
)


def _squeezed_addresses(text: str) -> Iterator[tuple[int, int]]:
    # Glued words ("14AcaciaAvenue") hide the street type from the lookup.
    if not _STREET_TYPE_LOOKUP.present(text) and not _GLUED_TYPE.search(text):
        return
    numbers = [(start, end) for start, end in fast_digit_runs(text) if end - start <= 4]
    numbers.extend(
        (start, start + len(word))
        for word in NUMBER_WORDS & letter_words(text)
        for start in word_starts(text, word)
    )
    # Only a number with a sign, a comma or a capital right after it can
    # start either pattern, which a slice shows faster than a match try.
    starts = [start for start, end in numbers if _SIGN_OR_CAPITAL.match(text, end)]
    glued_starts = [start for start in starts if text[start].isdigit()]
    for match in matches_at(_PUNCTUATED_ADDRESS, text, starts):
        gap = match["gap"].strip(" \t")
        # Spaces, and a comma after digits, are the main patterns' to judge.
        # A hyphen ("two-way street"), a full stop or a bracket ends a
        # phrase, so only symbols, emoji and an ellipsis count.
        spelled = match.group()[0].isalpha()
        squeezed = _is_symbol_gap(gap) or (gap == "," and spelled)
        # "one, not the road" is prose: a street name has no prose words.
        named = _is_street_name(match["name"].split())
        if squeezed and named and _ends_address(match):
            yield match.span()
    for match in matches_at(_GLUED_ADDRESS, text, glued_starts):
        yield match.span()
    yield from _joined_word_addresses(text)


# A house number and a street whose words are joined without spaces, after
# a space or a hyphen: "14 AcaciaAvenue", "14-Acacia-Avenue", and the slug
# of a property listing, "14-acacia-avenue".
_JOINED_WORDS_ADDRESS = re.compile(
    r"[0-9]{1,4}[A-Za-z]?[ \t-]"
    rf"(?P<name>(?:[A-Z][a-z'\u2019]+-?){{1,3}})"
    rf"(?:{'|'.join(kind.title() for kind in _LONGEST_TYPES_FIRST)})(?![\w-])"
    r"|[0-9]{1,4}[A-Za-z]?-(?P<lower>(?:[a-z'\u2019]+-){1,3})"
    rf"(?:{'|'.join(sorted(_SPELLED_LOWERCASE_TYPES))})(?![\w-])"
)
_CAPITALISED_PART = re.compile(r"[A-Z][a-z'\u2019]*")


def _joined_word_addresses(text: str) -> Iterator[tuple[int, int]]:
    if not _STREET_TYPE_LOOKUP.present(text) and not _GLUED_TYPE.search(text):
        return
    starts = (
        start
        for start, end in fast_digit_runs(text)
        if end - start <= 4
        and text[end : end + 1] in (" ", "\t", "-")
        and follows_non_word(text, start)
        and text[start - 1 : start] not in ("£", "$", "€", ".", "-")
    )
    for match in matches_at(_JOINED_WORDS_ADDRESS, text, starts):
        if _is_joined_street_name(match):
            yield match.span()


def _is_joined_street_name(match: re.Match[str]) -> bool:
    """Check the name words of a _JOINED_WORDS_ADDRESS match.

    "Way" is left out for the idiom "2-Way-Street", and a lower-case name
    must not describe the road ("4-lane-road").
    """
    if match["name"]:
        words = _CAPITALISED_PART.findall(match["name"])
    else:
        words = match["lower"].strip("-").split("-")
        if not _ROAD_ADJECTIVES.isdisjoint(words):
            return False
        if not _LOWER_STREET_TYPES.isdisjoint(words):
            return False
    return _is_street_name(words) and "way" not in map(str.lower, words)


def _is_symbol_gap(gap: str) -> bool:
    """Check for an ellipsis, or symbols and emoji only, between number and street."""
    if gap in ("..", "...", "\u2026"):
        return True
    return gap != "" and all(
        unicodedata.category(char)[0] == "S" or char in "\ufe0f\u200d" for char in gap
    )


def _spaced_out_addresses(text: str) -> Iterator[tuple[int, int]]:
    if not _SPACED_OUT_GATE.search(f" {text} "):
        return
    for run in _SPACED_OUT_RUN.finditer(text):
        line_start = text.rfind("\n", 0, run.start()) + 1
        line_end = _line_end(text, run.end())
        joined, origins = _joined_run(text, run.start(), run.end())
        line = text[line_start : run.start()] + joined + text[run.end() : line_end]
        offsets = [
            *range(line_start, run.start()),
            *origins,
            *range(run.end(), line_end),
        ]
        first, last = (
            len(text[line_start : run.start()]),
            len(offsets) - (line_end - run.end()),
        )
        for span in _street_address_spans(line):
            if span.start < last and first < span.end:
                yield offsets[span.start], offsets[span.end - 1] + 1


def _joined_run(text: str, start: int, end: int) -> tuple[str, list[int]]:
    """Join a run of single characters, and return it with each character's offset."""
    words: list[list[tuple[str, int]]] = [[]]
    gap = False
    for index in range(start, end):
        char = text[index]
        if char == " ":
            gap = gap or text[index - 1] == " "
            continue
        previous = words[-1][-1][0] if words[-1] else ""
        # Digits apart by two spaces still make one number: "1  4".
        digits = previous.isdigit() and char.isdigit()
        if previous and ((gap and not digits) or _starts_word(previous, char)):
            words.append([])
        words[-1].append((char, index))
        gap = False
    joined = ""
    origins: list[int] = []
    for word in filter(None, words):
        letters = "".join(char for char, _ in word)
        cut = _TYPE_AT_END.search(letters.lower())
        pieces = [word] if cut is None else [word[: cut.start()], word[cut.start() :]]
        for piece in pieces:
            if joined:
                joined += " "
                origins.append(piece[0][1] - 1)
            joined += "".join(char for char, _ in piece)
            origins.extend(index for _, index in piece)
    return joined, origins


def _starts_word(previous: str, char: str) -> bool:
    """Check for a new word at a change of case or between digits and letters."""
    if previous.islower() and char.isupper():
        return True
    return previous.isdigit() != char.isdigit()


def _street_address_spans(text: str) -> list[Span]:
    """Find street addresses in `text`, except those typed one word a line."""
    kind = StreetAddressFilter.kind
    matches = chain(_address_matches(text), _spelled_address_matches(text))
    spans = [
        Span(match.start(), match.end(), kind)
        for match in matches
        if _reads_as_address(match)
        and not _follows_counted_word(match)
        and not _is_public_address(match.group())
        and not _is_fictional_address(match)
    ]
    for finder in _OTHER_ADDRESS_FINDERS:
        spans.extend(Span(start, end, kind) for start, end in finder(text))
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
    "number" before it, or a flat before that ("Apartment. 12"). So it
    starts at a run of digits or at one of _DIGIT_LABELS before one.
    """
    if _may_have_house_name(text):
        return _ADDRESS.finditer(text)
    return matches_at(_ADDRESS, text, _address_starts(text))


def _address_starts(text: str) -> Iterator[int]:
    folded = fold_case(text)
    for start, end in fast_digit_runs(text):
        # A flat or house number has one to four digits, and a letter, a
        # range or the street comes next.
        if end - start > 4 or text[end : end + 1] not in _AFTER_HOUSE_NUMBER:
            continue
        yield start
        window = folded[max(0, start - _MAX_DIGIT_OFFSET) : start]
        before = window.removesuffix(" ").removesuffix(".")
        if not before.endswith(_DIGIT_LABELS):
            continue
        for label in _DIGIT_LABELS:
            if before.endswith(label):
                yield start - len(window) + len(before) - len(label)


def _spelled_address_matches(text: str) -> Iterator[re.Match[str]]:
    """Yield the matches of _SPELLED_ADDRESS, tried where a number word starts.

    Such an address is in title case or all in lower case (see
    _reads_as_address). A text without a street type in the matching case
    is skipped, and so is a number word that no such word or hyphen follows.
    """
    title = _has_title_case_street_type(text)
    lower_types = letter_words(text).intersection(_SPELLED_LOWERCASE_TYPES)
    if not (title or lower_types):
        return
    folded = fold_case(text)
    starts = []
    if title:
        for number_word in _NUMBER_WORD_LOOKUP.present(text):
            for start in word_starts(text, number_word):
                after = text[start + len(number_word) : start + len(number_word) + 5]
                if _starts_title(after):
                    starts.append(_with_number_label(folded, start))
    starts.extend(_number_words_before_types(text, lower_types))
    yield from matches_at(_SPELLED_ADDRESS, text, starts)


# A number word before a lower-case word, as a lower-case spelled address
# starts: "fourteen acacia", "twenty-one station", "number six mill".
_LOWERCASE_SPELLED_START = re.compile(
    rf"(?<![\w])(?:(?i:number)[ ])?{_NUMBER_WORD}(?=[ -][a-z])"
)


_NON_LETTERS = re.compile(r"[\W\d_]+")


def _number_words_before_types(text: str, street_types: Iterable[str]) -> list[int]:
    """Return where a number word starts a name before a lower-case street type.

    Only the few characters before each street type are searched, because
    number words are common and lower-case street types are not.
    """
    starts: list[int] = []
    folded = fold_case(text)
    for street_type in street_types:
        for type_start in word_starts(text, street_type):
            window = max(0, type_start - _MAX_SPELLED_NAME)
            # The number word is one to three words before the street type.
            words = _NON_LETTERS.split(folded[window:type_start].rstrip())[-4:-1]
            if NUMBER_WORDS.isdisjoint(words):
                continue
            starts.extend(
                match.start()
                for match in _LOWERCASE_SPELLED_START.finditer(text, window, type_start)
            )
    return starts


def _has_title_case_street_type(text: str) -> bool:
    """Check for a street type written as _STREET_TYPES spells it ("Road")."""
    return any(
        text.startswith(street_type, start)
        for street_type in _STREET_TYPE_LOOKUP.present(text)
        if street_type in text
        for start in word_starts(text, street_type.lower())
    )


def _with_number_label(folded: str, start: int) -> int:
    """Move `start` back over "number " before a number word."""
    label = "number "
    if folded[max(0, start - len(label)) : start] == label:
        return start - len(label)
    return start


def _may_have_house_name(text: str) -> bool:
    """Check for a house type such as "Cottage", which may start an address.

    In a house name the type has a space or tab before it and a comma, space
    or tab after it.
    """
    for house_type in _HOUSE_TYPE_LOOKUP.present(text):
        start = text.find(house_type)
        while start != -1:
            after = text[start + len(house_type) : start + len(house_type) + 1]
            if text[start - 1 : start] in (" ", "\t") and after in (",", " ", "\t"):
                return True
            start = text.find(house_type, start + 1)
    return False


def _starts_title(after: str) -> bool:
    """Check that text after a number word starts a capitalised word or "-".

    "on" or "in" may come first: "number twelve on Acacia Avenue".
    """
    if after[:1] == "-" or (after[:1] == " " and after[1:2].isupper()):
        return True
    return after[:4].lower() in {" on ", " in "} and after[4:5].isupper()


def _reads_as_address(match: re.Match[str]) -> bool:
    if "\n" in match.group("name") and not _ends_wrapped_line(match):
        return False
    if _names_a_thing(match):
        return False
    words = match.group("name").split()
    street_type = match.group("type")
    title_case = _is_capitalised(street_type) and _is_title_case_name(words)
    if match.re is _SPELLED_ADDRESS:
        # "One Way Street sign": a number in words needs more evidence.
        if not _ends_address(match):
            return False
        return title_case or _is_lowercase_spelled_address(match, words, street_type)
    if title_case:
        return True
    if match.groupdict().get("house"):
        return False
    if not _is_lowercase_address(words, street_type) or _follows_determiner(match):
        return False
    return street_type not in _EVERYDAY_TYPES or _ends_address(match)


# Nouns that a street name with a number describes rather than ends: "the
# 36 Park Road bus", "12 Baker Street prints". "by" and a capitalised name
# after it give a title and its author: "84 Charing Cross Road by Helene
# Hanff".
_NOUNS_AFTER_NAMED_THING = frozenset(
    """
    bus buses route routes service tram stop prints print candles candle
    poster posters mugs mug cards card designs design range collection
    edition album song single film movie book novel episode game level
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_BY_AUTHOR = re.compile(r"[ \t]+by[ \t]+[A-Z][a-z]")


def _names_a_thing(match: re.Match[str]) -> bool:
    """Check for a noun or an author after a street with a number, and no home cue."""
    if _follows_home_cue(match.string, match.start()):
        return False
    rest = match.string[match.end() : match.end() + 30]
    next_word = _FIRST_WORD.match(rest.lstrip(" \t"))
    if next_word is not None and next_word.group() in _NOUNS_AFTER_NAMED_THING:
        return True
    return _BY_AUTHOR.match(rest) is not None


def _is_lowercase_spelled_address(
    match: re.Match[str], words: list[str], street_type: str
) -> bool:
    """Accept "fourteen acacia avenue", but not "one main road" or "a two way street".

    Number words are common in prose, so the street type must not be an
    everyday word and the name must not describe the road.
    """
    if street_type not in _SPELLED_LOWERCASE_TYPES:
        return False
    if not _ROAD_ADJECTIVES.isdisjoint(words) or _follows_determiner(match):
        return False
    return _is_lowercase_address(words, street_type)


def _ends_address(match: re.Match[str]) -> bool:
    """Check that no lower-case word other than _WORDS_AFTER_ADDRESS follows."""
    rest = match.string[match.end() : match.end() + 30].lstrip(" \t")
    next_word = _FIRST_WORD.match(rest)
    if next_word is None or not next_word.group().islower():
        return True
    return next_word.group() in _WORDS_AFTER_ADDRESS


# The text allowed after a street type that a wrapped line moved to the
# start of the next line: the line end, a comma before the town, or the
# punctuation that ends a sentence.
_WRAPPED_ADDRESS_END = re.compile(r"[ \t]*(?:,|[.;!?)]+(?=\s|\Z)|\r?\n|\Z)")


def _ends_wrapped_line(match: re.Match[str]) -> bool:
    """Check that a street type on the line after its name ends that line.

    A client that wraps "I live at 12 Acacia Avenue" may move "Avenue" to
    the next line, where it is alone or before a comma. A line that
    goes on in words after it starts a new sentence: "Top 5 Tips" over
    "Row your boat on Sunday", or "1.4701 W." over "Walk 12 km".
    """
    return _WRAPPED_ADDRESS_END.match(match.string, match.end()) is not None


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


# A street name ending in a German, Dutch, Swedish, Norwegian or Danish
# street word, then the house number: "Hauptstraße 5", "Berliner Straße
# 12a", "Prinsengracht 263", "Kungsgatan 12", "Vesterbrogade 3". A
# postcode before the town goes with it: "Hauptstraße 5, 10115 Berlin".
_GERMAN_DUTCH_SUFFIXES = """
    straße strasse str. weg platz allee gasse straat gracht laan plein kade
    singel dijk gatan gata gaten vägen vegen veien vej gade
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
    if not _FRENCH_LOOKUP.present(text):
        return
    starts = (start for start, _ in fast_digit_runs(text))
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
    for start, end in fast_digit_runs(text):
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


# "Acacia Avenue, number 12", "Acacia Avenue #12": the house number after
# the street.
_NUMBER_AFTER_STREET = re.compile(
    rf"(?<![\w])(?:[A-Z][\w'\u2019-]*[ \t]+){{1,3}}(?:{'|'.join(_STREET_TYPES)})"
    r"(?![\w]),?[ \t]+(?:(?i:number|no\.?|house|flat)[ \t]*|\#[ ]?)"
    r"[0-9]{1,4}[A-Za-z]?(?![\w])"
)
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
_CELTIC_WORDS = """
    Heol Ffordd Stryd Lôn Rhodfa Teras Cilgant Sgwâr Sràid Rathad Bóthar Sráid
    """.split()  # noqa: SIM905 - a word list reads better as text


# The words before a house number that _NUMBER_AFTER_STREET accepts.
_NUMBER_LABEL_ENDINGS = ("number", "no", "no.", "house", "flat", "#")
# Words that start a Spanish, Polish or Indian address, as the patterns
# above spell them.
_SPANISH_STARTS = (
    "Calle", "C/", "Avenida", "Avda", "Plaza", "Paseo", "Camino", "Carrer", "Ronda"
)  # fmt: skip
_POLISH_STARTS = ("ul.", "al.", "pl.", "os.")
_INDIAN_STARTS = ("house", "h.", "sector", "phase", "block")

# A pattern runs only when a word it needs occurs in the text.
_NUMBER_WORD_LOOKUP = _WordLookup(NUMBER_WORDS)
_STREET_TYPE_LOOKUP = _WordLookup(_STREET_TYPES)
_HOUSE_TYPE_LOOKUP = _WordLookup(_HOUSE_TYPES)
_HOME_TYPE_LOOKUP = _WordLookup(_HOME_TYPES)
_FRENCH_LOOKUP = _WordLookup(_FRENCH_WORDS)
_CELTIC_LOOKUP = _WordLookup(_CELTIC_WORDS)
_SPANISH_LOOKUP = _WordLookup(_SPANISH_STARTS)
_POLISH_LOOKUP = _WordLookup(_POLISH_STARTS)
_INDIAN_LOOKUP = _WordLookup(_INDIAN_STARTS)


def _other_street_forms(text: str) -> Iterator[tuple[int, int]]:
    """Yield the street forms above, each tried only near the words it needs.

    The patterns tried line by line never match a line break.
    """
    labelled = _labelled_numbers(text)
    yield from (m.span() for m in _line_matches(_NUMBER_AFTER_STREET, text, labelled))
    homes = (
        start
        for home in _HOME_TYPE_LOOKUP.present(text)
        for start in _find_all(text, home + ",")
    )
    yield from (m.span() for m in _line_matches(_HOME_AND_TOWN, text, homes))
    yield from _estates(text)
    if _CELTIC_LOOKUP.present(text):
        starts = (start for start, _ in fast_digit_runs(text))
        yield from (m.span() for m in matches_at(_CELTIC_STREET, text, starts))
    yield from _foreign_streets(text)


def _labelled_numbers(text: str) -> Iterator[int]:
    """Yield the start of each run of one to four digits after a number label."""
    folded = fold_case(text)
    for start, end in fast_digit_runs(text):
        if end - start > 4:
            continue
        before = start
        while before > 0 and text[before - 1] in " \t":
            before -= 1
        if folded[max(0, before - 6) : before].endswith(_NUMBER_LABEL_ENDINGS):
            yield start


def _estates(text: str) -> Iterator[tuple[int, int]]:
    if "estate" not in letter_words(text):
        return
    for match in _line_matches(_ESTATE, text, word_starts(text, "estate")):
        if match.group("before") or match.group("after"):
            yield match.span()


# Italian and Portuguese: "Via Roma 12, 00184 Roma", "Rua Augusta 100,
# 1100-053 Lisboa". The street word and the name must be capitalised,
# because "via" is also an English word.
_ROMANCE_WORDS = """
    Via Viale Piazza Piazzale Corso Vicolo Largo Rua Travessa Praça Alameda
    Estrada
    """.split()  # noqa: SIM905 - a word list reads better as text
_ROMANCE_STREET = re.compile(
    rf"(?<![\w])(?:{'|'.join(_ROMANCE_WORDS)})[ \t]+"
    r"(?:(?:di|del|della|dei|degli|da|do|dos|das|de)[ \t]+)?"
    r"[A-ZÀ-Ý][\w'-]*(?:[ \t]+(?:de[ \t]+)?[A-ZÀ-Ý][\w'-]*){0,2}"
    r",?[ \t]+(?:n\.?[ \t]*)?[0-9]{1,4}[A-Za-z]?(?![\w])"
    r"(?:,?[ \t]+[0-9]{4}(?:[0-9]|-[0-9]{3})(?=[ \t]+[A-ZÀ-Ý]))?"
)
# Hungarian: "Váci utca 12", "Kossuth Lajos tér 3/A".
_HUNGARIAN_WORDS = ["utca", "út", "útja", "tér", "körút", "köz", "fasor", "sétány"]
_HUNGARIAN_STREET = re.compile(
    r"(?<![\w])[A-ZÀ-Ý][\w'-]*(?:[ ][A-ZÀ-Ý][\w'-]*){0,2}"
    rf"[ ](?:{'|'.join(_HUNGARIAN_WORDS)})[ ][0-9]{{1,4}}[a-z]?"
    r"(?:/[A-Za-z0-9]{1,3})?(?![\w])"
)
_ROMANCE_LOOKUP = _WordLookup(_ROMANCE_WORDS)
_HUNGARIAN_LOOKUP = _WordLookup(_HUNGARIAN_WORDS)


def _precedes_quantity(match: re.Match[str]) -> bool:
    rest = match.string[match.end() : match.end() + 30].lstrip(" \t")
    next_word = _FIRST_WORD.match(rest)
    return next_word is not None and next_word.group().lower() in _QUANTITY_WORDS


def _foreign_streets(text: str) -> Iterator[tuple[int, int]]:
    romance = _ROMANCE_LOOKUP.present(text)
    starts = (start for word in romance for start in _find_all(text, word))
    for match in matches_at(_ROMANCE_STREET, text, starts):
        # "Via Zoom 3 times a week" counts, it names no street.
        if not _precedes_quantity(match):
            yield match.span()
    hungarian = _HUNGARIAN_LOOKUP.present(text)
    positions = (start for word in hungarian for start in _find_all(text, word))
    yield from (m.span() for m in _line_matches(_HUNGARIAN_STREET, text, positions))
    spanish = _SPANISH_LOOKUP.present(text)
    starts = (start for word in spanish for start in _find_all(text, word))
    yield from (m.span() for m in matches_at(_SPANISH_STREET, text, starts))
    polish = _POLISH_LOOKUP.present(text)
    starts = (start for word in polish for start in word_starts(text, word))
    yield from (m.span() for m in matches_at(_POLISH_STREET, text, starts))
    yield from _indian_addresses(text)


def _indian_addresses(text: str) -> Iterator[tuple[int, int]]:
    indian = _INDIAN_LOOKUP.present(text)
    starts = (start for word in indian for start in word_starts(text, word))
    for match in matches_at(_INDIAN_ADDRESS, text, starts):
        parts = [
            match.group(name) for name in ("house", "sector", "lone_sector", "pin")
        ]
        if sum(part is not None for part in parts) >= 2:
            yield match.start(), match.end()


# A house number and a street name with no street type, after words that
# state where someone lives or where to go: "I live at 12 Acacia", "come to
# 4 Elm, flat 2". Without such a cue the shape is too common in prose
# ("page 12 of Macbeth", "section 4 Elm trees").
_HOME_CUES = (
    "live at", "lives at", "living at", "lived at", "stay at", "staying at",
    "stays at", "we're at", "we are at", "i'm at", "i am at", "they're at",
    "come to", "come round to", "come over to", "pop round to", "moved to",
    "moving to", "address is", "address:", "house is", "home is", "house is at",
    "home is at", "drop by", "pop by", "come by", "place is", "place is at",
)  # fmt: skip
# Cues that count only with "number" or "no." before the house number,
# because "I'm 14" is an age: "I'm number 14 on Acacia".
_LABELLED_HOME_CUES = ("i'm", "i am", "we're", "we are", "they're", "they are")
# "number" or "no." may come between the cue and the number.
_NUMBER_LABEL_BEFORE = re.compile(r"(?:number|no\.?)[ ]*$")
# The house number is digits or words ("I'm at fourteen Acacia"). After
# "number" or "no.", "on" may come before the name ("number 14 on Acacia").
_CUED_HOUSE = re.compile(
    rf"(?:[0-9]{{1,4}}[A-Za-z]?|{_NUMBER_WORD}),?[ ]+(?P<on>on[ ]+)?"
    r"(?P<name>[A-Z][a-z'\u2019-]+(?:[ ][A-Z][a-z'\u2019-]+)?)(?![\w])"
    rf"(?:,?[ ]+{_UNIT}(?![\w]))?"
)
# Capitalised words that follow a number in a time, a score, a date or a
# count rather than in an address.
_NOT_STREET_NAMES = frozenset(
    """
    am pm noon midnight nil all o'clock years year weeks week days day hours
    hour minutes mins points pts stars sessions lessons people times percent
    spotify google youtube tiktok instagram netflix amazon duolingo kahoot
    roblox fortnite minecraft snapchat twitch
    january february march april may june july august september october
    november december monday tuesday wednesday thursday friday saturday sunday
    jan feb mar apr jun jul aug sep sept oct nov dec
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_LONGEST_CUE = max(map(len, _HOME_CUES)) + len("number ")
# The last character of a cue or of "number" or "no.", in either case.
_LAST_CUE_CHARACTERS = frozenset("tosryTOSRY:.")
_LOWER_STREET_TYPES = frozenset(street_type.lower() for street_type in _STREET_TYPES)
# Chat words that may end a sentence: "I live on Acacia Avenue btw".
_CHAT_ENDINGS = frozenset({"btw", "lol", "too", "tho", "though", "haha", "atm", "rn"})
_WORDS_AFTER_CUED_ADDRESS = (
    _WORDS_AFTER_ADDRESS | _CHAT_ENDINGS | {"with", "now", "since", "so", "but"}
)


def _cued_house_numbers(text: str) -> Iterator[tuple[int, int]]:
    digit_starts = (start for start, end in fast_digit_runs(text) if end - start <= 4)
    starts = (
        start
        for start in chain(digit_starts, _spaced_number_words(text))
        if _follows_home_cue(text, start)
    )
    for match in matches_at(_CUED_HOUSE, text, starts):
        if match["on"] and not _follows_number_label(text, match.start()):
            continue
        names = match["name"].lower().split()
        # A name with a street type is the main pattern's to judge, which
        # leaves public addresses such as "10 Downing Street".
        if names[-1] in _LOWER_STREET_TYPES:
            continue
        if _NOT_STREET_NAMES.isdisjoint(names) and _ends_cued_address(match):
            yield match.span()


# "i live at 14 acacia": after a cue that only a home follows, a house
# number and one lower-case word that is no common word. "I live at 12 now"
# and "I'm at 5 mins away" stay.
_LIVING_CUE_BEFORE = re.compile(
    r"(?:\b(?:live|lives|lived|living|stay|stays|staying)[ ]+(?:at|on)"
    r"|\b(?:address|home|house(?:[ ]+number)?|door[ ]+number)[ ]+is(?:[ ]+at)?)"
    r"[ ]+(?:(?:number|no\.?)[ ]*)?$"
)
_LIVING_CUE_CHARS = 40
_LIVING_CUE_WORDS = frozenset(
    "live lives lived living stay stays staying address home house door".split()  # noqa: SIM905
)
_NOT_LOWER_HOUSE_NAMES = (
    _PROSE_WORDS
    | _NOT_STREET_NAMES
    | frozenset(
        """
        now today tonight currently still already again floors floor storeys
        stories houses doors miles mile stops streets roads with and but so lol
        haha tho though months weekdays weekends weekday weekend mornings
        evenings afternoons nights mondays tuesdays wednesdays thursdays fridays
        saturdays sundays
        """.split()  # noqa: SIM905 - a word list reads better as text
    )
)
# After "number" or "no.", "on" may come before the name: "I live at
# number 14 on acacia".
_LOWER_CUED_HOUSE = re.compile(
    r"[0-9]{1,4}[a-z]?,?[ ]+(?P<on>on[ ]+)?(?P<name>[a-z][a-z'\u2019-]{2,})(?![\w])"
)


def _lower_case_cued_houses(text: str) -> Iterator[tuple[int, int]]:
    if _LIVING_CUE_WORDS.isdisjoint(letter_words(text)):
        return
    folded = fold_case(text)
    for start, end in fast_digit_runs(text):
        if end - start > 4:
            continue
        before = folded[max(0, start - _LIVING_CUE_CHARS) : start]
        if not _LIVING_CUE_BEFORE.search(before):
            continue
        match = _LOWER_CUED_HOUSE.match(text, start)
        if match is None:
            continue
        if match["on"] and not _follows_number_label(text, start):
            continue
        name = match["name"]
        if name in _NOT_LOWER_HOUSE_NAMES or name in NUMBER_WORDS:
            continue
        yield match.span()


# A house number and a street name with no street type, before words that
# invite someone round or call the place a home: "14 Acacia, come round",
# "number 14 on acacia, drop by", "14 Acacia is my house". A name in lower
# case counts only after "number" or "no.", and a number after a word that
# counts things ("page 14 Acacia, come round") stays.
_HOUSE_BEFORE_CUE = re.compile(
    r"[0-9]{1,4}[A-Za-z]?(?P<on>[ ]+on)?[ ]+"
    r"(?P<name>[A-Za-z][a-z'\u2019-]+(?:[ ][A-Z][a-z'\u2019-]+)?)(?![\w])"
    r"[ ]*[,;:!.\u2013\u2014-]*[ ]*(?i:(?:so|and|then|just|pls|please)[ ]+)?"
    r"(?i:(?:come|pop|drop)[ ]+(?:round|over|by|in)"
    r"|is[ ]+(?:my|our)[ ]+(?:house|home|place|flat)"
    r"|is[ ]+where[ ]+(?:i|we)[ ]+live"
    r"|(?:my|our)[ ]+(?:house|home|place|front[ ]+door))(?![\w])"
)
# Each cue after a house has a word from both sets of one of these pairs,
# which are looked up before any house number is tried.
_CUE_AFTER_PAIRS = (
    (frozenset({"come", "pop", "drop"}), frozenset({"round", "over", "by", "in"})),
    (frozenset({"my", "our"}), frozenset({"house", "home", "place", "flat", "door"})),
    (frozenset({"where"}), frozenset({"live"})),
)
_NOT_NAMES_BEFORE_CUE = _NOT_LOWER_HOUSE_NAMES | NUMBER_WORDS | {"sharp", "ish"}
_NOT_BEFORE_CUED_HOUSE = (_COUNTED_WORDS | _NOT_TOWNS) - {"number", "no"}


def _houses_before_cues(text: str) -> Iterator[tuple[int, int]]:
    words = letter_words(text)
    if not any(
        not verbs.isdisjoint(words) and not objects.isdisjoint(words)
        for verbs, objects in _CUE_AFTER_PAIRS
    ):
        return
    starts = (
        start
        for start, end in fast_digit_runs(text)
        if end - start <= 4 and follows_non_word(text, start)
    )
    for match in matches_at(_HOUSE_BEFORE_CUE, text, starts):
        names = match["name"].lower().split()
        if names[-1] in _LOWER_STREET_TYPES or names[0] in _NOT_NAMES_BEFORE_CUE:
            continue
        lower_case = match["name"][0].islower()
        if (match["on"] or lower_case) and not _follows_number_label(
            text, match.start()
        ):
            continue
        before = _WORD_BEFORE.search(text, max(0, match.start() - 20), match.start())
        if before is not None and before.group(1).lower() in _NOT_BEFORE_CUED_HOUSE:
            continue
        yield match.start(), match.end("name")


def _ends_cued_address(match: re.Match[str]) -> bool:
    """Check that a lower-case word after the name is one that may end it.

    "come to 4 Elm trees" names trees, but "I live at 12 Acacia with my
    mum" names a street.
    """
    rest = match.string[match.end() : match.end() + 30].lstrip(" \t")
    next_word = _FIRST_WORD.match(rest)
    if next_word is None or not next_word.group().islower():
        return True
    return next_word.group() in _WORDS_AFTER_CUED_ADDRESS


def _follows_home_cue(text: str, start: int) -> bool:
    before = start
    while before > 0 and text[before - 1] == " ":
        before -= 1
    if text[before - 1 : before] not in _LAST_CUE_CHARACTERS:
        return False
    window = fold_case(text)[max(0, start - _LONGEST_CUE) : start]
    window = window.replace("\u2019", "'").rstrip(" ")
    unlabelled = _NUMBER_LABEL_BEFORE.sub("", window).rstrip(" ")
    cues: tuple[str, ...] = _HOME_CUES
    if unlabelled != window:
        cues += _LABELLED_HOME_CUES
    if not unlabelled.endswith(cues):
        return False
    return any(
        unlabelled.endswith(cue)
        and follows_non_word(unlabelled, len(unlabelled) - len(cue))
        for cue in cues
    )


def _spaced_number_words(text: str) -> Iterator[int]:
    """Yield where a number word starts after a space, as after every cue.

    Only the starts after a space count, which leaves out the many number
    words inside other words ("someone", "often").
    """
    folded = fold_case(text)
    for number_word in _NUMBER_WORD_LOOKUP.present(text):
        for word_start in word_starts(text, number_word.lower()):
            start = word_start - 1
            if start < 0 or text[start] != " ":
                continue
            end = start + 1 + len(number_word)
            if folded[start - 1 : start] in _LAST_CUE_CHARACTERS and _may_name_street(
                text[end : end + 12]
            ):
                yield start + 1


def _may_name_street(after: str) -> bool:
    """Check that a name may follow a number word: "-one", " Elm", ", on Elm"."""
    after = after.lstrip(",")
    if after[:1] == "-":
        return True
    after = after.lstrip(" ")
    return after[:1].isupper() or after.startswith("on ")


def _follows_number_label(text: str, start: int) -> bool:
    """Check that "number" or "no." comes right before `start`."""
    window = fold_case(text)[max(0, start - 10) : start]
    label = _NUMBER_LABEL_BEFORE.search(window)
    return label is not None and follows_non_word(window, label.start())


# An address typed over short lines, with a house number and a street name
# on one line and a postcode or a flat on a line next to it:
# "12 Acacia\nLondon\nLS6 2AB", "Flat 2\n12 Acacia\nLeeds".
# NOTE: an address split between the subject and the body is not found,
# because each text part and the subject are filtered apart.
_HOUSE_LINE = re.compile(
    r"[ \t]*[0-9]{1,4}[A-Za-z]?,?[ \t]+"
    r"(?P<name>[A-Z][a-z'\u2019-]+(?:[ \t]+[A-Z][a-z'\u2019-]+){0,2}),?[ \t]*\r?"
)
_FLAT_LINE = re.compile(rf"[ \t]*{_UNIT},?[ \t]*\r?")
_MAX_SHORT_LINE = 40


def _house_lines(text: str) -> Iterator[tuple[int, int]]:
    for start, end in fast_digit_runs(text):
        if end - start > 4 or text[start - 1 : start] not in ("", "\n", " ", "\t"):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip(" \t"):
            continue
        line_end = _line_end(text, start)
        house = _HOUSE_LINE.fullmatch(text, line_start, line_end)
        if house is None or not _NOT_STREET_NAMES.isdisjoint(
            house["name"].lower().split()
        ):
            continue
        neighbours = _address_lines_around(text, line_start, line_end)
        if neighbours is not None:
            yield line_start, line_end
            yield from neighbours


def _address_lines_around(
    text: str, line_start: int, line_end: int
) -> list[tuple[int, int]] | None:
    """Return the flat lines next to a house line, or None if no line shows an address.

    The line before and the two lines after count, if they are short. A
    postcode or a flat on one of them shows that the house line is an address.
    """
    found = False
    flats = []
    for start, end in _nearby_lines(text, line_start, line_end):
        if end - start > _MAX_SHORT_LINE:
            continue
        if _FLAT_LINE.fullmatch(text, start, end):
            flats.append((start, end))
            found = True
        elif _UK_POSTCODE.search(text, start, end):
            found = True
    return flats if found else None


def _nearby_lines(text: str, line_start: int, line_end: int) -> list[tuple[int, int]]:
    """Return the line before and the two lines after, up to a NUL line.

    filters.text puts a NUL line between the texts it filters at once, and
    a line of another text must not count.
    """
    lines = []
    if line_start > 0:
        before = text.rfind("\n", 0, line_start - 1) + 1
        if "\x00" not in text[before : line_start - 1]:
            lines.append((before, line_start - 1))
    start = line_end
    for _ in range(2):
        if start >= len(text):
            break
        start += 1
        end = _line_end(text, start)
        if "\x00" in text[start:end]:
            break
        lines.append((start, end))
        start = end
    return lines


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end == -1 else end


# Japanese, Chinese and Korean addresses, which run from the largest area
# to the house and end in its number. A Japanese one names a city, ward,
# town or village and ends in block numbers ("東京都千代田区 1-1-1",
# "千代田1丁目1番1号"). A Chinese one ends in a road and a number with 号
# ("北京市朝阳区建国路88号"). A Korean one names a city, province or
# district, then a road and the building number ("종로구 세종대로 209") or a
# neighbourhood and a lot number ("역삼동 123-45").
_HAN = "\u4e00-\u9fff\u3005\u30f6"
_KANA = "\u3041-\u3096\u30a1-\u30fa\u30fc"
_BLOCK_SEPARATOR = "(?:丁目|番地|番|号|の|[-\u2212\u2010\u2011\u30fc])"
_JAPANESE_ADDRESS = re.compile(
    rf"(?:[{_HAN}]{{1,6}}[都道府県])?(?:[{_HAN}]{{1,8}}?[市区町村郡]){{1,3}}"
    rf"[{_HAN}{_KANA}]{{0,10}}[ ]?[0-9]{{1,4}}"
    rf"(?:{_BLOCK_SEPARATOR}[0-9]{{1,4}}){{1,3}}(?:号|番地?)?"
    rf"|(?:[{_HAN}]{{1,8}}?[市区町村郡])[{_HAN}{_KANA}]{{0,10}}[0-9]{{1,4}}(?:丁目|番地|号)"
)
_CHINESE_ADDRESS = re.compile(
    rf"(?:[{_HAN}]{{1,8}}?(?:省|市|区|县|镇|乡)){{0,3}}"
    rf"[{_HAN}]{{1,10}}?(?:路|街|道|巷|弄|胡同)[ ]?[0-9]{{1,5}}[号號]"
    rf"(?:[{_HAN}]{{0,4}}[0-9]{{1,4}}[室楼樓])?"
)
_KOREAN_AREA = r"(?:[가-힣]{1,10}(?:특별시|광역시|특별자치시|시|도|군|구)[ ]+){1,3}"
_KOREAN_ADDRESS = re.compile(
    rf"{_KOREAN_AREA}(?:[가-힣0-9]{{1,12}}(?:로|길)[ ]?[0-9]{{1,5}}(?:-[0-9]{{1,4}})?"
    r"|[가-힣]{1,6}(?:동|리|가)[ ]?[0-9]{1,5}(?:-[0-9]{1,4})?(?:번지)?)"
    r"(?![0-9가-힣])"
)
_EAST_ASIAN_ADDRESSES = (_JAPANESE_ADDRESS, _CHINESE_ADDRESS, _KOREAN_ADDRESS)
# The maximum length of an address before its house number, in characters.
_MAX_EAST_ASIAN_ADDRESS = 40


def _east_asian_addresses(text: str) -> Iterator[tuple[int, int]]:
    """Find Japanese, Chinese and Korean addresses, searched before digit runs."""
    if text.isascii():
        return
    found: set[tuple[int, int]] = set()
    for start, end in fast_digit_runs(text):
        before = text[max(0, start - 2) : start].rstrip(" ")
        if not before or before[-1].isascii() or not before[-1].isalpha():
            continue
        window = max(0, start - _MAX_EAST_ASIAN_ADDRESS)
        for pattern in _EAST_ASIAN_ADDRESSES:
            for match in pattern.finditer(text, window, end + 20):
                if match.start() < start < match.end():
                    found.add(match.span())
    yield from sorted(found)


# The street first and the house number after it: "I live at Acacia
# Avenue 14", "Acacia Av. 14, LS6", "Acacia Avenue 14". The shape also
# names sequels and songs ("Abbey Road 2"). So with no cue in _HOME_CUES
# and no UK outward code after it, the street type must be one of
# _SPLIT_STREET_TYPES and the house number one to three digits. Only
# punctuation, a line end or a word of _PLACE_WORDS may follow it.
_STREET_THEN_NUMBER = re.compile(
    rf"(?P<name>(?:[A-Z][\w'\u2019-]*[ \t]+){{1,3}})"
    rf"(?P<type>{'|'.join(_STREET_TYPES)})(?![\w])\.?"
    r",?[ \t]+(?P<number>[0-9]{1,4}[A-Za-z]?)(?![\w])"
)
_BARE_HOUSE_NUMBER = re.compile(r"[1-9][0-9]{0,2}[A-Za-z]?")
# The end of a bare "Acacia Avenue 14": the end of the text or line, or
# punctuation that no digit follows ("14.5" and "14:30" stay).
_PLACE_WORDS = frozenset({"near", "in", "by", "off", "opposite", "next", "behind"})
_END_AFTER_NUMBER = re.compile(r"[ \t]*(?:$|\r?\n|[,;!?)]|\.(?![0-9]))")
_OUTWARD_AFTER = re.compile(rf",?[ \t]+(?:{_UK_OUTWARD})(?![A-Za-z0-9])")
_STREET_TYPE_SET = frozenset(_STREET_TYPES)
_CAPITALISED_WORD = re.compile(r"(?<![\w'\u2019-])[A-Z]")
# The maximum length of a street name and type searched before a house
# number, in characters.
_MAX_STREET_BEFORE_NUMBER = 60


def _streets_then_numbers(text: str) -> Iterator[tuple[int, int]]:
    for start, end in fast_digit_runs(text):
        if end - start > 4:
            continue
        before = text[max(0, start - 16) : start].rstrip(" \t,.")
        if before[before.rfind(" ") + 1 :] not in _STREET_TYPE_SET:
            continue
        window = max(0, start - _MAX_STREET_BEFORE_NUMBER)
        for word in _CAPITALISED_WORD.finditer(text, window, start):
            match = _STREET_THEN_NUMBER.match(text, word.start())
            if match is None or match.end() < end:
                continue
            if (
                _follows_home_cue(text, match.start())
                or _OUTWARD_AFTER.match(text, match.end())
                or _is_bare_street_number(match)
            ):
                yield match.span()
                break


def _is_bare_street_number(match: re.Match[str]) -> bool:
    """Check an "Acacia Avenue 14" with no cue before it: see _STREET_THEN_NUMBER."""
    if match["type"] not in _SPLIT_STREET_TYPES:
        return False
    if not _BARE_HOUSE_NUMBER.fullmatch(match["number"]):
        return False
    if not _is_street_name(match["name"].split()):
        return False
    text = match.string
    if _END_AFTER_NUMBER.match(text, match.end()):
        return True
    next_word = _FIRST_WORD.match(text[match.end() : match.end() + 30].lstrip(" \t"))
    return next_word is not None and next_word.group() in _PLACE_WORDS


# A house number and a street stated apart in one sentence: "the house
# number is 14 and the road is Acacia Avenue", or the other way round. The
# span runs from the number to the street name, or from the name to the
# number, so the words between go too.
_HOUSE_NUMBER_IS = r"(?i:house|door)[ ]number(?:[ ]is|[ ]was|'s|[ ]?:)[ ]*"
_ROAD_IS = r"(?i:road|street)(?:[ ]name)?(?:[ ]is|[ ]was|'s|[ ]?:)[ ]*"
_NAME = r"[A-Z][\w'\u2019-]*(?:[ ][A-Z][\w'\u2019-]*){0,2}"
_HOUSE_NUMBER = r"[0-9]{1,4}[A-Za-z]?(?![\w])"
_SPLIT_ADDRESS = re.compile(
    rf"{_HOUSE_NUMBER_IS}(?P<number_first>{_HOUSE_NUMBER}[^.!?\n]{{0,40}}?"
    rf"{_ROAD_IS}{_NAME})"
    rf"|{_ROAD_IS}(?P<name_first>{_NAME}[^.!?\n]{{0,40}}?"
    rf"{_HOUSE_NUMBER_IS}{_HOUSE_NUMBER})"
)


def _split_addresses(text: str) -> Iterator[tuple[int, int]]:
    words = letter_words(text)
    if "number" not in words or words.isdisjoint({"road", "street"}):
        return
    starts = (
        start
        for word in ("house", "door", "road", "street")
        for start in word_starts(text, word)
    )
    for match in matches_at(_SPLIT_ADDRESS, text, starts):
        part = "number_first" if match["number_first"] else "name_first"
        yield match.span(part)


# A house number and a street named apart, in one sentence or the next:
# "I'm at number 14. The road is called Acacia Avenue", "Acacia Avenue is
# my road and my door says 14", "street: Acacia Avenue, house: 14". The
# number and the street name are removed, and the words around them stay.
# A ranking keeps its number, so "we are number 14 in the league and the
# street party is on Acacia Avenue" stays as it is.
_HOUSE_LABEL_WORDS = frozenset({"house", "door", "flat", "number", "no"})
_HOUSE_CUE = re.compile(
    r"(?P<label>(?:house|door|flat)(?:[ ](?:number|no\.?))?|number|no\.?)"
    r"(?P<verb>[ ]?[:\-\u2013]|[ ](?:is|was|says|reads)(?:[ ](?:number|no\.?))?"
    r"|['\u2019]s)?"
    rf"[ ]*(?P<number>[1-9][0-9]{{0,3}}[A-Za-z]?|{_NUMBER_WORD})(?![\w])",
    re.IGNORECASE,
)
# Words before a house label that make its number count something else:
# "room number 14", "the number 38 bus", "raffle ticket number 117", "he
# wore number 9".
_NOT_BEFORE_HOUSE_LABEL = (_COUNTED_WORDS | _NOT_TOWNS | _NOT_STREET_NAMES) - {
    "flat",
    "no",
    "number",
} | frozenset(
    """
    phone mobile tel order ticket raffle candidate student card account
    reference ref case jersey shirt kit squad locker pin serial model invoice
    flight train tram item line box size member membership staff id customer
    booking policy registration charity lottery seed wore wear wears wearing
    picked chose drew rolled dialled dialed
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words after a house number that make it count something else: "number 14
# bus", "house is 14 years old".
_NOT_AFTER_HOUSE_NUMBER = _QUANTITY_WORDS | frozenset(
    """
    bus buses tram train route shirt jersey kit fan fans hit hits single song
    songs track tracks spot seed pick choice priority player players ranked
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# "number 14 in the charts", "door 14 of the calendar": a ranking or a
# count, unless a street type follows ("number 14 on the avenue").
_RANKING_AFTER = re.compile(
    r"[ ]+(?i:in|on|at|of|out|for|from|with|among)[ ]+"
    r"(?P<place>[\w'\u2019-]+(?:[ ]+[\w'\u2019-]+)?)"
)
# Street types that name a street in title case with no street cue. The
# other types also end names that are no street ("First Place", "Hyde
# Park", "No Way"), and "St" and "Dr" are also titles, so they count only
# after a cue. Names such as "Memory Lane" still count.
_SPLIT_STREET_TYPES = """
    Road Rd Street Avenue Ave Lane Close Drive Crescent Cres Gardens Gdns
    Terrace Terr Tce Grove Mews Boulevard Blvd Wharf Quay Esplanade Wynd
    Croft Parkway
    """.split()  # noqa: SIM905 - a word list reads better as text
_TITLE_WORD = r"[A-Z][a-z'\u2019-]+"
_NAMED_STREET = re.compile(
    rf"(?<![\w'\u2019-])(?:{_TITLE_WORD}[ ]){{1,3}}"
    rf"(?:{'|'.join(_SPLIT_STREET_TYPES)})(?![\w'\u2019-])"
)
# A street name after a street cue: "the road is called Acacia Avenue",
# "street: Acacia Avenue", "the avenue called Acacia", "the street is
# acacia avenue". A lower-case name must end in a street type.
_STREET_CUE = re.compile(
    rf"(?<![\w])(?i:street|road|avenue|lane|close|drive|crescent|terrace|grove)"
    r"(?:[ ](?i:name))?"
    r"(?i:(?:[ ](?:is|was)|['\u2019]s)(?:[ ](?:called|named))?|[ ](?:called|named)"
    r"|[ ]?[:\-\u2013])[ ]+"
    rf"(?P<name>{_TITLE_WORD}(?:[ ]{_TITLE_WORD}){{0,2}}"
    rf"|(?:[a-z'\u2019-]+[ ]){{1,2}}(?:{'|'.join(sorted(_LOWERCASE_TYPES))}))"
    r"(?![\w])"
)
# The maximum number of characters between a house number's cue and the
# street name, and the most sentence ends between them. A blank line or
# a line break counts as one sentence end.
_MAX_SPLIT_GAP = 120
_MAX_SPLIT_SENTENCE_ENDS = 1
# The same after "I live at" or "my address is", which only a home follows.
_MAX_HOME_SPLIT_GAP = 400
_MAX_HOME_SENTENCE_ENDS = 6
_SENTENCE_ENDS = re.compile(r"(?:[.!?]+(?=\s|$)|\n)(?:[.!?\s]*\n)?")
# The longest street name or street cue looked for, in characters.
_MAX_SPLIT_STREET = 60


def house_and_street_apart(text: str) -> Iterator[tuple[int, int]]:
    """Yield the spans of house numbers and street names given apart in `text`."""
    return _house_and_street_apart(text)


def _house_and_street_apart(text: str) -> Iterator[tuple[int, int]]:
    words = letter_words(text)
    if words.isdisjoint(_HOUSE_LABEL_WORDS):
        return
    starts = list(_house_cue_starts(text, words))
    if not starts or not _STREET_TYPE_LOOKUP.present(text):
        return
    for cue in matches_at(_HOUSE_CUE, text, starts):
        if not _is_house_label(cue) or _is_count_or_ranking(cue):
            continue
        street = _nearest_street(text, cue.start(), cue.end(), _is_home_number(cue))
        if street is not None:
            yield cue.span("number")
            yield street


def _house_cue_starts(text: str, words: frozenset[str]) -> Iterator[int]:
    """Yield where a house label may start, looking only for the words present.

    "no" is common, so it is looked for only in the few characters before
    a digit, which is all that _HOUSE_CUE accepts after "no".
    """
    for word in _HOUSE_LABEL_WORDS.intersection(words) - {"no"}:
        yield from word_starts(text, word)
    if "no" not in words:
        return
    folded = fold_case(text)
    for start, _ in fast_digit_runs(text):
        label = folded.rfind("no", max(0, start - 6), start)
        if (
            label != -1
            and not text[label + 2 : start].strip(" .:-\u2013")
            and follows_non_word(text, label)
        ):
            yield label


def _is_house_label(cue: re.Match[str]) -> bool:
    """Check the label of a house number and the word before it."""
    label = cue["label"].lower()
    verb = cue["verb"] or ""
    # "House 3 won sports day" names a school house.
    if label in ("house", "door") and not verb:
        return False
    if cue["number"][0].isalpha() and not (
        label.endswith(("number", "no.")) or verb.endswith(":")
    ):
        return False
    before = _WORD_BEFORE_BRACKET.search(
        cue.string, max(0, cue.start() - 20), cue.start()
    )
    word_before = before.group(1).lower() if before else ""
    if word_before in _NOT_BEFORE_HOUSE_LABEL:
        return False
    if label in ("number", "no.") and word_before in _DETERMINERS:
        return False
    # "no" without a dot labels a house only in "at no 14" or "is no 14".
    return label != "no" or word_before in ("at", "is", "was")


def _is_count_or_ranking(cue: re.Match[str]) -> bool:
    """Recognise a house number that is a percentage, an age or a ranking."""
    rest = cue.string[cue.end() : cue.end() + 30]
    if rest[:1] == "%" or (rest[:1] in ("-", ":", ".") and rest[1:2].isalnum()):
        return True
    next_word = _FIRST_WORD.match(rest.lstrip(" "))
    if next_word is not None and next_word.group().lower() in _NOT_AFTER_HOUSE_NUMBER:
        return True
    if cue["label"].lower() not in ("number", "no.", "no", "door"):
        return False
    ranking = _RANKING_AFTER.match(rest)
    return ranking is not None and _LOWER_STREET_TYPES.isdisjoint(
        ranking["place"].lower().split()
    )


def _is_home_number(cue: re.Match[str]) -> bool:
    """Check for "I live at" or "my address is" right before a house number."""
    number = cue.start("number")
    before = fold_case(cue.string[max(0, number - _LIVING_CUE_CHARS) : number])
    return _LIVING_CUE_BEFORE.search(before) is not None


def _nearest_street(
    text: str, start: int, end: int, home: bool = False
) -> tuple[int, int] | None:
    """Return the nearest street name within two sentences of `text[start:end]`.

    After "I live at" (`home`), the street may come a few sentences later.
    """
    most_gap = _MAX_HOME_SPLIT_GAP if home else _MAX_SPLIT_GAP
    most_ends = _MAX_HOME_SENTENCE_ENDS if home else _MAX_SPLIT_SENTENCE_ENDS
    low = max(0, start - most_gap - _MAX_SPLIT_STREET)
    high = min(len(text), end + most_gap + _MAX_SPLIT_STREET)
    nearest: tuple[int, int] | None = None
    nearest_gap = most_gap + 1
    for street_start, street_end in _street_names(text, low, high):
        if street_start < end and start < street_end:
            continue
        gap = text[street_end:start] if street_end <= start else text[end:street_start]
        if len(gap) < nearest_gap and _is_short_gap(gap, most_gap, most_ends):
            nearest, nearest_gap = (street_start, street_end), len(gap)
    return nearest


def _is_short_gap(gap: str, most_gap: int, most_ends: int) -> bool:
    # filters.text puts a NUL line between the texts it filters at once.
    if len(gap) > most_gap or "\x00" in gap:
        return False
    return len(_SENTENCE_ENDS.findall(gap)) <= most_ends


def _street_names(text: str, low: int, high: int) -> Iterator[tuple[int, int]]:
    for match in _NAMED_STREET.finditer(text, low, high):
        if _is_street_name(match.group().split()[:-1]):
            yield match.span()
    for match in _STREET_CUE.finditer(text, low, high):
        name = match["name"].split()
        if name[-1].islower():
            name = name[:-1]
        if _is_street_name(name):
            yield match.span("name")


def _is_street_name(words: list[str]) -> bool:
    """Check that no word of a street name is a prose word ("my road").

    "Downing" alone is left out, because "10 Downing Street" is a public
    address that the main pattern keeps.
    """
    folded = {word.lower() for word in words}
    if folded == {"downing"}:
        return False
    return folded.isdisjoint(_PROSE_WORDS) and folded.isdisjoint(_NOT_STREET_NAMES)


# An address typed one word a line, which no pattern above matches across
# the line breaks: "14\nAcacia\nAvenue". Runs of three or more lines of one
# word each are joined with spaces and searched again. A word has no control
# characters, so the NUL line that filters.text puts between texts ends a
# run.
_WORD_LINE = r"[ \t]*[^\s\x00-\x1f\x7f]{1,24}[ \t]*\r?"
_FIRST_WORD_LINES = re.compile(rf"{_WORD_LINE}(?:\n{_WORD_LINE}){{2,}}(?=\n|\Z)")
_LATER_WORD_LINES = re.compile(rf"\n{_FIRST_WORD_LINES.pattern}")
_LINE_WORD = re.compile(r"[^\s]+")


def _word_lines(text: str) -> Iterator[tuple[int, int]]:
    if text.count("\n") < 2:
        return
    first = _FIRST_WORD_LINES.match(text)
    runs = [first.span()] if first is not None else []
    later = _LATER_WORD_LINES.finditer(text, first.end() if first else 0)
    runs.extend((match.start() + 1, match.end()) for match in later)
    for start, end in runs:
        yield from _addresses_in_joined_words(text, start, end)


def _addresses_in_joined_words(
    text: str, start: int, end: int
) -> Iterator[tuple[int, int]]:
    """Yield the addresses in `text[start:end]` read with one space between words.

    Each character of the joined text maps back to its place in `text`, and
    a space to the character before the next word.
    """
    origins: list[int] = []
    words: list[str] = []
    for word in _LINE_WORD.finditer(text, start, end):
        if origins:
            origins.append(word.start() - 1)
        origins.extend(range(word.start(), word.end()))
        words.append(word.group())
    joined = " ".join(words)
    for span in _street_address_spans(joined):
        yield origins[span.start], origins[span.end - 1] + 1


# Addresses from books, films and television, each with words of its
# story. One stays when such a word is on the same line, so a message
# about the story keeps it. Anywhere else it is removed, because a
# participant could live at a 4 on a Privet Drive in any town.
_FICTIONAL_ADDRESSES = {
    "221b baker street": ("sherlock", "holmes", "detective", "watson", "conan doyle"),
    "4 privet drive": ("harry potter", "dursley", "hogwarts", "rowling"),
    "12 grimmauld place": ("harry potter", "sirius", "black", "order of the phoenix"),
    "742 evergreen terrace": ("simpson", "homer", "bart"),
    "62 west wallaby street": ("wallace", "gromit"),
    "32 windsor gardens": ("paddington", "brown"),
    "84 charing cross road": ("hanff", "book", "novel", "letters", "film"),
}


def _is_fictional_address(match: re.Match[str]) -> bool:
    cues = _FICTIONAL_ADDRESSES.get(" ".join(match.group().lower().split()))
    if cues is None:
        return False
    text = match.string
    line_start = text.rfind("\n", 0, match.start()) + 1
    line = fold_case(text)[line_start : _line_end(text, match.end())]
    return any(cue in line for cue in cues)


# "no. 14 acacia": "no." with its dot, a house number and a name of one
# word, or two capitalised words, that ends the sentence, the line or the
# text, or comes before a comma. "No." without a dot is a common word,
# "number 14" more often counts a bus, a shirt or a ranking, and a longer
# tail reads as prose ("Chanel No. 5 is lovely").
_LABELLED_HOUSE = re.compile(
    r"(?<![\w])(?i:no)\.[ \t]?(?P<number>[1-9][0-9]{0,3}[A-Za-z]?),?[ \t]+"
    r"(?P<name>[A-Z][a-z'\u2019-]+[ \t][A-Z][a-z'\u2019-]+|[A-Za-z][a-z'\u2019-]+)"
    r"(?=[ \t]*(?:$|\r?\n|[,;!?]|\.(?![0-9])))"
)


def _labelled_house_names(text: str) -> Iterator[tuple[int, int]]:
    folded = fold_case(text)
    starts = (
        start for start in _find_all(folded, "no.") if follows_non_word(text, start)
    )
    for match in matches_at(_LABELLED_HOUSE, text, starts):
        words = match["name"].lower().split()
        if words[-1] in _LOWER_STREET_TYPES or _is_counted_house_word(words):
            continue
        before = _WORD_BEFORE.search(text, max(0, match.start() - 20), match.start())
        if before is None or before.group(1).lower() not in _NOT_BEFORE_HOUSE_LABEL:
            yield match.span()


def _is_counted_house_word(words: list[str]) -> bool:
    """Recognise a word that makes a number count something: "no. 1 fan"."""
    return not (
        _PROSE_WORDS.isdisjoint(words)
        and _NOT_STREET_NAMES.isdisjoint(words)
        and _NOT_AFTER_HOUSE_NUMBER.isdisjoint(words)
    )


# A street with no house number after words that say where someone lives:
# "I live on Acacia Avenue", "she lives in acacia avenue", "my road is
# called Acacia Avenue". "the shops on Acacia Avenue" has no such words
# and stays, and so does "live in Abbey Road studios", because a lower-case
# word after the street must be one that may end an address. Street types
# that also end district names ("Ladbroke Grove", "Canary Wharf") are left
# out.
_LIVING_CUE = (
    r"(?<![\w])(?i:(?:live|lives|living)[ ](?:on|in|at)"
    r"|(?:my|our)[ ](?:road|street)(?:[ ]is|['\u2019]s)(?:[ ](?:called|named))?"
    r"|(?:i['\u2019]m|i[ ]am|we['\u2019]re|we[ ]are|they['\u2019]re|they[ ]are)[ ]on"
    r"|(?:my|our)[ ](?:house|home|flat)(?:[ ]is|['\u2019]s)[ ](?:on|in))"
    r"[ ]+"
)
_CUED_STREET_TYPES = sorted(
    {*_SPLIT_STREET_TYPES, "Rd", "St", "Ln", "Way"}
    - {"Grove", "Gardens", "Gdns", "Wharf", "Quay", "Esplanade"}
)
_CUED_STREET = re.compile(
    _LIVING_CUE
    + rf"(?P<street>(?P<title>(?:{_TITLE_WORD}[ ]){{1,3}}"
    + rf"(?:{'|'.join(_CUED_STREET_TYPES)}))"
    + r"|(?P<lower>(?:[a-z'\u2019-]+[ ]){1,2}"
    + rf"(?:{'|'.join(sorted(_SPELLED_LOWERCASE_TYPES))})))(?![\w'\u2019-])"
)
_LIVING_WORDS = ("live", "lives", "living")
_PERSON_BEFORE_ON = re.compile(
    r"(?:i['\u2019]m|i am|we['\u2019]re|we are|they['\u2019]re) $"
)
_HOME_WORDS = ("house", "home", "flat")


def _living_cue_starts(text: str) -> Iterator[int]:
    """Yield where "live", "my road", "I'm on" and the like start."""
    words = letter_words(text)
    if not words.isdisjoint(_LIVING_WORDS):
        yield from word_starts(text, "live")
    folded = fold_case(text)
    if "on" in words:
        for start in word_starts(text, "on"):
            person = _PERSON_BEFORE_ON.search(folded, max(0, start - 10), start)
            if person is not None:
                yield person.start()
    for home in _HOME_WORDS:
        if home not in words:
            continue
        for start in word_starts(text, home):
            for owner in ("my ", "our "):
                if folded.startswith(owner, start - len(owner)):
                    yield start - len(owner)
    for street in ("road", "street"):
        if street not in words:
            continue
        for start in word_starts(text, street):
            for owner in ("my ", "our "):
                owner_start = start - len(owner)
                if folded.startswith(owner, owner_start) and follows_non_word(
                    text, owner_start
                ):
                    yield owner_start


def _streets_after_living_cues(text: str) -> Iterator[tuple[int, int]]:
    for match in matches_at(_CUED_STREET, text, _living_cue_starts(text)):
        name = match["street"].split()[:-1]
        if not _is_street_name(name) or not _ends_cued_address(match):
            continue
        if match["lower"] and not _ROAD_ADJECTIVES.isdisjoint(name):
            continue
        yield match.span("street")


# A street with no house number before words that describe one's front
# door: "Acacia Avenue, the one with the blue door", "Mill Lane, the house
# with the red gate". "Park Road, the one with the cinema" stays.
_DOOR_AFTER_STREET = re.compile(
    r"(?:,[ ]+|[ ]+(?=the[ ](?:one|house|place)[ ]))"
    r"(?:the[ ](?:one|house|place)[ ])?(?:with[ ])?(?:the|a)[ ]"
    r"(?:[a-z]+[ ]){0,2}(?:door|gate|porch)(?![\w])"
)
_DOOR_WORDS = ("door", "gate", "porch")
_MAX_DOOR_CLAUSE = 40


def _streets_before_door_words(text: str) -> Iterator[tuple[int, int]]:
    words = letter_words(text)
    for door in _DOOR_WORDS:
        if door not in words:
            continue
        for door_start in word_starts(text, door):
            low = max(0, door_start - _MAX_DOOR_CLAUSE - _MAX_SPLIT_STREET)
            for start, end in _street_names(text, low, door_start):
                if _DOOR_AFTER_STREET.match(text[end : door_start + len(door)]):
                    yield start, end


# An address laid out like an envelope, one part a line, above a UK
# postcode line: "14\nAcacia Avenue\nLeeds\nLS6 2AB". Up to two town lines
# may come between the postcode and a street line ("Acacia Avenue", "14
# Acacia Avenue") or a house line ("14 Acacia"). A number line or a flat
# line above them belongs to the address too. These lines are removed
# together, and the postcode is PostcodeFilter's. With no postcode, a bare
# number line right above a title-case street line still counts ("14\nAcacia
# Avenue"), but a town line after them stays, since a sign-off ("Thanks")
# has the same shape, and so does a numbered list ("2\nMain Road").
_TOWN_WORDS = r"[A-Za-z][A-Za-z'\u2019-]*(?:[ ][A-Za-z][A-Za-z'\u2019-]*){0,2}"
_TOWN_LINE = re.compile(rf"[ \t]*{_TOWN_WORDS},?[ \t]*\r?")
_POSTCODE_LINE = re.compile(
    rf"[ \t]*(?:{_TOWN_WORDS},?[ \t]+)?(?i:{_UK_OUTWARD})[ \u00a0]?(?i:{_UK_INWARD})"
    r"[ \t]*\r?"
)
_STREET_LINE = re.compile(
    rf"[ \t]*(?P<number>{_NUMBER},?[ \t]+)?"
    rf"(?P<name>(?:[A-Za-z][\w'\u2019.-]*[ \t]+){{1,3}})"
    rf"(?P<type>(?i:{'|'.join(_STREET_TYPES)}))\.?(?:[ \t]+(?:{_DIRECTION}))?"
    r",?[ \t]*\r?"
)
_NUMBER_LINE = re.compile(rf"[ \t]*(?:(?i:no\.?|number)[ ]?)?{_NUMBER},?[ \t]*\r?")
# The maximum number of town lines between a street line and a postcode line.
_MAX_TOWN_LINES = 2


def _address_blocks(text: str) -> Iterator[tuple[int, int]]:
    if "\n" not in text:
        return
    searched_to = -1
    for start, _ in fast_digit_runs(text):
        if start <= searched_to:
            continue
        # Postcode and number lines are short, so a digit on a long line
        # is skipped without searching the whole line.
        low = max(0, start - _MAX_SHORT_LINE)
        line_start = text.rfind("\n", low, start) + 1
        if line_start == 0 and low > 0:
            continue
        line_end = text.find("\n", start, start + _MAX_SHORT_LINE)
        if line_end == -1:
            line_end = len(text) if len(text) - start <= _MAX_SHORT_LINE else -1
        if line_end == -1:
            continue
        searched_to = line_end
        if _POSTCODE_LINE.fullmatch(text, line_start, line_end):
            yield from _block_above_postcode(text, line_start)
        elif _NUMBER_LINE.fullmatch(text, line_start, line_end):
            yield from _number_line_and_street(text, line_start, line_end)


def _block_above_postcode(text: str, line_start: int) -> Iterator[tuple[int, int]]:
    """Yield the street, house, number, flat and town lines above a postcode."""
    above = _lines_above(text, line_start, _MAX_TOWN_LINES + 2)
    for index, (start, end) in enumerate(above[: _MAX_TOWN_LINES + 1]):
        street = _STREET_LINE.fullmatch(text, start, end)
        if street is not None and _is_street_line(street):
            has_number = street["number"] is not None
        elif _is_house_line(text, start, end):
            has_number = True
        elif _TOWN_LINE.fullmatch(text, start, end):
            continue
        else:
            return
        yield from above[: index + 1]
        yield from _number_or_flat_line(text, above[index + 1 :], has_number)
        return


def _number_or_flat_line(
    text: str, above: list[tuple[int, int]], has_number: bool
) -> list[tuple[int, int]]:
    """Return the first of `above` if it is a flat line, or a needed number line."""
    if not above:
        return []
    start, end = above[0]
    if _FLAT_LINE.fullmatch(text, start, end):
        return [above[0]]
    if not has_number and _NUMBER_LINE.fullmatch(text, start, end):
        return [above[0]]
    return []


def _number_line_and_street(
    text: str, line_start: int, line_end: int
) -> Iterator[tuple[int, int]]:
    below = _lines_below(text, line_end, 1)
    if not below:
        return
    street = _STREET_LINE.fullmatch(text, *below[0])
    if (
        street is not None
        and street["number"] is None
        and street["type"] in _SPLIT_STREET_TYPES
        and _is_street_line(street)
        and _ROAD_ADJECTIVES.isdisjoint(street["name"].lower().split())
    ):
        yield line_start, line_end
        yield below[0]


def _is_street_line(street: re.Match[str]) -> bool:
    words = street["name"].split()
    if not _is_street_name(words):
        return False
    title_case = _is_capitalised(street["type"]) and _is_title_case_name(words)
    return title_case or _is_lowercase_address(words, street["type"])


def _is_house_line(text: str, start: int, end: int) -> bool:
    house = _HOUSE_LINE.fullmatch(text, start, end)
    return house is not None and _NOT_STREET_NAMES.isdisjoint(
        house["name"].lower().split()
    )


def _lines_above(text: str, line_start: int, count: int) -> list[tuple[int, int]]:
    """Return up to `count` lines of the block above `line_start`, nearest first.

    One blank line may come between two lines of a block, as HTML with a
    line break after each <br> or <div> reads. Two blank lines, or the NUL
    line that filters.text puts between texts, end the block.
    """
    lines: list[tuple[int, int]] = []
    blank = False
    end = line_start - 1
    while end >= 0 and len(lines) < count:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if "\x00" in line or (blank and not line.strip()):
            break
        blank = not line.strip()
        if not blank:
            lines.append((start, end))
        end = start - 1
    return lines


def _lines_below(text: str, line_end: int, count: int) -> list[tuple[int, int]]:
    """Return up to `count` lines of the block below `line_end`, nearest first.

    The block ends as in _lines_above.
    """
    lines: list[tuple[int, int]] = []
    blank = False
    start = line_end + 1
    while start <= len(text) and line_end < len(text) and len(lines) < count:
        end = _line_end(text, start)
        line = text[start:end]
        if "\x00" in line or (blank and not line.strip()):
            break
        blank = not line.strip()
        if not blank:
            lines.append((start, end))
        if end >= len(text):
            break
        start = end + 1
    return lines


# House numbers tied to a street by everyday words, or hidden by typing.


# "the 14th house on Acacia Avenue", "2nd door along Mill Lane": an ordinal
# house on a named street. The ordinal and the street go together, and
# "the 3rd house on the left" stays, because it names no street.
# NOTE: an ordinal in words ("the fourteenth house on Acacia Avenue") is
# not read.
_ORDINAL_HOUSE = re.compile(
    r"[1-9][0-9]{0,2}(?i:st|nd|rd|th)[ ]"
    r"(?i:house|home|door|flat|bungalow|cottage|building)[ ]"
    r"(?i:on|in|along|down|up|of)[ ](?:(?i:the)[ ])?"
    rf"(?P<street>(?P<title>(?:{_TITLE_WORD}[ ]){{1,3}}(?:{'|'.join(_STREET_TYPES)}))"
    r"|(?P<lower>(?:[a-z'\u2019-]+[ ]){1,2}"
    rf"(?:{'|'.join(sorted(_SPELLED_LOWERCASE_TYPES))})))(?![\w'\u2019-])"
)


def _ordinal_houses(text: str) -> Iterator[tuple[int, int]]:
    starts = (
        start
        for start, end in fast_digit_runs(text)
        if end - start <= 3
        and fold_case(text)[end : end + 2] in ("st", "nd", "rd", "th")
        and follows_non_word(text, start)
    )
    for match in matches_at(_ORDINAL_HOUSE, text, starts):
        name = match["street"].split()[:-1]
        if not _is_street_name(name):
            continue
        if match["lower"] and not _is_lowercase_address(
            name, match["street"].split()[-1]
        ):
            continue
        yield match.span()


# "14 Acacia (the avenue one, not the road)": a house number and a name,
# then a bracket or a dash that gives the street type. The number and the
# name go, and the words after them stay.
_HOUSE_THEN_TYPE_ASIDE = re.compile(
    rf"(?P<number>[0-9]{{1,4}}[A-Za-z]?)[ ]"
    rf"(?P<name>{_TITLE_WORD}(?:[ ]{_TITLE_WORD})?)"
    r"(?=[ ]?[(\[\-\u2013\u2014][ ]?(?:(?i:the|an?|it'?s)[ ])?"
    rf"(?i:{'|'.join(_CUED_STREET_TYPES)})(?![\w]))"
)


def _houses_with_type_aside(text: str) -> Iterator[tuple[int, int]]:
    if not _STREET_TYPE_LOOKUP.present(text):
        return
    starts = (
        start
        for start, end in fast_digit_runs(text)
        if end - start <= 4 and follows_non_word(text, start)
    )
    for match in matches_at(_HOUSE_THEN_TYPE_ASIDE, text, starts):
        names = match["name"].lower().split()
        if not _is_street_name(names) or not _NOT_STREET_NAMES.isdisjoint(names):
            continue
        if not _follows_counted_word(match):
            yield match.span()


# A house number glued to the word before it, as HTML elements without a
# space between them deliver it ("x14 Acacia Avenue") or a typed address
# after an e-mail address ("sam@example.net14 Acacia Avenue"). The word
# must end in a lower-case letter, so road numbers ("A64 York Road") stay,
# and be kisses ("x", "xx") or three letters or more, so tokens such as
# "mp3" and "a2b" stay. The street must be in title case.
_GLUED_NUMBER_ADDRESS = re.compile(rf"{_NUMBER},?[ \t]+{_STREET}", re.VERBOSE)
_GLUED_WORD = re.compile(r"([A-Za-z]+)$")


def _houses_glued_to_words(text: str) -> Iterator[tuple[int, int]]:
    if not _STREET_TYPE_LOOKUP.present(text):
        return
    starts = (
        start
        for start, end in fast_digit_runs(text)
        if end - start <= 4 and text[start - 1 : start].islower()
    )
    for match in matches_at(_GLUED_NUMBER_ADDRESS, text, starts):
        word = _GLUED_WORD.search(text, max(0, match.start() - 20), match.start())
        if word is None or not _may_end_glued_word(word.group(1)):
            continue
        words = match["name"].split()
        title_case = _is_capitalised(match["type"]) and _is_title_case_name(words)
        if title_case and _is_street_name(words) and _reads_as_address(match):
            yield match.span()


def _may_end_glued_word(word: str) -> bool:
    folded = word.lower()
    if folded in _NOT_BEFORE_HOUSE_LABEL:
        return False
    return len(folded) >= 3 or folded in ("x", "xx")


# A street type with one letter dropped, doubled, swapped or mistyped:
# "Aveneu", "Steeet", "Cresent". Only the long types are read this way,
# because short ones ("Lane", "Road") are a letter away from common words.
# The first letter must be right, and no letter may be added at the end, so
# plurals and words such as "Squares" stay.
_MISSPELT_BASES = ("avenue", "street", "crescent", "terrace", "gardens", "boulevard")
# Common words one letter away from a base.
_NOT_MISSPELT_TYPES = frozenset({"avenge"})


def _misspellings(word: str) -> set[str]:
    found = set()
    letters = "abcdefghijklmnopqrstuvwxyz"
    for index in range(1, len(word)):
        if index < len(word) - 1:
            found.add(word[:index] + word[index + 1 :])
            found.add(word[:index] + word[index + 1] + word[index] + word[index + 2 :])
        for letter in letters:
            found.add(word[:index] + letter + word[index + 1 :])
            found.add(word[:index] + letter + word[index:])
    return found


_MISSPELT_TYPES = (
    frozenset(chain.from_iterable(map(_misspellings, _MISSPELT_BASES)))
    - _LOWER_STREET_TYPES
    - _NOT_MISSPELT_TYPES
)
_MISSPELT_ADDRESS = re.compile(
    r"(?<![\w£$€])(?<![0-9]\.)(?P<number>[0-9]{1,4}[A-Za-z]?),?[ \t]+"
    r"(?P<name>(?:[A-Za-z][\w'\u2019.-]*[ \t]+){1,3})"
    r"(?P<type>[A-Za-z][a-z]+)(?![\w])"
)


def _misspelt_streets(text: str) -> Iterator[tuple[int, int]]:
    typed = letter_words(text) & _MISSPELT_TYPES
    if not typed:
        return
    starts = [
        start
        for typo in typed
        for type_start in word_starts(text, typo)
        for start, _ in _numbers_before(text, type_start)
    ]
    for match in matches_at(_MISSPELT_ADDRESS, text, starts):
        street_type = match["type"]
        words = match["name"].split()
        if street_type.lower() not in _MISSPELT_TYPES or not _is_street_name(words):
            continue
        title_case = _is_capitalised(street_type) and _is_title_case_name(words)
        lower_case = street_type.islower() and all(
            word.islower() and word not in _PROSE_WORDS for word in words
        )
        if (title_case or lower_case) and not _follows_counted_word(match):
            yield match.span()


def _numbers_before(text: str, end: int) -> list[tuple[int, int]]:
    """Return the runs of one to four digits in the 60 characters before `end`."""
    low = max(0, end - _MAX_STREET_BEFORE_NUMBER)
    return [
        (low + found.start(), low + found.end())
        for found in re.finditer(r"(?<![0-9])[0-9]{1,4}(?![0-9])", text[low:end])
    ]


# A street written with digits for letters ("14 Ac4c1a Av3nue"), or with a
# word broken over two lines ("14 Aca\ncia Ave\nnue"). The text around each
# such digit or break is searched again, with letters for the digits and
# without the breaks, and an address found there counts when it covers one
# of them.
_DIGITS_AS_LETTERS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
# The characters searched on each side of a digit or a break.
_REREAD_WINDOW = 80


def _letters_for_digits(text: str) -> Iterator[tuple[int, int]]:
    """Yield the addresses found with each digit between two letters read as one."""
    edits = {}
    for start, end in fast_digit_runs(text):
        digit = text[start]
        if end - start != 1 or digit not in _DIGITS_AS_LETTERS:
            continue
        before, after = text[start - 1 : start], text[end : end + 1]
        if (
            before.isascii()
            and before.isalpha()
            and after.isascii()
            and after.isalpha()
        ):
            letter = _DIGITS_AS_LETTERS[digit]
            edits[start] = (
                letter.upper() if before.isupper() and after.isupper() else letter
            )
    if not edits:
        return
    yield from _reread(text, edits)
    # A 1 may stand for an l as well as an i: "Hil1 Road".
    ones = {
        index: "l" if edits[index] == "i" else "L"
        for index in edits
        if text[index] == "1"
    }
    if ones:
        yield from _reread(text, {**edits, **ones})


# A house number in Roman numerals: "I live at XIV Acacia Avenue", "no. xiv
# acacia ave". Each numeral of two or more letters, from 2 to 999, in
# address position is read as its digits, and the text around it is
# searched again. A numeral after a capitalised word is part of a name
# ("Henry VIII Road", "King George V Avenue", "Chapter IV"), so it stays
# unless that word is a number label or "At". A numeral in capitals must
# come before a capitalised word. One in lower case counts only after such
# a label or "at", because words such as "di" and "civ" use the same
# letters. Single letters ("I", "Plan D") and the abbreviations CV, CD, DC,
# CC, cm and XL are never read as numbers.
_ROMAN_LIKE_WORDS = frozenset({"cv", "cd", "dc", "cc", "cm", "xl"})
_ROMAN_DIGITS = (
    ("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"),
    ("", "x", "xx", "xxx", "xl", "l", "lx", "lxx", "lxxx", "xc"),
    ("", "c", "cc", "ccc", "cd", "d", "dc", "dcc", "dccc", "cm"),
)


def _roman_numeral(number: int) -> str:
    """Write `number`, below 1000, in lower-case Roman numerals."""
    ones, tens, hundreds = number % 10, number // 10 % 10, number // 100
    units, tens_digits, hundreds_digits = _ROMAN_DIGITS
    return hundreds_digits[hundreds] + tens_digits[tens] + units[ones]


_ROMAN_HOUSE_NUMBERS = {
    numeral: number
    for number in range(2, 1000)
    if len(numeral := _roman_numeral(number)) > 1 and numeral not in _ROMAN_LIKE_WORDS
}
_WORDS_BEFORE_ROMAN_HOUSE = frozenset({"no", "number", "at"})
_ROMAN_NAME_AFTER = re.compile(r",?[ \t]+[A-Z]")
_LOWER_ROMAN_NAME_AFTER = re.compile(r",?[ \t]+[A-Za-z]")


def _roman_house_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Yield the addresses found with each Roman numeral read as its digits."""
    edits: dict[int, str] = {}
    for numeral in letter_words(text) & _ROMAN_HOUSE_NUMBERS.keys():
        for start in word_starts(text, numeral):
            end = start + len(numeral)
            if _is_roman_house_number(text, start, end):
                edits[start] = str(_ROMAN_HOUSE_NUMBERS[numeral])
                edits.update(dict.fromkeys(range(start + 1, end), ""))
    if edits:
        yield from _reread(text, edits)


def _is_roman_house_number(text: str, start: int, end: int) -> bool:
    """Check the case, the word before and the name after a numeral."""
    written = text[start:end]
    name_after = _ROMAN_NAME_AFTER if written.isupper() else _LOWER_ROMAN_NAME_AFTER
    if not (written.isupper() or written.islower()):
        return False
    if not precedes_non_word(text, end) or not name_after.match(text, end):
        return False
    before = _WORD_BEFORE.search(text, max(0, start - 20), start)
    if before is None:
        return written.isupper()
    word = before.group(1)
    if word.lower() in _WORDS_BEFORE_ROMAN_HOUSE:
        return True
    return written.isupper() and word.islower()


def _words_over_line_breaks(text: str) -> Iterator[tuple[int, int]]:
    """Yield the addresses found with each word broken over two lines joined.

    A break counts when a letter comes before it, optionally with a hyphen,
    and a lower-case letter after it, and a street type is the joined word
    or one of the three words after it.
    """
    edits = {}
    newline = text.find("\n")
    while newline != -1:
        end = newline + 1
        start = newline - 1 if text[newline - 1 : newline] == "\r" else newline
        if text[start - 1 : start] == "-":
            start -= 1
        if _breaks_word(text, start, end) and _street_type_follows(text, start, end):
            edits.update(dict.fromkeys(range(start, end), ""))
        newline = text.find("\n", end)
    if edits:
        yield from _reread(text, edits)


def _breaks_word(text: str, start: int, end: int) -> bool:
    """Check for an ASCII letter before `start` and a lower-case one at `end`."""
    before, after = text[start - 1 : start], text[end : end + 1]
    letter_before = before.isascii() and before.isalpha()
    return letter_before and after.isascii() and after.islower()


_ASCII_WORD = re.compile(r"[A-Za-z]+")
_ASCII_WORD_END = re.compile(r"[A-Za-z]*$")


def _street_type_follows(text: str, start: int, end: int) -> bool:
    head = _ASCII_WORD_END.search(text, max(0, start - 20), start)
    after = [word.group() for word in _ASCII_WORD.finditer(text, end, end + 60)][:4]
    if not after:
        return False
    after[0] = (head.group() if head else "") + after[0]
    return any(
        word.lower() in _LOWER_STREET_TYPES or word.lower() in _MISSPELT_TYPES
        for word in after
    )


def _reread(text: str, edits: dict[int, str]) -> Iterator[tuple[int, int]]:
    """Yield the addresses that cover an edit, searched in windows around the edits.

    `edits` maps an index of `text` to the text that replaces that character.
    """
    for low, high in _windows(text, sorted(edits)):
        pieces: list[str] = []
        origins: list[int] = []
        for index in range(low, high):
            replacement = edits.get(index, text[index])
            pieces.append(replacement)
            origins.extend([index] * len(replacement))
        for span in _street_address_spans("".join(pieces)):
            start, end = origins[span.start], origins[span.end - 1] + 1
            if any(start <= index < end for index in edits):
                yield start, end


def _windows(text: str, indices: list[int]) -> list[tuple[int, int]]:
    """Return merged windows of text around `indices`, widened to whitespace."""
    windows: list[tuple[int, int]] = []
    for index in indices:
        low = max(0, index - _REREAD_WINDOW)
        high = min(len(text), index + _REREAD_WINDOW)
        while (
            low > 0 and not text[low - 1].isspace() and index - low < 2 * _REREAD_WINDOW
        ):
            low -= 1
        while (
            high < len(text)
            and not text[high].isspace()
            and high - index < 2 * _REREAD_WINDOW
        ):
            high += 1
        if windows and low <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(high, windows[-1][1]))
        else:
            windows.append((low, high))
    return windows


_OTHER_ADDRESS_FINDERS = (
    _po_boxes,
    _european_streets,
    _other_street_forms,
    _cued_house_numbers,
    _lower_case_cued_houses,
    _houses_before_cues,
    _streets_then_numbers,
    _labelled_house_names,
    _ordinal_houses,
    _houses_with_type_aside,
    _houses_glued_to_words,
    _misspelt_streets,
    _streets_after_living_cues,
    _streets_before_door_words,
    _split_addresses,
    _house_and_street_apart,
    _house_lines,
    _address_blocks,
    _east_asian_addresses,
    find_locations,
)
