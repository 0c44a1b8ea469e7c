"""A normalised view of a text for the text filters, mapped back to the text.

Senders hide contact details from pattern matching with characters that
look like the plain ones or show nothing at all. Examples are a zero-width
space or a soft hyphen inside a phone number, fullwidth or mathematical
bold digits, a fullwidth at sign, Arabic-Indic digits, and a thin space or
a tab between digit groups. The filters match a view of the text in which these are
plain ASCII, and each span they find is mapped back to the original text,
where the replacement happens. Everything outside a removed span, such as
the zero-width joiners inside emoji sequences, is delivered as sent.

Bidirectional control characters are the exception: they are removed from
the delivered text entirely, because an override can make a number that is
written backwards, which no filter matches, display as a real one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from filters.base import Span

# Embeddings, overrides and isolates (U+202A-202E, U+2066-2069). The marks
# U+200E and U+200F only set the direction of neutral characters next to
# them, so they cannot reverse a run of digits and are kept.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_MAX_CACHED_CHARACTERS = 10_000


@dataclass(frozen=True)
class MatchingView:
    """The normalised text the filters match, and where each character came from.

    `origins[i]` is the index in the original text of `text[i]`. None means
    that the two texts have the same length and every index maps to itself.
    """

    text: str
    origins: tuple[int, ...] | None = None

    def original_span(self, span: Span) -> Span:
        """Return `span`, found in the view, as a span of the original text.

        The span covers every original character that any of its view
        characters came from, so a removed NFKC expansion goes whole.
        """
        if self.origins is None:
            return span
        start = self.origins[span.start]
        end = self.origins[span.end - 1] + 1
        return Span(start, end, span.kind)


def matching_view(text: str) -> MatchingView:
    """Build the view of `text` that the text filters match.

    Each character is mapped on its own. Format characters (Unicode
    category Cf) are dropped, space separators (Zs) and TAB become a plain
    space, and line and paragraph separators become a line break. Any other
    character is NFKC-normalised, and a decimal digit of any script then
    becomes its ASCII digit.
    """
    if text.isascii() and "\t" not in text:
        return MatchingView(text)
    view = text.translate(_VIEW_TABLE)
    resizing = _VIEW_TABLE.resizing.intersection(text)
    if not resizing:
        return MatchingView(view)
    return MatchingView(view, _origins(text, resizing))


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
    category = unicodedata.category(char)
    if category == "Cf":
        return ""
    if category == "Zs":
        return " "
    if category in ("Zl", "Zp"):
        return "\n"
    normalised = unicodedata.normalize("NFKC", char)
    return "".join(_ascii_digit(part) for part in normalised)


def _ascii_digit(char: str) -> str:
    if char.isascii():
        return char
    digit = unicodedata.decimal(char, None)
    return char if digit is None else str(digit)


_VIEW_TABLE = _ViewTable()
