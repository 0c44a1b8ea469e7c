"""Removal of other people's mail forwarded inline in a text part.

Participants may not forward mail from outside the relationship. A mail
client that forwards inline writes a marker line and the forwarded header
block into the body:

- Gmail, Thunderbird and Yahoo: "---------- Forwarded message ---------"
  (the number of dashes and the capitals vary);
- Apple Mail: "Begin forwarded message:";
- Outlook: "-----Original Message-----", or a line of underscores, then
  From:, Sent: (or Date:), To: and Subject: lines.

The first two mark a forward and nothing else. Outlook writes the same block
when it quotes a message in a reply, so an Outlook block counts as a forward
only when its From: line has no address on the relay's domain. A reply to
the partner quotes a message that came through the relay, whose From: is
the partner's alias, so it stays. A "Fwd:" subject alone is not enough,
because people reuse subjects.

The forwarded block runs from the marker to the end of the part, or to the
end of the quoted lines when the marker itself is quoted ("> "). It is
replaced by NOTICE, and each removal is a finding of kind "forwarded".
"""

from __future__ import annotations

import re
from dataclasses import replace

from filters.base import FilterContext, Finding
from filters.mime import Draft, StepResult, TextPart, map_text_parts
from filters.safeguarding import html_to_text

KIND = "forwarded"
NOTICE = "[forwarded message removed]"
HTML_NOTICE = f"<p>{NOTICE}</p>"

# Lines after an Outlook separator that are searched for its header block.
HEADER_LINES = 8

QUOTE_PREFIX = re.compile(r"[ \t]*(?:>[ \t]*)*")
PLAIN_MARKER = re.compile(
    r"^(?P<prefix>[ \t]*(?:>[ \t]*)*)(?:"
    r"(?P<forward>-{5,}[ \t]*Forwarded message[ \t]*-{5,})"
    r"|(?P<apple>Begin forwarded message:)"
    r"|(?P<outlook>-{5,}[ \t]*Original Message[ \t]*-{5,}|_{10,})"
    r")[ \t]*\r?$",
    re.IGNORECASE | re.MULTILINE,
)
HTML_MARKER = re.compile(
    r"(?P<forward>-{5,}\s*Forwarded message\s*-{5,})"
    r"|(?P<apple>Begin forwarded message:)"
    r"|(?P<outlook>-{5,}\s*Original Message\s*-{5,}"
    r"|<div\b[^>]*\bid=[\"']?divRplyFwdMsg"
    r"|<div\b[^>]*border-top:\s*solid\s+#E1E1E1)",
    re.IGNORECASE,
)
# Characters of HTML after an Outlook marker that hold its header block.
HTML_HEADER_CHARS = 4000
# Every marker above contains one of these, so a text without any of them is
# skipped without running the regular expressions, which are slow on long
# machine-made HTML with many dashes or <div> tags.
MARKER_WORDS = (
    "forwarded message",
    "original message",
    "__________",
    "divrplyfwdmsg",
    "#e1e1e1",
)
FROM_LINE = re.compile(r"^\W*From:(?P<value>.*)$", re.IGNORECASE | re.MULTILINE)
DATE_LINE = re.compile(r"^\W*(?:Sent|Date):", re.IGNORECASE | re.MULTILINE)


def remove_forwarded(draft: Draft, context: FilterContext) -> StepResult:
    """Replace inline forwarded messages in every text part with NOTICE."""
    findings: list[Finding] = []

    def clean_part(part: TextPart) -> TextPart:
        if part.subtype == "plain":
            text, styles = strip_forwarded_text(part.text, context.relay_domain)
        else:
            text, styles = strip_forwarded_html(part.text, context.relay_domain)
        where = f"text/{part.subtype}"
        findings.extend(Finding(KIND, where, detail=style) for style in styles)
        return replace(part, text=text) if styles else part

    body = map_text_parts(draft.body, clean_part)
    return StepResult(replace(draft, body=body), tuple(findings))


# Plain text


def strip_forwarded_text(text: str, relay_domain: str) -> tuple[str, list[str]]:
    """Return `text` without forwarded blocks, and the style of each one removed.

    A style is "forwarded-message", "apple-mail" or "outlook".
    """
    if not _may_have_marker(text) or PLAIN_MARKER.search(text) is None:
        return text, []
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    styles: list[str] = []
    index = 0
    while index < len(lines):
        marker = _forward_marker(lines, index, relay_domain)
        if marker is None:
            kept.append(lines[index])
            index += 1
            continue
        style, prefix = marker
        styles.append(style)
        kept.append(f"{prefix}{NOTICE}\n")
        index = _block_end(lines, index + 1, prefix)
    return "".join(kept), styles


def _forward_marker(
    lines: list[str], index: int, relay_domain: str
) -> tuple[str, str] | None:
    match = PLAIN_MARKER.match(lines[index])
    if match is None:
        return None
    prefix = match["prefix"]
    if match["forward"]:
        return "forwarded-message", prefix
    if match["apple"]:
        return "apple-mail", prefix
    header = "".join(
        line.removeprefix(prefix)
        for line in lines[index + 1 : index + 1 + HEADER_LINES]
    )
    if not is_forwarded_header(header, relay_domain):
        return None
    return "outlook", prefix


def is_forwarded_header(header: str, relay_domain: str) -> bool:
    """Return whether an Outlook header block shows mail from outside the relay.

    The block must have a From: line and a Sent: or Date: line, so that a
    line of underscores in ordinary text is not taken for a separator.
    """
    sender = FROM_LINE.search(header)
    if sender is None or DATE_LINE.search(header) is None:
        return False
    return f"@{relay_domain.lower()}" not in sender["value"].lower()


def _block_end(lines: list[str], start: int, prefix: str) -> int:
    depth = prefix.count(">")
    if depth == 0:
        return len(lines)
    index = start
    while index < len(lines) and _quote_depth(lines[index]) >= depth:
        index += 1
    return index


def _quote_depth(line: str) -> int:
    match = QUOTE_PREFIX.match(line)
    return match.group().count(">") if match else 0


def _may_have_marker(text: str) -> bool:
    lower = text.lower()
    return any(word in lower for word in MARKER_WORDS)


# HTML


def strip_forwarded_html(source: str, relay_domain: str) -> tuple[str, list[str]]:
    """Return `source` cut at its first forwarded message, and the style removed.

    Everything from the marker on is replaced by HTML_NOTICE. The cut can
    leave elements open, and the HTML step that runs later closes them.
    """
    if not _may_have_marker(source):
        return source, []
    for match in HTML_MARKER.finditer(source):
        if match["forward"]:
            style = "forwarded-message"
        elif match["apple"]:
            style = "apple-mail"
        else:
            chunk = source[match.start() : match.start() + HTML_HEADER_CHARS]
            if not is_forwarded_header(html_to_text(chunk), relay_domain):
                continue
            style = "outlook"
        # NOTE: a marker inside a quoted <blockquote> also cuts to the end,
        # so text the sender wrote below the quote is removed with it.
        return source[: match.start()] + HTML_NOTICE, [style]
    return source, []
