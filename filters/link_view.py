"""A view of a text with disguised links written out, mapped back to the text.

Senders hide a link from pattern matching by spelling out or bracketing its
dots ("instagram dot com", "t[.]me", "fb(.)com"), by spacing it out
("insta gram . com / samj"), or by breaking its scheme ("hxxps://"). The
view undoes these, so a link pattern can match it, and each span found in
the view maps back to the characters of the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from filters.prefilter import letter_words

# A dot in brackets or spelled out, a dot with spaces on both sides (a
# sentence's full stop has none before it), a slash spelled out or spaced,
# a bracketed colon, and the broken scheme "hxxp".
_DISGUISE = re.compile(
    r"(?P<dot>[ \t]*[\[({<][ \t]*(?:\.|dot)[ \t]*[\])}>][ \t]*"
    r"|[ \t]+dot[ \t]+|[ \t]+\.[ \t]+)"
    r"|(?P<slash>[ \t]+slash[ \t]+|[ \t]+/[ \t]*|(?<=\w)/[ \t]+)"
    r"|(?P<colon>\[:\])"
    r"|(?P<scheme>\bhxxp(?=s?(?:://|\[:\])))",
    re.IGNORECASE,
)
_REPLACEMENTS = {"dot": ".", "slash": "/", "colon": ":", "scheme": "http"}
# A dot between brackets or spaces: "[.]", "(.)", " . ". The pattern starts
# with a literal dot, so that `re` skips ahead to each dot.
_DOT_HINT = re.compile(r"\.(?<=[\[({< ]\.)[\])}> ]")
# Two words right before a dot, which may be one name split in two.
_SPLIT_NAME = re.compile(
    r"\b(?P<first>[a-z]{2,12})(?P<gap>[ \t])(?P<second>[a-z]{2,12})"
    r"(?=[ \t]*(?:[\[({<]?[ \t]*(?:\.|dot\b)|\.\w))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LinkView:
    """The text with disguises undone, and where each character came from.

    `starts[i]` and `ends[i]` are the original span of `text[i]`: one
    character of the original, or the whole disguise it replaced.
    """

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Return the span of the original text that `text[start:end]` covers."""
        return self.starts[start], self.ends[end - 1]


def may_be_disguised(text: str) -> bool:
    """Check cheaply whether `text` may contain a disguise that link_view undoes."""
    if not letter_words(text).isdisjoint({"dot", "hxxp", "hxxps"}):
        return True
    return _DOT_HINT.search(text) is not None


def link_view(text: str, joinable: frozenset[str]) -> LinkView | None:
    """Build the view of `text` with its link disguises undone.

    `joinable` contains the names that a space may split ("insta gram"), in
    lower case. Return None when the text has no disguise.
    """
    edits = sorted(_edits(text, joinable))
    if not edits:
        return None
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for start, end, replacement in edits:
        if start < cursor:
            continue
        pieces.append(text[cursor:start])
        starts.extend(range(cursor, start))
        ends.extend(range(cursor + 1, start + 1))
        pieces.append(replacement)
        starts.extend([start] * len(replacement))
        ends.extend([end] * len(replacement))
        cursor = end
    pieces.append(text[cursor:])
    starts.extend(range(cursor, len(text)))
    ends.extend(range(cursor + 1, len(text) + 1))
    return LinkView("".join(pieces), tuple(starts), tuple(ends))


def _edits(text: str, joinable: frozenset[str]) -> Iterable[tuple[int, int, str]]:
    for match in _DISGUISE.finditer(text):
        kind = match.lastgroup
        if kind is not None:
            yield match.start(), match.end(), _REPLACEMENTS[kind]
    for match in _SPLIT_NAME.finditer(text):
        name = (match["first"] + match["second"]).lower()
        if name in joinable:
            yield match.start("gap"), match.end("gap"), ""
