"""Find map locations: map and property links, what3words addresses,
plus codes and coordinates.

Each of these pins down a home as well as a street address does, so the
street address filter removes them with the same placeholder. Links to
other sites stay, and so do numbers that only look like coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from filters.prefilter import digit_runs, follows_non_word, matches_at, words

Offsets = Iterator[tuple[int, int]]

# Links to a map service, for a place or a pair of coordinates. Google also
# serves maps under its regional domains ("google.co.uk/maps").
_MAP_LINK = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:"
    r"(?:www\.)?google(?:\.[a-z]{2,3}){1,2}/maps"
    r"|maps\.google(?:\.[a-z]{2,3}){1,2}"
    r"|(?:[\w-]+\.)*goo\.gl/maps|maps\.app\.goo\.gl"
    r"|maps\.apple(?:\.com)?"
    r"|(?:www\.)?openstreetmap\.org|osm\.org"
    r"|(?:www\.)?bing\.com/maps|(?:www\.)?waze\.com"
    r"|(?:www\.)?what3words\.com|w3w\.co"
    r"|(?:www\.)?(?:rightmove|zoopla|onthemarket)\.co\.uk"
    r")(?![\w-])(?:[/?#][^\s<>\"'()\[\]]*)?",
    re.IGNORECASE,
)
# The words _MAP_LINK needs, one of which every map link has.
_MAP_WORDS = frozenset(
    {
        "maps", "openstreetmap", "osm", "waze", "what3words", "w3w", "rightmove",
        "zoopla", "onthemarket",
    }
)  # fmt: skip
_TRAILING_PUNCTUATION = ".,;:!?"

# A what3words address is three words joined by dots. It counts after "///",
# which the service prints before every address, or after the service's
# name: "what3words filled.count.soap", "w3w: ///filled.count.soap".
_W3W_WORD = r"[^\W\d_]{1,24}"
_W3W_ADDRESS = rf"{_W3W_WORD}\.{_W3W_WORD}\.{_W3W_WORD}(?![\w])"
_SLASHED_W3W = re.compile(rf"///{_W3W_ADDRESS}")
_LABELLED_W3W = re.compile(
    r"\b(?:what3words|w3w)(?:[ \t]+(?:address|location))?"
    r"(?:[ \t]*(?:[:=-]|\bis\b))?[ \t]*"
    rf"(?P<address>(?:///)?{_W3W_ADDRESS}"
    # Right after the label, three words with spaces are the address too:
    # "what3words filled count soap".
    rf"|(?-i:[a-z]{{2,24}}[ ][a-z]{{2,24}}[ ][a-z]{{2,24}})(?![\w]))",
    re.IGNORECASE,
)

# An Open Location Code ("plus code"): "9C5WRCW3+MX", or a short code with
# four to six characters before the "+". The alphabet has no vowels.
_PLUS_CODE = re.compile(
    r"(?<![\w+])[23456789CFGHJMPQRVWX]{4,8}\+[23456789CFGHJMPQRVWX]{2,3}(?![\w+])"
)
# Coordinates with labels: "lat 53.8067 long -1.5550".
_LABELLED_COORDINATES = re.compile(
    r"\blat(?:itude)?[ \t]*[:=]?[ \t]*-?[0-9]{1,2}\.[0-9]{2,}°?[ \t]*,?[ \t]*"
    r"(?:long|lng|lon|longitude)[ \t]*[:=]?[ \t]*-?[0-9]{1,3}\.[0-9]{2,}°?",
    re.IGNORECASE,
)
# Coordinates in words: "fifty three point eight north, one point five west".
_NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    "|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty"
    "|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred"
)
_SPOKEN_NUMBER = rf"(?:{_NUMBER_WORDS})(?:[ -](?:and[ ])?(?:{_NUMBER_WORDS}|oh))*"
_SPOKEN_DEGREE = rf"{_SPOKEN_NUMBER}(?:[ ]point[ ]{_SPOKEN_NUMBER})?(?:[ ]degrees?)?"
_HEMISPHERE = re.compile(r"\b(?:north|south)\b", re.IGNORECASE)
# The longest spoken degree searched for before and after a hemisphere.
_MAX_SPOKEN_DEGREE = 80
_SPOKEN_COORDINATES = re.compile(
    rf"\b{_SPOKEN_DEGREE}[ ](?:north|south),?[ ](?:and[ ])?"
    rf"{_SPOKEN_DEGREE}[ ](?:east|west)\b",
    re.IGNORECASE,
)

# Latitude and longitude in decimal degrees, with at least four decimal
# places each (about 10 metres), as map apps copy them: "51.5007, -0.1246",
# "51.5007° N, 0.1246° W". Fewer places are more often prices or scores.
# NOTE: two such numbers in maths ("the roots are 1.4142, -1.4142") are
# removed too, because nothing tells them apart from a position.
_LATITUDE = r"-?[0-9]{1,2}\.[0-9]{4,}"
_LONGITUDE = r"-?[0-9]{1,3}\.[0-9]{4,}"
_DECIMAL_COORDINATES = re.compile(
    rf"(?P<latitude>{_LATITUDE})°?(?:[ ]?[NS])?(?:[ ]*,[ ]*|[ ]+)"
    rf"(?P<longitude>{_LONGITUDE})°?(?:[ ]?[EW])?(?![\w.])"
)
_MIN_DECIMAL_PLACES = 4
# Degrees, minutes and seconds: "51°30'N 0°7'W", or with the prime and
# double prime signs (U+2032, U+2033) or curly quotes for minutes and
# seconds. The normalised view turns a double prime into two primes.
_DMS = (
    r"[0-9]{1,3}°[ ]?(?:[0-9]{1,2}(?:\.[0-9]+)?['\u2032\u2019][ ]?"
    r"(?:[0-9]{1,2}(?:\.[0-9]+)?(?:[\"\u2033\u201d]|''|\u2032\u2032)[ ]?)?)?"
)
_DMS_COORDINATES = re.compile(rf"{_DMS}[NS][ ]*,?[ ]*{_DMS}[EW](?![\w])")


def find_locations(text: str) -> list[tuple[int, int]]:
    """Return the spans of map links, what3words addresses and coordinates."""
    found = words(text)
    spans: list[tuple[int, int]] = []
    if not found.isdisjoint(_MAP_WORDS):
        spans.extend(_map_links(text))
    if "///" in text or not found.isdisjoint({"what3words", "w3w"}):
        spans.extend(_what3words(text))
    spans.extend(_decimal_coordinates(text))
    if "+" in text:
        spans.extend(_plus_codes(text))
    if "lat" in found or "latitude" in found:
        spans.extend(m.span() for m in _LABELLED_COORDINATES.finditer(text))
    if not found.isdisjoint({"north", "south"}):
        spans.extend(_spoken_coordinates(text))
    if "°" in text:
        spans.extend(match.span() for match in _DMS_COORDINATES.finditer(text))
    return spans


def _map_links(text: str) -> Offsets:
    for match in _MAP_LINK.finditer(text):
        link = match.group().rstrip(_TRAILING_PUNCTUATION)
        yield match.start(), match.start() + len(link)


def _plus_codes(text: str) -> Offsets:
    """Find plus codes, tried four to eight characters before each "+"."""
    plus = text.find("+")
    starts: list[int] = []
    while plus != -1:
        starts.extend(range(plus - 8, plus - 3))
        plus = text.find("+", plus + 1)
    for match in matches_at(_PLUS_CODE, text, starts):
        yield match.span()


def _spoken_coordinates(text: str) -> Offsets:
    """Find coordinates in words, searched only near "north" or "south"."""
    found: set[tuple[int, int]] = set()
    for hemisphere in _HEMISPHERE.finditer(text):
        start = max(0, hemisphere.start() - _MAX_SPOKEN_DEGREE)
        end = hemisphere.end() + _MAX_SPOKEN_DEGREE + 10
        for match in _SPOKEN_COORDINATES.finditer(text, start, end):
            found.add(match.span())
    yield from sorted(found)


def _what3words(text: str) -> Offsets:
    for match in _SLASHED_W3W.finditer(text):
        yield match.span()
    for match in _LABELLED_W3W.finditer(text):
        yield match.span("address")


def _decimal_coordinates(text: str) -> Offsets:
    for match in matches_at(_DECIMAL_COORDINATES, text, _latitude_starts(text)):
        if not follows_non_word(text, match.start()) or _follows_dot(text, match):
            continue
        latitude = float(match.group("latitude"))
        longitude = float(match.group("longitude"))
        if abs(latitude) <= 90 and abs(longitude) <= 180:
            yield match.span()


def _latitude_starts(text: str) -> Iterator[int]:
    """Yield where a latitude may start: a short run of digits, a dot, four more.

    A minus sign before the run moves the start one character back.
    """
    runs = digit_runs(text)
    for (start, end), (next_start, next_end) in pairwise(runs):
        if end - start > 2 or next_start != end + 1 or text[end] != ".":
            continue
        if next_end - next_start >= _MIN_DECIMAL_PLACES:
            yield start - 1 if start and text[start - 1] == "-" else start


def _follows_dot(text: str, match: re.Match[str]) -> bool:
    """Recognise the tail of a longer dotted number, such as a version."""
    return match.start() > 0 and text[match.start() - 1] == "."
