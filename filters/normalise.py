"""A normalised view of a text for the text filters, mapped back to the text.

Senders hide contact details from pattern matching with characters that
look like the plain ones or show nothing at all. Examples are a zero-width
space or a soft hyphen inside a phone number, fullwidth or mathematical
bold digits, a fullwidth at sign, Arabic-Indic digits, and a thin space or
a tab between digit groups. Others write Cyrillic or Greek letters that
look like Latin ones ("s\u0430m@ex\u0430mple.net" with U+0430), or an "@"
as "&#64;" or "%40". Combining marks go on digits ("0\u0303") and letters,
and keycap emoji ("0\ufe0f\u20e3") write digits. The filters match a view of
the text in which these are plain ASCII, and each span they find is mapped
back to the original text, where the replacement happens. A span takes the
invisible characters right after it along, such as the keycap of its last
digit. Everything else outside a removed span, such as the zero-width joiners
inside emoji sequences, is delivered as sent.

Bidirectional control characters are the exception: they are removed from
the delivered text entirely, because an override can make a number that is
written backwards display as a real one. The filters also read each
right-to-left run in the order a reader sees it (see `display_order`), so
such a number is removed as well.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from filters.base import Span
from filters.prefilter import short_line_runs

# Embeddings, overrides and isolates (U+202A-202E, U+2066-2069). The marks
# U+200E and U+200F only set the direction of neutral characters next to
# them, so they cannot reverse a run of digits and are kept.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_MAX_CACHED_CHARACTERS = 10_000
# Cyrillic and Greek letters, and a few Latin ones outside ASCII, that look
# like an ASCII letter in common fonts. Only the shapes that are near
# identical are listed, so that Russian or Greek prose stays mostly
# unreadable to the filters rather than turned into English words.
_LOOKALIKES = {
    # Cyrillic lower case
    "\u0430": "a", "\u0441": "c", "\u0501": "d", "\u0435": "e", "\u04bb": "h",
    "\u0456": "i", "\u0458": "j", "\u04cf": "l", "\u043e": "o", "\u0440": "p",
    "\u051b": "q", "\u0455": "s", "\u051d": "w", "\u0445": "x", "\u0443": "y",
    # Cyrillic capitals
    "\u0410": "A", "\u0412": "B", "\u0421": "C", "\u0415": "E", "\u041d": "H",
    "\u0406": "I", "\u0408": "J", "\u041a": "K", "\u041c": "M", "\u041e": "O",
    "\u0420": "P", "\u0405": "S", "\u0422": "T", "\u0425": "X", "\u04ae": "Y",
    # Greek lower case
    "\u03b1": "a", "\u03b9": "i", "\u03ba": "k", "\u03bd": "v", "\u03bf": "o",
    "\u03c1": "p", "\u03c5": "u", "\u03c7": "x",
    # Greek capitals
    "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0396": "Z", "\u0397": "H",
    "\u0399": "I", "\u039a": "K", "\u039c": "M", "\u039d": "N", "\u039f": "O",
    "\u03a1": "P", "\u03a4": "T", "\u03a5": "Y", "\u03a7": "X",
    # Cyrillic palochka, a capital that looks like I
    "\u04c0": "I",
    # Latin letters outside ASCII that NFKC keeps
    "\u0251": "a", "\u0261": "g", "\u026a": "i", "\u0131": "i",
    # Cyrillic Ze, which looks like the digit 3
    "\u0417": "3", "\u0437": "3",
    # Ideographic and halfwidth ideographic full stops, read as a dot
    "\u3002": ".", "\uff61": ".",
}  # fmt: skip
# Cyrillic small be looks like the digit 6 ("LS\u0431 2AB" for LS6 2AB), but
# it is a common letter in Russian and Ukrainian, so it reads as 6 only next
# to an ASCII letter or digit (see _with_contextual_folds).
_CONTEXTUAL_DIGITS = {"\u0431": "6"}
# Characters that look like the digit 0: O with stroke, theta, the empty
# set, circles and the negative squared O emoji ("\u00d87700 900123",
# "\u2b5577\u2b55\u2b55 9\u2b55\u2b55123"). Each is a letter or a symbol
# in ordinary text ("\u00d8resund", Greek words, "\u2b55" in chat), so one
# reads as 0 only inside a run of such characters and digits that has a
# real digit in it.
_ZERO_LOOKALIKES = frozenset(
    "\u00d8\u00f8\u0398\u03b8\u03f4\u2205\u25cb\u25ef\u2b55\u3007\U0001f17e"
)


def _letter_lookalikes() -> dict[str, str]:
    """Map small capitals and negative squared and circled letters to capitals.

    NFKC leaves these as they are, unlike the circled and squared letters
    that it folds ("\u24b6" to "A").
    """
    table = {}
    for offset, letter in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        table[chr(0x1F170 + offset)] = letter
        table[chr(0x1F150 + offset)] = letter
        try:
            table[unicodedata.lookup(f"LATIN LETTER SMALL CAPITAL {letter}")] = letter
        except KeyError:
            continue
    # Small capital I is in _LOOKALIKES already, so it reads as "i" anywhere.
    del table["\u026a"]
    return table


# Small capitals, and the negative squared and circled letter emoji, read
# as capitals only in a run of letters and digits that contains an ASCII
# letter or a digit. So "\u029fs6 2\u1d00\u0299" and
# "LS6 2\U0001f170\U0001f171" are LS6 2AB, while a word written in small
# capitals for style, or an emoji alone, stays.
# NOTE: for the same reason, a street name written wholly in small capitals
# after a space and a house number is not read as a street.
_CONTEXTUAL_LETTERS = _letter_lookalikes()
_CONTEXTUAL_CHARACTERS = (
    _ZERO_LOOKALIKES | _CONTEXTUAL_DIGITS.keys() | _CONTEXTUAL_LETTERS.keys()
)
_CONTEXTUAL_CLASS = "".join(sorted(_CONTEXTUAL_CHARACTERS))
_CONTEXTUAL_CHARACTER = re.compile(f"[{_CONTEXTUAL_CLASS}]")
# A run of ASCII letters, digits and the characters above, in the view.
_CONTEXTUAL_RUN = re.compile(f"[0-9A-Za-z{_CONTEXTUAL_CLASS}]+")
# An "@" written as an HTML character reference or a URL escape. Mail
# clients show "&#64;" as typed in a text/plain part, and a reader decodes
# it at a glance.
_ENCODED_AT = re.compile(r"&#0*64;|&#[xX]0*40;|&commat;|%40")
_ENCODED_AT_MARKERS = ("&#", "&commat;", "%40")
# Symbols that stand for "@" when written alone between a name and a domain:
# circled and squared letter A, the e-mail emoji and the cyclone emoji,
# whose spiral looks like "@". Inside a word a circled letter is only a
# letter ("\u24e2\u24d0\u24dc" spells "sam"), so only a symbol with
# whitespace or a bracket on each side becomes "@".
_AT_SYMBOLS = "\u24d0\u24b6\U0001f170\U0001f150\U0001f4e7\U0001f300"
_STANDALONE_AT_SYMBOL = re.compile(
    rf"(?<![^\s(\[])[{_AT_SYMBOLS}](?=\ufe0f?(?:[\s)\]]|\Z))"
)


# Characters that show as blank space but are letters or symbols to
# Unicode rather than spaces: the Braille blank and the Hangul fillers.
# Senders put them between digits and words in place of a space.
_BLANK_LOOKALIKES = frozenset("\u2800\u115f\u1160\u3164\uffa0")
# Blocks of arrows, dingbats and pictographs. A symbol from one of them
# reads as a space, so that "0\u27647\u27647..." and "s\U0001f642a\U0001f642m..."
# read as characters apart, like "0 7 7" and "s a m". Symbols that a filter
# reads for what they are stay: the zero and letter look-alikes, the "@"
# symbols, the ghost and camera emoji that mark a handle, and the enclosed
# letters and regional indicators. The degree sign is in none of the blocks.
_PICTOGRAPH_BLOCKS = (
    (0x2190, 0x21FF),
    (0x2300, 0x23FF),
    (0x25A0, 0x27BF),
    (0x27F0, 0x27FF),
    (0x2900, 0x297F),
    (0x2B00, 0x2BFF),
    (0x1F000, 0x1F0FF),
    (0x1F200, 0x1FAFF),
)
_PICTOGRAPH_CATEGORIES = frozenset(("So", "Sm"))
_MARKER_SYMBOLS = frozenset("\U0001f47b\U0001f4f8")
# Middle dots and bullets. Between single characters ("0\u00b77\u00b77",
# "s \u00b7 a \u00b7 m") one reads as a space. Between longer words it is
# a written dot ("sam\u00b7j04") that the e-mail filter reads, so it stays.
_DOT_SEPARATORS = "\u00b7\u2022\u2027\u2219\u22c5\u30fb\uff65"
_DOT_BETWEEN_SINGLES = re.compile(
    rf"(?<![^\s{_DOT_SEPARATORS}])([^\s{_DOT_SEPARATORS}] ?)[{_DOT_SEPARATORS}]"
    rf"(?= ?[^\s{_DOT_SEPARATORS}](?![^\s{_DOT_SEPARATORS}]))"
)


# ASCII separators between single characters ("s~a~m~.~j~0~4", "0|7|7|0").
# A run needs at least four such characters, all kept apart by the same
# separator. Each separator in it reads as a space, and so does the same
# separator right before or after the run ("|s|a|m|"). Ordinary writing
# puts these between words ("and/or", "he/him", "*really*"), numbers
# ("12/03/2026", "3/4", "24/7"), table cells ("| a | b |") or in short
# formulae ("x*y*z"). So a shorter run stays as written, and so does one
# with spaces around its separators or one that starts or ends in a word.
_ASCII_SEPARATORS = "~*|/^+="
_SINGLE = rf"[^\s{re.escape(_ASCII_SEPARATORS)}]"
_RUN_START = r"(?<![^\s(\[\"'])"
_RUN_END = r"(?=[.,;:!?)\]\"']*(?:\s|\Z))"
_SEPARATOR = f"[{re.escape(_ASCII_SEPARATORS)}]"
_ASCII_BETWEEN_SINGLES = re.compile(
    rf"{_RUN_START}(?P<lead>{_SEPARATOR}?){_SINGLE}(?P<sep>{_SEPARATOR}){_SINGLE}"
    rf"(?:(?P=sep){_SINGLE}){{2,}}(?P=sep)?{_RUN_END}"
)
# A single character between two of the same separator, which every such
# run has. On the bench bodies, scanning for one literal separator at a time
# took a twentieth of the time of running the pattern above.
_SINGLE_BETWEEN_SEPARATORS = {
    separator: re.compile(f"{re.escape(separator)}{_SINGLE}{re.escape(separator)}")
    for separator in _ASCII_SEPARATORS
}
# A house number and capitalised words kept apart by "/" or "~"
# ("14/Acacia/Avenue"), which read as spaces too. Dates, fractions, paths
# and URLs have no capitalised word after a number at the start of a word.
# NOTE: a heading such as "Top 10/Best/Road trips" reads as a street too.
_ASCII_SEPARATED_ADDRESS = re.compile(
    rf"{_RUN_START}\d{{1,4}}[A-Za-z]?(?P<sep>[/~])[A-Z][a-z]+"
    rf"(?:(?P=sep)[A-Z][a-z]+)+{_RUN_END}"
)
_SEPARATOR_BEFORE_CAPITAL = {
    separator: re.compile(f"{re.escape(separator)}[A-Z]") for separator in "/~"
}


@dataclass(frozen=True)
class MatchingView:
    """The normalised text the filters match, and where each character came from.

    `origins[i]` is the index in the original text of `text[i]`. None means
    that the two texts have the same length and every index maps to itself.
    """

    text: str
    origins: tuple[int, ...] | None = None
    original_length: int = 0

    def original_span(self, span: Span) -> Span:
        """Return `span`, found in the view, as a span of the original text.

        The span covers every original character that any of its view
        characters came from, so a removed NFKC expansion goes whole. It
        also covers the dropped characters between its last view character
        and the next one, so that no keycap or combining mark is left
        hanging on the placeholder.
        """
        if self.origins is None:
            return span
        start = self.origins[span.start]
        end = self.origins[span.end - 1] + 1
        if span.end < len(self.origins):
            end = max(end, self.origins[span.end])
        else:
            end = max(end, self.original_length)
        return Span(start, end, span.kind)


# The safeguarding step and the text filters build the view of the same
# text one after the other, so the last few views are kept.
@functools.lru_cache(maxsize=4)
def matching_view(text: str) -> MatchingView:
    """Build the view of `text` that the text filters match.

    Each character is mapped on its own. Format characters and combining
    marks (Unicode categories Cf, Mn and Me) are dropped, space separators
    (Zs) and TAB become a plain space, and line and paragraph separators
    become a line break. A Cyrillic or Greek letter that looks like a
    Latin one becomes that letter. Any other character is NFKC-normalised,
    and a decimal digit of any script then becomes its ASCII digit. A
    circled or squared "A" or an e-mail emoji written alone becomes "@".
    Look-alikes of 0 and 6 and of capital letters that are ordinary letters
    or symbols elsewhere change only beside ASCII letters or digits (see
    _with_contextual_folds). Last, each encoded "@" ("&#64;", "%40")
    becomes "@".
    Arrows, dingbats and pictographs, blank look-alikes such as the Braille
    blank, and a middle dot between single characters become a space, so
    that a detail kept apart by them reads like one kept apart by spaces.
    So do ASCII separators such as "~" and "|" in a run of single
    characters, and "/" or "~" between a house number and a street.
    """
    view = _with_contextual_folds(text, _character_view(text))
    if not any(marker in view.text for marker in _ENCODED_AT_MARKERS):
        return view
    return _decode_at_signs(view)


def _character_view(text: str) -> MatchingView:
    if text.isascii() and "\t" not in text:
        return MatchingView(_ascii_separators_as_spaces(text))
    view = _dots_as_spaces(_at_symbols_as_at_signs(text)).translate(_VIEW_TABLE)
    view = _ascii_separators_as_spaces(view)
    resizing = _VIEW_TABLE.resizing.intersection(text)
    if not resizing:
        return MatchingView(view)
    return MatchingView(view, _origins(text, resizing), len(text))


def _with_contextual_folds(text: str, view: MatchingView) -> MatchingView:
    """Return `view` with the look-alikes that context makes digits or letters.

    Each run of ASCII letters, digits and contextual look-alikes is folded
    on its own (see _fold_run), so a look-alike between spaces, or among
    letters of another script, stays as it is.
    """
    if text.isascii() or _CONTEXTUAL_CHARACTER.search(view.text) is None:
        return view
    chars = list(view.text)
    for run in _CONTEXTUAL_RUN.finditer(view.text):
        if _CONTEXTUAL_CHARACTER.search(run.group()) is not None:
            _fold_run(text, view, chars, run.start(), run.end())
    return MatchingView("".join(chars), view.origins, view.original_length)


def _fold_run(
    text: str, view: MatchingView, chars: list[str], start: int, end: int
) -> None:
    """Fold the look-alikes of `chars[start:end]` in place.

    Zero look-alikes become 0 in a stretch of digits and zero look-alikes
    with a digit in it. Cyrillic be becomes 6 right beside an ASCII letter
    or digit. Letter look-alikes then become capitals when the run has an
    ASCII letter or a digit.
    """
    _fold_zeros(chars, start, end)
    for index in range(start, end):
        digit = _CONTEXTUAL_DIGITS.get(chars[index])
        if digit is not None and _is_next_to_ascii(text, view, index):
            chars[index] = digit
    if any(_is_ascii_or_digit(text, view, chars, i) for i in range(start, end)):
        for index in range(start, end):
            chars[index] = _CONTEXTUAL_LETTERS.get(chars[index], chars[index])


def _fold_zeros(chars: list[str], start: int, end: int) -> None:
    stretch: list[int] = []
    for index in range(start, end + 1):
        char = chars[index] if index < end else ""
        if char.isdigit() or char in _ZERO_LOOKALIKES:
            stretch.append(index)
            continue
        if any(chars[i].isdigit() for i in stretch):
            for i in stretch:
                chars[i] = "0" if chars[i] in _ZERO_LOOKALIKES else chars[i]
        stretch = []


def _is_ascii_or_digit(
    text: str, view: MatchingView, chars: list[str], index: int
) -> bool:
    """Check that `chars[index]` is a digit, or an ASCII letter as written."""
    if chars[index].isdigit():
        return True
    origin = index if view.origins is None else view.origins[index]
    return text[origin].isascii() and text[origin].isalpha()


def _is_next_to_ascii(text: str, view: MatchingView, index: int) -> bool:
    for neighbour in (index - 1, index + 1):
        if not 0 <= neighbour < len(view.text):
            continue
        origin = neighbour if view.origins is None else view.origins[neighbour]
        written = text[origin]
        if written.isascii() and written.isalnum():
            return True
    return False


def _at_symbols_as_at_signs(text: str) -> str:
    """Return `text` with each standalone "@" symbol written as "@".

    Each symbol is one code point, like "@", so offsets stay the same.
    """
    if not any(symbol in text for symbol in _AT_SYMBOLS):
        return text
    return _STANDALONE_AT_SYMBOL.sub("@", text)


def _dots_as_spaces(text: str) -> str:
    """Return `text` with each middle dot between single characters as a space.

    Each dot is one code point, like the space, so offsets stay the same.
    """
    if not any(dot in text for dot in _DOT_SEPARATORS):
        return text
    return _DOT_BETWEEN_SINGLES.sub(r"\1 ", text)


def _ascii_separators_as_spaces(text: str) -> str:
    """Return `text` with ASCII separators between single characters as spaces.

    See _ASCII_BETWEEN_SINGLES and _ASCII_SEPARATED_ADDRESS. Each separator
    becomes one space, so offsets stay the same.
    """
    if _has_candidate(text, _SINGLE_BETWEEN_SEPARATORS):
        text = _ASCII_BETWEEN_SINGLES.sub(_separators_blanked, text)
    if _has_candidate(text, _SEPARATOR_BEFORE_CAPITAL):
        text = _ASCII_SEPARATED_ADDRESS.sub(_separators_blanked, text)
    return text


def _has_candidate(text: str, candidates: dict[str, re.Pattern[str]]) -> bool:
    return any(
        separator in text and pattern.search(text) is not None
        for separator, pattern in candidates.items()
    )


def _separators_blanked(match: re.Match[str]) -> str:
    """Return the match with its separator as spaces, keeping another one before."""
    lead = match.groupdict().get("lead") or ""
    separator = match.group("sep")
    body = match.group()[len(lead) :].replace(separator, " ")
    return (" " if lead == separator else lead) + body


def _decode_at_signs(view: MatchingView) -> MatchingView:
    """Replace each encoded "@" in `view` with "@", keeping the origins in step.

    The "@" takes the origin of the encoding's first character. A span that
    ends at that "@" would leave the rest of the encoding behind, but no
    filter ends a span at an "@".
    """
    origins = view.origins or range(len(view.text))
    pieces: list[str] = []
    decoded_origins: list[int] = []
    cursor = 0
    for match in _ENCODED_AT.finditer(view.text):
        pieces.append(view.text[cursor : match.start()])
        decoded_origins.extend(origins[cursor : match.start() + 1])
        pieces.append("@")
        cursor = match.end()
    if cursor == 0:
        return view
    pieces.append(view.text[cursor:])
    decoded_origins.extend(origins[cursor:])
    length = view.original_length if view.origins else len(view.text)
    return MatchingView("".join(pieces), tuple(decoded_origins), length)


def _origins(text: str, resizing: set[str]) -> tuple[int, ...]:
    """Return the original index of each character of the view of `text`.

    Only the characters in `resizing` change the length, so the runs between
    them map one to one.
    """
    pattern = re.compile("[" + "".join(map(re.escape, sorted(resizing))) + "]")
    runs: list[range | list[int]] = []
    cursor = 0
    for match in pattern.finditer(text):
        index = match.start()
        runs.append(range(cursor, index))
        runs.append([index] * len(_VIEW_TABLE[ord(match.group())]))
        cursor = index + 1
    runs.append(range(cursor, len(text)))
    return tuple(index for run in runs for index in run)


def remove_bidi_controls(text: str) -> str:
    """Return `text` without bidirectional embeddings, overrides or isolates."""
    if text.isascii():
        return text
    return _BIDI_CONTROLS.sub("", text)


# Bidirectional formatting characters (Unicode Standard Annex 9, 2.1-2.7):
# the openers of embeddings, overrides and isolates, and their closers.
_LRE, _RLE, _PDF, _LRO, _RLO = "\u202a\u202b\u202c\u202d\u202e"
_LRI, _RLI, _FSI, _PDI = "\u2066\u2067\u2068\u2069"
_EMBEDDING_OPENERS = frozenset((_LRE, _RLE, _LRO, _RLO))
_ISOLATE_OPENERS = frozenset((_LRI, _RLI, _FSI))
_RIGHT_TO_LEFT_OPENER = re.compile(f"[{_RLE}{_RLO}{_RLI}{_FSI}]")
# Paragraph separators (bidirectional class B) end every open run.
_PARAGRAPH_ENDS = frozenset("\n\r\x1c\x1d\x1e\x85\u2029")
# Annex 9 allows 125 levels of nesting, and an opener past them is ignored.
_MAX_BIDI_DEPTH = 125


@dataclass(frozen=True)
class DisplayOrder:
    """A text with its right-to-left runs in display order, and their origins.

    `text[i]` is the character at index `origins[i]` of the original text.
    """

    text: str
    origins: tuple[int, ...]

    def original_span(self, span: Span) -> Span:
        """Return `span`, found in the displayed text, as a span of the original.

        A span that covers part of a reversed run maps to the original
        characters between its first and last, so it stays one range.
        """
        covered = self.origins[span.start : span.end]
        return Span(min(covered), max(covered) + 1, span.kind)


@dataclass
class _BidiRun:
    opener: str
    items: list[int | _BidiRun]


def display_order(text: str) -> DisplayOrder | None:
    """Return `text` as a reader sees it, or None if it has no right-to-left run.

    An override (RLO) shows its characters in reverse, so "\u202e321009
    00770\u202c" reads "07700 900123". An embedding (RLE) or a right-to-left
    isolate (RLI, or FSI whose first strong character is right-to-left)
    shows its words in reverse order, each word left to right, so
    "\u202b900123 07700\u202c" reads "07700 900123" too.
    NOTE: the reversed word order of an embedding is an estimate of the
    Unicode bidirectional algorithm, which keeps Latin words in order when
    no digit group starts the run. Reading too much reversed costs at most
    a removal that a reader of the text as written would not expect.
    """
    if text.isascii() or _RIGHT_TO_LEFT_OPENER.search(text) is None:
        return None
    origins = _displayed_indices(_parse_bidi_runs(text), text)
    return DisplayOrder("".join(text[index] for index in origins), tuple(origins))


def _parse_bidi_runs(text: str) -> _BidiRun:
    """Return the text's indices, nested in the runs that its controls open."""
    root = _BidiRun("", [])
    stack = [root]
    for index, char in enumerate(text):
        if char in _PARAGRAPH_ENDS:
            del stack[1:]
        elif _opens_run(char) and len(stack) <= _MAX_BIDI_DEPTH:
            run = _BidiRun(char, [index])
            stack[-1].items.append(run)
            stack.append(run)
            continue
        elif char == _PDF and stack[-1].opener in _EMBEDDING_OPENERS:
            stack.pop().items.append(index)
            continue
        elif char == _PDI and any(run.opener in _ISOLATE_OPENERS for run in stack):
            while stack[-1].opener not in _ISOLATE_OPENERS:
                stack.pop()
            stack.pop().items.append(index)
            continue
        stack[-1].items.append(index)
    return root


def _opens_run(char: str) -> bool:
    return char in _EMBEDDING_OPENERS or char in _ISOLATE_OPENERS


def _displayed_indices(run: _BidiRun, text: str) -> list[int]:
    indices: list[int] = []
    for item in run.items:
        if isinstance(item, int):
            indices.append(item)
        else:
            indices.extend(_displayed_indices(item, text))
    if run.opener == _RLO:
        return indices[::-1]
    if run.opener in (_RLE, _RLI) or (
        run.opener == _FSI and _first_strong_is_right_to_left(text, indices)
    ):
        return _words_reversed(text, indices)
    return indices


def _first_strong_is_right_to_left(text: str, indices: list[int]) -> bool:
    for index in indices:
        direction = unicodedata.bidirectional(text[index])
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def _words_reversed(text: str, indices: list[int]) -> list[int]:
    """Return `indices` with the order of its words and spaces reversed."""
    groups: list[list[int]] = []
    for index in indices:
        space = text[index].isspace()
        if groups and text[groups[-1][0]].isspace() == space:
            groups[-1].append(index)
        else:
            groups.append([index])
    return [index for group in reversed(groups) for index in group]


class _ViewTable(dict[int, str]):
    """A `str.translate` table that maps each character on first use.

    `resizing` contains the characters whose view is not one character
    long, so that a text without them keeps its offsets. It is never
    cleared, and stays small because only format characters and NFKC
    expansions enter it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.resizing: set[str] = set()

    def __missing__(self, code: int) -> str:
        char = chr(code)
        viewed = _view_of_character(char)
        if len(viewed) != 1:
            self.resizing.add(char)
        if len(self) >= _MAX_CACHED_CHARACTERS:
            # A sender could otherwise grow the table with every code point.
            self.clear()
        self[code] = viewed
        return viewed


def _view_of_character(char: str) -> str:
    if char == "\t":
        return " "
    if char in _LOOKALIKES:
        return _LOOKALIKES[char]
    if char in _BLANK_LOOKALIKES or _is_pictograph(char):
        return " "
    category = unicodedata.category(char)
    if category in ("Cf", "Mn", "Me"):
        return ""
    if category == "Zs":
        return " "
    if category in ("Zl", "Zp"):
        return "\n"
    normalised = unicodedata.normalize("NFKC", char)
    return "".join(_ascii_digit(part) for part in normalised)


def _is_pictograph(char: str) -> bool:
    """Check that `char` is an arrow, dingbat or pictograph that no filter reads."""
    code = ord(char)
    if not any(first <= code <= last for first, last in _PICTOGRAPH_BLOCKS):
        return False
    if char in _CONTEXTUAL_CHARACTERS or char in _AT_SYMBOLS:
        return False
    if char in _MARKER_SYMBOLS:
        return False
    if unicodedata.category(char) not in _PICTOGRAPH_CATEGORIES:
        return False
    return unicodedata.normalize("NFKC", char) == char


def _ascii_digit(char: str) -> str:
    if char.isascii():
        return char
    digit = unicodedata.decimal(char, None)
    return char if digit is None else str(digit)


_VIEW_TABLE = _ViewTable()


# Contact details written downwards, one or two characters a line:
#
#     s
#     a
#     m
#     @
#     ...
#
# No pattern matches across the line breaks, so each run of short lines
# (prefilter.short_line_runs) is also read with its lines joined.
# NOTE: filters.text.redact_texts filters the text nodes of an HTML part
# with a NUL line between them, so an address written one character per
# element ("<div>s</div><div>a</div>...") is never joined.


@dataclass(frozen=True)
class JoinedLines:
    """The visible characters of a run of short lines, and where each came from."""

    text: str
    origins: tuple[int, ...]

    def original_span(self, span: Span) -> Span:
        """Return `span`, found in the joined text, as a span of the original text.

        The span runs from the line of its first character to the line of
        its last, so it covers every line in between with its line breaks.
        """
        return Span(self.origins[span.start], self.origins[span.end - 1] + 1, span.kind)


def joined_short_lines(text: str) -> list[JoinedLines]:
    """Return each run of short lines in `text` with its lines joined."""
    runs = []
    for start, end in short_line_runs(text):
        origins = tuple(
            index for index in range(start, end) if not text[index].isspace()
        )
        runs.append(JoinedLines("".join(text[index] for index in origins), origins))
    return runs


def find_in_joined_lines(text: str, find: Callable[[str], list[Span]]) -> list[Span]:
    """Return what `find` finds in each run of short lines of `text`, lines joined.

    The spans are offsets in `text`. A list of letters or numbers ("a", "b",
    "c", ...) stays unless its joined text contains what `find` looks for.
    """
    spans: list[Span] = []
    for run in joined_short_lines(text):
        spans.extend(run.original_span(span) for span in find(run.text))
    return spans
