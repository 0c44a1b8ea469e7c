"""Turning stored messages into safe page content.

Participant content is untrusted. Templates escape every value (Jinja2
autoescape); the helpers here return `Markup` only after escaping each piece
themselves, and HTML parts of a delivered copy go through nh3 again with a
short list of tags and no attributes, so no link, image, style or script
reaches the page. Originals are never rendered as HTML: their parts and
their source are shown as text.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

import nh3
from markupsafe import Markup, escape

from archive.console import SNIPPET_END, SNIPPET_START

MAX_PARTS = 50
MAX_PART_CHARS = 200_000
MAX_SOURCE_BYTES = 1_000_000

# Tags kept in a delivered HTML part. Links are dropped (their text stays),
# because the console must not send staff to addresses chosen by a sender.
SAFE_TAGS = {
    "p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "sub", "sup",
    "ul", "ol", "li", "blockquote", "pre", "code", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


@dataclass(frozen=True)
class TextPart:
    content_type: str
    text: str
    truncated: bool = False


def text_parts(raw: bytes) -> list[TextPart]:
    """Decode the text/plain and text/html parts of a message, at most MAX_PARTS.

    An HTML part is returned as its source text; the caller decides whether
    to sanitise it or show it as text.
    """
    if not raw:
        return []
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    parts: list[TextPart] = []
    for index, part in enumerate(message.walk()):
        if index >= MAX_PARTS:
            break
        content_type = part.get_content_type()
        if content_type not in ("text/plain", "text/html"):
            continue
        if part.get_content_disposition() == "attachment":
            continue
        parts.append(_decoded(part, content_type))
    return parts


def _decoded(part: email.message.Message, content_type: str) -> TextPart:
    try:
        text = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(text, str):
        text = ""
    truncated = len(text) > MAX_PART_CHARS
    return TextPart(content_type, text[:MAX_PART_CHARS], truncated)


def source_text(raw: bytes) -> tuple[str, bool]:
    """Return the raw message as text (invalid UTF-8 replaced), cut to a size."""
    truncated = len(raw) > MAX_SOURCE_BYTES
    return raw[:MAX_SOURCE_BYTES].decode("utf-8", "replace"), truncated


def safe_html(html: str) -> Markup:
    """Sanitise a delivered HTML part down to text formatting."""
    cleaned = nh3.clean(
        html,
        tags=SAFE_TAGS,
        attributes={},
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
    )
    return Markup(cleaned)  # nh3 output, with no attributes allowed


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """Escape `text` and wrap every case-insensitive match of a term in <mark>."""
    longest_first = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not longest_first:
        return escape(text)
    alternatives = "|".join(re.escape(t) for t in longest_first)
    pattern = re.compile(alternatives, re.IGNORECASE)
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(str(escape(text[last : match.start()])))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    pieces.append(str(escape(text[last:])))
    return Markup("".join(pieces))  # every piece was escaped above


def excerpt(text: str, terms: Iterable[str], width: int = 160) -> str:
    """Return the text around the first matched term, or the start of the text."""
    lowered = text.casefold()
    positions = [lowered.find(t.casefold()) for t in terms if t.strip()]
    found = [p for p in positions if p >= 0]
    if not found:
        return text[: width * 2] + ("..." if len(text) > width * 2 else "")
    start = max(min(found) - width, 0)
    end = min(min(found) + width, len(text))
    prefix = "..." if start > 0 else ""
    suffix = "..." if end < len(text) else ""
    return f"{prefix}{text[start:end]}{suffix}"


def snippet(text: str) -> Markup:
    """Escape a search snippet and turn its match markers into <mark>."""
    escaped = str(escape(text))
    escaped = escaped.replace(SNIPPET_START, "<mark>").replace(SNIPPET_END, "</mark>")
    # A snippet cut inside a match leaves one marker unpaired.
    if escaped.count("<mark>") > escaped.count("</mark>"):
        escaped += "</mark>"
    return Markup(escaped)  # escaped before the tags went in


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def age(value: str, now: datetime) -> str:
    """Describe how long ago an ISO 8601 time was: "5 min", "3 h", "2 days"."""
    return duration((now - parse_time(value)).total_seconds())


def duration(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"
