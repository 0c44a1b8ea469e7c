"""Removal of files pasted into a plain-text body as encoded text.

A file does not need an attachment to cross: its base64 text pasted into
the body carries it just as well, and so does a data URI, a
"begin-base64" block (uuencode -m) or a PEM block ("-----BEGIN ...-----").
Each such block is removed from text/plain parts, with a finding and a
notice like those of removed attachments. Classic uuencoded blocks are
removed by filters.attachments.

Ordinary text must stay, so a run of base64 characters counts only when it
is long enough to carry a file and mixes upper case, lower case and digits,
which English words and hexadecimal ids do not. A long run inside a web
address stays with the address.
"""

from __future__ import annotations

import re
from dataclasses import replace

from filters.attachments import NOTICE
from filters.base import FilterContext, Finding
from filters.mime import Draft, StepResult, TextPart, map_text_parts

NOTICE_NAME = "file pasted as text"

# Lines of base64 text: at least MIN_RUN_LINES consecutive lines, each of at
# least MIN_LINE_CHARS characters, or one token of at least MIN_TOKEN_CHARS.
# Encoders wrap at 64 (PEM) or 76 (MIME) characters.
MIN_RUN_LINES = 5
MIN_LINE_CHARS = 40
MIN_TOKEN_CHARS = 200

# Indentation and quote marks ("> ") in front of a pasted line.
_LINE_PREFIX = " \t>"
_BASE64_LINE = re.compile(rf"[A-Za-z0-9+/]{{{MIN_LINE_CHARS},}}={{0,2}}")
_BASE64_TAIL = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_ARMOUR_LINE = re.compile(r"[A-Za-z0-9+/=]+|[A-Za-z][A-Za-z0-9-]*: .*|")
_PEM_BEGIN = re.compile(r"-----BEGIN (?P<label>[A-Z0-9][A-Z0-9 ]*)-----")
# A signed PGP message starts with cleartext that the sender wrote, so only
# its signature block is removed.
_CLEARTEXT_LABELS = {"PGP SIGNED MESSAGE"}
_BEGIN_BASE64 = re.compile(r"begin-base64 [0-7]{3,4} \S.*")
_BEGIN_BASE64_END = "===="
_DATA_URI = re.compile(
    r"data:[\w.+/-]*(?:;[\w.+-]+(?:=[\w.+-]*)?)*;base64,[A-Za-z0-9+/=]*"
    rf"(?:\r?\n[ \t>]*[A-Za-z0-9+/]{{{MIN_LINE_CHARS},}}={{0,2}}(?![^\r\n]))*",
    re.IGNORECASE,
)
_LONG_WORD = re.compile(rf"\S{{{MIN_TOKEN_CHARS},}}")
_BASE64_TOKEN = re.compile(
    rf"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{{{MIN_TOKEN_CHARS},}}={{0,2}}"
)
_WEB_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*://|www\.", re.IGNORECASE)


def remove_pasted_files(draft: Draft, context: FilterContext) -> StepResult:
    """Remove files pasted as text from plain-text parts, with a notice each."""
    removed = 0

    def strip(part: TextPart) -> TextPart:
        nonlocal removed
        if part.subtype != "plain":
            return part
        text, count = strip_pasted_files(part.text)
        removed += count
        return replace(part, text=text) if count else part

    body = map_text_parts(draft.body, strip)
    if not removed:
        return StepResult(draft)

    notices = (NOTICE.format(name=NOTICE_NAME),) * removed
    finding = Finding("attachment", "text/plain", removed, detail=NOTICE_NAME)
    return StepResult(Draft(body, (*draft.notices, *notices)), (finding,))


def strip_pasted_files(text: str) -> tuple[str, int]:
    """Return `text` without its pasted files, and how many were removed."""
    text, block_count = _strip_blocks(text)
    text, uri_count = _strip_data_uris(text)
    text, token_count = _strip_long_tokens(text)
    return text, block_count + uri_count + token_count


def _completes_base64(data: str, line: str) -> bool:
    """Check that `line` is the short last line of the base64 text `data`.

    Base64 text comes in groups of four characters, so the last line makes
    the length a multiple of four, and it contains padding, a digit, "+" or
    "/". A word after the data ("Thanks", "Best") does not pass both.
    """
    if _BASE64_TAIL.fullmatch(line) is None:
        return False
    if (len(data) + len(line)) % 4 != 0:
        return False
    return line.endswith("=") or any(c.isdigit() or c in "+/" for c in line)


# Blocks of whole lines


def _strip_blocks(text: str) -> tuple[str, int]:
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    count = 0
    index = 0
    while index < len(lines):
        end, pasted = _block_end(lines, index)
        if pasted:
            count += 1
        else:
            kept.extend(lines[index:end])
        index = end
    return "".join(kept), count


def _block_end(lines: list[str], start: int) -> tuple[int, bool]:
    """Return the index after the lines read from `start`, and if they are a file.

    Lines that were read and are no file are never read again, so a long
    run of base64-like lines costs linear time.
    """
    content = _content(lines[start])
    end: int | None = None
    if content.startswith("-----BEGIN "):
        end = _pem_block_end(lines, start)
    elif content.startswith("begin-base64 "):
        end = _begin_base64_end(lines, start)
    else:
        return _base64_run_end(lines, start)
    return (start + 1, False) if end is None else (end, True)


def _content(line: str) -> str:
    """Return `line` without indentation, quote marks or trailing whitespace."""
    return line.rstrip().lstrip(_LINE_PREFIX)


def _pem_block_end(lines: list[str], start: int) -> int | None:
    begin = _PEM_BEGIN.fullmatch(_content(lines[start]))
    if begin is None or begin["label"] in _CLEARTEXT_LABELS:
        return None

    # The block runs over base64 lines, armour headers ("Version: 1") and
    # blank lines, up to the END line. Trailing blank lines stay.
    end = start + 1
    index = start + 1
    while index < len(lines) and _ARMOUR_LINE.fullmatch(_content(lines[index])):
        index += 1
        if _content(lines[index - 1]):
            end = index
    closing = f"-----END {begin['label']}-----"
    if end < len(lines) and _content(lines[end]) == closing:
        end += 1
    return end


def _begin_base64_end(lines: list[str], start: int) -> int | None:
    if _BEGIN_BASE64.fullmatch(_content(lines[start])) is None:
        return None
    index = start + 1
    while index < len(lines) and _BASE64_TAIL.fullmatch(_content(lines[index])):
        index += 1
    if index < len(lines) and _content(lines[index]) == _BEGIN_BASE64_END:
        index += 1
    return index


def _base64_run_end(lines: list[str], start: int) -> tuple[int, bool]:
    index = start
    while index < len(lines) and _BASE64_LINE.fullmatch(_content(lines[index])):
        index += 1
    if index == start:
        return start + 1, False
    if index - start < MIN_RUN_LINES:
        return index, False
    if not _mixes_character_classes("".join(lines[start:index])):
        return index, False

    # The last line of the encoding is usually shorter.
    data = "".join(_content(line) for line in lines[start:index])
    if index < len(lines) and _completes_base64(data, _content(lines[index])):
        index += 1
    return index, True


# Tokens inside a line


def _strip_data_uris(text: str) -> tuple[str, int]:
    pieces: list[str] = []
    cursor = 0
    count = 0
    for uri in _DATA_URI.finditer(text):
        pieces.append(text[cursor : uri.start()])
        cursor = _data_uri_end(text, uri)
        count += 1
    pieces.append(text[cursor:])
    return "".join(pieces), count


def _data_uri_end(text: str, uri: re.Match[str]) -> int:
    """Return the end of a data URI, with a short last line of wrapped data."""
    if "\n" not in uri.group():
        return uri.end()
    line_end = text.find("\n", uri.end() + 1)
    line_end = len(text) if line_end == -1 else line_end
    next_line = text[uri.end() : line_end]
    data = "".join(_content(line) for line in uri.group().split(",", 1)[1].split())
    if next_line[:1] in ("\r", "\n") and _completes_base64(
        data, _content(next_line.lstrip("\r\n"))
    ):
        return line_end
    return uri.end()


def _strip_long_tokens(text: str) -> tuple[str, int]:
    count = 0

    def strip_word(word: re.Match[str]) -> str:
        nonlocal count
        if _WEB_ADDRESS.search(word.group()):
            return word.group()
        kept, removed = _without_base64_tokens(word.group())
        count += removed
        return kept

    return _LONG_WORD.sub(strip_word, text), count


def _without_base64_tokens(word: str) -> tuple[str, int]:
    pieces: list[str] = []
    removed = 0
    cursor = 0
    for token in _BASE64_TOKEN.finditer(word):
        if not _mixes_character_classes(token.group()):
            continue
        pieces.append(word[cursor : token.start()])
        removed += 1
        cursor = token.end()
    pieces.append(word[cursor:])
    return "".join(pieces), removed


def _mixes_character_classes(text: str) -> bool:
    """Check for upper case, lower case and digits, as base64 of any file has."""
    return (
        any(char.isupper() for char in text)
        and any(char.islower() for char in text)
        and any(char.isdigit() for char in text)
    )
