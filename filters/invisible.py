"""Removal of characters that hide data without showing it.

Text that looks ordinary can carry a file. The carrier may be one
invisible character per bit or byte (zero-width spaces, tag characters,
variation selectors), spaces and tabs at line ends, or one visible
character per byte drawn from a single block of 256 code points (Braille,
emoji, CJK). Invisible
characters also split encoded text so that filters.pasted no longer sees
one run of code. This step runs before the other body steps, and
`clean_subject` does the same for the subject.

Characters that ordinary writing needs stay: a zero-width joiner or
non-joiner between two characters of a script or emoji that use them, one
variation selector 15 or 16 after an emoji or a keycap digit, a byte order
mark at the start of a part, and the tag sequences of the England,
Scotland and Wales flags.
"""

from __future__ import annotations

import html as stdlib_html
import re
from dataclasses import dataclass, replace

from filters import html
from filters.attachments import NOTICE
from filters.base import FilterContext, Finding
from filters.mime import Draft, StepResult, TextPart, map_counted_parts
from filters.pasted import NOTICE_NAME

HIDDEN_DETAIL = "hidden characters"
# A few zero-width spaces come with text copied from web pages, so fewer
# removed characters than this give no finding.
MIN_REPORTED_CHARS = 16

# A run of characters from one block of 256 code points, outside ASCII and
# Latin-1, is a file written one character per byte when it uses this many
# distinct code points. 256 random bytes use about 160 distinct values.
# The Russian, Greek, Thai, Hindi and kana paragraphs of the tests use 45
# to 67 code points of one block, and Chinese text spreads over many blocks.
# NOTE: a long text in one syllabary with more than 100 signs in a block
# (a whole kana chart, long Ethiopic or Yi prose) reads as a file too.
MIN_DISTINCT_CODE_POINTS = 100
WINDOW_CODE_POINTS = 256

# Zero-width and other invisible format characters, Hangul fillers, and all
# of plane 14: tag characters, variation selectors 17 to 256 and the
# unassigned code points around them.
_INVISIBLE_CLASS = (
    "\u00ad\u034f\u17b4\u17b5\u180e\u200b-\u200d\u2060-\u2064\u206a-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
# The tag sequences of the only subdivision flags that Unicode recommends
# for general use: England, Scotland and Wales.
_SUBDIVISION_FLAG = (
    "\U0001f3f4\U000e0067\U000e0062"
    "(?:\U000e0065\U000e006e\U000e0067|\U000e0073\U000e0063\U000e0074"
    "|\U000e0077\U000e006c\U000e0073)\U000e007f"
)
_INVISIBLE = re.compile(rf"({_SUBDIVISION_FLAG})|[{_INVISIBLE_CLASS}]+")
_INVISIBLE_CHAR = re.compile(f"[{_INVISIBLE_CLASS}]")
_TRAILING_SPACE = re.compile(r"[ \t]+(?=\r?\n|\Z)")
_SIGNATURE_SEPARATOR = "-- "
_ENTITY = re.compile(r"&(?:#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,10}|[A-Za-z][A-Za-z0-9]*);?")
# Non-Latin-1 characters with only whitespace and ASCII punctuation between.
_WIDE_RUN = re.compile(r"[^\x00-\xff](?:[\s!-/:-@\[-`{-~]*[^\x00-\xff])*")
_TAG = re.compile(r"<[^>]*>")
_SHOWN_ATTRIBUTE = re.compile(
    r"""(\s(?:title|alt)\s*=\s*)("[^"]*"|'[^']*')""", re.IGNORECASE
)

# Scripts that join or shape letters with ZWJ and ZWNJ: Arabic, Syriac,
# Thaana, N'Ko, the Indic scripts, Sinhala, Tibetan, Myanmar, Khmer,
# Mongolian and the Arabic presentation forms.
_JOINING_SCRIPTS = (
    (0x0600, 0x08FF),
    (0x0900, 0x0DFF),
    (0x0F00, 0x109F),
    (0x1780, 0x18AF),
    (0xA8E0, 0xA8FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFC),
)
# Emoji and the symbols that take emoji presentation.
_EMOJI = (
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x2000, 0x2BFF),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
    (0x1F000, 0x1FAFF),
)
_KEYCAP_BASES = frozenset("0123456789#*")
_KEYCAP = "\u20e3"
_PRESENTATION_SELECTORS = frozenset("\ufe0e\ufe0f")
_JOINERS = frozenset("\u200c\u200d")
_BYTE_ORDER_MARK = "\ufeff"


@dataclass(frozen=True)
class CleanText:
    """A text without its hidden characters and files written one per byte."""

    text: str
    hidden: int = 0
    files: int = 0


def remove_hidden(draft: Draft, context: FilterContext) -> StepResult:
    """Remove hidden characters and one-per-byte files from every text part.

    The alternatives of multipart/alternative carry the same files, so they
    get as many notices as the alternative with the most files.
    """
    findings: list[Finding] = []
    body, files = map_counted_parts(
        draft.body, lambda part: _clean_part(part, findings)
    )
    if body == draft.body:
        return StepResult(draft)
    notices = (NOTICE.format(name=NOTICE_NAME),) * files
    return StepResult(Draft(body, (*draft.notices, *notices)), tuple(findings))


def _clean_part(part: TextPart, findings: list[Finding]) -> tuple[TextPart, int]:
    if part.subtype == "plain":
        clean = clean_plain(part.text)
    elif part.subtype == "html":
        clean = clean_html(part.text)
    else:
        return part, 0

    where = f"text/{part.subtype}"
    if clean.files:
        findings.append(Finding("attachment", where, clean.files, NOTICE_NAME))
    if clean.hidden >= MIN_REPORTED_CHARS:
        findings.append(Finding("attachment", where, clean.hidden, HIDDEN_DETAIL))
    if clean.text == part.text:
        return part, clean.files
    return replace(part, text=clean.text), clean.files


def clean_plain(text: str) -> CleanText:
    """Clean a text/plain body: invisible characters, line-end spaces, files.

    Spaces and tabs at line ends count as hidden when a line has a tab or
    more than one of them there, because one trailing space is common.
    """
    text, invisible = remove_invisible(text)
    text, trailing = remove_trailing_space(text)
    text, files = remove_byte_files(text)
    return CleanText(text, invisible + trailing, files)


def clean_html(source: str) -> CleanText:
    """Clean a text/html body: invisible characters in its text and attributes.

    Invisible characters written as character references ("&#x200B;",
    "&shy;") are removed like literal ones. Spaces and tabs at line ends
    are removed too, but not counted: HTML collapses them, and HTML written
    by mail clients often has them.
    """
    if "&" in source:
        source = _ENTITY.sub(_literal_if_invisible, source)
    source, invisible = remove_invisible(source)
    source, _ = remove_trailing_space(source)
    if source.isascii() and "&" not in source:
        # The probe below would then be ASCII, in which find_byte_files
        # finds nothing.
        return CleanText(source, invisible)
    # A quick look at the text without tags decides whether the part is
    # worth parsing: each tag becomes a space, which a run may contain.
    # Attribute values are looked at in the source as written.
    probe = stdlib_html.unescape(_TAG.sub(" ", source) + "\n" + source)
    if not find_byte_files(probe):
        return CleanText(source, invisible)
    source, in_attributes = _remove_attribute_files(source)
    source, in_text = html.cut_text_spans(source, find_byte_files)
    return CleanText(source, invisible, in_attributes + in_text)


def clean_subject(subject: str) -> CleanText:
    """Clean a subject: invisible characters and files written one per byte.

    A removed file leaves a single space between the words around it.
    """
    subject, invisible = remove_invisible(subject)
    spans = find_byte_files(subject)
    if not spans:
        return CleanText(subject, invisible)
    pieces: list[str] = []
    cursor = 0
    for start, end in spans:
        pieces.append(subject[cursor:start].rstrip())
        cursor = end
    pieces.append(subject[cursor:].lstrip())
    text = " ".join(piece for piece in pieces if piece)
    return CleanText(text, invisible, len(spans))


# Invisible characters


def remove_invisible(text: str) -> tuple[str, int]:
    """Return `text` without the invisible characters it does not need, and a count."""
    if text.isascii() or not _INVISIBLE_CHAR.search(text):
        return text, 0
    pieces: list[str] = []
    removed = 0
    cursor = 0
    for match in _INVISIBLE.finditer(text):
        if match.group(1):
            continue
        start, end = match.span()
        kept = _kept_in_run(text, start, end)
        pieces.append(text[cursor:start])
        pieces.append(kept)
        removed += end - start - len(kept)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), removed


def _kept_in_run(text: str, start: int, end: int) -> str:
    """Return the characters of the invisible run `text[start:end]` to keep."""
    previous = text[start - 1] if start else ""
    following = text[end] if end < len(text) else ""
    kept: list[str] = []
    for index in range(start, end):
        char = text[index]
        after = text[index + 1] if index + 1 < len(text) else ""
        if _is_needed(char, previous, after if index + 1 < end else following, index):
            kept.append(char)
            previous = char
        else:
            # A removed character separates its neighbours, so that one base
            # character cannot take a selector from a run of them.
            previous = ""
    return "".join(kept)


def _is_needed(char: str, previous: str, following: str, index: int) -> bool:
    """Check whether ordinary writing needs `char` between these neighbours."""
    if char == _BYTE_ORDER_MARK:
        return index == 0
    if char in _PRESENTATION_SELECTORS:
        is_keycap = previous in _KEYCAP_BASES and following == _KEYCAP
        return _in_ranges(previous, _EMOJI) or is_keycap
    if char in _JOINERS:
        return _joins(previous) and _joins(following)
    return False


def _joins(char: str) -> bool:
    if not char:
        return False
    return (
        char == "\ufe0f"
        or _in_ranges(char, _JOINING_SCRIPTS)
        or _in_ranges(char, _EMOJI)
    )


def _in_ranges(char: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    if not char or char.isascii():
        return False
    code = ord(char)
    return any(low <= code <= high for low, high in ranges)


def _literal_if_invisible(match: re.Match[str]) -> str:
    reference = match.group()
    char = stdlib_html.unescape(reference)
    if len(char) == 1 and _INVISIBLE_CHAR.match(char):
        return char
    return reference


# Spaces and tabs at line ends


def remove_trailing_space(text: str) -> tuple[str, int]:
    """Return `text` without spaces and tabs at line ends, and how many hid data.

    A signature separator line ("-- ") keeps its space (RFC 3676 4.3).
    Runs of one space are removed but not counted.
    """
    if not _has_trailing_space(text):
        return text, 0
    counted = 0

    def strip(match: re.Match[str]) -> str:
        nonlocal counted
        start = match.start()
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start : match.end()] == _SIGNATURE_SEPARATOR:
            return match.group()
        run = match.group()
        if len(run) > 1 or "\t" in run:
            counted += len(run)
        return ""

    return _TRAILING_SPACE.sub(strip, text), counted


def _has_trailing_space(text: str) -> bool:
    """Check whether _TRAILING_SPACE matches anywhere in `text`.

    Substring tests find a space or tab before a line end far faster than
    the pattern, which starts with a character class. On 570 KB of HTML
    without spaces the search took 5 to 12 ms and these tests 0.5 ms
    (Python 3.11, a shared 2-CPU machine). A test for one character uses
    memchr, which is faster still, so each is tried before its longer forms.
    """
    if text.endswith((" ", "\t")):
        return True
    has_space = " " in text and (" \n" in text or " \r\n" in text)
    return has_space or ("\t" in text and ("\t\n" in text or "\t\r\n" in text))


# Files written one character per byte


def find_byte_files(text: str) -> list[tuple[int, int]]:
    """Return the spans of files written one character per byte in `text`, in order."""
    if text.isascii():
        return []
    spans: list[tuple[int, int]] = []
    for run in _WIDE_RUN.finditer(text):
        if run.end() - run.start() < MIN_DISTINCT_CODE_POINTS:
            continue
        if len(set(run.group())) < MIN_DISTINCT_CODE_POINTS:
            continue
        spans.extend(_window_segments(text, run.start(), run.end()))
    return spans


def _window_segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a run into stretches of one window, and return those that hold files."""
    files: list[tuple[int, int]] = []
    low = high = -1
    segment_start = last_end = start
    for index in range(start, end):
        code = ord(text[index])
        if code <= 0xFF:
            continue
        if low < 0 or max(high, code) - min(low, code) >= WINDOW_CODE_POINTS:
            if _is_byte_file(text, segment_start, last_end):
                files.append((segment_start, last_end))
            low = high = code
            segment_start = index
        low, high = min(low, code), max(high, code)
        last_end = index + 1
    if _is_byte_file(text, segment_start, last_end):
        files.append((segment_start, last_end))
    return files


def _is_byte_file(text: str, start: int, end: int) -> bool:
    if end - start < MIN_DISTINCT_CODE_POINTS:
        return False
    distinct = {char for char in text[start:end] if ord(char) > 0xFF}
    return len(distinct) >= MIN_DISTINCT_CODE_POINTS


def remove_byte_files(text: str) -> tuple[str, int]:
    """Return `text` without its files written one per byte, and their count.

    A file that fills whole lines takes the line break after it along.
    """
    spans = find_byte_files(text)
    if not spans:
        return text, 0
    pieces: list[str] = []
    cursor = 0
    for start, end in spans:
        pieces.append(text[cursor:start])
        at_line_start = start == 0 or text[start - 1] == "\n"
        cursor = end + 1 if at_line_start and text[end : end + 1] == "\n" else end
    pieces.append(text[cursor:])
    return "".join(pieces), len(spans)


def _remove_attribute_files(source: str) -> tuple[str, int]:
    """Empty title and alt attributes that hold files written one per byte."""
    files = 0

    def empty(match: re.Match[str]) -> str:
        nonlocal files
        value = stdlib_html.unescape(match.group(2)[1:-1])
        found = len(find_byte_files(value))
        if not found:
            return match.group()
        files += found
        return match.group(1) + '""'

    cleaned = _TAG.sub(lambda tag: _SHOWN_ATTRIBUTE.sub(empty, tag.group()), source)
    return cleaned, files
