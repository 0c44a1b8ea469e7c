"""Views of a text's links, written out and mapped back to the text.

Senders hide a link from pattern matching by spelling out or bracketing its
dots ("instagram dot com", "t[.]me", "fb(.)com"), by spacing it out
("insta gram . com / samj"), or by breaking its scheme ("hxxps://"). The
view from `link_view` undoes these, so a link pattern can match it. The
view from `decoded_links` decodes the percent escapes and "+" signs of
links, so an address typed into a map search ("?q=14%20Acacia%20Avenue")
reads as words. Each span found in a view maps back to the characters of
the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

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
    """A text with its links written out, and where each character came from.

    `starts[i]` and `ends[i]` are the original span of `text[i]`: one
    character of the original, or the whole disguise or escape it replaced.
    """

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Return the span of the original text that `text[start:end]` covers."""
        return self.starts[start], self.ends[end - 1]


@dataclass
class _ViewBuilder:
    """The pieces of a view under construction, with their original spans."""

    pieces: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    def copy(self, text: str, start: int, end: int) -> None:
        """Append `text[start:end]` unchanged."""
        self.pieces.append(text[start:end])
        self.starts.extend(range(start, end))
        self.ends.extend(range(start + 1, end + 1))

    def replace(self, replacement: str, start: int, end: int) -> None:
        """Append `replacement` in place of `text[start:end]`."""
        self.pieces.append(replacement)
        self.starts.extend([start] * len(replacement))
        self.ends.extend([end] * len(replacement))

    def build(self) -> LinkView:
        return LinkView("".join(self.pieces), tuple(self.starts), tuple(self.ends))


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
    view = _ViewBuilder()
    cursor = 0
    for start, end, replacement in edits:
        if start < cursor:
            continue
        view.copy(text, cursor, start)
        view.replace(replacement, start, end)
        cursor = end
    view.copy(text, cursor, len(text))
    return view.build()


def _edits(text: str, joinable: frozenset[str]) -> Iterable[tuple[int, int, str]]:
    for match in _DISGUISE.finditer(text):
        kind = match.lastgroup
        if kind is not None:
            yield match.start(), match.end(), _REPLACEMENTS[kind]
    for match in _SPLIT_NAME.finditer(text):
        name = (match["first"] + match["second"]).lower()
        if name in joinable:
            yield match.start("gap"), match.end("gap"), ""


# A "+" or a run of percent escapes in a link. A browser sends "+" in a
# query as a space, and a map service reads it so. An escaped escape
# ("%2520" for "%20") counts as the character it escapes twice over.
_URL_ESCAPE = re.compile(r"%(?:25)?(?P<hex>[0-9A-Fa-f]{2})")
_URL_ESCAPES = re.compile(rf"(?:{_URL_ESCAPE.pattern})+|\+")
# Where a link starts inside a run of non-space characters: a scheme,
# "www." or a host name followed by a path or a query
# ("maps.example.com/?q=").
_LINK_START = re.compile(
    r"https?://|www\.|(?<![\w.@-])(?:[a-z0-9-]+\.)+[a-z]{2,24}[/?]",
    re.IGNORECASE,
)
_LINK_CHARACTERS = re.compile(r"[^\s<>\"']*")
# The maximum number of characters of a link searched before an escape.
_MAX_LINK_BEFORE_ESCAPE = 2048
# filters.text joins the texts it filters at once with this line, and
# every text filter treats it as the end of one text and the start of the
# next. The view puts it between links for the same reason.
LINK_SEPARATOR = "\n\x00\n"


def decoded_links(text: str) -> LinkView | None:
    """Build a view of the links of `text` with "+" and percent escapes decoded.

    Only the links with a "+" or an escape are in the view, with
    LINK_SEPARATOR between them. "+" becomes a space, an escape of a control
    character becomes a space too, and a run of escapes that is not ASCII
    is decoded as UTF-8. Return None when no link has an escape.

    NOTE: escapes outside a link stay as they are, so "14%20Acacia%20Avenue"
    typed on its own is not decoded.
    """
    if "%" not in text and "+" not in text:
        return None
    links = _escaped_links(text)
    if not links:
        return None
    view = _ViewBuilder()
    previous_end = None
    for start, end in links:
        # The separator's last line break maps to the start of the next
        # link and the rest to the end of the previous one, so a span that
        # starts or ends inside it maps to the text of one link only.
        if previous_end is not None:
            view.replace(LINK_SEPARATOR[:-1], previous_end, previous_end)
            view.replace(LINK_SEPARATOR[-1], start, start)
        _decode_link(view, text, start, end)
        previous_end = end
    return view.build()


def _escaped_links(text: str) -> list[tuple[int, int]]:
    """Return the span of each link in `text` that has a "+" or an escape."""
    links: list[tuple[int, int]] = []
    searched_to = 0
    for escape in _URL_ESCAPES.finditer(text):
        if escape.start() < searched_to:
            continue
        run_start, run_end = _run_around(text, escape.start())
        searched_to = run_end
        link = _LINK_START.search(text, run_start, run_end)
        if link is not None and _URL_ESCAPES.search(text, link.end(), run_end):
            links.append((link.start(), run_end))
    return links


def _run_around(text: str, index: int) -> tuple[int, int]:
    """Return the run of characters that may be in a link around `index`."""
    window = text[max(0, index - _MAX_LINK_BEFORE_ESCAPE) : index][::-1]
    before = _LINK_CHARACTERS.match(window)
    after = _LINK_CHARACTERS.match(text, index)
    start = index - (before.end() if before else 0)
    return start, after.end() if after else index


def _decode_link(view: _ViewBuilder, text: str, start: int, end: int) -> None:
    cursor = start
    for escape in _URL_ESCAPES.finditer(text, start, end):
        view.copy(text, cursor, escape.start())
        if escape.group() == "+":
            view.replace(" ", escape.start(), escape.end())
        else:
            _decode_escapes(view, escape)
        cursor = escape.end()
    view.copy(text, cursor, end)


def _decode_escapes(view: _ViewBuilder, escapes: re.Match[str]) -> None:
    """Append the characters of a run of escapes, each mapped to its escape.

    A run with bytes outside ASCII is decoded whole, and each of its
    characters maps to the whole run.
    """
    text = escapes.string
    matches = list(_URL_ESCAPE.finditer(text, escapes.start(), escapes.end()))
    data = bytes.fromhex("".join(escape["hex"] for escape in matches))
    if not data.isascii():
        decoded = data.decode("utf-8", errors="replace")
        view.replace(decoded, escapes.start(), escapes.end())
        return
    for escape, byte in zip(matches, data, strict=True):
        char = chr(byte) if byte >= 0x20 and byte != 0x7F else " "
        view.replace(char, escape.start(), escape.end())
