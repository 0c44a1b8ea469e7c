"""Removal of files pasted into a text body as encoded text.

A file does not need an attachment to cross: its encoded text pasted into
the body carries it just as well. Each pasted file is removed from
text/plain and text/html parts, with a finding and a notice like those of
removed attachments. Classic uuencoded blocks with a "begin" line are
removed by filters.attachments.

Three general rules find encoded text of any format:

- A run of code: lines drawn from one code alphabet (hexadecimal, base32,
  base64 and its URL-safe form, Ascii85, base85, uuencode, or yEnc's bytes
  above 0x7F), with at least MIN_CODE_CHARS characters in all. Line numbers
  in front of lines, spaces, tabs or commas between equal groups ("iVBO
  Rw0K GgoA") and short lines between chunks ("part 2:") do not break a
  run. The same holds for
  one long token inside a line.
- A file signature: a shorter run or token whose decoded bytes start with
  the magic number of a common file format (FILE_SIGNATURES) goes at any
  size from MIN_SIGNATURE_CHARS characters.
- A block of lines with one token each, at any line width: its joined
  text is judged by its alphabet, length and entropy
  (MIN_BLOCK_ENTROPY_SHARE). When any part of a block is removed, the
  whole block goes with it.

Markers of known formats remove their blocks whatever the size: data URIs,
PEM blocks ("-----BEGIN ...-----"), "begin-base64" (uuencode -m), yEnc
("=ybegin"), BinHex 4.0 and Ascii85 ("<~ ... ~>").

Other forms are read as well: code lines with a short note after each or
with a line of prose between them, code spread over several text/plain
parts, bytes written as numbers ("137,80,78,71,..."), images written as
text (SVG, XPM, plain netpbm), and title and alt attributes of HTML.
Bytes written one escape or number each ("\\x89\\x50", "%89%50", "=89=50",
"&#x89;", "0x89, 0x50", binary octets, hexadecimal digits as words), hex
dump listings with offsets and base64 cut into short chunks inside lines of
prose are read too. strip_pasted_subject removes code from a subject.

Ordinary text must stay. Each code line must mix the character classes
that encoded data of its alphabet has (upper case, lower case, digits and,
for Ascii85, punctuation), which words, numbers and tables of numbers do not.
MIN_CODE_CHARS lies above the long ids common in mail: a SHA-512 digest in
hexadecimal has 128 characters. A token inside a web address stays with
the address, and the base64 value of a "b=" or "bh=" tag, as in a quoted
DKIM-Signature header, stays unless it is longer than any signature.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import html as stdlib_html
import math
import re
import string
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import filterfalse

from filters import html
from filters.attachments import NOTICE, is_uuencoded_line
from filters.base import FilterContext, Finding
from filters.mime import (
    Draft,
    Node,
    StepResult,
    TextPart,
    iter_text_parts,
    map_counted_parts,
    map_text_parts,
)

NOTICE_NAME = "file pasted as text"

# NOTE: a bare list of hexadecimal digests, one per line and with no file
# names, is removed once it is long enough to read as a hex dump.
MIN_CODE_CHARS = 160
MIN_CODE_LINE_CHARS = 16
MIN_SIGNATURE_CHARS = 12
# Characters typed in front of a file's code that the signature check skips.
MAX_JUNK_CHARS = 8
# Lines between two chunks of one run, such as "part 2:" or a blank line.
MAX_JOINING_LINES = 2
MAX_JOINING_LINE_CHARS = 24
# An RSA-4096 signature has 684 characters of base64.
MAX_TAG_VALUE_CHARS = 700
# The shortest last line of Ascii85 or base85 taken with a run: shorter
# lines such as "2pm!" after a run are more often words.
MIN_BASE85_TAIL_CHARS = 8
# The widest group of a line of equal groups ("iVBORw0K GgoAAAAN ...").
MAX_GROUP_CHARS = 16

# Lines that each contain one token of base64, base32 or hexadecimal are
# read as one block, whatever the line width. A file split into lines of 4
# or 8 characters has no line long enough to count alone. The joined text
# of a block must also vary as encoded data does, so its Shannon entropy
# per character must reach this share of the maximum for its alphabet.
# Measured at 160 to 340 characters: random bytes and a PDF header give
# 0.95 to 0.99, English text in base64 0.81, day names and times 0.63 to
# 0.68, and numbered order codes 0.51.
MIN_BLOCK_ENTROPY_SHARE = 0.78

# Magic numbers at the start of common file formats.
FILE_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",  # ZIP, and Office documents, which are ZIP archives
    b"\xd0\xcf\x11\xe0",  # older Office documents (OLE2)
    b"RIFF",  # WAV, WEBP, AVI
    b"ID3",  # MP3 with an ID3 tag
    b"OggS",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
)
# MP4, MOV and HEIC files have "ftyp" after a 4-byte box size.
FTYP = b"ftyp"

# Indentation and quote marks ("> ") in front of a pasted line.
_LINE_PREFIX = " \t>"
_HEX = re.compile(r"[0-9A-Fa-f]+")
_BASE32 = re.compile(r"[A-Z2-7]+=*")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")  # standard and URL-safe
_ASCII85 = re.compile(r"[!-uz]+")
# The base85 alphabet of RFC 1924, which Python's base64.b85encode and git
# use: digits, letters and 23 signs, among them "{", "|", "}" and "~".
_BASE85 = re.compile(r"[0-9A-Za-z!#$%&()*+\-;<=>?@^_`{|}~]+")
_URL_SAFE = str.maketrans("-_", "+/")
_TAIL = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_LOWER_THEN_UPPER = re.compile(r"[a-z][A-Z]")
_LINE_NUMBER = re.compile(r"(?:\d{1,8}[:.)]?|[0-9A-Fa-f]{4,8}:)[ \t]+")
_TAG_VALUE_START = re.compile(r"(?:^|[;\s])bh?=[A-Za-z0-9+/]*\s*$")

# A line that may be code: one long token, equal groups or a uuencoded
# line. _CANDIDATE_OR_YENC_LINE adds lines with C1 control characters, which never occur
# in ordinary text, and is used only when the text has one, because it
# reads every line to its end.
_CANDIDATE_FORMS = (
    r"^[ \t>]*(?:\d{1,8}[:.)]?[ \t]+)?"
    r"(?:[!-~]{16,}|(?:[!-~]{4,17}[ \t]+){3,}[!-~]{1,17}|[!-`][ -`]{15,}%s)"
    r"[ \t\r]*$"
)
_CANDIDATE_LINE = re.compile(_CANDIDATE_FORMS % "", re.MULTILINE)
_CANDIDATE_OR_YENC_LINE = re.compile(
    _CANDIDATE_FORMS % r"|.*[\x80-\x9f].*", re.MULTILINE
)
_C1_CONTROL = re.compile(r"[\x80-\x9f]")
_CODE_RUN = re.compile(rf"[A-Za-z0-9+/_-]{{{MIN_SIGNATURE_CHARS},}}")
# Maps each character of _CODE_RUN's class to "a", itself one of them, so
# that a run of the class becomes a run of "a".
_CODE_CHAR_TO_MARK = str.maketrans(
    dict.fromkeys(string.ascii_letters + string.digits + "+/_-", "a")
)
_CODE_RUN_MARKS = "a" * MIN_SIGNATURE_CHARS
_UUENCODED_LINE = re.compile(r"\n[ \t>]*M[ -`]{58}")
_CODE_TOKEN = re.compile(
    rf"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{{{MIN_SIGNATURE_CHARS},}}={{0,2}}"
)
# The scheme's run is possessive because ":" cannot be part of it. Without
# that, a failed search over a 1,000-letter word tried every length at
# every start and took about 10 ms (Python 3.11).
_WEB_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*+://|www\.", re.IGNORECASE)

# Lines of one token each, with up to two empty or quote-only lines between
# them. _TOKEN_BLOCK starts with a line feed, so that re can skip to the
# next line feed quickly, and _TOKEN_BLOCK_AT_START reads the first line.
# _MARKUP_TOKEN_BLOCK allows any number of empty lines, because it reads
# HTML with each tag replaced by a line break.
_TOKEN_LINE = r"[ \t>]*+(?:[A-Za-z0-9+/_-]++=*+|=++)[ \t\r]*+"
_TOKEN_LINES = rf"(?:{_TOKEN_LINE}(?:\n(?:[ \t>\r]*+\n){{0,2}}|\Z))+"
_TOKEN_BLOCK = re.compile(rf"\n({_TOKEN_LINES})")
_TOKEN_BLOCK_AT_START = re.compile(_TOKEN_LINES)
_MARKUP_TOKEN_BLOCK = re.compile(rf"\n((?:{_TOKEN_LINE}(?:\n\s*+|\Z))+)")
# A word on its own line at either end of a block, such as "Hi" or
# "Thanks", is left out of the block.
_WORD_LINE = re.compile(r"[A-Z]?[a-z]+")

_PEM_BEGIN = re.compile(r"-----BEGIN (?P<label>[A-Z0-9][A-Z0-9 ]*)-----")
_ARMOUR_LINE = re.compile(r"[A-Za-z0-9+/=]+|[A-Za-z][A-Za-z0-9-]*: .*|")
# A signed PGP message starts with cleartext that the sender wrote, so only
# its signature block is removed.
_CLEARTEXT_LABELS = {"PGP SIGNED MESSAGE"}
_BEGIN_BASE64 = re.compile(r"begin-base64 [0-7]{3,4} \S.*")
_BEGIN_BASE64_END = "===="
_BASE64_TAIL = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_YENC_BEGIN = "=ybegin "
_YENC_END = "=yend"
_BINHEX_LABEL = "converted with BinHex"
# Text that the first line of a marked block contains.
# PDF and PostScript files can be written all in ASCII, so a whole file
# pasted as text reads back as a working document. Such a file runs from
# its header line to its "%%EOF" line.
_TEXT_FILE_HEADERS = ("%PDF-", "%!PS")
_TEXT_FILE_END = "%%EOF"
_BLOCK_MARKERS = (
    "-----BEGIN ",
    "begin-base64 ",
    _YENC_BEGIN,
    _BINHEX_LABEL,
    *_TEXT_FILE_HEADERS,
)
_HTML_MARKERS = (*_BLOCK_MARKERS, "<~", "&lt;~", "data:", "&lt;svg", "/* XPM */")
# Lines of a data URI wrapped by the mail client are full base64 lines.
_WRAPPED_LINE_CHARS = 40
_ASCII85_BLOCK = re.compile(r"<~[!-uz\s]+~>")
_DATA_URI = re.compile(
    r"data:[\w.+/-]*(?:;[\w.+-]+(?:=[\w.+-]*)?)*;base64,[A-Za-z0-9+/=]*"
    rf"(?:\r?\n[ \t>]*[A-Za-z0-9+/]{{{_WRAPPED_LINE_CHARS},}}={{0,2}}(?![^\r\n]))*",
    re.IGNORECASE,
)
# Markup is left out when an HTML part is checked for code, because style
# attributes hold long words with digits.
_TAG = re.compile(r"<[^>]*>")
_DIGIT_OR_CAPITALS = re.compile(r"[0-9]|[A-Z].*[A-Z]")
_LETTER_NEXT_TO_DIGIT = re.compile(r"[A-Za-z][0-9]|[0-9][A-Za-z]")

Span = tuple[int, int]


def remove_pasted_files(draft: Draft, context: FilterContext) -> StepResult:
    """Remove files pasted as text from plain and HTML parts, with a notice each.

    The alternatives of multipart/alternative carry the same files, so they
    get as many notices as the alternative with the most files.
    """
    findings: list[Finding] = []
    # Files spread over several plain parts go first, so that the part
    # with a file's first line does not count as a file of its own.
    body, across = _strip_across_plain_parts(draft.body)
    if across:
        findings.append(Finding("attachment", "text/plain", across, NOTICE_NAME))
    body, removed = map_counted_parts(body, lambda part: _strip_part(part, findings))
    removed += across
    if not removed:
        return StepResult(draft)

    notices = (NOTICE.format(name=NOTICE_NAME),) * removed
    return StepResult(Draft(body, (*draft.notices, *notices)), tuple(findings))


def _strip_part(part: TextPart, findings: list[Finding]) -> tuple[TextPart, int]:
    if part.subtype == "plain":
        text, count = strip_pasted_files(part.text)
    elif part.subtype == "html":
        text, count = strip_pasted_html(part.text)
    else:
        return part, 0
    if not count:
        return part, 0
    where = f"text/{part.subtype}"
    findings.append(Finding("attachment", where, count, detail=NOTICE_NAME))
    return replace(part, text=text), count


def strip_pasted_files(text: str) -> tuple[str, int]:
    """Return `text` without its pasted files, and how many were removed."""
    spans = find_pasted_files(text)
    if not spans:
        return text, 0
    return strip_spans(text, spans), len(spans)


def strip_spans(text: str, spans: list[Span]) -> str:
    """Return `text` without `spans`, which are sorted and do not overlap."""
    pieces: list[str] = []
    cursor = 0
    for start, end in spans:
        pieces.append(text[cursor:start])
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def strip_pasted_html(source: str) -> tuple[str, int]:
    """Return an HTML part without the pasted files in its text, and their count.

    The text is read as a reader sees it, one line per block element, so
    base64 lines split by <br> or held in <pre> are found as in plain text.
    """
    source, in_markup = _strip_escape_runs(source)
    source, in_attributes = _strip_attributes(source)
    source, in_text = _strip_html_text(source)
    return source, in_markup + in_attributes + in_text


def _strip_escape_runs(source: str) -> tuple[str, int]:
    """Remove runs of character references or percent escapes from HTML source.

    The parsed text no longer shows character references, and a link's
    href, which the sanitiser keeps, is not part of the text. A run contains
    no "<", so a cut never crosses a tag.
    """
    if "&#" not in source and "%" not in source:
        return source, 0
    spans = _unit_runs(source)
    if not spans:
        return source, 0
    return strip_spans(source, _merge(spans)), len(spans)


def _strip_html_text(source: str) -> tuple[str, int]:
    # Each tag becomes a line break, so that lines split by "<br>" or held
    # in <div> elements stay lines.
    text = _TAG.sub("\n", source)
    if not _may_hold_files(source, text):
        return source, 0
    return html.cut_text_spans(source, find_pasted_files)


def _may_hold_files(source: str, text: str) -> bool:
    """Check cheaply whether the text of an HTML part may hold a pasted file."""
    if _code_words(text) is not None:
        return True
    if any(marker in source for marker in _HTML_MARKERS):
        return True
    if _line_forms(text) or _has_netpbm_magic(text):
        return True
    if _unit_runs(text) or _dump_listings(text) or _prose_chunks(text):
        return True
    blocks = _token_blocks(text, _MARKUP_TOKEN_BLOCK)
    return any(_is_file_block(text, block) for block in blocks)


def find_pasted_files(text: str) -> list[Span]:
    """Return the spans of `text` that hold pasted files, in order.

    Overlapping finds are merged, so each span counts as one file.
    """
    words = _code_words(text)
    spans = _find_encoded(text, words)
    forms = _line_forms(text)
    if words is not None or "noted" in forms:
        spans.extend(_noted_view_spans(text))
    if "bytes" in forms:
        spans.extend(_byte_value_blocks(text))
    spans.extend(_image_markup(text))
    spans.extend(_whole_lines(text, span) for span in _unit_runs(text))
    spans.extend(_dump_listings(text))
    spans.extend(_prose_chunks(text))
    return _merge(spans)


def _find_encoded(text: str, words: set[str] | None) -> list[Span]:
    """Return the spans of encoded files in `text`, `words` being its code words."""
    spans: list[Span] = []
    if any(marker in text for marker in _BLOCK_MARKERS):
        spans.extend(_marked_blocks(text))
    if "<~" in text:
        spans.extend(match.span() for match in _ASCII85_BLOCK.finditer(text))
    # _DATA_URI ignores case, but no character other than "D", "A" and "T"
    # lower-cases to "d", "a" or "t", so a match needs "data:" in the
    # lower-cased text.
    if "data:" in text.lower():
        spans.extend(_data_uris(text))
    if words is not None:
        spans.extend(_code_runs(text))
        spans.extend(_code_tokens(text, words))
        spans.extend(_groups_in_lines(text))
    blocks = _token_blocks(text)
    spans.extend(block.span for block in blocks if _is_file_block(text, block))
    return [_keep_line_break(text, span) for span in _widen_to_blocks(spans, blocks)]


def _find_code_lines(text: str) -> list[Span]:
    """Return the spans of runs and blocks of code lines in `text`.

    Markers and tokens inside lines are left out, because the text of
    noted lines contains no words that the text as sent lacks.
    """
    spans = _code_runs(text)
    blocks = _token_blocks(text)
    spans.extend(block.span for block in blocks if _is_file_block(text, block))
    return [_keep_line_break(text, span) for span in _widen_to_blocks(spans, blocks)]


def _widen_to_blocks(spans: list[Span], blocks: list[_Block]) -> list[Span]:
    """Add to `spans` each whole block that one of them overlaps.

    Part of a block left behind is still part of the file, and a notice
    that claims a removal must not leave the rest of the data in place.
    """
    merged = _merge(spans)
    ends = [end for _, end in merged]
    widened = list(merged)
    for block in blocks:
        index = bisect.bisect_right(ends, block.start)
        if index < len(merged) and merged[index][0] < block.end:
            widened.append((block.start, block.end))
    return _merge(widened)


def _code_words(text: str) -> set[str] | None:
    """Return the words of `text` that may hold code, or None if none may.

    Every code line long enough to count has such a word unless it is yEnc,
    spaced groups or uuencoded, so for those an empty set is returned.
    Ordinary text is passed over with one str.split and a test of its long
    words. Each detailed pattern took 1.5 to 3 ms to scan the 100 KB body of
    bench/filter_speed.py (Python 3.11), which this check mostly avoids.
    """
    all_words = text.split()
    # A list comprehension picks the long words about four times as fast as
    # compress() over map() calls of a bound `__lt__` (timeit, Python 3.11).
    long_words = [word for word in all_words if len(word) >= MIN_SIGNATURE_CHARS]
    if _has_code_run(long_words):
        words = set(filter(_is_code_word, long_words))
    else:
        words = set(filter(_is_ascii85_code_word, long_words))
    if words:
        return words
    if not text.isascii() and _C1_CONTROL.search(text):
        return words
    if _UUENCODED_LINE.search(text) or _has_spaced_groups(all_words):
        return words
    return None


def _has_spaced_groups(all_words: list[str]) -> bool:
    """Check for three places where a letter and a digit meet in four-character words.

    A match never crosses a space, and a word made only of letters or only
    of digits contains none, so only the other words are joined and searched.
    """
    groups = [word for word in all_words if 4 <= len(word) <= MAX_GROUP_CHARS + 1]
    mixed = filterfalse(str.isdigit, filterfalse(str.isalpha, groups))
    return len(_LETTER_NEXT_TO_DIGIT.findall(" ".join(mixed))) >= 3


def _has_code_run(words: list[str]) -> bool:
    """Check whether _CODE_RUN may match in one of `words`.

    One translation of the joined ASCII words, then a substring test,
    replaces a search per word. On the 330 KB text of a corpus message
    whose lines are long runs of punctuation, the searches took about
    4 ms and this 0.3 ms (Python 3.11, a shared 2-CPU machine).
    """
    joined = " ".join(words)
    if not joined.isascii():
        return True
    return _CODE_RUN_MARKS in joined.translate(_CODE_CHAR_TO_MARK)


def _is_code_word(word: str) -> bool:
    run = _CODE_RUN.search(word)
    if run is not None and _DIGIT_OR_CAPITALS.search(run.group()):
        return True
    return _is_ascii85_code_word(word)


def _is_ascii85_code_word(word: str) -> bool:
    return len(word) >= MIN_CODE_LINE_CHARS and _is_ascii85_word(word)


# Equal groups after other words on a line: "photo: iVBORw0K GgoAAAAN ...".
# Whole lines of groups are runs of code lines. Lines of groups right after
# such a line belong to the same file.
_GROUPS_IN_LINE = re.compile(
    r"(?<![^\s])(?:[A-Za-z0-9+/=_-]{4,17},?[ \t]+){3,}[A-Za-z0-9+/=_-]{1,17}"
    r"(?![^\s])"
)


def _groups_in_lines(text: str) -> Iterator[Span]:
    for match in _GROUPS_IN_LINE.finditer(text):
        if _follows_dump_offset(text, match.start()):
            continue
        code = _joined_groups(match.group())
        if code is None or not (
            has_file_signature(code, junk=True)
            or (len(code) >= MIN_CODE_CHARS and is_code(code))
        ):
            continue
        end = match.end()
        while True:
            line_end = _line_end(text, end)
            next_end = text.find("\n", line_end)
            line = text[line_end : len(text) if next_end == -1 else next_end]
            if line_end >= len(text) or _code_of_line(line) is None:
                break
            end = line_end + len(line)
        yield match.start(), end


# The offset in front of a line of a hex dump such as xxd's "00000000: ".
# Listings are judged as a whole by _dump_listings, so that a dump of a
# few bytes in a programming question stays.
_DUMP_OFFSET = re.compile(r"[ \t>]*[0-9A-Fa-f]{4,8}:?[ \t]+")


def _follows_dump_offset(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return _DUMP_OFFSET.fullmatch(text, line_start, start) is not None


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _keep_line_break(text: str, span: Span) -> Span:
    """Leave out the last line break of a span that starts inside a line.

    "PDF: data:...\n" loses its data URI and its wrapped lines, and the
    text before it keeps its line break.
    """
    start, end = span
    if start == 0 or text[start - 1] == "\n" or text[end - 1 : end] != "\n":
        return span
    end -= 1
    return start, end - 1 if text[end - 1 : end] == "\r" else end


def _content(line: str) -> str:
    """Return `line` without indentation, quote marks or trailing whitespace."""
    return line.rstrip().lstrip(_LINE_PREFIX)


def _lines(text: str) -> tuple[list[str], list[int]]:
    """Split `text` at line feeds only, and return the lines and their offsets.

    str.splitlines also splits at characters such as U+001C and U+0085,
    which occur inside yEnc data.
    """
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    offsets[-1] = len(text)
    return lines, offsets


# Code alphabets


def _code_of_line(line: str) -> str | None:
    """Return the code that `line` carries, or None if it is no code line.

    Quote marks, a line number in front and spaces between equal groups are
    left out of the returned code.
    """
    content = _content(line)
    if _is_uuencoded_data(content) or _is_yenc_data(content):
        return content
    code = _code_of_content(content)
    number = _LINE_NUMBER.match(content)
    if code is None and number is not None:
        code = _code_of_content(content[number.end() :])
    return code


def _code_of_content(content: str) -> str | None:
    if " " in content or "\t" in content:
        joined = _joined_groups(content)
        if joined is None:
            return None
        content = joined
    if len(content) < MIN_CODE_LINE_CHARS or not is_code(content):
        return None
    return content


def _joined_groups(content: str) -> str | None:
    """Join "iVBO Rw0K GgoA ...": at least four groups of one size, 4 to 16.

    A comma after each group ("iVBORw0K, GgoAAAAN, ...") is left out.
    """
    groups = [group.removesuffix(",") for group in content.split()]
    size = len(groups[0])
    if len(groups) < 4 or not 4 <= size <= MAX_GROUP_CHARS:
        return None
    if any(len(group) != size for group in groups[:-1]) or len(groups[-1]) > size:
        return None
    return "".join(groups)


def is_code(text: str) -> bool:
    """Check that `text` is drawn from one code alphabet and mixes its classes."""
    in_hex_or_base32 = _HEX.fullmatch(text) or _BASE32.fullmatch(text)
    if in_hex_or_base32 and _has_letter_and_digit(text):
        return True
    if _BASE64.fullmatch(text) and _mixes_character_classes(text):
        return True
    return _is_base85(text) and _looks_like_ascii85(text)


def _is_base85(text: str) -> bool:
    """Check that `text` is drawn from the Ascii85 or the RFC 1924 alphabet."""
    return _ASCII85.fullmatch(text) is not None or _BASE85.fullmatch(text) is not None


def _has_letter_and_digit(text: str) -> bool:
    return any(char.isdigit() for char in text) and any(char.isalpha() for char in text)


def _mixes_character_classes(text: str) -> bool:
    """Check for upper case, lower case and digits, as base64 of any file has."""
    return (
        any(char.isupper() for char in text)
        and any(char.islower() for char in text)
        and any(char.isdigit() for char in text)
    )


def _looks_like_ascii85(text: str) -> bool:
    # A third of the Ascii85 alphabet is punctuation. Web addresses and
    # file paths usually have less than a fifth.
    punctuation = sum(1 for char in text if not char.isalnum())
    return (
        punctuation * 5 >= len(text)
        and _mixes_character_classes(text)
        and not _has_web_address(text)
    )


def _has_web_address(text: str) -> bool:
    """Check whether _WEB_ADDRESS matches in `text`, testing its literals first.

    Every match contains "://" or "www." in some case, and substring tests
    spare the search over the many long words that contain neither.
    """
    if "://" not in text and "www." not in text.lower():
        return False
    return _WEB_ADDRESS.search(text) is not None


def _is_uuencoded_data(content: str) -> bool:
    # Random data puts a space in about one place in 64, and English text
    # in about one in six.
    return (
        len(content) >= MIN_CODE_LINE_CHARS
        and content.count(" ") * 10 <= len(content)
        and is_uuencoded_line(content)
    )


def _is_yenc_data(content: str) -> bool:
    # yEnc shifts each byte by 42, so a quarter or more of its characters
    # are above U+007F, and some are C1 control characters.
    if len(content) < MIN_CODE_LINE_CHARS * 2:
        return False
    high = sum(1 for char in content if "\x80" <= char <= "\xff")
    return high * 4 >= len(content) and any(
        "\x80" <= char <= "\x9f" for char in content
    )


def has_file_signature(code: str, junk: bool = False) -> bool:
    """Check whether `code` decodes to bytes that start like a known file.

    With `junk`, up to MAX_JUNK_CHARS characters typed in front of the code
    of one token ("abcd" + base64) are skipped, since the partner only has
    to delete them. Blocks of lines find their first line by other means.
    """
    last_skip = min(MAX_JUNK_CHARS if junk else 0, len(code) - MIN_SIGNATURE_CHARS)
    return any(
        data.startswith(FILE_SIGNATURES) or data[4:8] == FTYP
        for skip in range(last_skip + 1)
        for data in _decoded_heads(code[skip : skip + 48])
    )


def _decoded_heads(head: str) -> Iterator[bytes]:
    """Yield the bytes that the start of `head` decodes to, in each alphabet."""
    if _HEX.fullmatch(head):
        yield bytes.fromhex(head[: len(head) // 2 * 2])
    attempts: tuple[tuple[re.Pattern[str], Callable[[str], bytes]], ...] = (
        (_BASE64, _decode_base64),
        (_BASE32, _decode_base32),
        (_ASCII85, _decode_ascii85),
        (_BASE85, _decode_base85),
    )
    for pattern, decode in attempts:
        if pattern.fullmatch(head):
            try:
                yield decode(head)
            except ValueError:
                continue
    if is_uuencoded_line(head):
        try:
            yield binascii.a2b_uu(head)
        except binascii.Error:
            return


def _decode_base64(text: str) -> bytes:
    text = text.rstrip("=").translate(_URL_SAFE)
    return base64.b64decode(text[: len(text) // 4 * 4], validate=True)


def _decode_base32(text: str) -> bytes:
    return base64.b32decode(text[: len(text) // 8 * 8])


def _decode_ascii85(text: str) -> bytes:
    return base64.a85decode(text[: len(text) // 5 * 5])


def _decode_base85(text: str) -> bytes:
    return base64.b85decode(text[: len(text) // 5 * 5])


# Runs of code lines


@dataclass
class _Run:
    """Consecutive code lines: their span, code length, first code and last width."""

    start: int
    end: int
    chars: int
    first_code: str
    width: int


def _code_runs(text: str) -> list[Span]:
    spans: list[Span] = []
    run: _Run | None = None
    lines = _CANDIDATE_OR_YENC_LINE if _C1_CONTROL.search(text) else _CANDIDATE_LINE
    for line in lines.finditer(text):
        code = _code_of_line(line.group())
        if code is None and run is not None:
            code = _wrapped_line(_content(line.group()), run)
        if code is None:
            continue
        if run is not None and _joins(text, run.end, line.start()):
            run.end = line.end()
            run.chars += len(code)
            run.width = len(code)
            continue
        if run is not None and _is_file(text, run):
            spans.append(_run_span(text, run))
        run = _Run(line.start(), line.end(), len(code), code, len(code))
    if run is not None and _is_file(text, run):
        spans.append(_run_span(text, run))
    return spans


def _wrapped_line(content: str, run: _Run) -> str | None:
    """Return `content` if it continues a run as a line of the same width.

    A line of random Ascii85 or base85 can hold too few signs to count as
    code alone, but it still has the width of the lines around it.
    """
    if run.width < MIN_WRAPPED_CODE_CHARS or len(content) != run.width:
        return None
    if _BASE64.fullmatch(content) or _is_base85(content):
        return content
    return None


def _joins(text: str, end: int, start: int) -> bool:
    """Check that only short lines lie between a run's `end` and `start`."""
    if start - end > (MAX_JOINING_LINES + 1) * (MAX_JOINING_LINE_CHARS + 2):
        return False
    between = text[end:start].split("\n")[1:-1]
    return len(between) <= MAX_JOINING_LINES and all(
        len(line.strip()) <= MAX_JOINING_LINE_CHARS for line in between
    )


def _is_file(text: str, run: _Run) -> bool:
    if has_file_signature(run.first_code):
        return True
    if run.chars < MIN_CODE_CHARS:
        return False
    # The base64 value of a "b=" tag, folded over the next lines, is a quoted
    # DKIM-Signature header.
    tag_value = _follows_tag(text, run.start)
    return not tag_value or run.chars > MAX_TAG_VALUE_CHARS


def _run_span(text: str, run: _Run) -> Span:
    """Return the span of a run's lines, with a short last line of the encoding.

    Blank lines may lie between the run and its last line, as where an HTML
    part has "<br>" and a line break after each line.
    """
    end = _line_end(text, run.end)
    tail_start = end
    while tail_start < len(text) and text[tail_start] in " \t\r\n":
        tail_start += 1
    tail_start = text.rfind("\n", 0, tail_start) + 1
    if tail_start < end:
        return run.start, end
    tail_end = _line_end(text, tail_start)
    if tail_start < len(text) and _ends_encoding(text[tail_start:tail_end]):
        return run.start, tail_end
    return run.start, end


def _line_end(text: str, position: int) -> int:
    """Return the offset after the line break that ends the line at `position`."""
    newline = text.find("\n", position)
    return len(text) if newline == -1 else newline + 1


def _ends_encoding(line: str) -> bool:
    """Check that `line` is the short last line of an encoding, not a word.

    "Thanks" and "Sam" stay. The tail of encoded data has a digit, "+", "/",
    padding or a capital letter after a small one ("JuEfExALTXP"), as words
    rarely have. A line number and spaces between groups are left out, as
    in a code line. The tail of yEnc data is any line with a C1 control
    character.
    """
    content = _content(line)
    if _is_uuencoded_data(content) or _C1_CONTROL.search(content):
        return True
    number = _LINE_NUMBER.match(content)
    if number is not None and number.end() < len(content):
        content = content[number.end() :]
    groups = content.split()
    if len(groups) > 1 and any(len(group) != len(groups[0]) for group in groups[:-1]):
        return False
    content = "".join(groups)
    if _TAIL.fullmatch(content) is None:
        return _is_base85_tail(content)
    if any(char.isdigit() or char in "+/=" for char in content):
        return True
    return len(_LOWER_THEN_UPPER.findall(content)) >= 2


def _is_base85_tail(content: str) -> bool:
    """Check for the last line of Ascii85 or base85: a digit and a sign in 8 or more."""
    return (
        len(content) >= MIN_BASE85_TAIL_CHARS
        and _is_base85(content)
        and any(char.isdigit() for char in content)
        and not content.isalnum()
    )


# Blocks of lines with one token each


@dataclass(frozen=True)
class _Block:
    """Consecutive lines of one token each: their span and joined tokens."""

    start: int
    end: int
    code: str

    @property
    def span(self) -> Span:
        return self.start, self.end


@dataclass(frozen=True)
class _TokenLine:
    start: int
    end: int
    token: str


def _token_blocks(text: str, pattern: re.Pattern[str] = _TOKEN_BLOCK) -> list[_Block]:
    """Return the blocks of two or more token lines in `text`, in order.

    `pattern` finds the regions of token lines after a line feed.
    """
    regions: list[Span] = []
    first = _TOKEN_BLOCK_AT_START.match(text)
    if first is not None:
        regions.append(first.span())
    after_first = 0 if first is None else first.end()
    regions.extend(match.span(1) for match in pattern.finditer(text, after_first))

    blocks: list[_Block] = []
    for start, end in regions:
        if end - start >= MIN_SIGNATURE_CHARS:
            blocks.extend(_split_region(text, start, end))
    return blocks


def _split_region(text: str, start: int, end: int) -> Iterator[_Block]:
    """Split a region of token lines into blocks.

    Padding ("=") ends the encoded data, so a block ends at a line that
    ends with it, and any lines of padding only. A second file or the value
    after a "b=" tag starts a new block.
    """
    group: list[_TokenLine] = []
    for line in _token_lines(text, start, end):
        padded = group and group[-1].token.endswith("=")
        if padded and line.token.strip("="):
            yield from _block_of(group)
            group = []
        group.append(line)
    yield from _block_of(group)


def _token_lines(text: str, start: int, end: int) -> Iterator[_TokenLine]:
    offset = start
    for line in text[start:end].split("\n"):
        line_end = min(offset + len(line) + 1, len(text))
        token = _content(line)
        if token:
            yield _TokenLine(offset, line_end, token)
        offset = line_end


def _block_of(group: list[_TokenLine]) -> Iterator[_Block]:
    """Yield the block of `group` without the words at its ends, if two lines remain.

    A leading word stays when the block decodes to a file only with it,
    as the first line "i" of a PNG file in lines of one character does.
    """
    if not group:
        return
    width = Counter(len(line.token) for line in group).most_common(1)[0][0]
    data = [line.token for line in group if not _WORD_LINE.fullmatch(line.token)]
    alphabet = _alphabet("".join(data))
    last = len(group)
    while last > 0 and _is_last_word(group[last - 1].token, width, alphabet):
        last -= 1
    first = 0
    while first < last and _is_first_word(group[first].token, width, alphabet):
        first += 1
    first = _signature_line(group, first, last)
    if last - first >= 2:
        code = "".join(line.token for line in group[first:last])
        yield _Block(group[first].start, group[last - 1].end, code)


def _is_first_word(token: str, width: int, alphabet: re.Pattern[str]) -> bool:
    """Check that `token` is a word, not the first line of encoded data.

    Encoded data is cut into lines of one width, and every line but the
    last has it.
    """
    if not _WORD_LINE.fullmatch(token):
        return False
    return len(token) != width or not alphabet.fullmatch(token)


def _is_last_word(token: str, width: int, alphabet: re.Pattern[str]) -> bool:
    """Check that `token` is a word, not the last line of encoded data.

    The last line may be shorter than the others. A short word such as
    "Sam" after base64 data is taken for a word, because the tail of
    base64 data usually has a digit, "+", "/" or padding.
    """
    if not _WORD_LINE.fullmatch(token):
        return False
    if len(token) > width or not alphabet.fullmatch(token):
        return True
    return len(token) < width and alphabet is _BASE64 and not _ends_encoding(token)


def _signature_line(group: list[_TokenLine], first: int, last: int) -> int:
    """Return the earliest line up to `first` where a file signature starts."""
    for index in range(first + 1):
        head = ""
        for line in group[index:last]:
            head += line.token
            if len(head) >= 48:
                break
        if has_file_signature(head):
            return index
    return first


def _is_file_block(text: str, block: _Block) -> bool:
    code = block.code
    if has_file_signature(code):
        return True
    if len(code) < MIN_CODE_CHARS or not is_code(code):
        return False
    if _entropy(code) < MIN_BLOCK_ENTROPY_SHARE * _alphabet_bits(code):
        return False
    return not _follows_tag(text, block.start) or len(code) > MAX_TAG_VALUE_CHARS


def _entropy(code: str) -> float:
    """Return the Shannon entropy of the characters of `code`, in bits each."""
    size = len(code.rstrip("="))
    counts = Counter(code[:size]).values()
    return -sum(count / size * math.log2(count / size) for count in counts)


def _alphabet(code: str) -> re.Pattern[str]:
    """Return the smallest alphabet of hexadecimal, base32 and base64 for `code`."""
    for alphabet in (_HEX, _BASE32):
        if alphabet.fullmatch(code):
            return alphabet
    return _BASE64


def _alphabet_bits(code: str) -> float:
    """Return the bits per character of the smallest alphabet that fits `code`."""
    alphabet = _alphabet(code)
    if alphabet is _HEX:
        return 4.0
    return 5.0 if alphabet is _BASE32 else 6.0


def _follows_tag(text: str, start: int) -> bool:
    """Check whether the line before `start` ends with a "b=" or "bh=" tag."""
    line_start = text.rfind("\n", 0, max(start - 1, 0)) + 1
    return _TAG_VALUE_START.search(text[line_start:start]) is not None


# Tokens inside a line


def _code_tokens(text: str, words: set[str]) -> list[Span]:
    """Return the spans of code tokens in `words`, wherever they occur in `text`."""
    spans: list[Span] = []
    for word in words:
        if _has_web_address(word):
            continue
        found = _code_tokens_in_word(word)
        if not found:
            continue
        for start in _word_starts(text, word):
            spans.extend((start + low, start + high) for low, high in found)
    return spans


def _code_tokens_in_word(word: str) -> list[Span]:
    if len(word) >= MIN_CODE_CHARS and _is_ascii85_word(word):
        return [(0, len(word))]
    if _is_base85(word) and has_file_signature(word, junk=True):
        return [(0, len(word))]
    return [
        token.span()
        for token in _CODE_TOKEN.finditer(word)
        if _is_file_token(token.group(), word[: token.start()])
    ]


def _word_starts(text: str, word: str) -> Iterator[int]:
    """Yield where `word` occurs in `text` as a whole whitespace-separated word."""
    start = text.find(word)
    while start != -1:
        end = start + len(word)
        before_ok = start == 0 or text[start - 1].isspace()
        if before_ok and (end == len(text) or text[end].isspace()):
            yield start
        start = text.find(word, start + 1)


def _is_ascii85_word(word: str) -> bool:
    return _is_base85(word) and _looks_like_ascii85(word)


def _is_file_token(token: str, before: str) -> bool:
    if has_file_signature(token, junk=True):
        return True
    if len(token) < MIN_CODE_CHARS or not is_code(token):
        return False
    tag_value = before.endswith(("b=", "bh="))
    return not tag_value or len(token) > MAX_TAG_VALUE_CHARS


# Blocks with markers


def _marked_blocks(text: str) -> list[Span]:
    lines, offsets = _lines(text)
    spans: list[Span] = []
    index = 0
    while index < len(lines):
        end = _marked_block_end(lines, index)
        if end is None:
            index += 1
            continue
        spans.append((offsets[index], offsets[end]))
        index = end
    return spans


def _marked_block_end(lines: list[str], start: int) -> int | None:
    """Return the index after the marked block that starts at `start`, if any."""
    content = _content(lines[start])
    if content.startswith("-----BEGIN "):
        return _pem_block_end(lines, start)
    if content.startswith("begin-base64 "):
        return _begin_base64_end(lines, start)
    if content.startswith(_YENC_BEGIN):
        return _yenc_end(lines, start)
    if _BINHEX_LABEL in content:
        return _binhex_end(lines, start)
    if content.startswith(_TEXT_FILE_HEADERS):
        return _text_file_end(lines, start)
    return None


def _text_file_end(lines: list[str], start: int) -> int:
    # Without a "%%EOF" line the file runs to the end of the text, because
    # the lines after a file's header are most likely more of the file.
    index = start + 1
    while index < len(lines) and _content(lines[index]) != _TEXT_FILE_END:
        index += 1
    return min(index + 1, len(lines))


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


def _yenc_end(lines: list[str], start: int) -> int:
    # NOTE: without an "=yend" line the block runs to the end of the text,
    # because nothing in a yEnc line marks where the data ends.
    index = start + 1
    while index < len(lines) and not _content(lines[index]).startswith(_YENC_END):
        index += 1
    return min(index + 1, len(lines))


def _binhex_end(lines: list[str], start: int) -> int | None:
    """Return the index after a BinHex block: the label line, then ":...:"."""
    first = start + 1
    while first < len(lines) and not _content(lines[first]):
        first += 1
    if first == len(lines) or not _content(lines[first]).startswith(":"):
        return None
    index = first
    while index < len(lines):
        content = _content(lines[index])
        if not content or " " in content:
            return index
        index += 1
        if content.endswith(":") and (index - 1 > first or len(content) > 1):
            return index
    return index


def _data_uris(text: str) -> Iterator[Span]:
    for uri in _DATA_URI.finditer(text):
        yield uri.start(), _data_uri_end(text, uri)


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


# Code lines with a note after each, or with prose between them

# A note after the code of each line, such as " <- 12" or " part 3", and a
# line of prose between code lines keep the code from reading as a run, and
# the partner only has to delete them. The text is read again with notes
# and such prose lines left out.
MAX_NOTE_CHARS = 24
MIN_NOTED_CODE_CHARS = 8
# Prose between two code lines is left out only where both lines have this
# width or more, as full lines of wrapped encoded data have.
MIN_WRAPPED_CODE_CHARS = 40
# sha256sum and similar tools write a digest and a file name on each line.
# A line of a digest of one of these lengths in hexadecimal, then one word,
# reads as such a checksum list and keeps its note.
# NOTE: a file cut into 32-byte hexadecimal lines, each followed by one
# made-up file name, therefore still passes as a checksum list.
_DIGITS = re.compile(r"[0-9]+")
DIGEST_HEX_CHARS = frozenset({32, 40, 56, 64, 96, 128})
# The code run is possessive because [!-~] contains no space or tab. A
# shorter run can never be followed by one, so re need not try it.
_NOTED_LINE = (
    rf"[!-~]{{{MIN_NOTED_CODE_CHARS},}}+[ \t]+\S[^\n]{{0,{MAX_NOTE_CHARS - 1}}}$"
)


def _noted_view_spans(text: str) -> list[Span]:
    """Return the files found once notes and prose between code lines are left out.

    Only finds that cover a changed line are returned, because the others
    are found in `text` itself.

    NOTE: this second reading costs time in proportion to the number of
    lines. strip_pasted_files took 0.1 to 0.4 s on 200 KB of noted code
    lines (Python 3.11, a shared machine), as long as the first reading.
    """
    lines, offsets = _lines(text)
    view_lines, changed = _view_lines(lines)
    if not changed:
        return []
    view = "\n".join(line for _, line in view_lines)
    starts = [0]
    for _, line in view_lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    spans: list[Span] = []
    for start, end in _find_code_lines(view):
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, max(end - 1, start)) - 1
        origin_first, origin_last = view_lines[first][0], view_lines[last][0]
        if any(origin_first <= index <= origin_last for index in changed):
            spans.append((offsets[origin_first], offsets[origin_last + 1]))
    return spans


def _view_lines(lines: list[str]) -> tuple[list[tuple[int, str]], set[int]]:
    """Return the lines to read, each with its index in `lines`, and the changed ones.

    A noted code line is read as its code. A line of prose between two
    code lines of one width is left out. The changed set contains both.
    """
    codes = [_noted_code(line) for line in lines]
    for index in range(1, len(lines)):
        if codes[index] is None and codes[index - 1] is not None:
            codes[index] = _last_code(lines[index], lines[index - 1])
    # The short last line of the data may follow the line of prose.
    for index in range(2, len(lines)):
        after_prose = codes[index - 1] is None and _is_wrapped_code(codes[index - 2])
        if codes[index] is None and after_prose:
            codes[index] = _last_code(lines[index], "")
    view_lines: list[tuple[int, str]] = []
    changed: set[int] = set()
    for index, line in enumerate(lines):
        code = codes[index]
        if code is not None:
            view_lines.append((index, code))
            if code != _content(line):
                changed.add(index)
        elif _is_between_wrapped_code(codes, index):
            changed.add(index)
        else:
            view_lines.append((index, line))
    return view_lines, changed


def _noted_code(line: str) -> str | None:
    """Return the code of a line of one code token and a short note, if it is one."""
    content = _content(line)
    number = _LINE_NUMBER.match(content)
    if number is not None and number.end() < len(content):
        content = content[number.end() :]
    parts = content.split(None, 1)
    if not parts or len(parts[0]) < MIN_NOTED_CODE_CHARS:
        return None
    token = parts[0]
    if not (_BASE64.fullmatch(token) or _is_base85(token)):
        return None
    if len(parts) == 1:
        return token if len(token) >= MIN_CODE_LINE_CHARS else None
    note = parts[1]
    if len(note) > MAX_NOTE_CHARS or _is_checksum_line(token, note):
        return None
    return token if _has_letter_and_digit(token) else None


def _last_code(line: str, previous: str) -> str | None:
    """Return the code of the short last line of encoded data, noted or not.

    The last line counts when it reads as the tail of an encoding, or when
    its note matches the note of the `previous` line but for its numbers.
    """
    parts = _content(line).split(None, 1)
    if not parts or (len(parts) == 2 and len(parts[1]) > MAX_NOTE_CHARS):
        return None
    token = parts[0]
    if _ends_encoding(token):
        return token
    previous_note = _content(previous).split(None, 1)[1:]
    if len(parts) == 1 or not previous_note:
        return None
    same_note = _DIGITS.sub("", parts[1]) == _DIGITS.sub("", previous_note[0])
    in_alphabet = _BASE64.fullmatch(token) or _is_base85(token)
    return token if same_note and in_alphabet else None


def _is_checksum_line(token: str, note: str) -> bool:
    return (
        len(token) in DIGEST_HEX_CHARS
        and _HEX.fullmatch(token) is not None
        and len(note.split()) == 1
    )


def _is_between_wrapped_code(codes: list[str | None], index: int) -> bool:
    if index == 0 or index + 1 >= len(codes):
        return False
    before, after = codes[index - 1], codes[index + 1]
    if codes[index] is not None or before is None or after is None:
        return False
    return _is_wrapped_code(before) and len(after) <= len(before)


def _is_wrapped_code(code: str | None) -> bool:
    return code is not None and len(code) >= MIN_WRAPPED_CODE_CHARS and is_code(code)


# Files written as byte values

# "137,80,78,71,13,10,26,10" or "0x89, 0x50, 0x4e" or "211 120 116 107":
# one byte of the file per number, in decimal, hexadecimal or octal.
_BYTE_VALUE = r"(?:0[xX][0-9A-Fa-f]{1,2}|[0-9]{1,3})"
_BYTE_LINE = re.compile(
    rf"[ \t>]*[\[{{]?{_BYTE_VALUE}(?:[ \t]*[, \t][ \t]*{_BYTE_VALUE})*[ \t]*,?"
    r"[\]}]?[ \t\r]*"
)
# A line with this many byte values starts the check of a block.
MIN_LINE_BYTE_VALUES = 8
_BYTE_VALUES_LINE = (
    rf"[\[{{]?{_BYTE_VALUE}(?:[ \t]*[, \t][ \t]*{_BYTE_VALUE})"
    rf"{{{MIN_LINE_BYTE_VALUES - 1},}}"
)
# One pass over the line starts finds both forms. The pass searches for
# line breaks, a literal that re finds quickly, and matches the first line
# on its own. Trying "^" at every position instead took 3 ms on the texts
# of bench/filter_speed.py (about 240 KB), against 0.3 ms (Python 3.11).
_LINE_FORM_BODY = rf"[ \t>]*(?:(?P<noted>{_NOTED_LINE})|(?P<bytes>{_BYTE_VALUES_LINE}))"
_FIRST_LINE_FORM = re.compile(_LINE_FORM_BODY, re.MULTILINE)
_LINE_FORM = re.compile("\n" + _LINE_FORM_BODY, re.MULTILINE)
_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]{1,2}|[0-9]+")
_OCTAL_BYTE = re.compile(r"[0-3][0-7]{2}")
# Without a file signature, byte values are a file only when there are many
# and they vary as compressed data does. Scores out of 100 give at most
# log2(101) = 6.7 bits each, and 256 random bytes give about 7.2.
MIN_BYTE_VALUES = 256
MIN_BYTE_ENTROPY = 7.0


def _byte_value_blocks(text: str) -> list[Span]:
    """Return the spans of blocks of byte-value lines that decode to a file."""
    lines, offsets = _lines(text)
    spans: list[Span] = []
    index = 0
    while index < len(lines):
        end = index
        values: list[str] = []
        while end < len(lines) and _BYTE_LINE.fullmatch(lines[end]):
            values.extend(_NUMBER.findall(lines[end]))
            end += 1
        if end > index and _is_byte_file(values):
            spans.append((offsets[index], offsets[end]))
        index = max(end, index + 1)
    return spans


def _is_byte_file(values: list[str]) -> bool:
    if len(values) < MIN_SIGNATURE_CHARS:
        return False
    for data in _byte_readings(values):
        if data.startswith(FILE_SIGNATURES) or data[4:8] == FTYP:
            return True
        if len(data) >= MIN_BYTE_VALUES and _byte_entropy(data) >= MIN_BYTE_ENTROPY:
            return True
    return False


def _byte_readings(values: list[str]) -> Iterator[bytes]:
    """Yield the bytes that `values` give as decimal, and as octal if all fit."""
    numbers = [
        int(value, 0) if value[:2] in ("0x", "0X") else int(value) for value in values
    ]
    if all(number <= 255 for number in numbers):
        yield bytes(numbers)
    if all(_OCTAL_BYTE.fullmatch(value) for value in values):
        yield bytes(int(value, 8) for value in values)


def _byte_entropy(data: bytes) -> float:
    counts = Counter(data).values()
    size = len(data)
    return -sum(count / size * math.log2(count / size) for count in counts)


# Images written as text

# An SVG drawing, an XPM image and a netpbm image in plain form (P1 bitmap,
# P2 greymap, P3 pixmap) are whole image files in text. A netpbm file
# starts with its magic number, then its width, height and, except for P1,
# its maximum value, then rows of numbers.
# An SVG file that lacks its end tag still draws in most viewers, so an
# element with the SVG namespace runs to the end of the text.
_SVG_ELEMENT = re.compile(
    r"<svg\b[^>]*>.*?</svg\s*>|<svg\b[^>]*\bxmlns\b[^>]*>.*",
    re.DOTALL | re.IGNORECASE,
)
_SVG_DRAWING = re.compile(
    r"<(?:path|polygon|polyline|rect|circle|ellipse|line|image|text|use)\b",
    re.IGNORECASE,
)
_XPM_IMAGE = re.compile(r"/\* XPM \*/.*?(?:\};|\Z)", re.DOTALL)
_NETPBM_HEADER = re.compile(
    r"^[ \t>]*P[1-3](?:\s+#[^\n]*)*(?:\s+[0-9]+){2,3}[ \t\r]*\n", re.MULTILINE
)
_NUMBER_ROW = re.compile(r"[ \t>]*[0-9]+(?:[ \t]+[0-9]+)*[ \t\r]*")


def _line_forms(text: str) -> set[str]:
    """Return which of "noted" and "bytes" lines `text` has."""
    forms: set[str] = set()
    first = _FIRST_LINE_FORM.match(text)
    if first is not None:
        forms.add(first.lastgroup or "")
    for match in _LINE_FORM.finditer(text):
        forms.add(match.lastgroup or "")
        if len(forms) == 2:
            break
    return forms


def _image_markup(text: str) -> list[Span]:
    spans: list[Span] = []
    if "<svg" in text or "<SVG" in text:
        spans.extend(
            _with_line_break(text, match.span())
            for match in _SVG_ELEMENT.finditer(text)
            if _SVG_DRAWING.search(match.group())
        )
    if "/* XPM */" in text:
        spans.extend(
            _with_line_break(text, match.span()) for match in _XPM_IMAGE.finditer(text)
        )
    if _has_netpbm_magic(text):
        spans.extend(_netpbm_images(text))
    return spans


def _with_line_break(text: str, span: Span) -> Span:
    """Add the line break after a span that starts and ends whole lines."""
    start, end = span
    at_line_start = start == 0 or text[start - 1] == "\n"
    if at_line_start and text[end : end + 1] == "\n":
        return start, end + 1
    return span


def _whole_lines(text: str, span: Span) -> Span:
    """Widen a span that fills its lines but for quote marks to those whole lines."""
    start, end = span
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip(_LINE_PREFIX):
        return span
    line_end = _line_end(text, end)
    if text[end:line_end].strip():
        return span
    return line_start, line_end


def _has_netpbm_magic(text: str) -> bool:
    return "P1" in text or "P2" in text or "P3" in text


def _netpbm_images(text: str) -> Iterator[Span]:
    for header in _NETPBM_HEADER.finditer(text):
        end = header.end()
        rows = 0
        while end < len(text):
            line_end = _line_end(text, end)
            if not _NUMBER_ROW.fullmatch(text[end:line_end].rstrip("\n")):
                break
            end = line_end
            rows += 1
        if rows >= 2:
            yield header.start(), end


# Code split over several plain parts


def _strip_across_plain_parts(body: Node) -> tuple[Node, int]:
    """Remove files whose lines are spread over several text/plain parts.

    Each part alone may hold too little code to count, so the parts are
    read again joined, in document order, and each loses its share.
    """
    texts = [part.text for part in iter_text_parts(body) if part.subtype == "plain"]
    if len(texts) < 2:
        return body, 0
    joined = "\n".join(texts)
    spans = [span for span in find_pasted_files(joined) if _crosses_parts(texts, span)]
    if not spans:
        return body, 0

    new_texts = iter(_cut_parts(texts, spans))

    def cut(part: TextPart) -> TextPart:
        if part.subtype != "plain":
            return part
        return replace(part, text=next(new_texts))

    return map_text_parts(body, cut), len(spans)


def _part_starts(texts: list[str]) -> list[int]:
    starts = [0]
    for text in texts[:-1]:
        starts.append(starts[-1] + len(text) + 1)
    return starts


def _crosses_parts(texts: list[str], span: Span) -> bool:
    starts = _part_starts(texts)
    first = bisect.bisect_right(starts, span[0]) - 1
    return bisect.bisect_right(starts, span[1] - 1) - 1 > first


def _cut_parts(texts: list[str], spans: list[Span]) -> list[str]:
    """Return each of `texts` without its share of `spans` of the joined text."""
    cut: list[str] = []
    for text, start in zip(texts, _part_starts(texts), strict=True):
        pieces: list[str] = []
        cursor = 0
        for low, high in spans:
            low, high = max(low - start, 0), min(high - start, len(text))
            if low < high and low >= cursor:
                pieces.append(text[cursor:low])
                cursor = high
        pieces.append(text[cursor:])
        cut.append("".join(pieces))
    return cut


# Code in HTML attributes

# The sanitiser keeps "title" and "alt", whose text a reader can copy.
_SHOWN_ATTRIBUTE = re.compile(
    r"""(\s(?:title|alt)\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+)""", re.IGNORECASE
)


def _inside_tag(source: str, start: int, end: int) -> bool:
    """Check that source[start:end] lies within one tag's angle brackets."""
    opening = source.rfind("<", 0, start)
    return (
        opening > source.rfind(">", 0, start)
        and source.find(">", start, end) == -1
        and source.find("<", start, end) == -1
    )


def _strip_attributes(source: str) -> tuple[str, int]:
    """Empty title and alt attributes that hold pasted files, and count the files."""
    # One search over the whole source, keeping the matches inside a tag:
    # searching tag by tag cost a Python call per tag on long HTML.
    matches = [
        attribute
        for attribute in _SHOWN_ATTRIBUTE.finditer(source)
        if _inside_tag(source, attribute.start(), attribute.end())
    ]
    if not matches:
        return source, 0
    values = [stdlib_html.unescape(match.group(2).strip("\"'")) for match in matches]
    spans = find_pasted_files("\n".join(values))
    if not spans:
        return source, 0

    starts = _part_starts(values)
    emptied = {
        index
        for low, high in spans
        for index in range(len(values))
        if starts[index] < high and low < starts[index] + len(values[index])
    }
    pieces: list[str] = []
    cursor = 0
    for index in sorted(emptied):
        value = matches[index].span(2)
        pieces.append(source[cursor : value[0]] + '""')
        cursor = value[1]
    pieces.append(source[cursor:])
    return "".join(pieces), len(spans)


# Code in the subject


def strip_pasted_subject(subject: str) -> tuple[str, int]:
    """Return `subject` without its pasted files, and how many were removed.

    A removed file leaves a single space between the words around it.
    """
    spans = find_pasted_files(subject)
    if not spans:
        return subject, 0
    pieces: list[str] = []
    cursor = 0
    for start, end in spans:
        pieces.append(subject[cursor:start].rstrip())
        cursor = end
    pieces.append(subject[cursor:].lstrip())
    return " ".join(piece for piece in pieces if piece), len(spans)


# Bytes written one escape or number each

# "\x89\x50\x4e\x47...", "%89%50...", "=89=50...", "&#x89;&#x50;...",
# "0x89, 0x50, ...", "10001001 01010000 ..." and "eight nine five zero ..."
# each write one byte, or one hexadecimal digit, per unit. A run of units
# is decoded and judged by its bytes. Lines of a run may start with quote
# marks, so a run continues through "\n> ". Forms that escape characters
# in text (backslash, percent, equals sign, character references) keep the
# characters written as themselves, such as "PNG" in "%89PNG%0D%0A".
_RUN_BREAK = r"[ \t]*\r?\n[ \t>]*"
# Each form: the text that every escape starts with, the pattern of one
# escape and the class of the characters written as themselves.
_ESCAPE_FORMS = (
    ("\\x", r"\\x[0-9A-Fa-f]{2}", r"(?:[^\s\\]|\\[abfnrtv0'\"\\])"),
    ("%", r"%[0-9A-Fa-f]{2}", r"[A-Za-z0-9._~!$&'()*+,;=:@/?-]"),
    ("=", r"=[0-9A-F]{2}", r"[^\s=]"),
    ("&#", r"&#(?:[xX][0-9A-Fa-f]{1,6}|[0-9]{1,7});", r"[^\s&<]"),
)
# Up to this many characters written as themselves lie between two escapes.
MAX_LITERAL_CHARS = 8
# A soft line break ("=" at the end of a line) continues a run, as in
# quoted-printable.
_ESCAPE_RUNS = tuple(
    (
        lead,
        re.compile(
            rf"{unit}(?:(?:{literal}{{0,{MAX_LITERAL_CHARS}}}|{_RUN_BREAK}|=\r?\n)"
            rf"{unit})*"
        ),
        re.compile(rf"(?P<unit>{unit})|(?P<skip>{_RUN_BREAK}|=\r?\n)|(?P<char>.)"),
    )
    for lead, unit, literal in _ESCAPE_FORMS
)
# Each pattern starts with a literal or a small class and checks what comes
# before afterwards, which lets re skip through ordinary text quickly.
_HEX_NUMBER_RUN = re.compile(
    r"0[xX](?<![0-9A-Za-z]0[xX])[0-9A-Fa-f]{1,2}"
    rf"(?:[ \t]*,?[ \t]*(?:{_RUN_BREAK})?0[xX][0-9A-Fa-f]{{1,2}}(?![0-9A-Za-z]))+"
)
_BINARY_RUN = re.compile(
    rf"[01]{{8}}(?<![0-9][01]{{8}})(?:(?:[ \t,]*|{_RUN_BREAK})[01]{{8}})+(?![0-9])"
)
_HEX_DIGIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "a": 10, "ay": 10,
    "b": 11, "bee": 11, "c": 12, "see": 12, "sea": 12, "d": 13, "dee": 13,
    "e": 14, "ee": 14, "f": 15, "eff": 15,
}  # fmt: skip
_HEX_WORD = "(?:" + "|".join(sorted(_HEX_DIGIT_WORDS, key=len, reverse=True)) + ")"
# Twelve bytes are 24 words; "one, two, three" counting is much shorter.
MIN_HEX_WORDS = 24
_HEX_WORD_RUN = re.compile(
    rf"\b{_HEX_WORD}(?:(?:[ \t,-]+|{_RUN_BREAK}){_HEX_WORD}\b){{{MIN_HEX_WORDS - 1},}}",
    re.IGNORECASE,
)
# Searched in the lower-cased text: the same search with re.IGNORECASE took
# about 13 ms instead of 2 ms on the 100 KB plain text of bench/filter_speed.py
# (Python 3.11, a shared machine).
_HEX_WORD_SEED = re.compile(
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine)"
    rf"[ \t,-]+{_HEX_WORD}[ \t,-]+{_HEX_WORD}[ \t,-]+{_HEX_WORD}\b"
)

# A run needs this many escapes or numbers to be read at all, and this
# many bytes before a file signature counts: "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a"
# written to explain the PNG signature stays.
MIN_RUN_UNITS = 8
MIN_RUN_SIGNATURE_BYTES = 24
# Escaping a letter or a digit is never needed: URLs, quoted-printable and C
# strings write them as themselves. A run that escapes at least this share
# of letters and digits hides text or a text file (a PDF can be all ASCII),
# once it has MIN_HIDDEN_TEXT_ESCAPES escapes.
MIN_HIDDEN_TEXT_ESCAPES = 32
MIN_ESCAPED_ALNUM_SHARE = 0.25


@dataclass(frozen=True)
class _UnitRun:
    """A run of bytes written one unit each: its span, bytes and escape counts."""

    start: int
    end: int
    data: bytes
    units: int
    escaped_alnum: int


def _unit_runs(text: str) -> list[Span]:
    """Return the spans of runs of escapes or byte numbers that decode to a file."""
    runs: list[tuple[_UnitRun, bool]] = []
    for lead, pattern, parts in _ESCAPE_RUNS:
        if _contains(text, lead):
            runs.extend((run, True) for run in _escape_runs(text, pattern, parts))
    if "0" in text and ("0x" in text or "0X" in text):
        runs.extend((run, False) for run in _number_runs(text, _HEX_NUMBER_RUN, 16))
    if _contains(text, "00") or _contains(text, "11"):
        runs.extend((run, False) for run in _number_runs(text, _BINARY_RUN, 2))
    if _HEX_WORD_SEED.search(text.lower()):
        runs.extend((run, False) for run in _hex_word_runs(text))
    return [
        (run.start, run.end) for run, escapes in runs if _is_unit_file(run, escapes)
    ]


def _contains(text: str, needle: str) -> bool:
    """Check `needle in text`, looking for its first character alone first.

    A test for one character uses memchr and took under 0.01 ms on 570 KB,
    against about 0.5 ms for a two-character needle (Python 3.11), so text
    without that character skips the longer search.
    """
    return needle[0] in text and needle in text


def _escape_runs(
    text: str, pattern: re.Pattern[str], parts: re.Pattern[str]
) -> Iterator[_UnitRun]:
    # Every escape has three characters or more, so shorter matches are
    # skipped before decoding.
    for match in pattern.finditer(text):
        if match.end() - match.start() >= 3 * MIN_RUN_UNITS:
            yield _decode_escapes(match, parts)


def _decode_escapes(match: re.Match[str], parts: re.Pattern[str]) -> _UnitRun:
    data = bytearray()
    units = escaped_alnum = 0
    for part in parts.finditer(match.group()):
        if part.lastgroup == "unit":
            value = _escape_value(part.group())
            if value is None:
                continue
            units += 1
            escaped_alnum += chr(value).isascii() and chr(value).isalnum()
            data.append(value)
        elif part.lastgroup == "char":
            data.extend(part.group().encode("utf-8", "replace"))
    return _UnitRun(match.start(), match.end(), bytes(data), units, escaped_alnum)


def _escape_value(unit: str) -> int | None:
    """Return the byte that one escape writes, or None if it writes no byte.

    A character reference to a braille pattern (U+2800 to U+28FF) is read as
    the byte of its dot pattern. The 256 patterns map one to one onto byte
    values, so they can write the bytes that HTML cannot carry as
    references, such as control codes.
    """
    if unit.startswith("&#"):
        digits = unit[2:-1]
        value = int(digits[1:], 16) if digits[:1] in "xX" else int(digits)
    else:
        value = int(unit[-2:], 16)
    if 0x2800 <= value <= 0x28FF:
        return value - 0x2800
    return value if value <= 0xFF else None


def _number_runs(text: str, pattern: re.Pattern[str], base: int) -> Iterator[_UnitRun]:
    for match in pattern.finditer(text):
        if base == 16:
            numbers = re.findall(r"0[xX]([0-9A-Fa-f]{1,2})", match.group())
        else:
            numbers = re.findall(r"[01]{8}", match.group())
        if len(numbers) >= MIN_RUN_UNITS:
            data = bytes(int(number, base) for number in numbers)
            yield _UnitRun(match.start(), match.end(), data, len(numbers), 0)


def _hex_word_runs(text: str) -> Iterator[_UnitRun]:
    for match in _HEX_WORD_RUN.finditer(text):
        digits = [
            _HEX_DIGIT_WORDS[word.lower()]
            for word in re.findall(_HEX_WORD, match.group(), re.IGNORECASE)
        ]
        pairs = len(digits) // 2
        data = bytes(digits[2 * i] * 16 + digits[2 * i + 1] for i in range(pairs))
        yield _UnitRun(match.start(), match.end(), data, pairs, 0)


def _is_unit_file(run: _UnitRun, escapes: bool) -> bool:
    """Check whether a run of units is a file.

    `escapes` is true for a run of escapes of text characters, where
    letters and digits need no escape.
    """
    if run.units < MIN_RUN_UNITS:
        return False
    data = run.data
    signature = data.startswith(FILE_SIGNATURES) or data[4:8] == FTYP
    if signature and len(data) >= MIN_RUN_SIGNATURE_BYTES:
        return True
    if len(data) >= MIN_BYTE_VALUES and _byte_entropy(data) >= MIN_BYTE_ENTROPY:
        return True
    hides_text = run.escaped_alnum >= MIN_ESCAPED_ALNUM_SHARE * run.units
    return escapes and run.units >= MIN_HIDDEN_TEXT_ESCAPES and hides_text


# Hex dump listings

# A line of xxd ("00000010: 0000 000d 4948 4452  ....IHDR") or hexdump -C
# ("00000010  00 00 00 0d 49 48 44 52  |....IHDR|"): an offset, then groups
# of hexadecimal digits, then an optional column of characters.
# The pattern starts with the line feed before the line, which re finds
# quickly, so the text is searched with a line feed in front.
_DUMP_LINE = re.compile(
    r"\n[ \t>]*(?P<offset>[0-9A-Fa-f]{4,8}):?"
    r"(?P<groups>(?:[ \t]{1,3}[0-9A-Fa-f]{2,8})+)(?![^\s])"
)
# xxd -c and hexdump -C end with a line of the size in hexadecimal alone.
_DUMP_END_OFFSET = re.compile(r"[ \t>]*[0-9A-Fa-f]{4,8}[ \t\r]*(?:\n|\Z)")
# Bytes per line: xxd and hexdump -C show 16 by default, and xxd -c sets
# another width.
MIN_DUMP_STEP = 4
MAX_DUMP_STEP = 256
# A listing of this many lines with offsets one line's bytes apart is a
# file whatever its bytes. Shorter dumps of a few bytes, as in a
# programming question, stay.
MIN_DUMP_LINES = 4


def _dump_listings(text: str) -> list[Span]:
    """Return the spans of hex dump listings in `text`."""
    text = "\n" + text
    spans: list[Span] = []
    lines: list[re.Match[str]] = []
    for line in _DUMP_LINE.finditer(text):
        if lines and not _continues_dump(text, lines, line):
            spans.extend(_dump_span(text, lines))
            lines = []
        lines.append(line)
    spans.extend(_dump_span(text, lines))
    return [(start - 1, end - 1) for start, end in spans]


def _continues_dump(text: str, lines: list[re.Match[str]], line: re.Match[str]) -> bool:
    """Check that `line` follows the last of `lines`, one line's bytes on."""
    last = lines[-1]
    if "\n" in text[last.end() : line.start()]:
        return False
    step = int(line["offset"], 16) - int(last["offset"], 16)
    if len(lines) >= 2:
        return step == int(last["offset"], 16) - int(lines[-2]["offset"], 16)
    return MIN_DUMP_STEP <= step <= MAX_DUMP_STEP and _dump_digits(last) == 2 * step


def _dump_digits(line: re.Match[str]) -> int:
    return sum(len(group) for group in line["groups"].split())


def _dump_span(text: str, lines: list[re.Match[str]]) -> list[Span]:
    """Return the span of a listing, with the line of its end offset after it."""
    if len(lines) < MIN_DUMP_LINES:
        return []
    end = _line_end(text, lines[-1].end())
    end_offset = _DUMP_END_OFFSET.match(text, end)
    if end_offset is not None:
        end = end_offset.end()
    return [(lines[0].start() + 1, end)]


# Base64 cut into short chunks inside prose

# "Day 1: today I learned iVBORw0K which was fun", one line per chunk: each
# chunk is too short to count, and the prose keeps the lines from reading as
# a block. Chunks are taken from lines of the same number of words, at the
# same word position, and the lines go when the first chunks decode to a
# file signature. Random words never decode to one by chance.
# NOTE: chunks at varying word positions, or in lines of varying length,
# are not read.
MIN_PROSE_CHUNK_CHARS = 4
# has_file_signature reads no more than this many characters.
_SIGNATURE_HEAD_CHARS = 48
MAX_PROSE_CHUNK_CHARS = 16
_PROSE_CHUNK = re.compile(
    rf"[A-Za-z0-9+/]{{{MIN_PROSE_CHUNK_CHARS},{MAX_PROSE_CHUNK_CHARS}}}={{0,2}}"
)
# The last chunk may be as short as one character and its padding.
_LAST_PROSE_CHUNK = re.compile(rf"[A-Za-z0-9+/]{{1,{MAX_PROSE_CHUNK_CHARS}}}={{0,2}}")


# A first chunk has a digit and a letter, and they meet somewhere unless
# "+" or "/" lies between them. Few words of prose have such a place, so
# only the lines with one are read.
_DIGIT_NEXT_TO_LETTER = re.compile(r"[0-9](?<=[A-Za-z][0-9])|[0-9][A-Za-z]")


def _prose_chunks(text: str) -> list[Span]:
    """Return the spans of lines whose chunks of base64 decode to a file."""
    places = [match.start() for match in _DIGIT_NEXT_TO_LETTER.finditer(text)]
    if not places:
        return []
    lines, offsets = _lines(text)
    spans: list[Span] = []
    done = 0
    for place in places:
        index = bisect.bisect_right(offsets, place) - 1
        if index < done:
            continue
        end = _chunk_lines_end(lines, index)
        if end > index:
            spans.append((offsets[index], offsets[end]))
        done = max(end, index + 1)
    return spans


def _chunk_lines_end(lines: list[str], first: int) -> int:
    """Return the index after the lines of chunks that start at `first`.

    Returns `first` when no word of the line starts a file.
    """
    words = _content(lines[first]).split()
    # Lines of one word each are blocks of token lines, read elsewhere.
    if len(words) < 2:
        return first
    for position, word in enumerate(words):
        if not _PROSE_CHUNK.fullmatch(word) or not _mixes_character_classes(word):
            continue
        # Only the head is read first, so that lines of code-like words
        # that start no file cost a bounded time each.
        head = _chunks_at(lines, first, position, len(words), _SIGNATURE_HEAD_CHARS)
        if len(head) >= 2 and has_file_signature("".join(head)):
            return first + len(_chunks_at(lines, first, position, len(words)))
    return first


def _chunks_at(
    lines: list[str], first: int, position: int, count: int, max_chars: int = 0
) -> list[str]:
    """Return the chunks at `position` of the lines from `first` of `count` words.

    A chunk shorter than the first ends the list, as the last line of the
    data does. With `max_chars`, the list ends once it has that many
    characters.
    """
    width = len(_content(lines[first]).split()[position])
    chunks: list[str] = []
    chars = 0
    for index in range(first, len(lines)):
        if max_chars and chars >= max_chars:
            break
        line = _content(lines[index]).split()
        if len(line) != count or not _LAST_PROSE_CHUNK.fullmatch(line[position]):
            break
        chunk = line[position]
        if len(chunk) != width:
            if _ends_encoding(chunk):
                chunks.append(chunk)
            break
        chunks.append(chunk)
        chars += len(chunk)
    return chunks
