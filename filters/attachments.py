"""Attachment removal: every part that is not a text body leaves the message.

That covers files, inline images, forwarded messages (message/rfc822 and
message/global), delivery reports, winmail.dat, calendar invitations and
S/MIME or PGP signatures, and uuencoded files inside a plain-text body. Each
removed file gets a finding and a one-line notice that the last step adds to
the text. Encrypted content cannot be filtered, so the message is held.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import replace

from filters import fragments, junctions
from filters.base import FilterContext, Finding
from filters.html import extract_text
from filters.mime import (
    Draft,
    Multipart,
    Node,
    OpaquePart,
    StepResult,
    TextPart,
    UnreadablePart,
    flatten,
    iter_leaves,
    iter_text_parts,
    map_text_parts,
)
from filters.text import find_redaction_spans, redact_text

log = logging.getLogger(__name__)

NOTICE = "[attachment removed: {name}]"
MAX_NAME_CHARS = 100
# Notice labels for parts without a file name, by main content type.
TYPE_DESCRIPTIONS = {
    "image": "image",
    "audio": "audio",
    "video": "video",
    "application": "file",
    "message": "attached message",
}
DEFAULT_DESCRIPTION = "file"

ENCRYPTED_TYPES = {"application/pkcs7-mime", "application/x-pkcs7-mime"}
# S/MIME smime-type values that only sign or carry certificates. Any other
# value, or none, is treated as encrypted.
UNENCRYPTED_SMIME_TYPES = {"signed-data", "certs-only"}
PGP_MESSAGE = "-----BEGIN PGP MESSAGE-----"

# The begin line may be indented or quoted ("> begin 644 name"). The data
# lines then carry the same prefix.
UUENCODE_BEGIN = re.compile(r"(?P<prefix>[ \t>]*)begin [0-7]{3,4} (?P<name>\S.*)")

# A file name keeps its name in the notice only if no word in it mixes
# letters and digits ("samj04", "2010sam") or has five or more digits, which
# may be part of a phone number. Camera names ("IMG_1234") lose theirs too,
# which costs the reader little. One letter before at most three digits is a
# version, quarter or year group ("v2", "Q3", "Y10"), and digits before "st",
# "nd", "rd" or "th" an ordinal ("2nd"). Both are shorter than most handles,
# so they keep the name.
_WORD = re.compile(r"[^\W_]+")
_HANDLE_WORD = re.compile(r"[^\W\d_]+[0-9]+\w*|[0-9]+[^\W\d_]+\w*|[0-9]{5,}")
_SHORT_MARK = re.compile(r"[A-Za-z][0-9]{1,3}|[0-9]{1,3}(?:st|nd|rd|th)", re.I)
# Characters that could end a notice or start markup in it.
_UNSAFE_NAME_CHARS = re.compile(r"[\[\]<>{}]")
# A text ending in one of these introduces what follows it.
_INTRODUCING_MARKS = (":", "@")
# Extensions shown when the name is not: letters first, at most 4 characters.
_EXTENSION = re.compile(r"[A-Za-z][A-Za-z0-9]{0,3}")


# Encrypted content


def hold_encrypted(draft: Draft, context: FilterContext) -> StepResult:
    """Hold a message with encrypted parts, which the filters cannot read."""
    encrypted = _has_encrypted_multipart(draft.body) or any(
        _is_encrypted(leaf) for leaf in iter_leaves(draft.body)
    )
    if not encrypted:
        return StepResult(draft)
    reason = "The message is encrypted, so its content cannot be filtered."
    return StepResult(draft, hold_reasons=(reason,))


def _is_encrypted(leaf: Node) -> bool:
    if isinstance(leaf, TextPart):
        return PGP_MESSAGE in leaf.text
    if isinstance(leaf, OpaquePart):
        return (
            leaf.content_type in ENCRYPTED_TYPES
            and leaf.smime_type not in UNENCRYPTED_SMIME_TYPES
        )
    return False


def _has_encrypted_multipart(node: Node) -> bool:
    if not isinstance(node, Multipart):
        return False
    if node.subtype == "encrypted":
        return True
    return any(_has_encrypted_multipart(child) for child in node.parts)


# Attachment parts


def remove_attachments(draft: Draft, context: FilterContext) -> StepResult:
    """Remove every part that is not a text body, with a finding and a notice each."""
    removed: list[OpaquePart | UnreadablePart] = []
    body = _prune(draft.body, removed)
    findings: list[Finding] = []
    notices: list[str] = []
    for part in removed:
        name = part.filename if isinstance(part, OpaquePart) else ""
        fallback = describe_type(part.content_type)
        label, name_findings = describe_file(name, fallback, context)
        findings.append(Finding("attachment", part.content_type, detail=label))
        findings.extend(name_findings)
        notices.append(NOTICE.format(name=label))

    if body is None:
        body = TextPart("plain", "")
    return StepResult(Draft(body, (*draft.notices, *notices)), tuple(findings))


def _prune(node: Node, removed: list[OpaquePart | UnreadablePart]) -> Node | None:
    if isinstance(node, TextPart):
        return node
    if isinstance(node, Multipart):
        children = (_prune(child, removed) for child in node.parts)
        remaining = tuple(child for child in children if child is not None)
        return flatten(replace(node, parts=remaining))
    removed.append(node)
    return None


def describe_type(content_type: str) -> str:
    """Return the fixed description of a nameless part of `content_type`.

    Only the main type counts, because the sender chooses the subtype
    freely ("image/x-07700900123"), and a notice must not repeat it.
    """
    main_type = content_type.partition("/")[0].strip().lower()
    return TYPE_DESCRIPTIONS.get(main_type, DEFAULT_DESCRIPTION)


def describe_file(
    filename: str, fallback: str, context: FilterContext
) -> tuple[str, list[Finding]]:
    """Return a safe label for a removed file, and what the text filters removed.

    The label is the file name with its spaces collapsed, shortened to
    MAX_NAME_CHARS and passed through the text filters, or `fallback`, a
    fixed description, when there is no name. A name with control
    characters or brackets may close the notice and add text after it
    ("a.png]\r\n\r\nhello [b.png"), so it is replaced by its extension.
    """
    name = " ".join(filename.split())
    if len(name) > MAX_NAME_CHARS:
        name = name[: MAX_NAME_CHARS - 1] + "…"
    if not name:
        return fallback, []
    redaction = redact_text(name, context, "attachment")
    if redaction.findings or _is_unsafe(filename) or _may_carry_contact(name):
        return _extension_label(name, fallback), redaction.findings
    return name, []


def _is_unsafe(filename: str) -> bool:
    """Check for control characters or brackets in a file name."""
    printable = all(char.isprintable() for char in filename)
    return not printable or _UNSAFE_NAME_CHARS.search(filename) is not None


def _may_carry_contact(name: str) -> bool:
    """Check for a word in a file name that may be a handle or an address.

    The text filters miss a handle with no service named next to it
    ("samj04.pdf") and an address with its domain cut short
    ("samjones2010 on gmail"), so a name with such a word is not shown.
    """
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem = extension
    elif not _EXTENSION.fullmatch(extension):
        return True
    if "@" in stem or "_" in stem:
        return True
    return any(
        _HANDLE_WORD.fullmatch(word) and not _SHORT_MARK.fullmatch(word)
        for word in _WORD.findall(stem)
    )


def _extension_label(name: str, fallback: str) -> str:
    """Return "pdf file" for "samj04.pdf", or `fallback` with no plain extension."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not _EXTENSION.fullmatch(extension):
        return fallback
    return f"{extension.lower()} file"


# uuencoded files inside plain text


def remove_uuencoded(draft: Draft, context: FilterContext) -> StepResult:
    """Remove uuencoded blocks ("begin 644 name" ... "end") from plain-text parts."""
    findings: list[Finding] = []
    notices: list[str] = []

    def strip(part: TextPart) -> TextPart:
        if part.subtype != "plain" or "begin" not in part.text:
            return part
        text, names = strip_uuencoded(part.text)
        for filename in names:
            label, name_findings = describe_file(filename, "uuencoded file", context)
            findings.append(Finding("attachment", "text/plain", detail=label))
            findings.extend(name_findings)
            notices.append(NOTICE.format(name=label))
        return replace(part, text=text)

    body = map_text_parts(draft.body, strip)
    draft = Draft(body, (*draft.notices, *notices))
    return StepResult(draft, tuple(findings))


def strip_uuencoded(text: str) -> tuple[str, list[str]]:
    """Return `text` without its uuencoded blocks, and the file names they carried.

    A block is a "begin MODE NAME" line, at least one data line after it,
    and the "end" line if there is one. An indented or quoted block counts
    when its data lines start with the same indent or quote marks.
    """
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    names: list[str] = []
    index = 0
    while index < len(lines):
        match = UUENCODE_BEGIN.fullmatch(lines[index].rstrip("\r\n"))
        end = None if match is None else _uuencoded_block_end(lines, index, match)
        if match is None or end is None:
            kept.append(lines[index])
            index += 1
            continue
        names.append(match["name"])
        index = end
    return "".join(kept), names


def _uuencoded_block_end(
    lines: list[str], begin: int, match: re.Match[str]
) -> int | None:
    """Return the index after a block's last line, or None with no data line."""
    prefix = match["prefix"]
    index = begin + 1
    while index < len(lines) and is_uuencoded_line(_unprefixed(lines[index], prefix)):
        index += 1
    if index == begin + 1:
        return None
    if index < len(lines) and _unprefixed(lines[index], prefix).strip() == "end":
        index += 1
    return index


def _unprefixed(line: str, prefix: str) -> str:
    """Return `line` without its line break and `prefix`, or "" if it lacks it."""
    line = line.rstrip("\r\n")
    return line[len(prefix) :] if line.startswith(prefix) else ""


def is_uuencoded_line(line: str) -> bool:
    # Each line starts with a character giving its byte count (" " + n),
    # followed by 4 characters per 3 bytes, all between " " and "`". Mailers
    # may strip up to two trailing spaces, and some encoders add a checksum.
    if not line or not all(" " <= char <= "`" for char in line):
        return False
    byte_count = (ord(line[0]) - 32) & 63
    expected = (byte_count + 2) // 3 * 4
    return expected - 2 <= len(line) - 1 <= expected + 2


# Notices


def add_notices(draft: Draft, context: FilterContext) -> StepResult:
    """Add the notices of removed files to the first plain and first HTML part.

    A file name that completes a detail with the text is replaced by the
    file's type. A message left with no text part gets a plain-text part
    with the notices.
    """
    if not draft.notices:
        return StepResult(draft)
    texts = list(iter_text_parts(draft.body))
    first_plain = next((p for p in texts if p.subtype == "plain"), None)
    first_html = next((p for p in texts if p.subtype == "html"), None)
    if first_plain is None and first_html is None:
        body: Node = TextPart("plain", "\n".join(draft.notices) + "\n")
        return StepResult(Draft(body))

    before = "\n".join([context.previous_tail, *(_visible(part) for part in texts)])
    notices = tuple(
        _notice_without_piece(notice, before, context) for notice in draft.notices
    )

    def add(part: TextPart) -> TextPart:
        if part is first_plain:
            return replace(part, text=_plain_with_notices(part.text, notices))
        if part is first_html:
            return replace(part, text=_html_with_notices(part.text, notices))
        return part

    return StepResult(Draft(map_text_parts(draft.body, add)))


def _notice_without_piece(notice: str, before: str, context: FilterContext) -> str:
    """Return `notice` naming the file by its type if its name completes a detail.

    "mail sam.j@" over an attachment named "example.net.jpg" reads as an
    email address, and "I live at 14" over "Acacia Avenue.jpg" as an
    address, so such a name is not shown.
    """
    prefix, _, rest = NOTICE.partition("{name}")
    if not notice.startswith(prefix) or not notice.endswith(rest):
        return notice
    name = notice[len(prefix) : len(notice) - len(rest)]
    stem, dot, _ = name.rpartition(".")
    # Labels such as "image" or "jpg file" name no file, and have no dot.
    # NOTE: a file name with no extension keeps its name whatever precedes it.
    if not dot or not stem or not _completes_detail(before, stem, context):
        return notice
    return NOTICE.format(name=_extension_label(name, DEFAULT_DESCRIPTION))


def _completes_detail(before: str, stem: str, context: FilterContext) -> bool:
    """Check whether `stem` read right after `before` finishes a contact detail.

    The notice follows the text on the same screen, so the end of the text
    and the name are read as one line, and as pieces for filters.fragments.
    """
    tail = before[-junctions.TAIL_CHARS :].rstrip()
    if tail.endswith(_INTRODUCING_MARKS):
        # "snapchat:" or "add me @" over "samj.jpg": the text introduces the
        # name, which may then be a handle that no filter recognises.
        return True
    joined = f"{tail} {stem}"
    crossing = any(
        span.start < len(tail) < span.end
        for span in find_redaction_spans(joined, context)
    )
    if crossing or junctions.find_split_detail(before, stem, context):
        return True
    return bool(
        fragments.find_phone_pieces([stem], before)
        or fragments.find_postcode_pieces([stem], before)
        or fragments.find_address_pieces(["", stem], before)
    )


def _visible(part: TextPart) -> str:
    return extract_text(part.text) if part.subtype == "html" else part.text


def _plain_with_notices(text: str, notices: tuple[str, ...]) -> str:
    lines = "\n".join(notices) + "\n"
    if not text.strip():
        return lines
    return text.rstrip("\n") + "\n\n" + lines


def _html_with_notices(text: str, notices: tuple[str, ...]) -> str:
    paragraphs = "".join(f"<p>{html.escape(notice)}</p>" for notice in notices)
    return text + "\n" + paragraphs
