"""Find map locations: map and property links, what3words addresses,
plus codes, Ordnance Survey grid references and coordinates.

Each of these pins down a home as well as a street address does, so the
street address filter removes them with the same placeholder. Links to
other sites stay, and so do numbers that only look like coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from filters.prefilter import (
    fast_digit_runs,
    follows_non_word,
    has_word,
    letter_words,
    matches_at,
    precedes_non_word,
    word_starts,
)

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
# The words _MAP_LINK needs, one of which every map link has, besides
# "what3words" and "w3w", which have digits.
_MAP_WORDS = frozenset(
    {
        "maps", "openstreetmap", "osm", "waze", "rightmove", "zoopla", "onthemarket",
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

# A what3words address with spaces, after words that mark it as a home's:
# "the three words for my house are filled count soap". "The three words
# that describe me are kind brave funny" names no home, so it stays.
_CUED_SPACED_W3W = re.compile(
    r"\b(?:three|3)[ ]words[ ](?:for|of|to)[ ](?:my|our|the|his|her|their)[ ]"
    r"(?:house|home|flat|address|place|location|front[ ]door|door)"
    r"(?:[ ](?:are|is)[ ]*:?|[ ]?:)[ ]*"
    r"(?P<address>[a-z]{2,24}[ ][a-z]{2,24}[ ][a-z]{2,24})(?![\w])",
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
# The longest spoken degree searched for before and after a hemisphere.
_MAX_SPOKEN_DEGREE = 80
_SPOKEN_COORDINATES = re.compile(
    rf"\b{_SPOKEN_DEGREE}[ ](?:north|south),?[ ](?:and[ ])?"
    rf"{_SPOKEN_DEGREE}[ ](?:east|west)\b",
    re.IGNORECASE,
)

# Latitude and longitude in decimal degrees, as map apps copy them:
# "51.5007, -0.1246", "51.5007° N, 0.1246° W", "53.8175 -1.576". One number
# needs four decimal places (about 10 metres) and the other three (about
# 100 metres), because fewer places are more often prices or scores. The
# longitude may come first ("-1.576, 53.8175"), as some tools write it.
# NOTE: two such numbers in maths ("the roots are 1.4142, -1.4142") are
# removed too, because nothing tells them apart from a position.
_DEGREES = r"-?[0-9]{1,3}\.[0-9]{3,}"
_DECIMAL_COORDINATES = re.compile(
    rf"(?P<latitude>{_DEGREES})°?(?:[ ]?[NS])?(?:[ ]*,[ ]*|[ ]+)"
    rf"(?P<longitude>{_DEGREES})°?(?:[ ]?[EW])?(?![\w]|\.[0-9])"
)
# Decimal places that each number needs, and that one of the two needs.
_MIN_DECIMAL_PLACES = 3
_MIN_BEST_DECIMAL_PLACES = 4
# Degrees, minutes and seconds: "51°30'N 0°7'W", or with the prime and
# double prime signs (U+2032, U+2033) or curly quotes for minutes and
# seconds. The normalised view turns a double prime into two primes.
_DMS = (
    r"[0-9]{1,3}°[ ]?(?:[0-9]{1,2}(?:\.[0-9]+)?['\u2032\u2019][ ]?"
    r"(?:[0-9]{1,2}(?:\.[0-9]+)?(?:[\"\u2033\u201d]|''|\u2032\u2032)[ ]?)?)?"
)
_DMS_COORDINATES = re.compile(rf"{_DMS}[NS][ ]*,?[ ]*{_DMS}[EW](?![\w])")

# A what3words address without "///" or a label: three lower-case words of
# four or more letters joined by dots, "filled.count.soap". Shorter words
# are left out because file names and domains end in short extensions
# ("file.tar.gz", "www.example.com"), and so are the longer extensions and
# domain endings below. A dot, slash, "@" or "(" next to the triple marks
# a path, an address or code, so it stays too.
# NOTE: a dotted name in code with three such words ("email.policy.default")
# is still removed, because nothing distinguishes it from an address.
_DOTTED_W3W = re.compile(
    r"(?<![\w.@/\\:#~-])(?P<words>[a-z]{4,24}\.[a-z]{4,24}\.[a-z]{4,24})"
    r"(?![\w@/\\(]|\.[\w])"
)
# A pattern that starts with a literal lets `re` skip ahead to each dot.
_DOT_BEFORE_LETTER = re.compile(r"\.(?=[a-z])")
_NOT_W3W_WORDS = frozenset(
    """
    html json yaml toml conf lock temp orig back save test spec mock java
    info name mobi shop site blog club online store tech jpeg tiff webp xlsx
    docx pptx woff local
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# An Ordnance Survey grid reference: a 100 km square of Great Britain and
# an easting and northing of equal length, joined ("SU1234567890") or
# apart ("SU 12345 67890"). Two or four digits ("TQ3080", "TQ 30 80") name
# a square of a kilometre or more and look like product codes, so they
# count only after a word in _GRID_CUES.
_OS_SQUARES = """
    HP HT HU HW HX HY HZ NA NB NC ND NF NG NH NJ NK NL NM NN NO NR NS NT NU NW
    NX NY NZ OV SC SD SE SH SJ SK SM SN SO SP SR SS ST SU SV SW SX SY SZ TA TF
    TG TL TM TQ TR TV
    """.split()  # noqa: SIM905 - a word list reads better as text
_GRID_REFERENCE = re.compile(
    rf"(?:{'|'.join(_OS_SQUARES)})"
    r"(?:[ ]?(?P<east>[0-9]{2,5})[ ](?P<north>[0-9]{2,5})|(?P<joined>[0-9]{4,10}))"
    r"(?![\w]|[ ]?[-/]?[ ]?[0-9])"
)
_GRID_CUES = frozenset({"grid", "ref", "reference", "os", "at", "near"})
# A code after one of these words is a serial, order or registration
# number. Scottish companies and charities are numbered "SC" and six
# digits, and "SC" is also a grid square.
_NOT_GRID_CUES = frozenset(
    """
    number no serial model part order product invoice code company charity
    registration registered reg vat licence license
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_MIN_UNCUED_GRID_DIGITS = 6
# The word before a code, skipping an "is" or "was" after it, so that
# "our company no. is SC123456" reads the label "no".
_GRID_WORD_BEFORE = re.compile(r"([A-Za-z]+)[.:]*(?:[ ]+(?:is|was)[ ]*:?)?[ ]*$")


def find_locations(text: str) -> list[tuple[int, int]]:
    """Return the spans of map links, what3words addresses and coordinates."""
    spans: list[tuple[int, int]] = []
    found = letter_words(text)
    if not found.isdisjoint(_MAP_WORDS) or _has_what3words(text):
        spans.extend(_map_links(text))
    spans.extend(_what3words(text))
    spans.extend(_decimal_coordinates(text))
    if "+" in text:
        spans.extend(_plus_codes(text))
    if not found.isdisjoint({"lat", "latitude"}):
        spans.extend(_labelled_coordinates(text))
    if not found.isdisjoint({"north", "south"}):
        spans.extend(_spoken_coordinates(text))
    if "°" in text:
        spans.extend(match.span() for match in _DMS_COORDINATES.finditer(text))
    spans.extend(_dotted_what3words(text))
    spans.extend(_grid_references(text))
    return spans


def _dotted_what3words(text: str) -> Offsets:
    """Find what3words triples, tried only where a dot joins two letters."""
    starts = []
    previous_dot, token_start = -1, 0
    for dot in _DOT_BEFORE_LETTER.finditer(text):
        if text[dot.start() - 1 : dot.start()].islower():
            token_start = _start_of_token(text, dot.start(), previous_dot, token_start)
            previous_dot = dot.start()
            starts.append(token_start)
    for match in matches_at(_DOTTED_W3W, text, starts):
        if _NOT_W3W_WORDS.isdisjoint(match["words"].split(".")):
            yield match.span()


def _start_of_token(
    text: str, index: int, previous_dot: int, previous_start: int
) -> int:
    """Return where the run of letters and dots around `index` starts.

    The walk back stops at `previous_dot`, whose run starts at
    `previous_start`, so that a long run of dotted words is walked once
    instead of once per dot.
    """
    start = index
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
        if start == previous_dot:
            return previous_start
    return start


def _grid_references(text: str) -> Offsets:
    """Find grid references, tried two or three characters before a digit run."""
    starts = (
        start - offset
        for start, _ in fast_digit_runs(text)
        for offset in (2, 3)
        if text[start - offset : start - offset + 1] in ("H", "N", "O", "S", "T")
    )
    for match in matches_at(_GRID_REFERENCE, text, starts):
        if follows_non_word(text, match.start()) and _is_grid_reference(match):
            yield match.span()


def _is_grid_reference(match: re.Match[str]) -> bool:
    joined = match["joined"]
    if joined is not None:
        digits = len(joined)
        if digits % 2:
            return False
    else:
        if len(match["east"]) != len(match["north"]):
            return False
        digits = 2 * len(match["east"])
    word_before = _grid_word_before(match)
    if word_before in _NOT_GRID_CUES:
        return False
    if digits == _MIN_UNCUED_GRID_DIGITS and _is_route_point(match):
        return False
    return digits >= _MIN_UNCUED_GRID_DIGITS or word_before in _GRID_CUES


# Words of expedition and walk planning. Six figures name a 100 metre
# square, so in a route ("the route starts at SD 897 633, camp at SD 912
# 658") they mark a checkpoint or a campsite. The same figures next to a
# word of home ("I live at", "my house") are removed, and so are eight or
# ten figures, which name a square of 10 metres or less.
_ROUTE_WORDS = frozenset(
    """
    route routes dofe expedition expeditions camp camps campsite checkpoint
    checkpoints summit trig hike hiking leg legs
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_HOME_WORDS = frozenset(
    """
    live lives living home house flat address postcode stay staying place mine
    door
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _is_route_point(match: re.Match[str]) -> bool:
    """Check for a route word and no home word in the sentence of `match`."""
    text = match.string
    start = max(text.rfind(".", 0, match.start()), text.rfind("\n", 0, match.start()))
    end_candidates = [
        index
        for index in (text.find(". ", match.end()), text.find("\n", match.end()))
        if index != -1
    ]
    end = min(end_candidates, default=len(text))
    words = frozenset(text[start + 1 : end].lower().split())
    words = frozenset(word.strip(",;:()!?'\"") for word in words)
    return not words.isdisjoint(_ROUTE_WORDS) and words.isdisjoint(_HOME_WORDS)


def _grid_word_before(match: re.Match[str]) -> str:
    text = match.string
    before = _GRID_WORD_BEFORE.search(text, max(0, match.start() - 20), match.start())
    return "" if before is None else before.group(1).lower()


def _has_what3words(text: str) -> bool:
    return has_word(text, "what3words") or has_word(text, "w3w")


def _labelled_coordinates(text: str) -> Offsets:
    if not (has_word(text, "lat") or has_word(text, "latitude")):
        return
    labels = word_starts(text, "lat")
    for match in matches_at(_LABELLED_COORDINATES, text, labels):
        yield match.span()


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
    for hemisphere in sorted(_hemispheres(text)):
        start = max(0, hemisphere - _MAX_SPOKEN_DEGREE)
        end = hemisphere + len("north") + _MAX_SPOKEN_DEGREE + 10
        for match in _SPOKEN_COORDINATES.finditer(text, start, end):
            found.add(match.span())
    yield from sorted(found)


def _hemispheres(text: str) -> Iterator[int]:
    """Yield where "north" or "south" occurs as a whole word, in any case."""
    for word in ("north", "south"):
        for start in word_starts(text, word):
            if precedes_non_word(text, start + len(word)):
                yield start


def _what3words(text: str) -> Offsets:
    if "///" in text:
        yield from (match.span() for match in _SLASHED_W3W.finditer(text))
    labels = (
        start for word in ("what3words", "w3w") for start in word_starts(text, word)
    )
    for match in matches_at(_LABELLED_W3W, text, labels):
        yield match.span("address")
    if "words" not in letter_words(text):
        return
    for match in matches_at(_CUED_SPACED_W3W, text, _three_words_starts(text)):
        yield match.span("address")


def _three_words_starts(text: str) -> Iterator[int]:
    """Yield where "three words" or "3 words" starts, found from "words"."""
    for start in word_starts(text, "words"):
        if text[max(0, start - 6) : start].lower() == "three ":
            yield start - 6
        elif text[max(0, start - 2) : start] == "3 ":
            yield start - 2


def _decimal_coordinates(text: str) -> Offsets:
    for match in matches_at(_DECIMAL_COORDINATES, text, _latitude_starts(text)):
        if not follows_non_word(text, match.start()) or _follows_dot(text, match):
            continue
        if _are_coordinates(match["latitude"], match["longitude"]):
            yield match.span()


def _are_coordinates(first: str, second: str) -> bool:
    """Check two decimals for a latitude and a longitude, in either order."""
    places = max(len(number.partition(".")[2]) for number in (first, second))
    if places < _MIN_BEST_DECIMAL_PLACES:
        return False
    first_degrees, second_degrees = abs(float(first)), abs(float(second))
    if first_degrees <= 90 and second_degrees <= 180:
        return True
    return first_degrees <= 180 and second_degrees <= 90


def _latitude_starts(text: str) -> Iterator[int]:
    """Yield where a coordinate may start: a short run of digits, a dot, three more.

    A minus sign before the run moves the start one character back.
    """
    runs = fast_digit_runs(text)
    for (start, end), (next_start, next_end) in pairwise(runs):
        if end - start > 3 or next_start != end + 1 or text[end] != ".":
            continue
        if next_end - next_start >= _MIN_DECIMAL_PLACES:
            yield start - 1 if start and text[start - 1] == "-" else start


def _follows_dot(text: str, match: re.Match[str]) -> bool:
    """Recognise the tail of a longer dotted number, such as a version."""
    return match.start() > 0 and text[match.start() - 1] == "."
