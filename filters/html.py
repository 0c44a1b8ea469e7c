"""HTML sanitising and filtering of text/html parts.

nh3 (the Ammonia sanitiser) keeps a small set of formatting tags and drops
scripts, styles, forms, frames, embedded objects, every image and every
event-handler attribute. Links may only use http, https or mailto, and a link
whose address the text filters would change loses its href. The title
attributes that remain are filtered too.

The text filters then run once over the plain text of the whole part, the
text a reader sees, so that they read each text node in its context. Each
span they find that lies inside one text node is replaced in that node. A
span that crosses a tag ("07700 <b>900</b> 123") cannot be replaced in the
markup, so then the part is replaced by the filtered plain text in a <pre>
element.
"""

from __future__ import annotations

import html
import logging
import re
import urllib.parse
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, replace
from html.parser import HTMLParser

import nh3

from filters.base import FilterContext, Finding, Span
from filters.mime import Draft, StepResult, TextPart, map_text_parts
from filters.normalise import remove_bidi_controls
from filters.text import apply_redaction, find_redaction_spans, redact_text

log = logging.getLogger(__name__)

WHERE = "text/html"

# HTML5's sectioning and grouping elements (header, section, address...)
# are allowed, with no attributes, because they are blocks: removed, their
# text would run into the text around them, and "sam@example.net" in a
# <header> followed by "07700 900123" in a <section> would reach the
# reader as one word that no filter reads as an address.
SECTION_TAGS = {
    "address", "article", "aside", "details", "fieldset", "figcaption",
    "figure", "footer", "header", "hgroup", "legend", "main", "nav",
    "section", "summary",
}  # fmt: skip
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code",
    "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small",
    "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "tt", "u", "ul", *SECTION_TAGS,
}  # fmt: skip
# Elements that a browser shows apart from the text around them, as a form
# control, a box or a block, but that are not delivered. Without their tags
# their texts would run together: two <textarea> elements holding
# "sam.j@example.net" and "samj_04 on Snapchat" would read as one word,
# to the reader and to the filters. So they pass nh3 and are then written
# as <div>, or as <br> for the empty elements, which adds no text.
# NOTE: <xmp>, <iframe>, <noembed> and <noframes> are not listed, because
# nh3 0.3.8 writes their raw-text content unescaped when they are kept, so
# their text still runs into the text around them.
SEPARATED_TAGS = {
    "audio", "button", "canvas", "datalist", "dialog", "dir", "form",
    "listing", "marquee", "menu", "meter", "object", "optgroup", "option",
    "progress", "search", "select", "textarea", "video",
}  # fmt: skip
SEPARATED_EMPTY_TAGS = {"embed", "input"}
ALLOWED_ATTRIBUTES = {
    # Without a "*" entry, nh3 0.3.8 still allows "lang" and "title" on
    # every element, so the entry states them.
    "*": {"lang", "title", "dir", "style"},
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "table": {"border", "cellpadding", "cellspacing"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
}
# Elements removed together with their content. Every other element that is
# not allowed is removed, but its text stays. Ruby annotations (<rt>, <rp>)
# go with their text, because once the tags are gone their text would join
# the base text: "07700<rt>x</rt>900123" would read "07700x900123", which
# hides the phone number that the reader sees.
REMOVED_WITH_CONTENT = {"script", "style", "title", "template", "noscript", "rt", "rp"}
URL_SCHEMES = {"http", "https", "mailto"}
FILTERED_ATTRIBUTES = {"href", "title", "alt"}
# Attributes that pass only in their strict form, because a sender can put
# any text in them ('<p lang="07700 900123">'). A list or table with 10,000
# or more items or columns is no ordinary mail, so longer numbers, which
# may be phone numbers, are dropped.
STRICT_ATTRIBUTES = {
    # A BCP 47 language tag such as "en" or "en-GB", of at most 35 characters.
    "lang": re.compile(r"(?=.{2,35}$)[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*"),
    "start": re.compile(r"-?[0-9]{1,4}"),
    "colspan": re.compile(r"[0-9]{1,4}"),
    "rowspan": re.compile(r"[0-9]{1,4}"),
    "align": re.compile(r"left|right|center|justify|char", re.IGNORECASE),
    "valign": re.compile(r"top|middle|bottom|baseline", re.IGNORECASE),
    # Right-to-left text (Arabic, Hebrew, Urdu) needs dir to show in order.
    # It only sets the base direction: digits keep their order within it.
    "dir": re.compile(r"ltr|rtl|auto", re.IGNORECASE),
    "border": re.compile(r"[0-9]{1,2}"),
    "cellpadding": re.compile(r"[0-9]{1,2}"),
    "cellspacing": re.compile(r"[0-9]{1,2}"),
}
# Inline style declarations that pass, each with the strict form of its
# value. Colours never pass: a span coloured like its background hides a
# character from the reader that the filters still read, so "07700
# 9<span style="color:white">5</span>00123" would show a phone number.
# Properties that can move, hide or reorder text (position, display,
# direction, unicode-bidi), fetch anything (url()) or add text (content)
# are dropped with the rest.
_STYLE_VALUES = {
    "font-weight": re.compile(r"normal|bold|bolder|lighter|[1-9]00"),
    "font-style": re.compile(r"normal|italic|oblique"),
    "text-decoration": re.compile(r"none|underline|overline|line-through"),
    "text-align": re.compile(r"left|right|center|justify|start|end"),
    "vertical-align": re.compile(r"top|middle|bottom|baseline|sub|super"),
    "white-space": re.compile(r"normal|nowrap|pre|pre-wrap|pre-line"),
}

# Elements that start a new line when the HTML is read as plain text.
BLOCK_TAGS = {
    "blockquote", "br", "caption", "center", "dd", "div", "dl", "dt", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "table", "td",
    "th", "tr", "ul", *SECTION_TAGS, *SEPARATED_TAGS, *SEPARATED_EMPTY_TAGS,
}  # fmt: skip
IMAGE_TAG = re.compile(r"<img\b", re.IGNORECASE)


@dataclass(frozen=True)
class CleanHtml:
    """A sanitised and filtered HTML fragment, with what was removed from it."""

    html: str
    findings: tuple[Finding, ...]


def filter_html(draft: Draft, context: FilterContext) -> StepResult:
    """Sanitise and filter every text/html part of the draft."""
    findings: list[Finding] = []

    def clean_part(part: TextPart) -> TextPart:
        if part.subtype != "html":
            return part
        cleaned = clean_html(part.text, context)
        findings.extend(cleaned.findings)
        return replace(part, text=cleaned.html)

    body = map_text_parts(draft.body, clean_part)
    return StepResult(replace(draft, body=body), tuple(findings))


def clean_html(source: str, context: FilterContext) -> CleanHtml:
    """Sanitise `source`, then remove what the text filters find in its text."""
    findings = _count_images(source)
    sanitised = sanitise(source, context, findings)

    nodes = _read_text_nodes(sanitised)
    layout = nodes.layout()
    spans = find_redaction_spans(layout.text, context)
    spans_by_node = layout.spans_by_node(spans)
    if spans_by_node is not None:
        return _filter_text_nodes(nodes, layout, spans_by_node, findings)

    redaction = apply_redaction(layout.text, spans, WHERE)
    replaced = Finding("html_replaced", WHERE, detail="text split across HTML tags")
    fallback = f"<pre>{html.escape(redaction.text, quote=False)}</pre>"
    return CleanHtml(fallback, (*findings, *redaction.findings, replaced))


def _count_images(source: str) -> list[Finding]:
    count = len(IMAGE_TAG.findall(source))
    if not count:
        return []
    return [Finding("image", WHERE, count, detail="images removed from HTML")]


def sanitise(source: str, context: FilterContext, findings: list[Finding]) -> str:
    """Return `source` sanitised by nh3, with filtered attribute values.

    Findings from the attribute values are appended to `findings`. The
    elements in SEPARATED_TAGS and SEPARATED_EMPTY_TAGS become <div> and
    <br> elements.
    """

    def filter_attribute(element: str, attribute: str, value: str) -> str | None:
        try:
            return _filter_attribute(attribute, value, context, findings)
        except Exception as exc:
            # nh3 would only pass an exception to sys.unraisablehook. The
            # exception text can quote the value, so it is logged at debug.
            log.error(
                "attribute filter failed on <%s %s>: %s",
                element,
                attribute,
                type(exc).__name__,
            )
            log.debug("attribute filter failure details", exc_info=True)
            return None

    sanitised = nh3.clean(
        source,
        tags=ALLOWED_TAGS | SEPARATED_TAGS | SEPARATED_EMPTY_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=filter_attribute,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
    )
    return _write_separated_tags(sanitised)


# Start and end tags of the SEPARATED_TAGS elements, and runs of
# SEPARATED_EMPTY_TAGS elements, as nh3 writes them (see _SANITISED_TAG).
# Every "<" in nh3's output starts a tag, because text and attribute values
# have theirs escaped.
_NH3_ATTRIBUTES = r'(?: [a-z][a-z0-9-]*="[^"<>]*")*'
_SEPARATED_NAMES = "|".join(sorted(SEPARATED_TAGS))
_SEPARATED_TAG = re.compile(rf"<(/?)(?:{_SEPARATED_NAMES})({_NH3_ATTRIBUTES})>")
_EMPTY_SEPARATED_ELEMENT = re.compile(
    rf"<({_SEPARATED_NAMES}){_NH3_ATTRIBUTES}>\s*</\1>"
)
_EMPTY_TAG_RUN = re.compile(
    rf"(?:<(?:{'|'.join(sorted(SEPARATED_EMPTY_TAGS))}){_NH3_ATTRIBUTES}>)+"
)
# One search for any of them spares the three patterns below most parts.
_ANY_SEPARATED_TAG = re.compile(
    "<(?:"
    + "|".join(sorted(SEPARATED_TAGS | SEPARATED_EMPTY_TAGS, key=len, reverse=True))
    + ")[ >]"
)
# Nested empty elements ("<form><select></select></form>") are removed from
# the inside out, one level per pass. Deeper ones stay as empty <div>
# elements, which hold no text.
_EMPTY_ELEMENT_PASSES = 3


def _write_separated_tags(sanitised: str) -> str:
    """Write the separated elements of nh3's output as <div> and <br> elements.

    Elements that hold no text are removed, and a run of empty elements
    ("<input>") becomes a <br> only where it stands between two words.
    NOTE: a run that touches a tag ("<b>sam</b><input>") is removed, so the
    texts on both sides of it still run together.
    """
    if "<" not in sanitised or not _ANY_SEPARATED_TAG.search(sanitised):
        return sanitised
    sanitised = _EMPTY_TAG_RUN.sub(_break_between_words, sanitised)
    for _ in range(_EMPTY_ELEMENT_PASSES):
        sanitised, count = _EMPTY_SEPARATED_ELEMENT.subn("", sanitised)
        if not count:
            break
    return _SEPARATED_TAG.sub(r"<\1div\2>", sanitised)


def _break_between_words(run: re.Match[str]) -> str:
    text = run.string
    if run.start() == 0 or run.end() == len(text):
        return ""
    before, after = text[run.start() - 1], text[run.end()]
    if before.isspace() or after.isspace() or before == ">" or after == "<":
        return ""
    return "<br>"


def _filter_attribute(
    attribute: str, value: str, context: FilterContext, findings: list[Finding]
) -> str | None:
    strict_form = STRICT_ATTRIBUTES.get(attribute)
    if strict_form is not None:
        return value if strict_form.fullmatch(value.strip()) else None
    if attribute == "style":
        return strict_style(value)
    if attribute not in FILTERED_ATTRIBUTES:
        # NOTE: an attribute added to ALLOWED_ATTRIBUTES needs a strict form
        # or a filter above, because this returns its value unchecked.
        return value
    redaction = redact_text(value, context, WHERE)
    findings.extend(redaction.findings)
    if attribute != "href":
        return redaction.text
    if redaction.text != value:
        return None

    # A percent-encoded address ("mailto:sam%40example.com") hides from the
    # filters, so the decoded link is checked as well.
    decoded = urllib.parse.unquote(value)
    decoded_redaction = redact_text(decoded, context, WHERE)
    if decoded_redaction.text != decoded:
        findings.extend(decoded_redaction.findings)
        return None
    return value


def strict_style(value: str) -> str | None:
    """Return the declarations of an inline style that pass, or None if none does.

    Each passing declaration is written again as "property: value", so
    nothing else of the original text (comments, escapes, stray words)
    reaches the output.
    """
    kept = []
    for declaration in value.split(";"):
        name, colon, setting = declaration.partition(":")
        name = name.strip().lower()
        setting = setting.strip().lower()
        if not colon or not name:
            continue
        form = _STYLE_VALUES.get(name)
        if form is not None and form.fullmatch(setting):
            kept.append(f"{name}: {setting}")
    return "; ".join(kept) or None


def _sanitise_again(fragment: str) -> str:
    # The fragment was rebuilt from parsed tokens. A second pass with the same
    # rules keeps the output within them even if the rebuilt markup is flawed.
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
    )


# Text nodes

# Start and end tags as nh3 0.3.8 writes them: a lower-case name, then
# attributes that each have a value in double quotes, in which nh3 escapes
# "&", "<", ">" and '"'. It writes no comments or processing instructions.
_SANITISED_TAG = re.compile(r'<(/?)([a-z][a-z0-9]*)((?: [a-z][a-z0-9-]*="[^"<>]*")*)>')
_SANITISED_ATTRIBUTE = re.compile(r' ([a-z][a-z0-9-]*)="([^"]*)"')


def _read_text_nodes(sanitised: str) -> _TextNodeFilter:
    """Parse an nh3-sanitised fragment into its markup and text nodes.

    HTMLParser spends most of its time on checks that nh3's output never
    needs, so the tags are read with one pattern instead. The result is what
    HTMLParser gives for such tags, and HTMLParser reads the fragment if any
    "<" does not start one.
    """
    nodes = _TextNodeFilter()
    if _read_sanitised_tags(sanitised, nodes):
        return nodes

    nodes = _TextNodeFilter()
    nodes.feed(sanitised)
    nodes.close()
    return nodes


def _read_sanitised_tags(sanitised: str, nodes: _TextNodeFilter) -> bool:
    """Feed the tags and text of `sanitised` to `nodes`.

    Return False, with part of the fragment fed, at a "<" that starts no tag
    of the form nh3 writes.
    """
    position = 0
    while (bracket := sanitised.find("<", position)) != -1:
        tag = _SANITISED_TAG.match(sanitised, bracket)
        if tag is None:
            return False
        if bracket > position:
            nodes.handle_data(html.unescape(sanitised[position:bracket]))
        closing, name, attributes = tag.groups()
        if closing or not attributes:
            nodes.handle_bare_tag(tag.group(), name)
        else:
            nodes.handle_starttag(name, _unescaped_attributes(attributes))
        position = tag.end()
    if position < len(sanitised):
        nodes.handle_data(html.unescape(sanitised[position:]))
    return True


def _unescaped_attributes(attributes: str) -> list[tuple[str, str | None]]:
    return [
        (name, html.unescape(value))
        for name, value in _SANITISED_ATTRIBUTE.findall(attributes)
    ]


# Whitespace that a browser collapses between blocks. A no-break space is
# left out, because "<p>&nbsp;</p>" shows as a blank line.
_COLLAPSED_SPACE = " \t\n\r\f"


def _is_blank(pieces: list[str | int], start: int) -> bool:
    """Check that `pieces[start:]` are only whitespace a browser collapses."""
    return all(
        isinstance(piece, str) and not piece.strip(_COLLAPSED_SPACE)
        for piece in pieces[start:]
    )


class _TextNodeFilter(HTMLParser):
    """Rebuilds an nh3-sanitised fragment, collecting its text nodes.

    `output` contains markup, and the index in `texts` of each text node,
    which `rebuild` replaces with the filtered text. `plain` is the same for
    the text that `extract_text` returns, so the fragment's text needs no
    second parse.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.output: list[str | int] = []
        self.plain: list[str | int] = []
        self.texts: list[str] = []
        # The index in `plain` of the line break of the last block boundary,
        # or None once text or a <br> follows it.
        self._boundary: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        rendered = "".join(
            f' {name}="{html.escape(value or "", quote=True)}"' for name, value in attrs
        )
        self.output.append(f"<{tag}{rendered}>")
        if tag in BLOCK_TAGS:
            self._add_line_break(tag, closing=False)

    def handle_endtag(self, tag: str) -> None:
        self.output.append(f"</{tag}>")
        if tag in BLOCK_TAGS:
            self._add_line_break(tag, closing=True)

    def handle_bare_tag(self, markup: str, tag: str) -> None:
        """Add an end tag, or a start tag without attributes, written as `markup`.

        `markup` must be what handle_starttag or handle_endtag would add for
        the tag, which saves rendering most tags again.
        """
        self.output.append(markup)
        if tag in BLOCK_TAGS:
            self._add_line_break(tag, closing=markup[1] == "/")

    def _add_line_break(self, tag: str, closing: bool) -> None:
        """Add the line break that block element `tag` makes in the text, if any.

        Each <br> is a line break. The start and end tags of other blocks
        with no text between them ("</li><li>", "</p><p></p><p>") make one
        line break together, as a browser shows them. So "LS6" and "2AB" in
        two list items read as the plain text "LS6\n2AB", not as two
        paragraphs. Whitespace between such tags is left out of the text.

        NOTE: line breaks inside a text node ("<td>\n07700\n</td>") stay in
        the text, although a browser shows them as spaces.
        """
        if tag == "br":
            # HTMLParser reads "<br/>" as a start and an end tag, and a
            # browser shows one line break.
            if not closing:
                self.plain.append("\n")
                self._boundary = None
            return
        boundary = self._boundary
        if boundary is not None and _is_blank(self.plain, boundary + 1):
            for index in range(boundary + 1, len(self.plain)):
                self.plain[index] = ""
            return
        self.plain.append("\n")
        self._boundary = len(self.plain) - 1

    def handle_data(self, data: str) -> None:
        if data.isspace():
            self.output.append(data)
            self.plain.append(data)
            return
        self.output.append(len(self.texts))
        self.plain.append(len(self.texts))
        self.texts.append(data)

    def text(self, texts: list[str]) -> str:
        """Return what `extract_text` returns for the fragment with `texts`."""
        pieces = [
            piece if isinstance(piece, str) else texts[piece] for piece in self.plain
        ]
        return _join_lines(pieces)

    def layout(self) -> _TextLayout:
        """Return the fragment's text with the place of each text node in it."""
        pieces: list[str] = []
        starts: list[int] = []
        position = 0
        for piece in self.plain:
            if isinstance(piece, int):
                starts.append(position)
                piece = self.texts[piece]
            pieces.append(piece)
            position += len(piece)
        joined = "".join(pieces)
        ends = [
            start + len(text) for start, text in zip(starts, self.texts, strict=True)
        ]
        return _TextLayout(joined, starts, ends, _removed_line_breaks(joined))

    def rebuild(self, texts: list[str]) -> str:
        """Return the fragment with `texts` in place of its text nodes, escaped."""
        return "".join(
            piece if isinstance(piece, str) else html.escape(texts[piece], quote=False)
            for piece in self.output
        )


_LINE_BREAK_RUN = re.compile(r"\n{3,}")


def _removed_line_breaks(joined: str) -> list[tuple[int, int]]:
    """Return the ranges of `joined` that `_join_lines` removes, in order.

    `_join_lines` keeps two line breaks of each run of three or more, and
    strips the line breaks at both ends.
    """
    stripped_start = len(joined) - len(joined.lstrip("\n"))
    if stripped_start == len(joined):
        return [(0, len(joined))] if joined else []
    stripped_end = len(joined.rstrip("\n"))
    removed = [(0, stripped_start)] if stripped_start else []
    for run in _LINE_BREAK_RUN.finditer(joined, stripped_start, stripped_end):
        removed.append((run.start() + 2, run.end()))
    if stripped_end < len(joined):
        removed.append((stripped_end, len(joined)))
    return removed


class _TextLayout:
    """The text of a fragment, as `extract_text` returns it, and its text nodes.

    `starts` and `ends` are the offsets of each text node in the text before
    `_join_lines` removed the line breaks in `removed`, which are ranges of
    that text too. `text` is the text after the removal.
    """

    def __init__(
        self,
        joined: str,
        starts: list[int],
        ends: list[int],
        removed: list[tuple[int, int]],
    ) -> None:
        self.starts = starts
        self.ends = ends
        self.text = "".join(_kept_pieces(joined, removed))
        # For each removal, the offset in `text` from which on offsets in
        # the joined text are larger by `shifts[i]`.
        self.shift_from: list[int] = []
        self.shifts: list[int] = []
        shift = 0
        for start, end in removed:
            self.shift_from.append(start - shift)
            shift += end - start
            self.shifts.append(shift)

    def spans_by_node(self, spans: list[Span]) -> list[list[Span]] | None:
        """Return the spans inside each text node, or None if one crosses nodes.

        The returned spans count from the start of the joined text, as
        `starts` does.
        """
        by_node: list[list[Span]] = [[] for _ in self.starts]
        for span in spans:
            start = self._joined_offset(span.start)
            end = max(start, self._joined_offset(span.end - 1) + 1)
            node = bisect_right(self.starts, start) - 1
            if node < 0 or end > self.ends[node]:
                return None
            by_node[node].append(Span(start, end, span.kind))
        return by_node

    def cut(self, texts: list[str], spans: list[tuple[int, int]]) -> list[str]:
        """Return `texts` without the parts that lie inside `spans` of `text`."""
        cuts: list[list[tuple[int, int]]] = [[] for _ in texts]
        for span_start, span_end in spans:
            start = self._joined_offset(span_start)
            end = max(start, self._joined_offset(span_end - 1) + 1)
            node = max(bisect_right(self.starts, start) - 1, 0)
            while node < len(texts) and self.starts[node] < end:
                node_start = self.starts[node]
                low = max(start, node_start) - node_start
                high = min(end, self.ends[node]) - node_start
                if low < high:
                    cuts[node].append((low, high))
                node += 1
        return [
            _without_ranges(text, ranges)
            for text, ranges in zip(texts, cuts, strict=True)
        ]

    def _joined_offset(self, offset: int) -> int:
        index = bisect_right(self.shift_from, offset) - 1
        return offset + (self.shifts[index] if index >= 0 else 0)


def _kept_pieces(joined: str, removed: list[tuple[int, int]]) -> list[str]:
    pieces = []
    cursor = 0
    for start, end in removed:
        pieces.append(joined[cursor:start])
        cursor = end
    pieces.append(joined[cursor:])
    return pieces


def _filter_text_nodes(
    nodes: _TextNodeFilter,
    layout: _TextLayout,
    spans_by_node: list[list[Span]],
    findings: list[Finding],
) -> CleanHtml:
    """Replace the spans in each text node and rebuild the fragment."""
    # A node without spans only loses its bidirectional controls, as in
    # apply_redaction, which costs little for the many nodes of a long part.
    texts = [remove_bidi_controls(text) for text in nodes.texts]
    node_findings: list[Finding] = []
    for index, spans in enumerate(spans_by_node):
        if not spans:
            continue
        start = layout.starts[index]
        redaction = apply_redaction(nodes.texts[index], spans, WHERE, offset=start)
        texts[index] = redaction.text
        node_findings.extend(redaction.findings)
    rebuilt = nodes.rebuild(texts)
    return CleanHtml(_sanitise_again(rebuilt), (*findings, *node_findings))


def _without_ranges(text: str, ranges: list[tuple[int, int]]) -> str:
    for low, high in reversed(ranges):
        text = text[:low] + text[high:]
    return text


def cut_text_spans(
    source: str, find_spans: Callable[[str], list[tuple[int, int]]]
) -> tuple[str, int]:
    """Remove from `source` the text that `find_spans` finds, and count the spans.

    `find_spans` gets the text as `extract_text` returns it and returns
    sorted spans that do not overlap. A span may cross tags: each text node
    loses the part of it that lies inside the span. `source` is returned
    unchanged when no span is found. Otherwise it is rebuilt from its parsed
    tags, without comments or declarations, and still needs `clean_html`.
    """
    nodes = _MarkupTextNodes()
    nodes.feed(source)
    nodes.close()
    layout = nodes.layout()
    spans = find_spans(layout.text)
    if not spans:
        return source, 0
    return nodes.rebuild(layout.cut(nodes.texts, spans)), len(spans)


class _MarkupTextNodes(_TextNodeFilter):
    """Reads unsanitised HTML, keeping every tag, with "<br/>" written as "<br>".

    The text of <script> and <style> elements becomes text nodes, which
    `clean_html` removes later with the elements.
    """

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def extract_text(fragment: str) -> str:
    """Return the text of an HTML fragment, one line per block element.

    nh3 output, such as a part after `filter_html`, is read with the tag
    pattern of `_read_text_nodes`, and any other fragment by HTMLParser.
    """
    nodes = _TextNodeFilter()
    if not _read_sanitised_tags(fragment, nodes):
        nodes = _TextNodeFilter()
        nodes.feed(fragment)
        nodes.close()
    return nodes.text(nodes.texts)


def extract_text_start(fragment: str, length: int) -> str:
    """Return a prefix of `extract_text(fragment)` of at least `length` characters.

    The whole text is returned when it is shorter. Only as much of the
    fragment is read as the prefix needs: the fragment is cut before a
    "<", and the text of the part before the cut is a prefix of the whole
    text. `fragment` should be nh3 output, such as a part after
    `filter_html`, which is read with the tag pattern of `_read_text_nodes`.
    Any other fragment is read whole by `extract_text`.
    """
    cut = 4 * length
    while True:
        end = fragment.find("<", cut)
        if end == -1:
            end = len(fragment)
        nodes = _TextNodeFilter()
        if not _read_sanitised_tags(fragment[:end], nodes):
            return extract_text(fragment)
        text = nodes.text(nodes.texts)
        if len(text) >= length or end == len(fragment):
            return text
        cut = 2 * end


def _join_lines(pieces: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "".join(pieces)).strip("\n")
