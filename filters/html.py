"""HTML sanitising and filtering of text/html parts.

nh3 (the Ammonia sanitiser) keeps a small set of formatting tags and drops
scripts, styles, forms, frames, embedded objects, every image and every
event-handler attribute. Links may only use http, https or mailto, and a link
whose address the text filters would change loses its href. The text filters
then run over each text node and over the title attributes that remain.

Contact details split across tags ("07700 <b>900</b> 123") pass a per-node
check, so the filters also run over the plain text of the whole part. If that
pass still finds something to remove, the part is replaced by the filtered
plain text in a <pre> element.
"""

from __future__ import annotations

import html
import logging
import re
import urllib.parse
from dataclasses import dataclass, replace
from html.parser import HTMLParser

import nh3

from filters.base import FilterContext, Finding
from filters.mime import Draft, StepResult, TextPart, map_text_parts
from filters.text import redact_text, redact_texts

log = logging.getLogger(__name__)

WHERE = "text/html"

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code",
    "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small",
    "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "tt", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
}
# Elements removed together with their content. Every other element that is
# not allowed is removed, but its text stays. Ruby annotations (<rt>, <rp>)
# go with their text, because once the tags are gone their text would join
# the base text: "07700<rt>x</rt>900123" would read "07700x900123", which
# hides the phone number that the reader sees.
REMOVED_WITH_CONTENT = {"script", "style", "title", "template", "noscript", "rt", "rp"}
URL_SCHEMES = {"http", "https", "mailto"}
FILTERED_ATTRIBUTES = {"href", "title", "alt"}

# Elements that start a new line when the HTML is read as plain text.
BLOCK_TAGS = {
    "blockquote", "br", "caption", "center", "dd", "div", "dl", "dt", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "table", "td",
    "th", "tr", "ul",
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

    nodes = _TextNodeFilter()
    nodes.feed(sanitised)
    nodes.close()
    filtered, filtered_text, node_findings = _filter_text_nodes(nodes, context)
    if not _would_redact(filtered_text, context):
        return CleanHtml(_sanitise_again(filtered), (*findings, *node_findings))

    redaction = redact_text(nodes.text(nodes.texts), context, WHERE)
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

    Findings from the attribute values are appended to `findings`.
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

    return nh3.clean(
        source,
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=filter_attribute,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
    )


def _filter_attribute(
    attribute: str, value: str, context: FilterContext, findings: list[Finding]
) -> str | None:
    if attribute not in FILTERED_ATTRIBUTES:
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


def _would_redact(text: str, context: FilterContext) -> bool:
    return redact_text(text, context, WHERE).text != text


# Text nodes


class _TextNodeFilter(HTMLParser):
    """Rebuilds an nh3-sanitised fragment, collecting its text nodes.

    `output` contains markup, and the index in `texts` of each text node, which
    _filter_text_nodes replaces with the filtered text. `plain` is the same
    for the text that `extract_text` returns, so the rebuilt fragment's text
    needs no second parse.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.output: list[str | int] = []
        self.plain: list[str | int] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        rendered = "".join(
            f' {name}="{html.escape(value or "", quote=True)}"' for name, value in attrs
        )
        self.output.append(f"<{tag}{rendered}>")
        if tag in BLOCK_TAGS:
            self.plain.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self.output.append(f"</{tag}>")
        if tag in BLOCK_TAGS:
            self.plain.append("\n")

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


def _filter_text_nodes(
    parser: _TextNodeFilter, context: FilterContext
) -> tuple[str, str, list[Finding]]:
    """Return the rebuilt fragment with filtered text nodes, its text, and findings."""
    # All text nodes are filtered in one call, which gives the same result as
    # one call per node at a fraction of the cost.
    redactions = redact_texts(parser.texts, context, WHERE)
    pieces = [
        piece
        if isinstance(piece, str)
        else html.escape(redactions[piece].text, quote=False)
        for piece in parser.output
    ]
    findings = [finding for redaction in redactions for finding in redaction.findings]
    text = parser.text([redaction.text for redaction in redactions])
    return "".join(pieces), text, findings


class _TextExtractor(HTMLParser):
    """Collects the text of a fragment, with line breaks between blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)


def extract_text(fragment: str) -> str:
    """Return the text of an HTML fragment, one line per block element."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    return _join_lines(parser.pieces)


def _join_lines(pieces: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "".join(pieces)).strip("\n")
