"""Find telephone numbers, written in digits or spelled out in words.

A cheap regular expression first picks out runs of digits and separators. Only
those candidates go to phonenumbers, because its own matcher is too slow to run
over a whole body. The test is deliberately lenient. A number phonenumbers
calls invalid (Ofcom's drama range 07700 900xxx, say) may still reach a person,
so any number of a possible length counts.

A number encoded in base64 or hex (see filters.encoded), or written downwards
with one or two characters a line (see filters.normalise), is read decoded or
with its lines joined. In a link's path or query only a clear phone number
counts, because ids and order numbers sit there.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import unicodedata
from collections.abc import Iterator

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, ValidationResult

from filters.base import FilterContext, Span
from filters.encoded import find_hidden
from filters.prefilter import (
    fast_digit_runs,
    fold_case,
    follows_non_word,
    letter_runs,
    letter_words,
    matches_at,
    precedes_non_word,
    word_starts,
)

log = logging.getLogger(__name__)

# A candidate starts with a digit, "+", "+ " or "(" that is not glued to a
# word, then alternates separators and digits. A line break is a separator,
# because mail clients wrap long lines inside numbers. "_", "/", ":", ",", "*",
# "|", ";", "#", "x", "~", "'", brackets, the em dash and the minus sign are
# separators too, because senders put them between digit groups to get past a
# filter. Dates, times and lists written with them are recognised later. The
# possessive loop cannot backtrack, so a long run of digits costs linear time.
_CANDIDATE = re.compile(
    r"(?<![\w+(])(?:\+ ?|\(\+?)?\d"
    r"(?:[ \t\r\n\u00a0.\-\u2013\u2014\u2212()\[\]_/:,*|;#x~']{0,3}\d)*+",
)
# A candidate's first digit starts a run of digits, and only "+", "+ ", "(" or
# "(+" may come before it.
_CANDIDATE_DIGIT_OFFSETS = range(3)
# Letters typed for digits: O for 0, l or I for 1, and Z for 2 ("O77OO 9OO
# l23", "o77oo 9oo1z3").
_LETTER_DIGITS = str.maketrans("OoIlZz", "001122")
_LETTERS_FOR_DIGITS = "OoIlZz"
# A run of digits and such letters, with no other letter next to it.
# Another group of digits, perhaps with look-alike letters, right after a run.
_GROUP_AFTER = re.compile(r"[ .\-]{1,2}[0-9OoIlZz]*[0-9]")
_LETTER_DIGIT_RUN = re.compile(
    r"(?<![^\W\d_])[0-9OoIlZz]*[0-9][0-9OoIlZz]*(?![^\W\d_])"
)
# One character class first lets `re` skip ahead, whereas
# "[Oo][0-9]|[0-9][Oo]" would try a match at every position.
_LETTER_BY_DIGIT = re.compile(r"[0-9OoIlZz](?:(?<=[OoIlZz])[0-9]|(?<=[0-9])[OoIlZz])")
_DIGIT_RUN = re.compile(r"\d+")
_SEPARATORS = " \t\r\n\u00a0.-\u2013\u2014\u2212()[]_/:,*|;#x~'"
# Separators that may stand between two numbers written one after another.
_LIST_SEPARATORS = frozenset("/|,-\u2013*;")
# Separators that phonenumbers does not accept inside a number. It reads "x"
# as the start of an extension.
_PLAIN_SEPARATORS = str.maketrans(dict.fromkeys("_/:,*|;#x~'[]\u2014\u2212", " "))

# Layouts that look like numbers but are something else.
_DATE = re.compile(r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}")
_ISBN_10 = re.compile(r"\d{1,5}-\d{1,7}-\d{1,7}-\d")
# A decimal such as "0.142857" or "3.14159265": one point, after "0" or one
# or two digits without a leading "0". A dotted phone number has two points
# ("07700.900.123") and a first group of three digits or more.
_DECIMAL = re.compile(r"(?:0|[1-9]\d?)\.\d+")
# A North American number. No area code starts with 0 or 1, so
# "100231,2027" (an order id and a year) is not one. The exchange is not
# checked, because fiction uses "555-010-1234".
_NANP = re.compile(r"(?:1[ .\-])?\(?[2-9]\d{2}\)?[ .\-]?\d{3}[ .\-]\d{4}")
# The text between two digit groups of a number split by words or emoji: up to
# four words ("07700, the last six are 900123"), and no sentence end or line
# break.
_SPLIT_GAP = re.compile(r"[^\w\n.!?;]{1,8}(?:[^\W\d_]{1,12}[^\w\n.!?;]{1,8}){0,4}")
_MIN_SPLIT_DIGITS = 10
# Words in a gap that introduce a number of something else: "07700 and my bus
# is 900". Words about the same number ("my number", "the rest") do not.
_ANOTHER_THING = re.compile(
    r"\b(?:my|his|her|our|their|your)\s+"
    r"(?!(?:number|mobile|phone|cell|digits|num|no)\b)[^\W\d_]+\s+(?:is|was|are)\b",
    re.IGNORECASE,
)
# A name in a gap: a capitalised word, as in "Greggs (00502851), Gymshark
# (08130873)". Such a word names the next value, unless it is a word about
# the same number written with a capital ("07700 Then 900123").
_CAPITALISED_WORD = re.compile(r"\b[A-Z][^\W\d_]*")
_SAME_NUMBER_WORDS = frozenset(
    """
    then and the last first rest next ends is are digits followed by plus
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# A clock time, "10:30" or "10:30:15", as a whole group of digits and colons.
_TIME = re.compile(r"(?<![\d:])\d{1,2}(?::\d{2}){1,2}(?![\d:])")
# Two 24-hour clock times joined by a dash, as in a shift pattern "0700-1500".
_TIME_RANGE = re.compile(
    r"(?:[01]\d|2[0-3])[0-5]\d ?[-\u2013] ?(?:[01]\d|2[0-4])[0-5]\d"
)

# 24-hour clock times, one after another, as in the cells of a bus
# timetable: "0715\n0745\n0815". Every group has four digits, so no
# number of ten or eleven digits can be written this way.
_CLOCK_TIME = r"(?:[01]\d|2[0-3])[0-5]\d"
_CLOCK_TIMES = re.compile(rf"{_CLOCK_TIME}(?:[ \t\r\n,]+{_CLOCK_TIME})+")
# A product with a decimal factor, as in a worked example: "0.5 x 1200 x 27".
_PRODUCT_SIGN = re.compile(r"[ \t]+[x*][ \t]+")

_MIN_DIGITS = 7
_MIN_LIST_VALUES = 4
_MIN_DRAW_VALUES = 6
# A mobile number's national significant number, for the regions where a
# sender may drop the leading "0" and still be understood.
_MOBILE_WITHOUT_TRUNK_PREFIX = {"GB": re.compile(r"7[1-9]\d{8}")}
# E.164 allows 15 digits, and a written "(0)" trunk prefix or "00" exit code adds
# up to two more.
_MAX_DIGITS = 17
_MIN_INTERNATIONAL_DIGITS = 8
_MAX_INTERNATIONAL_DIGITS = 15
_PRICE_AND_REFERENCE_SIGNS = frozenset("£$€¥#")
# A label right before a candidate that names another kind of number: "ISBN
# 978...", "Serial number SN 0771 2233 44", "meeting ID: 845 2910 3376".
# NOTE: each label also lets a phone number through when written after it on
# purpose, so the list holds only labels seen before phone-shaped numbers.
_REFERENCE_LABEL = re.compile(
    r"\b(?:isbn|serial|invoice|tracking|meeting|imei|sn)\b"
    r"(?:[ \t:#.\-]*(?:id|no|number|num|code|sn)\b)*[ \t:#.\-]*$",
    re.IGNORECASE,
)


class PhoneFilter:
    """Remove telephone numbers in any common layout."""

    kind = "phone"
    placeholder = "[phone number removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        region = context.default_region.upper()
        spans = _outside_amounts(text, _written_numbers(text, region, self.kind))
        spans.extend(_link_numbers(text, region, self.kind))
        spans.extend(
            find_hidden(
                text,
                lambda hidden: _written_numbers(hidden, region, self.kind),
                self.kind,
            )
        )
        return [_with_joined_piece(text, span) for span in spans]


# A last group joined to a removed number: "07700 000000 + 900123" is the
# number with a decoy group, and the group after "+" ends it. After a word
# such as "and", a group of three to five digits that a word follows ("and
# 100 people") is a count, so it stays. Six digits end a mobile number.
_JOINED_PIECE = re.compile(
    r"[ \t]*(?:\+[ \t]*\d{3,6}"
    r"|(?:&|and|then|plus)[ \t]*(?:\d{6}|\d{3,5}(?![ \t]*[^\W\d_])))(?![\w%])",
    re.IGNORECASE,
)


def _with_joined_piece(text: str, span: Span) -> Span:
    """Return `span` with the group joined after it, if any."""
    piece = _JOINED_PIECE.match(text, span.end)
    if piece is None:
        return span
    return Span(span.start, piece.end(), span.kind)


# An amount with thousands separators: "1,200,000". A phone number split
# with commas ("07,700,900,123") starts at the amount's first digit, so
# only spans that start later inside an amount are dropped.
_AMOUNT = re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?![\d,])")


def _outside_amounts(text: str, spans: list[Span]) -> list[Span]:
    """Drop the spans that start inside an amount, after its first digits.

    "from 1,200,000 to 1,450,000" is two amounts, not the number 000 145 0000.
    """
    if "," not in text or not any(_follows_digit(text, span.start) for span in spans):
        return spans
    inside = [(m.start(), m.end()) for m in _AMOUNT.finditer(text)]
    if not inside:
        return spans
    return [
        span
        for span in spans
        if not any(start < span.start < end for start, end in inside)
    ]


def _follows_digit(text: str, start: int) -> bool:
    """Check for a digit or "," before `start`, as inside an amount."""
    before = text[start - 1 : start]
    return before == "," or before.isdecimal()


def _written_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find the numbers written in `text` itself, except helplines and labelled ones."""
    digits = _cjk_digits_as_ascii(_letters_as_digits(text))
    spans = _candidate_numbers(digits, region, kind)
    spans.extend(_split_numbers(digits, region, kind))
    spans.extend(_listed_numbers(digits, region, kind))
    spans.extend(_digit_by_digit_numbers(digits, region, kind))
    spans.extend(_reversed_numbers(digits, region, kind))
    spans.extend(_glued_clear_numbers(text, region, kind))
    if digits is not text:
        spans.extend(_glued_clear_numbers(digits, region, kind))
    spans.extend(_numbers_split_at_sentences(digits, region, kind))
    spans.extend(_numbers_with_letters_between(digits, region, kind))
    spans.extend(_filled_mobiles(text, kind))
    spans.extend(_spelled_numbers(text, region, kind))
    spans.extend(_letter_by_letter_numbers(text, region, kind))
    spans.extend(_morse_numbers(text, region, kind))
    spans.extend(_cued_numbers(digits, kind))
    spans.extend(_numbers_in_odd_values(digits, kind))
    return [
        _with_whole_brackets(text, span)
        for span in spans
        if not _is_kept_number(text, span)
    ]


def _with_whole_brackets(text: str, span: Span) -> Span:
    """Return `span` with both brackets of a pair, or neither.

    "ring (0191 281 7721) today" loses the number and both brackets,
    not the "(" alone.
    """
    written = text[span.start : span.end]
    opened = written.count("(") - written.count(")")
    if opened > 0 and text[span.end : span.end + 1] == ")":
        return Span(span.start, span.end + 1, span.kind)
    if opened < 0 and span.start > 0 and text[span.start - 1] == "(":
        return Span(span.start - 1, span.end, span.kind)
    if opened > 0 and written.startswith("("):
        return Span(span.start + 1, span.end, span.kind)
    return span


# Chinese and Japanese digits, which Unicode does not class as decimal
# digits, so the matching view keeps them. "\u3007" is the ideographic zero.
_CJK_DIGITS = str.maketrans(
    "\u3007\u96f6\u4e00\u4e8c\u4e09\u56db\u4e94\u516d\u4e03\u516b\u4e5d", "00123456789"
)
# Only a run this long is read as digits, because "\u4e00" (one) is also
# part of many ordinary words.
_CJK_DIGIT_RUN = re.compile(
    "[\u3007\u96f6\u4e00\u4e8c\u4e09\u56db\u4e94\u516d\u4e03\u516b\u4e5d]{7,}"
)


def _cjk_digits_as_ascii(text: str) -> str:
    """Return `text` with each run of seven or more CJK digits in ASCII digits.

    Each character stays one character, so offsets hold for `text`.
    """
    if text.isascii():
        return text
    return _CJK_DIGIT_RUN.sub(lambda match: match.group().translate(_CJK_DIGITS), text)


# Morse code for the digits: five dots and dashes each. The codes stand
# apart with spaces, and "/" or "|" may stand between words.
_MORSE_DIGITS = {
    "-----": "0", ".----": "1", "..---": "2", "...--": "3", "....-": "4",
    ".....": "5", "-....": "6", "--...": "7", "---..": "8", "----.": "9",
}  # fmt: skip
# Dashes and dots as typed on phones and in word processors.
_MORSE_MARK_CHARS = "\u2013\u2014\u2212\u00b7\u2022"
_MORSE_MARKS = str.maketrans(_MORSE_MARK_CHARS, "---..")
_MORSE_RUN = re.compile(
    r"(?<![\w.\-])[.\-]{5}(?:[ \t]{1,3}(?:[/|][ \t]{1,3})?[.\-]{5})+(?![\w.\-])"
)
_MORSE_CODE = re.compile(r"[.\-]{5}")


def _morse_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find a phone number written in Morse code: "----- --... --... ...".

    A run of codes counts only when each code is a digit and the digits make
    a phone number of ten digits or more.
    """
    if not text.isascii() and any(mark in text for mark in _MORSE_MARK_CHARS):
        text = text.translate(_MORSE_MARKS)
    # Every digit code except those of 4, 5 and 6 contains "--", so only a
    # number made of those three digits alone is skipped here.
    if "--" not in text:
        return []
    spans = []
    for match in _MORSE_RUN.finditer(text):
        codes = _MORSE_CODE.findall(match.group())
        digits = "".join(_MORSE_DIGITS.get(code, "x") for code in codes)
        if len(digits) < _MIN_SPLIT_DIGITS or not digits.isdigit():
            continue
        if _is_phone_number(digits, region):
            spans.append(Span(match.start(), match.end(), kind))
    return spans


def _candidate_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find numbers written as digit groups with separators between them."""
    spans: list[Span] = []
    starts = (
        start - offset
        for start, _ in fast_digit_runs(text)
        for offset in _CANDIDATE_DIGIT_OFFSETS
    )
    for match in matches_at(_CANDIDATE, text, starts):
        first = match.start()
        last = _end_before_glued_word(text, first, match.end())
        last = _end_before_remark(text, first, last, region)
        if last - first < _MIN_DIGITS:
            continue  # too short to hold enough digits: "2025", "4,000"
        if not _has_plain_surroundings(text, first, last):
            continue
        candidate = text[first:last]
        if _is_draw_of_small_numbers(candidate) or _is_list_of_values(candidate):
            continue
        if "," in candidate and _is_list_of_scores(candidate):
            continue
        if _is_list_of_dates(candidate) or _is_in_tab_line(text, first, last):
            continue
        for segment_start, segment_end in _candidate_segments(candidate):
            segment = candidate[segment_start:segment_end]
            for start, end in _numbers_in_segment(segment, region):
                offset = first + segment_start
                spans.append(Span(offset + start, offset + end, kind))
    return spans


# A bracket opened inside a candidate that words follow, as in "0 9 0 0 7
# 0 0 1 0 (0 means empty)": the digits in it start a remark.
_REMARK_AFTER = re.compile(r"[ \t]+[^\W\d_]")


def _end_before_remark(text: str, start: int, end: int, region: str) -> int:
    """Drop a bracketed remark that starts with digits from a candidate's end.

    The remark stays part of the candidate when the digits before it hold
    a number, so "0 7 7 0 0 9 0 0 1 2 (3 is last)" loses its last digit too.
    """
    opened = text.rfind(" (", start, end)
    if opened < 0 or ")" in text[opened:end] or not _REMARK_AFTER.match(text, end):
        return end
    before = text[start:opened].rstrip(_SEPARATORS)
    if any(_numbers_in(before, region)):
        return end
    return start + len(before)


# A line of guitar tab: a string's name, "|", then frets among dashes, as
# in "G|--0--3--5--0--3--6-5--0--|". The frets are notes to play.
_TAB_LINE = re.compile(r"[ \t]*[A-Ga-g][#b]?[ \t]*\|-[-0-9hpbrsx/\\~|]*-\|?[ \t]*")
_DASHES = re.compile(r"(?<=\d)-+(?=\d)")


def _is_in_tab_line(text: str, start: int, end: int) -> bool:
    """Check whether the candidate at `start`..`end` lies in a line of tab.

    Its notes must be spaced unevenly, as a tune is, and not by the same
    dashes throughout like digits hidden in tab ("e|--0--7--7--0--...--|").
    """
    line_start = text.rfind("\n", 0, start) + 1
    if text.find("|", line_start, start) < 0 or "-" not in text[start:end]:
        return False
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if not _TAB_LINE.fullmatch(text, line_start, line_end):
        return False
    gaps = {len(dashes) for dashes in _DASHES.findall(text, start, end)}
    return len(gaps) > 1


def _candidate_segments(candidate: str) -> Iterator[tuple[int, int]]:
    """Yield the parts of a candidate that may each hold a number.

    The rows of a table are read one at a time, and amounts and dates cut
    a row (see `_segments_between_amounts`).
    """
    for row_start, row_end in _table_rows(candidate):
        row = candidate[row_start:row_end]
        for start, end in _segments_between_amounts(row):
            yield row_start + start, row_start + end


def _table_rows(candidate: str) -> list[tuple[int, int]]:
    """Return the lines of a candidate laid out as a table, else the whole.

    Lines that each have a "|" in them are the rows of a truth table or a
    stem-and-leaf plot: "0 | 7 8 9\n1 | 0 2 2 5 7". Digits split over
    lines with no "|" ("0 7 7 0 0\n9 0 0 1 2 3") are read as one number.
    """
    whole = [(0, len(candidate))]
    if "|" not in candidate or "\n" not in candidate:
        return whole
    lines = candidate.split("\n")
    if any("|" not in line for line in lines):
        return whole
    rows = []
    start = 0
    for line in lines:
        rows.append((start, start + len(line)))
        start += len(line) + 1
    return rows


# Single digits in a comma-separated list: "0, 7, 7, 0, 0, 9, 0, 0, 1, 2, 3".
_DIGIT_LIST = re.compile(r"\d(?:, ?\d){5,}")


def _numbers_in_segment(segment: str, region: str) -> Iterator[tuple[int, int]]:
    """Yield the numbers in a part of a candidate, see `_numbers_in`.

    A list of single digits counts only as a whole. A number that starts or
    ends inside it leaves digits around it that a reader would have to
    drop, as in the data list "[3, 5, 2, 0, 7, 4, 6, 3, 2, 5, 8, 4, 3, 1]".
    """
    if not _DIGIT_LIST.fullmatch(segment):
        yield from _numbers_in(segment, region)
    elif _is_phone_number(segment, region):
        yield 0, len(segment)


def _is_draw_of_small_numbers(candidate: str) -> bool:
    """Recognise lottery numbers: six or more rising values of one or two digits.

    A French mobile ("06 12 34 56 78") has five two-digit groups, and a UK
    number of eleven digits cannot be cut into groups of two.
    """
    if candidate.strip(" ,0123456789"):
        return False
    groups = _DIGIT_RUN.findall(candidate)
    if len(groups) < _MIN_DRAW_VALUES or any(len(group) > 2 for group in groups):
        return False
    values = [int(group) for group in groups]
    return all(a < b for a, b in itertools.pairwise(values))


# A sequence or a large number written in groups: "2 4 8 16 32 64 128 256
# 512 1024", "602 214 076 000 000 000 000 000". A phone number hidden in
# spaced digits ("0 7 7 0 0 9 0 0 1 2 3") rarely rises or falls all the way,
# and none is written as five or more groups of three digits after the first.
_SPACED_GROUPS = re.compile(r"\d+(?: \d+)+")
_THOUSANDS_GROUPS = re.compile(r"\d{1,3}(?: \d{3}){4,}")


def _is_list_of_values(candidate: str) -> bool:
    """Recognise six or more spaced values rising or falling, or thousands groups."""
    if not _SPACED_GROUPS.fullmatch(candidate):
        return False
    if _THOUSANDS_GROUPS.fullmatch(candidate):
        return True
    values = [int(group) for group in candidate.split(" ")]
    if len(values) < _MIN_DRAW_VALUES:
        return False
    pairs = list(itertools.pairwise(values))
    if all(a < b for a, b in pairs) or all(a > b for a, b in pairs):
        return True
    return _is_growing_sequence(candidate.split(" "), pairs)


_MIN_SEQUENCE_TERMS = 2


def _is_growing_sequence(groups: list[str], pairs: list[tuple[int, int]]) -> bool:
    """Recognise "0 1 1 2 3 5 8 13 21 34": terms that never fall and grow steadily.

    Single digits run on into terms of two digits or more, and no term is
    more than twice the one before plus three, so a number cannot jump
    from "0" to "7" the way a UK mobile starts.
    NOTE: a landline whose groups happen to grow that way, such as "0 1 2
    3 4 6 9 14 21", stays.
    """
    long_terms = sum(len(group) > 1 for group in groups)
    return long_terms >= _MIN_SEQUENCE_TERMS and all(
        a <= b <= 2 * a + 3 for a, b in pairs
    )


# An amount with pence or cents standing alone between spaces, tabs or line
# breaks, as in a pasted spreadsheet row: "10401 1 24.99 3.20 28.19". A
# number never runs through one, so the candidate is searched on each side.
_AMOUNT_CELL = re.compile(r"(?<![^\s])\d{1,7}\.\d{2}(?![^\s])")
# A calculator's result below one, "0.06666666667, 1/11": six or more
# digits after "0." and no second point. A number hidden behind a decimal
# point has a short first group ("0.7700 900123") or more points.
_LONG_DECIMAL = re.compile(r"(?<![\d.])0\.\d{6,}(?![\d.])")


def _segments_between_amounts(candidate: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of the parts of `candidate` between amounts.

    A date with a year ("01/03/2024") cuts a candidate as an amount does,
    so "Due: 03/05/2024 (30 days)" and "01/02/2024, 07/03/2024" hold no
    number. A date with only spaces before more digits does not, because
    "07/10/2009 123" may spell the mobile 07102 009123.
    NOTE: a mobile whose first digits read as such a date is still missed
    when a comma or bracket follows the date ("07/7/2009, 0123").
    """
    dates = [
        (start, end)
        for start, end in _year_dates(candidate)
        if not _DIGITS_AFTER_SPACE.match(candidate, end)
    ]
    amounts = [match.span() for match in _AMOUNT_CELL.finditer(candidate)]
    decimals = []
    if "0." in candidate:
        decimals = [match.span() for match in _LONG_DECIMAL.finditer(candidate)]
    cuts = sorted(amounts + decimals + dates)
    if not cuts:
        return [(0, len(candidate))]
    segments = []
    start = 0
    for cut_start, cut_end in cuts:
        segments.append((start, cut_start))
        start = max(start, cut_end)
    segments.append((start, len(candidate)))
    return [(start, end) for start, end in segments if end > start]


# A date as a whole chain of groups: day and month, and perhaps a year,
# joined by one "/", "." or "-". "07/70/09/00" is no date, because the
# chain is longer and the month is out of range.
_DATE_CHAIN = re.compile(
    r"(?<![\d/.\-])(?P<day>\d{1,2})(?P<sep>[/.\-])(?P<month>\d{1,2})"
    r"(?:(?P=sep)(?P<year>\d{4}))?(?!\d|[/.\-]\d)"
)
_DIGITS_AFTER_SPACE = re.compile(r"[ \t\u00a0]+\d")
_MAX_DAY = 31
_MAX_MONTH = 12
_CENTURIES = ("19", "20")


def _dates(text: str) -> list[re.Match[str]]:
    """Return the valid dates in `text`, with or without a year."""
    if not any(sep in text for sep in "/.-"):
        return []
    starts = (start for start, _ in fast_digit_runs(text))
    return [
        match
        for match in matches_at(_DATE_CHAIN, text, starts)
        if 1 <= int(match["day"]) <= _MAX_DAY
        and 1 <= int(match["month"]) <= _MAX_MONTH
        and (match["year"] is None or match["year"][:2] in _CENTURIES)
    ]


def _year_dates(text: str) -> list[tuple[int, int]]:
    """Return the spans of the dates with a four-digit year in `text`."""
    return [match.span() for match in _dates(text) if match["year"]]


def _is_list_of_dates(candidate: str) -> bool:
    """Recognise two or more dates and nothing else: "02/09 - 06/09".

    A date without a year counts only with two digits each for the day and
    the month ("07/10", also a score out of ten). Such groups have a
    multiple of four digits, so they cannot spell a whole UK number, but
    "07/7, 1/2, 3/4, 5/6, 7/8" is 07712 345678.
    """
    dates = _dates(candidate)
    if len(dates) < 2:
        return False
    if any(
        match["year"] is None and len(match["day"] + match["month"]) != 4
        for match in dates
    ):
        return False
    covered = sum(sum(ch.isdigit() for ch in match.group()) for match in dates)
    return covered == sum(ch.isdigit() for ch in candidate)


_GLUED_WORD_CUTS = " \t\r\n\u00a0|/,_:*;#~'"


def _end_before_glued_word(text: str, start: int, end: int) -> int:
    """Drop a last digit run that is glued to a word, as in "07700 900123|0A".

    The run belongs to a code such as "0A", so the number before it stands
    alone. A candidate with no space in it is returned whole, for the
    surroundings check to reject ("07700900123abc").
    """
    if end >= len(text) or not (text[end].isalnum() or text[end] == "_"):
        return end
    # Any separator that can join digit groups can also end the number.
    cut = max(text.rfind(mark, start, end) for mark in _GLUED_WORD_CUTS)
    if cut <= start:
        return end
    return start + len(text[start:cut].rstrip(_SEPARATORS))


def _letters_as_digits(text: str) -> str:
    """Return `text` with each O, l, I or Z in a run of digits replaced by its digit.

    The result has the same length, so offsets found in it hold for `text`.
    A run must stand apart from other letters and be three characters long
    or hold two real digits, which leaves "CO2", "O2", "1O" and "I2" alone,
    unless another group of digits follows it, as in "O7 7OO 9OO l23".
    """
    if not _has_letter_by_digit(text) or not _LETTER_BY_DIGIT.search(text):
        # Most text has no such run, so a plain search first saves the
        # substitution, which tries a match at every letter of the set.
        return text

    def digits(match: re.Match[str]) -> str:
        run = match.group()
        real_digits = sum(ch.isdigit() for ch in run)
        if (
            real_digits < 2
            and len(run) < 3
            and not _GROUP_AFTER.match(text, match.end())
        ):
            return run
        return run.translate(_LETTER_DIGITS)

    return _LETTER_DIGIT_RUN.sub(digits, text)


def _has_letter_by_digit(text: str) -> bool:
    """Check for an O, l or I beside a run of digits, reading only the runs' edges."""
    return any(
        text[start - 1 : start] in _LETTERS_FOR_DIGITS
        or text[end : end + 1] in _LETTERS_FOR_DIGITS
        for start, end in fast_digit_runs(text)
    )


def _has_plain_surroundings(text: str, start: int, end: int) -> bool:
    """Check that a candidate is not part of a reference, a price or a word."""
    before = text[start - 1] if start > 0 else " "
    before_that = text[start - 2] if start > 1 else " "
    after = text[end] if end < len(text) else " "
    after_that = text[end + 1] if end + 1 < len(text) else " "

    if after.isalnum() or after in "%_":
        return False
    # "#1234567" is a reference, but "#07700#900#123" uses "#" as a separator.
    if before in _PRICE_AND_REFERENCE_SIGNS and not (
        before == "#" and "#" in text[start:end]
    ):
        return False
    # "ORD-2026-1234" and "2026-1234-A" are references, not numbers. A
    # reference is written without spaces, so "07700 900123/0A" is a number.
    spaced = " " in text[start:end]
    if before in "-/" and before_that.isalnum() and not spaced:
        return False
    if after in "-/" and after_that.isalnum() and not spaced:
        return False
    return _REFERENCE_LABEL.search(text, max(0, start - 40), start) is None


def _numbers_in(candidate: str, region: str) -> Iterator[tuple[int, int]]:
    """Yield the (start, end) offsets of each number within one candidate.

    Two numbers written next to each other ("07700 900123 01632 960123") form
    one candidate, so each possible start is tried with its longest possible
    end first.
    """
    runs = [(m.start(), m.end()) for m in _DIGIT_RUN.finditer(candidate)]
    index = 0
    while index < len(runs):
        found = _longest_number_from(candidate, runs, index, region)
        if found is None:
            index += 1
            continue
        start, end, next_index = found
        yield start, end
        index = next_index


def _longest_number_from(
    candidate: str, runs: list[tuple[int, int]], first: int, region: str
) -> tuple[int, int, int] | None:
    gap = candidate[runs[first - 1][1] : runs[first][0]] if first > 0 else " "
    if not _may_start_after(gap) and not _is_whole_field(gap, runs[first]):
        return None
    start = _number_start(candidate, runs[first][0])
    for last in range(_last_run_within_limit(runs, first), first - 1, -1):
        end = _number_end(candidate, start, runs[last][1])
        if _is_phone_number(candidate[start:end], region):
            return start, end, last + 1
    return None


def _may_start_after(gap: str) -> bool:
    """Check that a number may start after `gap`, the text since the last digit.

    A number starts after whitespace, or after a separator with whitespace
    beside it ("07700 900106 / 07700 900107"), never after "-", "/" or "."
    inside one.
    """
    before_digits = gap.rstrip("+( ")
    if not before_digits or before_digits.isspace():
        return True
    spaced = gap[:1].isspace() or gap[-1:].isspace()
    return spaced and gap.strip(" +(") in _LIST_SEPARATORS


def _is_whole_field(gap: str, run: tuple[int, int]) -> bool:
    """Check for ten digits or more in one comma-separated field: "4,07700900123".

    A CSV row puts fields side by side with only a comma between them, and
    no group of a number written with commas is that long.
    """
    return gap == "," and run[1] - run[0] >= _MIN_SPLIT_DIGITS


def _last_run_within_limit(runs: list[tuple[int, int]], first: int) -> int:
    """Return the last digit run a number starting at `first` could reach.

    Bounding the search by the digit limit keeps a long candidate such as
    "1 1 1 1 ..." linear instead of trying every pair of runs.
    """
    digits = 0
    last = first
    while last < len(runs):
        digits += runs[last][1] - runs[last][0]
        if digits > _MAX_DIGITS:
            break
        last += 1
    return max(first, last - 1)


def _number_start(candidate: str, run_start: int) -> int:
    """Move a number's start back over a leading "+", "+ ", "(" or "(+"."""
    start = run_start
    if candidate[start - 2 : start] == "+ ":
        start -= 1
    while start > 0 and candidate[start - 1] in "+(":
        start -= 1
    return start


def _number_end(candidate: str, start: int, run_end: int) -> int:
    """Move a number's end over the ")" that closes an area code like "(555)"."""
    if candidate[run_end : run_end + 1] != ")":
        return run_end
    opened = candidate.rfind("(", start, run_end)
    if opened >= 0 and ")" not in candidate[opened:run_end]:
        return run_end + 1
    return run_end


def _is_phone_number(written: str, region: str) -> bool:
    digits = sum(ch.isdigit() for ch in written)
    if not _MIN_DIGITS <= digits <= _MAX_DIGITS:
        return False
    if _looks_like_other_number(written, digits):
        return False
    if digits < _MIN_SPLIT_DIGITS and _is_one_digit_at_a_time(written):
        return False
    if _is_binary(written):
        return _is_valid(written, region)

    # phonenumbers rejects a line break or a "/" inside a number, but not a
    # space, and reads "+ 44" as "+44" only without the space.
    plain = written.translate(_PLAIN_SEPARATORS).replace("\r", " ")
    plain = plain.replace("\n", " ").replace("+ ", "+")
    bare = plain.lstrip("(")
    if bare.startswith("00"):
        return _is_exit_code_number(plain, region)
    if bare.startswith("+"):
        return _is_possible(plain, region) or (
            _MIN_INTERNATIONAL_DIGITS <= digits <= _MAX_INTERNATIONAL_DIGITS
        )
    if _NANP.fullmatch(plain):
        return True
    prefix = _national_prefix(region)
    if prefix and bare.startswith(prefix):
        return _is_possible(plain, region)
    return _is_mobile_without_prefixes(plain, region)


def _is_one_digit_at_a_time(written: str) -> bool:
    """Check that every digit is a group of its own: "0 9 0 0 7 0 0 1 0".

    A number given that way is written out in full, and nearly every UK
    number has ten or eleven digits, so a shorter run is a sudoku row or
    a score by quarters. The few shorter ones, such as Childline's 0800
    1111, are helplines, which are kept anyway.
    """
    return all(len(group) == 1 for group in _DIGIT_RUN.findall(written))


# Digits that start with a group of four or more 0s and 1s. No UK or North
# American number is written so: no UK code starts 010, 0110 or 0111, and
# after the "00" exit code no country code starts with 0, nor any North
# American area code with 0 or 1.
_BINARY_START = re.compile(r"\D*[01]{4,}(?!\d)")


def _is_binary(written: str) -> bool:
    """Recognise a byte or a row of bits: "01101001", "0 1 1 0 1 0 0 1"."""
    if _BINARY_START.match(written):
        return True
    return not written.translate(_NOT_BINARY_DIGITS).strip(_SEPARATORS + "+")


_NOT_BINARY_DIGITS = str.maketrans(dict.fromkeys("01"))


@functools.lru_cache(maxsize=256)
def _is_valid(written: str, region: str) -> bool:
    """Check that phonenumbers finds `written` in a range assigned to numbers."""
    plain = written.translate(_PLAIN_SEPARATORS).replace("+ ", "+")
    try:
        number = phonenumbers.parse(" ".join(plain.split()), region)
    except NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def _is_exit_code_number(plain: str, region: str) -> bool:
    """Check a number written with the "00" exit code: "0044 7700 900777".

    No country code starts with "0", so "000123456" is no phone number. A
    first group that runs past the country code into the rest, as in the
    form number "0019 4472 8810", is not how an international number is
    grouped, so phonenumbers must call it valid (area code assigned).
    """
    groups = _DIGIT_RUN.findall(plain)
    digits = "".join(groups)
    if digits[2:3] == "0":
        return False
    try:
        number = phonenumbers.parse("+" + digits[2:], region)
    except NumberParseException:
        return False
    if len(groups) > 1 and len(groups[0]) > 2 + len(str(number.country_code)):
        return bool(phonenumbers.is_valid_number(number))
    return _is_possible(plain, region) or (
        _MIN_INTERNATIONAL_DIGITS <= len(digits) <= _MAX_INTERNATIONAL_DIGITS
    )


def _is_mobile_without_prefixes(written: str, region: str) -> bool:
    """Recognise a mobile number that lacks its "0", or has "44" but no "+".

    "7700 900123", "7700900123" and "44-7700-900123" still reach a UK mobile.
    Every digit group must have three digits or more, because "72 65 81 90
    77" is more often a list of marks. A tracking number of the same shape
    is removed too, since the words around a number do not show whether it
    also rings a phone. An "order" label keeps it (see `_is_kept_number`).
    NOTE: only mobiles are recognised in these layouts. A landline without
    its "0" ("1632 960123") reads like any digit run, so it stays.
    """
    mobile = _MOBILE_WITHOUT_TRUNK_PREFIX.get(region)
    if mobile is None:
        return False
    groups = _DIGIT_RUN.findall(written)
    national = "".join(groups)
    code = _country_code(region)
    if groups[0] == code or (len(groups) == 1 and len(national) > 10):
        if not national.startswith(code):
            return False
        national = national[len(code) :].removeprefix("0")
        # A "(0)" between the country code and the number is its own group.
        groups = [group for group in groups[1:] if group != "0"]
    if any(len(group) < 3 for group in groups):
        return False
    return mobile.fullmatch(national) is not None


def _looks_like_other_number(written: str, digits: int) -> bool:
    """Recognise dates, times, ISBNs and counted lists in a phone layout."""
    if _DATE.fullmatch(written) or _ISBN_10.fullmatch(written):
        return True
    if _DECIMAL.fullmatch(written):
        return True
    if _TIME_RANGE.fullmatch(written) or _CLOCK_TIMES.fullmatch(written):
        return True
    if "".join(_DIGIT_RUN.findall(written)).startswith("000"):
        # "0.000 0712" in standard form: a national number has one leading
        # "0", and after the "00" exit code no country code starts with "0".
        return True
    if _is_product(written):
        return True
    if ":" in written and _TIME.search(written):
        return True
    if ("," in written or "\n" in written) and _is_counted_list(written):
        return True
    if "," in written and _is_list_of_scores(written):
        return True
    compact = "".join(ch for ch in written if ch.isdigit())
    return digits == 13 and compact.startswith(("978", "979")) and "+" not in written


def _is_product(written: str) -> bool:
    """Recognise a product of numbers with a decimal among them: "0.3 x 1500 x 48".

    A number hidden behind "x" signs has no decimal point in a group.
    """
    factors = _PRODUCT_SIGN.split(written)
    return len(factors) > 1 and any(_DECIMAL.fullmatch(f) for f in factors)


def _is_list_of_scores(written: str) -> bool:
    """Recognise "0, 7, 77, 0, 9, 0, 0, 12, 3": six or more values of one or two digits.

    Digits that hide a phone number are all single ("0, 7, 7, 0, 0, ...")
    or grouped as a number is read ("07, 700, 900, 123"). A mix of single
    digits and two-digit values that do not start with "0" is a list of
    scores or counts.
    """
    groups = _DIGIT_RUN.findall(written)
    if len(groups) < _MIN_DRAW_VALUES or any(len(group) > 2 for group in groups):
        return False
    return any(len(group) == 1 for group in groups) and any(
        len(group) == 2 and group[0] != "0" for group in groups
    )


def _is_counted_list(written: str) -> bool:
    """Recognise "0, 1, 2, 3, 4, 5, 6, 7, 8, 9": four or more rising or falling values.

    The values may also stand one a line, as in a numbered list.

    Digits that hide a phone number ("0,7,7,0,0,9,0,0,1,2,3") rarely rise or
    fall all the way, so they still count as a number.
    """
    values = [int(group) for group in _DIGIT_RUN.findall(written)]
    if len(values) < _MIN_LIST_VALUES:
        return False
    pairs = list(itertools.pairwise(values))
    return all(a < b for a, b in pairs) or all(a > b for a, b in pairs)


# A body that repeats a number, or a run of digit groups, checks the same
# text again, and phonenumbers took 0.1 to 0.2 ms a call here (Python 3.11,
# 2 CPUs shared with other work).
@functools.lru_cache(maxsize=1024)
def _is_possible(written: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(written, region)
    except NumberParseException:
        return False
    reason = phonenumbers.is_possible_number_with_reason(number)
    # IS_POSSIBLE_LOCAL_ONLY is left out: a bare eight-digit run is more often
    # an account or order number than a local call.
    return bool(reason == ValidationResult.IS_POSSIBLE)


def _split_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find numbers whose digit groups are split by words or emoji.

    "07700 then 900 then 123" and "07700 🙂 900 🙂 123" count when the groups
    make a phone number of ten digits or more once joined. The first group
    follows a "+", or has three digits or more and starts with "0". Each gap
    contains at most four words and no sentence end or line break, so "0412
    and my centre number is 56789" stays.
    """
    runs = fast_digit_runs(text)
    dated = _dated_runs(text)
    if dated:
        runs = tuple(run for run in runs if run[0] not in dated)
    spans = []
    for index, (start, end) in enumerate(runs):
        if not _may_start_number(text, start, end):
            continue
        found = _split_number_from(text, runs, index, region)
        if found is not None:
            spans.append(Span(found[0], found[1], kind))
    return spans


def _dated_runs(text: str) -> set[int]:
    """Return the starts of the digit runs that are part of a date with a year.

    Such a run is no group of a split number: "INV-0042 dated 01/03/2024".
    Leaving the runs out also ends the number before the date, because the
    gap to the next run then contains the date's digits.
    """
    dates = _year_dates(text)
    return {
        start
        for start, _ in fast_digit_runs(text)
        if any(low <= start < high for low, high in dates)
    }


def _may_start_number(text: str, start: int, end: int) -> bool:
    if not follows_non_word(text, start) or _follows_decimal_point(text, start):
        return False
    plus = text.rfind("+", max(0, start - 2), start)
    if plus >= 0:
        # "12 + 34 + 56" is a sum, not an international number.
        return not text[:plus].rstrip()[-1:].isdigit()
    # A byte starts no number: "the byte 01101001 is 105".
    return text[start] == "0" and end - start >= 3 and not _is_binary(text[start:end])


def _follows_decimal_point(text: str, start: int) -> bool:
    """Check for "0." right before `start`: the digits are a decimal fraction.

    "0.0555555556 mol in 1 g" is a calculator's result. A dotted number
    such as "07700.900.123" has more than one digit before its first point.
    """
    if text[max(0, start - 2) : start] != "0.":
        return False
    before = text[max(0, start - 3) : start - 2]
    return not before.isdigit() and before != "."


def _split_number_from(
    text: str, runs: tuple[tuple[int, int], ...], index: int, region: str
) -> tuple[int, int] | None:
    """Return the longest split number whose first group is `runs[index]`."""
    first = _number_start(text, runs[index][0])
    digits = text[first : runs[index][1]].replace(" ", "")
    limit = _max_written_digits(digits, region)
    has_filler = False
    longest = None
    for previous, (start, end) in itertools.pairwise(runs[index:]):
        gap = text[previous[1] : start]
        if end - start < 2 or not _SPLIT_GAP.fullmatch(gap):
            break
        if _ANOTHER_THING.search(gap) or _gap_separates_values(gap):
            break
        digits += text[start:end]
        if sum(ch.isdigit() for ch in digits) > limit:
            break
        # Groups with only separators between them are left to the candidate
        # scan, which also rejects references, prices and dates.
        has_filler = has_filler or bool(gap.strip(_SEPARATORS))
        if (
            has_filler
            and len(digits.lstrip("+")) >= _MIN_SPLIT_DIGITS
            and _is_phone_number(digits, region)
            and _has_plain_surroundings(text, first, end)
        ):
            longest = (first, end)
    return longest


def _gap_separates_values(gap: str) -> bool:
    """Check whether a gap between digit groups shows two separate values.

    Each group in its own brackets ("(00502851), and (08130873") is a value
    of its own, and so is a group after a name. The gap's words would be
    removed with the groups, so a doubtful gap keeps them apart.
    """
    if "(" in gap and ")" in gap:
        return True
    return any(
        word.lower() not in _SAME_NUMBER_WORDS and word.lower() not in _NUMBER_WORDS
        for word in _CAPITALISED_WORD.findall(gap)
    )


# The text between two digits of a number given a digit at a time: up to
# four words, with spaces and commas around them.
_FILLER_GAP = re.compile(r"[ ,]{1,3}(?:[^\W\d_]{1,12}[ ,]{1,3}){0,4}")
# A number given a digit at a time repeats its few filler words ("then",
# "and then"). More different words name the items of a list.
_MAX_FILLER_WORDS = 2


def _digit_by_digit_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find a number given a digit or a few at a time between words.

    "0 then 7 then 7 then 0 ..." and "first 0, then 7, 7, 0, ..." count
    when the first group starts with "0", one group is a single digit (the
    layout `_split_numbers` leaves alone), a word is in at least one
    gap, and the digits make a phone number of ten digits or more that
    does not simply count along. Only spaces, commas and words may stand
    in a gap, so dates, times and sort codes ("12/01/2026", "07:15, 07:45")
    stay.
    """
    runs = fast_digit_runs(text)
    spans = []
    for index, (start, _) in enumerate(runs):
        if text[start] != "0" or not follows_non_word(text, start):
            continue
        if _follows_decimal_point(text, start):
            continue
        end = _digit_by_digit_end(text, runs, index, region)
        if end is not None:
            spans.append(Span(start, end, kind))
    return spans


def _digit_by_digit_end(
    text: str, runs: tuple[tuple[int, int], ...], index: int, region: str
) -> int | None:
    """Return where the longest digit-by-digit number from `runs[index]` ends."""
    first, end = runs[index]
    digits = text[first:end]
    limit = _max_national_digits(region)
    has_filler = False
    has_single_digit = end - first == 1
    fillers: set[str] = set()
    longest = None
    for previous, (start, end) in itertools.pairwise(runs[index:]):
        gap = text[previous[1] : start]
        if not _FILLER_GAP.fullmatch(gap):
            break
        digits += text[start:end]
        if len(digits) > limit:
            break
        filler = gap.strip(" ,").lower()
        fillers.add(filler)
        if len(fillers - {""}) > _MAX_FILLER_WORDS:
            # "Lavender 0, Vanilla 7, Sea salt 7, ...": a list of named counts.
            break
        has_filler = has_filler or bool(filler)
        has_single_digit = has_single_digit or end - start == 1
        if (
            has_filler
            and has_single_digit
            and len(digits) >= _MIN_SPLIT_DIGITS
            and not _counts_along(digits)
            and _is_phone_number(digits, region)
            and _has_plain_surroundings(text, first, end)
        ):
            longest = end
    return longest


# A cue word before a number written backwards:
# "backwards: 321009 00770", "reverse it 3210090077 0", "flip it: 321009
# 00770", "read it right to left 321009 00770". The pattern reads
# text from prefilter.fold_case.
_REVERSE_CUE_WORDS = frozenset(
    """
    backwards backward reverse reversed flip flipped mirror mirrored left
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_REVERSED_NUMBER = re.compile(
    r"(?:backwards?|reversed?|in reverse|flip(?:ped)?|mirror(?:ed)?|right to left)"
    r"(?:\s+(?:it|this|that|them))?"
    r"\s*[:,\-]?\s*(?P<number>\d(?:[ .\-]{0,2}\d)*+)(?![\w])"
)

# The same cue right after the number: "321009 00770 (backwards)", "321009
# 00770 - read it backwards", "3210090077 0, reversed".
_REVERSED_NUMBER_BEFORE_CUE = re.compile(
    r"(?<![\w+])(?P<number>\d(?:[ .\-]{0,2}\d)*+)"
    r"[ \t]*[(\[,:\-\u2013]?[ \t]*(?:(?:read|write|written|say|said|but|it|its|it's"
    r"|is|this|that|all)[ \t]+){0,3}"
    r"(?:backwards?|reversed?|in reverse|flip(?:ped)?|mirror(?:ed)?|right to left)\b"
)


def _reversed_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find a phone number written backwards next to a cue such as "backwards"."""
    if not _REVERSE_CUE_WORDS & letter_words(text):
        return []
    folded = fold_case(text)
    spans = []
    for match in _REVERSED_NUMBER_BEFORE_CUE.finditer(folded):
        if _is_phone_number(match.group("number")[::-1], region):
            spans.append(Span(match.start("number"), match.end("number"), kind))
    for match in _REVERSED_NUMBER.finditer(folded):
        written = match.group("number")
        if follows_non_word(folded, match.start()) and _is_phone_number(
            written[::-1], region
        ):
            spans.append(Span(match.start("number"), match.end("number"), kind))
    return spans


# A number given as one's own, however it is disguised: "my number is
# 18811 011234, take 1 off each digit", "text me on 321009 00770". After
# such a cue, a run of 9 to 15 digits in the same sentence is removed even
# when phonenumbers does not read it as a number, because a code the
# filters cannot undo still gives the partner the number. The patterns read
# text from prefilter.fold_case.
_OWN_NUMBER_CUE_WORDS = frozenset(
    """
    number mobile mob phone cell digits landline tel whatsapp text txt ring
    call facetime message reach contact bell
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# The words that _OWN_NUMBER may start with besides those above.
_OWN_NUMBER_FIRST_WORDS = frozenset({"my", "me", "ur", "your"})
# A number of something else is named with a preposition after the noun:
# "my number for the raffle is", "my number at the gym is". "My mobile
# number is" and "my number in reverse is" stay cues.
_OTHER_NUMBER_AFTER = (
    r"(?:[ \t]+(?:number|no|num))?+"
    r"(?![ \t]+(?:for|at|on|of|from|in(?![ \t]+reverse))\b)"
)
_OWN_NUMBER = (
    r"(?:(?:my|me on my|me on|me at|ur|your)[ \t]+(?:new[ \t]+|own[ \t]+|other[ \t]+"
    r"|personal[ \t]+|real[ \t]+|home[ \t]+)?(?:number|mobile|mob|phone|cell"
    rf"|digits|landline|whatsapp|tel)\b{_OTHER_NUMBER_AFTER}"
    r"|(?:text|txt|ring|call|phone|whatsapp|facetime|message|reach|contact|bell)"
    r"[ \t]+(?:me|us)\b)"
)
_CUED_DIGITS = re.compile(r"(?<![\w+])\+?\d(?:[ \t.\-]{0,2}\d)*+(?![\w])")
_OWN_NUMBER_AFTER = re.compile(_OWN_NUMBER)
_OWN_NUMBER_BEFORE = re.compile(
    r"[ \t]*[(\[,:\-\u2013]?[ \t]*(?:(?:is|=|that's|thats|that is|it's|its)[ \t]*)?"
    + _OWN_NUMBER
)
# The rest of the sentence after a cue, where the number is looked for.
_AFTER_CUE = re.compile(r"[^.!?\n]{0,80}")
# A count written in groups of three: "100 000 000 views".
_GROUPED_COUNT = re.compile(r"\d{1,3}(?:[ .]\d{3}){2,}")
_MIN_CUED_DIGITS = 9
_MAX_CUED_DIGITS = 15


def _cued_numbers(text: str, kind: str) -> list[Span]:
    """Find a run of 9 to 15 digits given as one's own number, valid or not."""
    present = _OWN_NUMBER_CUE_WORDS & letter_words(text)
    if not present:
        return []
    folded = fold_case(text)
    spans = []
    # The cue pattern starts with one of these words, so it is tried only
    # where one starts, and the digits only where a digit run starts.
    cue_starts = sorted(
        start
        for word in present | (_OWN_NUMBER_FIRST_WORDS & letter_words(text))
        for start in word_starts(text, word)
    )
    for cue in matches_at(_OWN_NUMBER_AFTER, folded, cue_starts):
        window = _AFTER_CUE.match(folded, cue.end())
        assert window is not None  # the pattern also matches nothing
        for match in _CUED_DIGITS.finditer(folded, window.start(), window.end()):
            if _is_cued_number(match.group()):
                spans.append(Span(match.start(), match.end(), kind))
        code = _cued_code(text, cue.end())
        if code is not None:
            spans.append(Span(code[0], code[1], kind))
    digit_starts = (
        start - offset for start, _ in fast_digit_runs(text) for offset in (0, 1)
    )
    for match in matches_at(_CUED_DIGITS, folded, digit_starts):
        if _is_cued_number(match.group()) and _OWN_NUMBER_BEFORE.match(
            folded, match.end()
        ):
            spans.append(Span(match.start(), match.end(), kind))
    return spans


def _is_cued_number(written: str) -> bool:
    digits = sum(char.isdigit() for char in written)
    return (
        _MIN_CUED_DIGITS <= digits <= _MAX_CUED_DIGITS
        and not _DATE.fullmatch(written)
        and not _GROUPED_COUNT.fullmatch(written)
    )


# A number given as one's own may be written in any code: "0°, 7°, 7°, ...",
# Roman numerals, the shifted symbols of the digit keys ")&&))( ))!@#", hex
# "0x1CB02691B", or letters for digits "ahhaajaabcd". After a cue, the
# tokens up to the first ordinary word are read as one code, and a code of
# 9 symbols or more is removed whatever its symbols.
# NOTE: only a cue before the code counts. "0x1CB02691B is my number" and a
# code with no cue at all get through.
_CODE_TOKEN = re.compile(r"[^\s]+")
_CODE_WINDOW = re.compile(r"[^\n]{0,120}")
# Words and signs between a cue and the number: "my number is", "my number
# starts with", "text me on".
_CUE_LINKS = frozenset(
    """
    is was = : - its it's thats that's starts start begins with on at
    """.split()  # noqa: SIM905 - a word list reads better as text
) | {"\u2013"}
_TOKEN_EDGE_PUNCTUATION = ",.;:"
# Shift and a digit key give these on UK and US keyboards.
_SHIFTED_DIGITS = frozenset(')!@#$%^&*("£')
_ROMAN_NUMERAL = re.compile(r"[IVX]+|[ivx]{2,}")
# Digits with letters count only as hexadecimal: "0x1CB02691B". Others, as
# in "3rd" or "is07700900123", are words or glued to one.
_HEX_NUMBER = re.compile(r"(?:0[xX])?[0-9a-fA-F]*\d[0-9a-fA-F]*")
# Letters for digits: a=0 to j=9, or the top row of a keyboard, q=1 to p=0.
# A word of nine or more letters drawn from one of these sets alone is rare
# ("beachhead", "typewriter"), and after a cue such a word is removed too.
_CIPHER_ALPHABETS = (frozenset("abcdefghij"), frozenset("qwertyuiop"))
_MIN_CIPHER_LETTERS = 9
_MIN_CODE_SYMBOLS = 9
_MAX_HOUR = 24
_MAX_MINUTE = 59


def _cued_code(text: str, cue_end: int) -> tuple[int, int] | None:
    """Find a code written right after a cue and return its (start, end) offsets."""
    window = _CODE_WINDOW.match(text, cue_end)
    assert window is not None  # the pattern also matches nothing
    run: list[re.Match[str]] = []
    for token in _CODE_TOKEN.finditer(text, cue_end, window.end()):
        core = token.group().strip(_TOKEN_EDGE_PUNCTUATION)
        if not run and (not core or core.lower() in _CUE_LINKS):
            continue
        if not _is_code_token(core):
            break
        run.append(token)
    symbols = [_code_symbols(token.group()) for token in run]
    # A sign alone ends no code, and nor does a lone "I", "V" or "X" after
    # a comma or stop: in "text me on 07700 900456, I check it" the "I"
    # starts the next clause.
    while symbols and (symbols[-1] == 0 or _starts_clause(run, len(symbols) - 1)):
        symbols.pop()
    if not symbols:
        return None
    written = run[: len(symbols)]
    if sum(symbols) < _MIN_CODE_SYMBOLS or _are_clock_times(written):
        return None
    end = written[-1].end()
    while text[end - 1] in _TOKEN_EDGE_PUNCTUATION:
        end -= 1
    return written[0].start(), end


def _starts_clause(run: list[re.Match[str]], index: int) -> bool:
    """Check for a one-letter Roman numeral right after a comma or stop."""
    token = run[index].group()
    return (
        index > 0
        and len(token) == 1
        and bool(_ROMAN_NUMERAL.fullmatch(token))
        and run[index - 1].group()[-1] in _TOKEN_EDGE_PUNCTUATION
    )


def _are_clock_times(tokens: list[re.Match[str]]) -> bool:
    """Check for times and signs alone: "call me at 9:30 - 10:00 - 10:30"."""
    cores = [token.group().strip(_TOKEN_EDGE_PUNCTUATION) for token in tokens]
    return all(_is_clock_time(core) or len(core) == 1 for core in cores)


def _is_clock_time(written: str) -> bool:
    """Check for a time of day such as "9:30" or "18:45"."""
    if not _TIME.fullmatch(written):
        return False
    hours, minutes = written.split(":")[:2]
    return int(hours) <= _MAX_HOUR and int(minutes) <= _MAX_MINUTE


def _is_code_token(token: str) -> bool:
    """Check whether a token after a cue may stand for digits, not for a word."""
    if token.startswith("(") and any(char.isalpha() for char in token):
        return False  # a note in brackets after the code: "(a=0 b=1)"
    if not any(char.isalpha() for char in token):
        return True  # digits, or signs such as ")&&))(", "0°," or "-"
    if _ROMAN_NUMERAL.fullmatch(token) or _HEX_NUMBER.fullmatch(token):
        return True
    letters = set(token.lower())
    return len(token) >= _MIN_CIPHER_LETTERS and any(
        letters <= alphabet for alphabet in _CIPHER_ALPHABETS
    )


def _code_symbols(token: str) -> int:
    """Count the symbols in a code token that stand for digits: "VII" is one.

    A sign alone, such as "&" or "-", joins words or groups, so it counts
    none.
    """
    if _ROMAN_NUMERAL.fullmatch(token):
        return 1
    if len(token) == 1 and not token.isalnum():
        return 0
    return sum(char.isalnum() or char in _SHIFTED_DIGITS for char in token)


# A link in running text, up to the first character that cannot be part of
# one. The pattern reads text from prefilter.fold_case.
_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"'`{}|\\^\[\]]+")
_LINK_WORDS = frozenset(["http", "https", "www"])
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
# A number in a decoded link: digit groups joined by at most two of " ",
# ".", "-", "+" (a space in a query) or brackets, with no word character or
# "%" next to it.
_LINK_NUMBER = re.compile(r"(?<![\w%])(?:\+|\(\+?)?\d(?:[ .\-+()]{0,2}\d)*+(?![\w%])")


def _link_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find a phone number in a link's path or query: "https://example.net/07700900123".

    The candidate scan leaves these alone: `_has_plain_surroundings`
    rejects digits right after "word/", where order numbers and ids sit,
    and a percent escape ("07700%20900123") is no separator. In a link only
    a number that is clearly a phone number counts (see
    `_is_clear_phone_number`), read with its percent escapes decoded.
    """
    if _LINK_WORDS.isdisjoint(letter_words(text)):
        return []
    spans = []
    for link in _LINK.finditer(fold_case(text)):
        decoded, origins = _percent_decoded(link.group())
        for match in _LINK_NUMBER.finditer(decoded):
            if not _is_clear_phone_number(match.group(), region):
                continue
            if _is_kept_number(decoded, Span(match.start(), match.end(), kind)):
                continue
            start = link.start() + origins[match.start()]
            end = link.start() + origins[match.end()]
            spans.append(Span(start, end, kind))
    return spans


def _percent_decoded(link: str) -> tuple[str, list[int]]:
    """Return `link` with its percent escapes decoded, and where each character started.

    The list has one more entry than the text: the end of the link.
    """
    pieces = []
    origins: list[int] = []
    cursor = 0
    for match in _PERCENT_ESCAPE.finditer(link):
        pieces.append(link[cursor : match.start()])
        origins.extend(range(cursor, match.start()))
        pieces.append(chr(int(match.group()[1:], 16)))
        origins.append(match.start())
        cursor = match.end()
    pieces.append(link[cursor:])
    origins.extend(range(cursor, len(link) + 1))
    return "".join(pieces), origins


def _is_clear_phone_number(written: str, region: str) -> bool:
    """Check for a number that is a phone number wherever it is written.

    That is a full international number ("+" or "00", then a number
    phonenumbers calls possible), or a mobile number of `region` with its
    trunk prefix or country code ("07700900123", "447700900123").
    """
    digits = "".join(ch for ch in written if ch.isdigit())
    if written.lstrip("(").startswith("+"):
        return _is_possible("+" + digits, region)
    if digits.startswith("00"):
        return _is_possible("+" + digits[2:], region)
    mobile = _MOBILE_WITHOUT_TRUNK_PREFIX.get(region)
    if mobile is None:
        return False
    code = _country_code(region)
    prefix = _national_prefix(region)
    if prefix and digits.startswith(prefix):
        national = digits[len(prefix) :]
    elif digits.startswith(code):
        national = digits[len(code) :]
    else:
        return False
    return mobile.fullmatch(national) is not None


def _max_written_digits(start: str, region: str) -> int:
    """Return how many digits a number that starts with `start` may have.

    The bound saves a phonenumbers call on every longer run of groups, which
    on a body of many short groups ("0123 x 0123 x ...") costs more than the
    rest of the filter.
    """
    if start.lstrip("(").startswith(("+", "00")):
        return _MAX_DIGITS
    return _max_national_digits(region)


@functools.lru_cache(maxsize=32)
def _max_national_digits(region: str) -> int:
    """Return the longest national number of `region`, with its trunk prefix."""
    metadata = PhoneMetadata.metadata_for_region(region)
    general = None if metadata is None else metadata.general_desc
    if general is None or not general.possible_length:
        return _MAX_DIGITS
    return int(max(general.possible_length)) + len(_national_prefix(region))


def _country_code(region: str) -> str:
    return str(phonenumbers.country_code_for_region(region))


def _national_prefix(region: str) -> str:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix is None:
        return ""
    return str(metadata.national_prefix)


# Published UK helpline numbers, which a mentor must be able to pass on. The
# numbers belong to the services, so keeping them reveals nobody's contact.
# Each is stored as national digits. Numbers shorter than seven digits (NHS
# 111, Samaritans 116 123, SHOUT 85258) never match and need no entry.
# Childline, the NSPCC helpline, Papyrus, CALM, both Beat lines, the
# National Domestic Abuse Helpline and Crimestoppers were checked against
# the services' published numbers on 2026-12-04.
# NOTE: the other entries have not been checked against the services' own
# pages yet; confirm each there before relying on it.
_HELPLINES = frozenset(
    {
        "08001111",  # Childline
        "08088005000",  # NSPCC helpline
        "08000280285",  # NSPCC whistleblowing advice line
        "08000684141",  # Papyrus HOPELINE247
        "0800585858",  # CALM
        "08088084994",  # The Mix
        "08088010711",  # Beat youthline
        "08088010677",  # Beat helpline
        "08082000247",  # National Domestic Abuse Helpline (Refuge)
        "0800555111",  # Crimestoppers
        "03001233393",  # Mind infoline
        "08088025544",  # YoungMinds parents helpline
        "03001236600",  # FRANK
        "08081689111",  # Victim Support
        "08088004444",  # Shelter
        "08081640123",  # Samaritans Welsh language line
    }
)
# Labels that name a number which is not a contact detail, searched in the
# sentence before the number. Each label goes with the shape of its number.
# A UCAS personal ID has ten digits, written "123-456-7890". A Companies
# House number has eight characters and a registered charity number six to
# eight digits, where a UK phone number has ten or eleven. An NHS number has
# ten digits, the last a modulus 11 check digit. It is personal data but no
# way to reach anyone, so the phone filter keeps it.
# The full stop of the abbreviations "No." and "Reg." does not end the
# label's sentence: "Registered in England and Wales No. 09876543".
_LABEL_BEFORE = r"(?:[^.!?\n]|(?<=\bno)\.|(?<=\breg)\.){0,50}$"
_UCAS_LABEL = re.compile(r"\bucas\b" + _LABEL_BEFORE, re.IGNORECASE)
_UCAS_ID = re.compile(r"\d{3}-?\d{3}-?\d{4}")
_COMPANY_LABEL = re.compile(
    r"\b(?:company|registration|registered|reg|charity)\b" + _LABEL_BEFORE,
    re.IGNORECASE,
)
_MAX_COMPANY_DIGITS = 8
# "order number 7700900123": a mobile without its "0" is also the shape
# of many order numbers, so the label decides. With its "0" it is removed.
_ORDER_LABEL = re.compile(
    r"\border\b(?:[ \t:#.\-]*(?:id|no|number|num|ref|reference)\b)?[ \t:#.\-]*$",
    re.IGNORECASE,
)
# A label right before a number that names a business or reference number:
# "Company No. 09876543", "Ticket reference 0012345678", "Batch code 01 2345
# 6789". The number stays unless it is a UK mobile with its "0" or starts
# with "+", because those are contact details whatever label comes before.
# A number that phonenumbers reads as a valid UK number ("ref 020 7946
# 0123") is removed too, so a label cannot carry a working landline. A
# barcode's digits often read as one, so after "barcode" the number stays.
# NOTE: a landline in a range that phonenumbers does not treat as assigned
# stays after such a label, because its shape looks like a reference.
_NUMBER_LABEL = re.compile(
    r"\b(?:compan(?:y|ies)(?:[ \t]+house)?|order|ticket|reference|ref|invoice"
    r"|batch|serial|part|tracking|barcode|account)\b"
    r"(?:[ \t:#.\-]*(?:id|no|number|num|code|ref|reference|is)\b)*[ \t:#.\-]*$",
    re.IGNORECASE,
)
_NHS_LABEL = re.compile(r"\bnhs\b" + _LABEL_BEFORE, re.IGNORECASE)
_NHS_NUMBER = re.compile(r"\d{3}[ -]?\d{3}[ -]?\d{4}")
_LABEL_WINDOW = 60


def _is_kept_number(text: str, span: Span) -> bool:
    """Check whether a found number is a helpline or a labelled non-contact number."""
    written = text[span.start : span.end]
    digits = "".join(ch for ch in written if ch.isdigit())
    if _national_digits(written, digits) in _HELPLINES:
        return True
    before = text[max(0, span.start - _LABEL_WINDOW) : span.start]
    if _UCAS_ID.fullmatch(written) and _UCAS_LABEL.search(before):
        return True
    if len(digits) <= _MAX_COMPANY_DIGITS and _COMPANY_LABEL.search(before):
        return True
    if not written.startswith(("0", "+", "(")) and _ORDER_LABEL.search(before):
        return True
    label = _NUMBER_LABEL.search(before)
    if label and (
        label.group().lower().startswith("barcode")
        or not _is_contact_after_label(written, digits)
    ):
        return True
    return bool(
        _NHS_NUMBER.fullmatch(written)
        and _has_nhs_check_digit(digits)
        and _NHS_LABEL.search(before)
    )


def _is_contact_after_label(written: str, digits: str) -> bool:
    """Check for a "+" number, a UK mobile with its "0" or a valid UK number."""
    if written.lstrip("(").startswith("+"):
        return True
    national = _national_digits(written, digits)
    if _is_mobile_with_trunk_prefix(national, "GB"):
        return True
    try:
        number = phonenumbers.parse(national, "GB")
    except NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def _national_digits(written: str, digits: str) -> str:
    """Return a UK number's digits in national form: "+44 (0)800 1111" to "08001111"."""
    if written.lstrip("(").startswith(("+44", "0044")):
        national = digits.removeprefix("00").removeprefix("44")
        return "0" + national.removeprefix("0")
    return digits


def _has_nhs_check_digit(digits: str) -> bool:
    """Check the modulus 11 check digit that ends every NHS number."""
    weights = range(10, 1, -1)
    total = sum(int(d) * w for d, w in zip(digits[:9], weights, strict=True))
    check = 11 - total % 11
    return check != 10 and str(check % 11) == digits[9]


# A line of a numbered list that holds only a group of digits: "2) 009". The
# pattern starts with a line break, which `re` finds fast, and reads the text
# with a line break put in front of it.
_LIST_ITEM = re.compile(r"\n[ \t]*\d{1,2}[.)][ \t]+(\d{1,6})[ \t]*(?=\n|\Z)")
_MIN_LISTED_GROUPS = 3


def _listed_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find a number written as the items of a numbered list, one group a line.

    "1) 077", "2) 009", "3) 001", "4) 23" on consecutive lines spell
    07700900123. The span runs from the first group to the last, taking
    the item numbers between them along.
    """
    if "\n" not in text or not fast_digit_runs(text):
        return []
    spans: list[Span] = []
    items: list[re.Match[str]] = []
    for match in _LIST_ITEM.finditer("\n" + text):
        if items and match.start() != items[-1].end():
            spans.extend(_number_in_list(items, region, kind))
            items = []
        items.append(match)
    spans.extend(_number_in_list(items, region, kind))
    return spans


def _number_in_list(items: list[re.Match[str]], region: str, kind: str) -> list[Span]:
    if len(items) < _MIN_LISTED_GROUPS:
        return []
    joined = "".join(item.group(1) for item in items)
    if len(joined) < _MIN_SPLIT_DIGITS or not _is_phone_number(joined, region):
        return []
    # The offsets are one more than in `text`, because of the line break.
    return [Span(items[0].start(1) - 1, items[-1].end(1) - 1, kind)]


# Numbers spelled out in words: "oh seven seven double oh nine hundred ...".
_ENGLISH_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "nought": "0",
    "nil": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    # Words that sound like digits, and common misspellings of them
    "won": "1",
    "too": "2",
    "free": "3",
    "tree": "3",
    "fore": "4",
    "ate": "8",
    "sevn": "7",
    "nien": "9",
}
# Digit words of the other languages a UK mentee may count in: French,
# Spanish, German, Polish, Welsh, and Hindi or Urdu written in Latin
# letters. Hindi "do" (2) and "no" (9) are left out, because they are
# common English words and "no no no ..." would then spell a number. Polish
# and German words are listed in plain letters ("piec", "funf", "fuenf"),
# and a spelling with accents ("zéro", "fünf", "pięć") is read without them
# (see `_without_accents`).
_OTHER_DIGIT_WORDS = {
    # French
    "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "sept": "7",
    "huit": "8", "neuf": "9",
    # Spanish
    "cero": "0", "uno": "1", "dos": "2", "tres": "3", "cuatro": "4",
    "cinco": "5", "seis": "6", "siete": "7", "ocho": "8", "nueve": "9",
    # German
    "null": "0", "eins": "1", "zwei": "2", "drei": "3", "vier": "4",
    "funf": "5", "fuenf": "5", "sechs": "6", "sieben": "7", "acht": "8",
    "neun": "9",
    # Polish
    "jeden": "1", "dwa": "2", "trzy": "3", "cztery": "4", "piec": "5",
    "szesc": "6", "siedem": "7", "osiem": "8", "dziewiec": "9",
    # Welsh, and the French "un"
    "dim": "0", "sero": "0", "un": "1", "dau": "2", "tri": "3",
    "pedwar": "4", "pump": "5", "chwech": "6", "saith": "7", "wyth": "8",
    "naw": "9",
    # Italian; "uno", "zero" and "nove" are listed above or below
    "due": "2", "tre": "3", "quattro": "4", "cinque": "5", "sei": "6",
    "sette": "7", "otto": "8", "nove": "9",
    # Portuguese. "um" (1) is also an English filler, but a run still needs
    # ten digits to count.
    "um": "1", "dois": "2", "duas": "2", "quatro": "4", "sete": "7", "oito": "8",
    # Romanian, read without accents: "șapte" is "sapte"
    "unu": "1", "doi": "2", "doua": "2", "trei": "3", "patru": "4",
    "cinci": "5", "sase": "6", "sapte": "7", "opt": "8", "noua": "9",
    # Hindi and Urdu in Latin letters
    "shunya": "0", "sifar": "0", "ek": "1", "teen": "3", "char": "4",
    "paanch": "5", "panch": "5", "chhe": "6", "chhah": "6", "saat": "7",
    "aath": "8", "nau": "9",
}  # fmt: skip
_DIGIT_WORDS = {**_ENGLISH_DIGIT_WORDS, **_OTHER_DIGIT_WORDS}
# English words for 10 to 90, read as whole numbers: "twenty three" is 23,
# and "nine hundred thousand one hundred and twenty three" is 900123.
_TENS_WORDS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_UNIT_WORDS = {
    word: int(digit)
    for word, digit in _ENGLISH_DIGIT_WORDS.items()
    if word.isalpha() and digit != "0"
}
_REPEATS = {"double": 2, "triple": 3, "treble": 3}
_ZEROS = {"hundred": 2, "thousand": 3}
# Longest words first, and no letter after a word, so that "o" never stops a
# match that "oh" or "one" would continue. A digit may follow a word
# ("oh7700"), and a word may follow digits ("07seven00"), but no other
# letter may follow digits, so "7s" and "100m" end a run.
_WORD_ALTERNATIVES = "|".join(
    sorted([*_DIGIT_WORDS, *_TENS_WORDS, *_REPEATS, *_ZEROS], key=len, reverse=True)
)
_WORD_NOT_GLUED = rf"(?:plus|{_WORD_ALTERNATIVES})(?![a-z])"
_NUMBER_WORD = rf"(?:\d++(?![a-z])|\d++(?={_WORD_NOT_GLUED})|{_WORD_NOT_GLUED})"
# Words joined by spaces, commas or hyphens, or glued to digits ("oh7700",
# "0seven7"), bounded by word edges. An "and" may follow "hundred" or
# "thousand". The pattern reads text from prefilter.fold_case:
# without re.IGNORECASE, `re` checks the first letter of each word before
# trying it, which makes the scan about three times as fast.
_AND_AFTER_HUNDRED = r"(?:(?<=hundred)|(?<=thousand))[\s,]{1,3}(?:and|&)"
_SPELLED_RUN = re.compile(
    rf"\b{_NUMBER_WORD}(?:(?:{_AND_AFTER_HUNDRED})?"
    rf"(?:[\s,\-]{{1,3}}|(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])){_NUMBER_WORD})*+"
    r"(?![a-z\d])"
)
_SPELLED_TOKEN = re.compile(r"\+?\d+|[a-z]+")
# Number words written without spaces: "ohsevensevenohoh...".
_GLUED_WORDS = re.compile(rf"(?:{_WORD_ALTERNATIVES})+")
_GLUED_WORD = re.compile(_WORD_ALTERNATIVES)
_NUMBER_WORDS = frozenset([*_DIGIT_WORDS, *_TENS_WORDS, *_REPEATS, *_ZEROS, "plus"])
_MIN_SPELLED_DIGITS = 10
_MIN_SPELLED_WORDS = 4
# A run mixed with digit groups ("07 seven 00 nine 00 one 23") needs fewer
# words but more tokens in all.
_MIN_MIXED_WORDS = 2
_MIN_MIXED_TOKENS = 5
# "o o o o" is the shortest run of four words, and shorter matches ("one",
# "o") are skipped before they are split into words.
_MIN_SPELLED_CHARS = 7
_MIN_GLUED_CHARS = 14
_COUNTING_UP = "01234567890123456789"


def _spelled_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find phone numbers spelled out in words, alone or mixed with digits.

    A run counts only when it has four words, or two words among five
    tokens, and spells a phone number of ten digits or more (see
    `_is_spelled_phone_number`). So a countdown or a sentence with a few
    numbers in it stays. A UK mobile spelled in two runs across a sentence
    end counts too: "Zero seven seven zero zero. Nine ...".
    """
    text = _without_word_brackets(_without_leetspeak(_without_accents(text)))
    spans = _glued_numbers(text, region, kind)
    if not _has_number_word_pair(text):
        # A lone number word counts only in a run from a mobile's start:
        # "07700 9 hundred 123", "0-seven-7-0-0 9-0-0-1-2-3".
        if "0" in text and not _NUMBER_WORDS.isdisjoint(letter_words(text)):
            spans.extend(_runs_from_mobile_starts(text, region, kind))
        return spans
    folded = fold_case(text)
    groups = []
    for match in _SPELLED_RUN.finditer(folded):
        digits = _spell_out(_SPELLED_TOKEN.findall(folded, *match.span()))
        if digits:
            groups.append((match.start(), match.end(), digits))
        if match.end() - match.start() >= _MIN_SPELLED_CHARS:
            spans.extend(_spelled_number(folded, match, region, kind))
    spans.extend(_split_mobile_groups(groups, text, region, kind))
    return spans


# Words spelled one letter at a time, with a space, "-" or "." after each
# letter, perhaps with spaces around the "-" or after the ".": "s-e-v-e-n",
# "z e r o s e v e n", "o.h. s.e.v.e.n". Runs of three letters or more
# only, so "e.g." and "a b" are no runs.
_LETTER_BY_LETTER = re.compile(
    r"(?<![^\W\d_])[a-z](?:(?: ?- ?|\. ?| )[a-z]){2,}(?![^\W\d_])"
)


def _letter_by_letter_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find a number whose words are spelled one letter at a time.

    "z-e-r-o s-e-v-e-n s-e-v-e-n 0 0 900123" reads as "zero seven seven
    0 0 900123". A run of letters is read as words only when its letters
    make number words and nothing else, so "b-e-a-u-t-i-f-u-l" stays, and
    a lone spelled word ("the answer is s-e-v-e-n letters") spells no
    phone number.
    """
    starts = _single_letter_starts(text)
    if not starts:
        return []
    view, origins = _letters_joined_into_words(text, starts)
    if view is None:
        return []
    return [
        Span(origins[span.start], origins[span.end - 1] + 1, kind)
        for span in _spelled_numbers(view, region, kind)
    ]


def _letters_joined_into_words(
    text: str, starts: list[int]
) -> tuple[str | None, list[int]]:
    """Return `text` with each letter-by-letter run of number words as words.

    Runs are tried only at `starts`. The second value maps each character
    of the result to its offset in `text`. A space put between two words
    maps to the separator after the first word's last letter. Returns None
    when no run spells number words.
    """
    pieces: list[str] = []
    origins: list[int] = []
    cursor = 0
    folded = fold_case(text)
    for match in matches_at(_LETTER_BY_LETTER, folded, starts):
        positions = [index for index in range(*match.span()) if folded[index].isalpha()]
        joined = "".join(folded[index] for index in positions)
        words = _GLUED_WORD.findall(joined)
        if "".join(words) != joined:
            continue
        pieces.append(text[cursor : match.start()])
        origins.extend(range(cursor, match.start()))
        for index, word in enumerate(words):
            if index:
                pieces.append(" ")
                origins.append(origins[-1] + 1)
            pieces.append(word)
            origins.extend(positions[: len(word)])
            positions = positions[len(word) :]
        cursor = match.end()
    if not pieces:
        return None, []
    pieces.append(text[cursor:])
    origins.extend(range(cursor, len(text)))
    return "".join(pieces), origins


# ASCII letters become "a" and every other byte "s".
_LETTER_MASK = bytes(
    0x61 if 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A else 0x73
    for byte in range(256)
)
# Three one-letter words or more, one to three characters apart, in the
# mask: each "a" has an "s" before and after it. The pattern starts with
# the literal "sas", which `re` finds fast.
_ONE_LETTER_WORDS = re.compile(rb"sas(?:s{0,2}as){2,}")


def _single_letter_starts(text: str) -> list[int]:
    """Return where a run of `_LETTER_BY_LETTER` may start in `text`.

    `_LETTER_BY_LETTER` starts with a lookbehind, so `re` tries it at every
    position: about 10 ms over the 200 KB body of bench.filter_speed
    (Python 3.11, this machine), against under 0.5 ms for this mask search.
    """
    mask = b"s" + text.encode("ascii", "replace").translate(_LETTER_MASK) + b"s"
    starts: list[int] = []
    for match in _ONE_LETTER_WORDS.finditer(mask):
        # The mask has one more byte at its start than `text`.
        starts.extend(
            index - 1 for index in range(*match.span()) if mask[index] == 0x61
        )
    return starts


def spelled_digit_runs(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield each run of three or more number words in `text` with the digits it spells.

    "nine oh oh one two three" gives (start, end, "900123"). Runs with a
    word that spells no digits ("and", "hundred" after nothing) are left out.
    """
    text = _without_leetspeak(_without_accents(text))
    if not _has_number_word_pair(text):
        return
    folded = fold_case(text)
    for match in _SPELLED_RUN.finditer(folded):
        words = _SPELLED_TOKEN.findall(folded, *match.span())
        if sum(word.isalpha() for word in words) < _MIN_RUN_WORDS:
            continue
        digits = _spell_out(words)
        if digits is not None and digits.isdigit():
            yield match.start(), match.end(), digits


_MIN_RUN_WORDS = 3


def _runs_from_mobile_starts(text: str, region: str, kind: str) -> list[Span]:
    """Try the spelled-run pattern only where a digit run starts with "0".

    The run is the mobile's "0" alone when the next digit is spelled out:
    "0-seven-7-0-0 9-0-0-1-2-3".
    """
    folded = fold_case(text)
    starts = [start for start, _ in fast_digit_runs(text) if text[start] == "0"]
    spans = []
    for match in matches_at(_SPELLED_RUN, folded, starts):
        if match.end() - match.start() >= _MIN_SPELLED_CHARS:
            spans.extend(_spelled_number(folded, match, region, kind))
    return spans


def _spelled_number(
    folded: str, match: re.Match[str], region: str, kind: str
) -> list[Span]:
    """Return the span of a run of `_SPELLED_RUN` that spells a phone number."""
    start = match.start()
    if folded[start - 1 : start] == "+":
        start -= 1  # "+44 seven seven ..."
    words = _SPELLED_TOKEN.findall(folded, start, match.end())
    if not _has_enough_words(words):
        # "07700 9 hundred 123": one word among digit groups still counts
        # when the run spells a UK mobile with its 0 exactly.
        digits = _spell_out(words) if any(word.isalpha() for word in words) else None
        if digits is not None and _UK_MOBILE.fullmatch(digits):
            return [Span(start, match.end(), kind)]
        return []
    digits = _spell_out(words)
    # A run with "twenty" or "ninety" in it may list years ("nineteen ninety
    # nine, twenty twenty"), so it counts only as a number with its "0",
    # its "+" or the shape of a mobile.
    all_words = all(word.isalpha() and word not in _TENS_WORDS for word in words)
    if digits is None or not _is_spelled_phone_number(digits, region, all_words):
        return []
    return [Span(start, match.end(), kind)]


def _plain_letter(char: str) -> str:
    """Return the ASCII letter that `char` carries accents on, or `char` itself."""
    base = unicodedata.normalize("NFD", char)[0]
    return base if base.isascii() and base.isalpha() else char


# Latin letters with accents, as in Latin-1 and Latin Extended-A and B.
_ACCENTED_LETTER = re.compile("[\u00c0-\u024f]")
# Letters with a stroke, which Unicode does not decompose into letter and mark.
_STROKED_LETTERS = {"\u0141": "L", "\u0142": "l", "\u00d8": "O", "\u00f8": "o"}
_PLAIN_LETTERS = {
    chr(code): _plain_letter(chr(code)) for code in range(0xC0, 0x250)
} | _STROKED_LETTERS


def _without_accents(text: str) -> str:
    """Return `text` with each accented Latin letter written without its accents.

    Each letter stays one character, so offsets found in the result hold
    for `text`: "dziewięć" becomes "dziewiec".
    """
    if text.isascii():
        return text
    return _ACCENTED_LETTER.sub(lambda match: _PLAIN_LETTERS[match.group()], text)


# One number word in brackets: "07700 (nine) (zero) (zero) 123".
_BRACKETED_WORD = re.compile(r"[(\[]([A-Za-z]+)[)\]]")


def _without_word_brackets(text: str) -> str:
    """Return `text` with the brackets around each lone number word as spaces.

    A number word in brackets then reads like a bare one, so "07700 (nine)
    (zero) (zero) 123" is the run "07700 nine zero zero 123". Each bracket
    stays one character, so offsets found in the result hold for `text`.
    """
    if "(" not in text and "[" not in text:
        return text

    def unbracketed(match: re.Match[str]) -> str:
        if match.group(1).lower() not in _NUMBER_WORDS:
            return match.group()
        return f" {match.group(1)} "

    return _BRACKETED_WORD.sub(unbracketed, text)


def _has_number_word_pair(text: str) -> bool:
    """Check for two number words with no other letters between them.

    Every run that `_spelled_numbers` keeps has such a pair, because its
    words are whole runs of letters with only digits and separators between
    them. Prose rarely has one, so the check saves the run pattern, which
    starts with `\\b` and so is tried at every position of the text.
    """
    if _NUMBER_WORDS.isdisjoint(letter_words(text)):
        return False
    flags = bytes(map(_NUMBER_WORDS.__contains__, letter_runs(text)))
    return b"\x01\x01" in flags


def _has_enough_words(words: list[str]) -> bool:
    spelled = sum(word.isalpha() and word != "and" for word in words)
    if spelled >= _MIN_SPELLED_WORDS:
        return True
    return spelled >= _MIN_MIXED_WORDS and len(words) >= _MIN_MIXED_TOKENS


def _is_spelled_phone_number(digits: str, region: str, all_words: bool) -> bool:
    """Check the digits a run of words spells.

    Ten digits or more count when they start with "0" or "+", form a
    mobile number without its "0" ("double seven double oh nine ..."), or
    were all spelled as words (`all_words`) and do not simply count along
    ("five five five, oh one oh, nine nine nine nine").
    """
    bare = digits.lstrip("+")
    if len(bare) < _MIN_SPELLED_DIGITS or not bare.isdigit():
        return False
    if digits.startswith(("0", "+")) or _is_mobile_without_prefixes(digits, region):
        return True
    return all_words and not _counts_along(digits)


def _counts_along(digits: str) -> bool:
    """Recognise "1234567890" and "9876543210", counting one digit at a time."""
    return digits in _COUNTING_UP or digits in _COUNTING_UP[::-1]


def _glued_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find a number spelled in words with no spaces: "ohsevensevenohoh..."."""
    spans: list[Span] = []
    # A glued number is a whole word of ASCII letters, so it is a letter run.
    for word in letter_words(text):
        if len(word) < _MIN_GLUED_CHARS or not _GLUED_WORDS.fullmatch(word):
            continue
        parts = _GLUED_WORD.findall(word)
        if "".join(parts) != word:
            continue
        digits = _spell_out(parts)
        if digits is None or not _is_spelled_phone_number(digits, region, True):
            continue
        for match in re.finditer(rf"\b{word}\b", fold_case(text)):
            spans.append(Span(match.start(), match.end(), kind))
    return spans


def _spell_out(words: list[str]) -> str | None:
    """Return the digits a run of number words spells, or None if a word is no number.

    The digits start with "+" when the run starts with "plus" or "+44".
    """
    digits = ""
    repeat = 1
    next_position = 0
    while next_position < len(words):
        position = next_position
        next_position += 1
        word = words[position]
        lower = word.lower()
        cardinal = _read_cardinal(words, position)
        if cardinal is not None:
            digits += cardinal[0]
            next_position = cardinal[1]
        elif lower == "plus" and position == 0:
            digits = "+"
        elif word.startswith("+") and position == 0:
            digits = word
        elif lower in _REPEATS:
            repeat = _REPEATS[lower]
            continue
        elif lower == "and":
            continue  # "nine hundred and one" spells 9001
        elif lower in _ZEROS and digits[-1:].isdigit():
            digits += "0" * _ZEROS[lower]
        elif lower in _DIGIT_WORDS:
            digits += _DIGIT_WORDS[lower] * repeat
        elif word.isdigit():
            digits += word * repeat if len(word) == 1 else word
        else:
            return None
        repeat = 1
    return digits


def _read_cardinal(words: list[str], start: int) -> tuple[str, int] | None:
    """Read an English cardinal with "twenty" or "thousand" in it at `start`.

    Returns its digits and the position after it: "one hundred and twenty
    three" gives "123". Returns None for a cardinal of units and "hundred"
    only, which `_spell_out` reads a word at a time, as a phone number is
    read aloud: "nine hundred and one" gives "9001".
    """
    group = _read_hundreds(words, start)
    if group is None:
        return None
    value, end, has_tens = group
    if end < len(words) and words[end] == "thousand":
        after = end + 2 if words[end + 1 : end + 2] == ["and"] else end + 1
        rest = _read_hundreds(words, after)
        if rest is not None:
            return str(value * 1000 + rest[0]), rest[1]
        return (str(value * 1000), end + 1) if has_tens else None
    return (str(value), end) if has_tens else None


def _read_hundreds(words: list[str], start: int) -> tuple[int, int, bool] | None:
    """Read a cardinal below 1000 at `start`: its value, end and whether it has tens."""
    if words[start + 1 : start + 2] == ["hundred"] and words[start] in _UNIT_WORDS:
        hundreds = _UNIT_WORDS[words[start]] * 100
        after = start + 2
        if words[after : after + 1] == ["and"]:
            after += 1
        rest = _read_tens(words, after)
        if rest is None:
            return hundreds, start + 2, False
        return hundreds + rest[0], rest[1], rest[2]
    return _read_tens(words, start)


def _read_tens(words: list[str], start: int) -> tuple[int, int, bool] | None:
    """Read "twenty three", "twelve" or "three" at `start`."""
    word = words[start] if start < len(words) else ""
    if word in _UNIT_WORDS:
        return _UNIT_WORDS[word], start + 1, False
    if word not in _TENS_WORDS:
        return None
    value = _TENS_WORDS[word]
    unit = words[start + 1] if start + 1 < len(words) else ""
    if value % 10 == 0 and value > 10 and unit in _UNIT_WORDS:
        return value + _UNIT_WORDS[unit], start + 2, True
    return value, start + 1, True


# Digit groups joined by at most one space, "." or "-", with the "+" that may
# start them.
_GLUED_NUMBER = re.compile(r"\+?\d(?:[ .\-]?\d)*+")
# Characters that hide a number from the candidate scan when they touch it.
_GLUE = "_#+"
_MIN_GLUED_INTERNATIONAL_DIGITS = 10


def _glued_clear_numbers(text: str, region: str, kind: str) -> list[Span]:
    """Find a clear phone number touching a letter, "_" or "#": "sam07700900123".

    The candidate scan leaves such numbers alone, because product codes
    and ids are written that way. A UK mobile with its "0" ("07700900123")
    or an international number with its "+" is removed whatever touches it.
    A price ("£07700900123") is left to the candidate scan.
    """
    spans = []
    for start, _ in fast_digit_runs(text):
        first = start - 1 if text[start - 1 : start] == "+" else start
        if text[first] not in "0+" or _continues_group(text, first):
            continue
        match = _GLUED_NUMBER.match(text, first)
        if match is None or not _touches_word(text, first, match.end()):
            continue
        end = _longest_glued_clear_number(text, first, match.end(), region)
        if end is not None:
            spans.append(Span(first, end, kind))
    return spans


def _continues_group(text: str, start: int) -> bool:
    """Check whether the digits at `start` continue a number written before them."""
    before = text[max(0, start - 2) : start]
    return before[-1:].isdigit() or (before[-1:] in " .-" and before[:1].isdigit())


def _touches_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return before.isalpha() or before in _GLUE or after.isalpha() or after in "_#"


def _longest_glued_clear_number(
    text: str, start: int, end: int, region: str
) -> int | None:
    """Return the end of the longest clear phone number in `text[start:end]`."""
    group_ends = [m.end() for m in _DIGIT_RUN.finditer(text, start, end)]
    for group_end in reversed(group_ends):
        written = text[start:group_end]
        digits = "".join(ch for ch in written if ch.isdigit())
        if written.startswith("+"):
            if len(digits) >= _MIN_GLUED_INTERNATIONAL_DIGITS and _is_possible(
                "+" + digits, region
            ):
                return group_end
        elif _is_mobile_with_trunk_prefix(digits, region):
            return group_end
    return None


def _is_mobile_with_trunk_prefix(digits: str, region: str) -> bool:
    """Check for a mobile number of `region` written with its "0": "07700900123"."""
    mobile = _MOBILE_WITHOUT_TRUNK_PREFIX.get(region)
    prefix = _national_prefix(region)
    if mobile is None or not prefix or not digits.startswith(prefix):
        return False
    return mobile.fullmatch(digits[len(prefix) :]) is not None


# A mobile number given in two groups across a sentence end or a question:
# "07700. The rest is 900123." The groups may stand this far apart.
_MAX_SENTENCE_GAP = 80
_FIRST_MOBILE_GROUP = re.compile(r"07\d{3}")
_LAST_MOBILE_GROUP = re.compile(r"\d{6}")


def _numbers_split_at_sentences(text: str, region: str, kind: str) -> list[Span]:
    """Find a UK mobile written as "07xxx" and, a little later, six more digits.

    The two groups must follow each other with no other digit between
    them, within 80 characters, and make a mobile number when joined.
    Both groups are removed and the words between them stay, unless a line
    break is between them: then the words go too.
    """
    groups = [
        (start, end, text[start:end])
        for start, end in fast_digit_runs(text)
        if follows_non_word(text, start) and precedes_non_word(text, end)
    ]
    return _split_mobile_groups(groups, text, region, kind)


def _split_mobile_groups(
    groups: list[tuple[int, int, str]], text: str, region: str, kind: str
) -> list[Span]:
    """Pair each "07xxx" group with the six-digit group right after it."""
    spans = []
    for first, last in itertools.pairwise(groups):
        if not _FIRST_MOBILE_GROUP.fullmatch(first[2]):
            continue
        if not _LAST_MOBILE_GROUP.fullmatch(last[2]):
            continue
        gap = text[first[1] : last[0]]
        if len(gap) > _MAX_SENTENCE_GAP or any(ch.isdigit() for ch in gap):
            continue
        if "\x00" in gap:
            continue  # filters.text joins separate HTML text nodes with a NUL
        if not _is_mobile_with_trunk_prefix(first[2] + last[2], region):
            continue
        if "\n" in gap or gap.isspace():
            # One span across the line break, so that filters.junctions finds
            # a number split between the subject and the body as one. Groups
            # with only spaces between them are one number, and a label
            # before it is checked against the whole number.
            spans.append(Span(first[0], last[1], kind))
        else:
            spans.append(Span(first[0], first[1], kind))
            spans.append(Span(last[0], last[1], kind))
    spans.extend(_three_spelled_groups(groups, text, region, kind))
    return spans


def _three_spelled_groups(
    groups: list[tuple[int, int, str]], text: str, region: str, kind: str
) -> list[Span]:
    """Find a mobile spelled in three groups across sentence ends.

    "zero seven seven zero zero. nine zero zero. one two three." has no
    pair of groups that makes the number, but its three groups do.
    """
    spans: list[Span] = []
    for first, middle, last in zip(groups, groups[1:], groups[2:], strict=False):
        digits = first[2] + middle[2] + last[2]
        if not digits.startswith("07") or len(digits) != _UK_MOBILE_DIGITS:
            continue
        # Digit groups alone are other filters' to judge ("locker 07700, bus
        # 900, house 123"); spelled groups show the intent.
        spelled = sum(
            any(char.isalpha() for char in text[group[0] : group[1]])
            for group in (first, middle, last)
        )
        if spelled < _MIN_SPELLED_GROUPS:
            continue
        gaps = (text[first[1] : middle[0]], text[middle[1] : last[0]])
        if any(
            len(gap) > _MAX_SENTENCE_GAP or "\x00" in gap or _has_digit(gap)
            for gap in gaps
        ):
            continue
        if _is_mobile_with_trunk_prefix(digits, region):
            spans.extend(
                Span(group[0], group[1], kind) for group in (first, middle, last)
            )
    return spans


def _has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


# A request to read a number without the letters mixed into it:
# "07700a900b123, ignore the letters". The pattern reads text from
# prefilter.fold_case.
_IGNORE_LETTERS = re.compile(
    r"\b(?:ignore|ignoring|skip|remove|drop|without|minus|delete|leave out)"
    r"\s+(?:all\s+)?(?:the\s+)?letters\b"
)
_UK_MOBILE = re.compile(r"(?:0|\+44)7[1-9]\d{8}")
_UK_MOBILE_DIGITS = 11
_MIN_SPELLED_GROUPS = 2
_FILLED_NUMBER = re.compile(
    r"(?<![\w+])\+?\d+(?:(?:[ .\-]?[a-z]{1,10}[ .\-]?|[ .\-])\d+)+(?![\w])"
)
_LETTERED_NUMBER = re.compile(
    r"(?<![\w+])\+?\d+(?:[ .\-]?[a-z]{1,3}[ .\-]?\d+)+(?![\w])"
)


def _numbers_with_letters_between(text: str, region: str, kind: str) -> list[Span]:
    """Find a number with letters between its groups.

    Any number counts with a request to skip the letters. Without one, only
    a UK mobile with its "0" or "+44" counts ("07700xyz900123"), because
    product and reference codes mix letters and digits too, but seldom in
    a mobile's exact shape.
    """
    if not any(text[end : end + 1].isalpha() for _, end in fast_digit_runs(text)):
        return []
    folded = fold_case(text)
    requested = "letters" in letter_words(text) and _IGNORE_LETTERS.search(folded)
    spans = []
    for match in _LETTERED_NUMBER.finditer(folded):
        digits = "".join(ch for ch in match.group() if ch.isdigit() or ch == "+")
        if _UK_MOBILE.fullmatch(digits) or (
            requested and _is_phone_number(digits, region)
        ):
            spans.append(Span(match.start(), match.end(), kind))
    return spans


def _filled_mobiles(text: str, kind: str) -> list[Span]:
    """Find a UK mobile's exact digits with filler words inside: "077banana00 900".

    It reads the text as written, because look-alike letters in the filler
    ("zz") would otherwise turn into digits.
    """
    if not any(text[end : end + 1].isalpha() for _, end in fast_digit_runs(text)):
        return []
    spans = []
    for match in _FILLED_NUMBER.finditer(fold_case(text)):
        digits = "".join(ch for ch in match.group() if ch.isdigit() or ch == "+")
        if _UK_MOBILE.fullmatch(digits):
            spans.append(Span(match.start(), match.end(), kind))
    return spans


# Digits typed for letters in a number word: "z3r0 s3v3n 0n3 thr33".
_LEET_LETTERS = str.maketrans("013457", "oieast")
_MIXED_WORD = re.compile(r"(?<![^\W_])(?=[^\W_]*\d)(?=[^\W_]*[^\W\d_])[^\W_]+")


def _without_leetspeak(text: str) -> str:
    """Return `text` with each number word in leetspeak written in letters.

    A word of letters and digits is rewritten only when the result is a
    number word, so "oh7700" and "CO2" stay. Each character stays one
    character, so offsets found in the result hold for `text`.
    """
    if not any(
        text[start - 1 : start].isalpha() or text[end : end + 1].isalpha()
        for start, end in fast_digit_runs(text)
    ):
        return text

    def letters(match: re.Match[str]) -> str:
        word = match.group()
        spelled = word.translate(_LEET_LETTERS)
        return spelled if spelled.lower() in _NUMBER_WORDS else word

    return _MIXED_WORD.sub(letters, text)


# A UK mobile hidden in a list of values of some other kind: "key dates:
# 07/70, 09/00, 12/3", "£077.00 then £900.12 and 3p", "0°, 7°, 7°, ...",
# "version 0.7.7.0.0.9 and my friend on 0.0.1.2.3". Real dates, prices,
# readings and versions look like that too. So the values count only when
# their digits make exactly a UK mobile with its "0". Then at least one
# value must be odd for its kind (see `_is_odd_value`), or every value must
# be one digit with a unit.
# NOTE: only UK mobiles are read from such lists. A landline or a foreign
# number spelled this way gets through unless a cue comes before it.
_VALUE = re.compile(
    r"[\u00a3$\u20ac]?\d+(?:[./:\-]\d+)*+"
    r"(?:\u00b0[CF]?|p|%|st|nd|rd|th|am|pm)?(?![\w\u00b0])"
)
_VALUE_GAP = re.compile(r"(?:[ \t]*[,;&/+][ \t]*|[ \t]+)(?:[^\W\d_]{1,12}[ \t,]+){0,4}")
_CURRENCY_SIGNS = "\u00a3$\u20ac"
_MAX_FIRST_VALUE_DIGITS = 3
_MOBILE_DIGITS = re.compile(r"07[1-9]\d{8}")
_MOBILE_START = re.compile(r"0(?:7(?:[1-9]\d*)?)?")
_MAX_VERSION_PARTS = 4
_MIN_ODD_VALUES = 2


def _numbers_in_odd_values(text: str, kind: str) -> list[Span]:
    """Find a UK mobile spelled by the digits of a list of odd values.

    Only a run of one to three digits starting with "0" can start such a
    list, so most digit runs cost one comparison.
    """
    spans = []
    for start, end in fast_digit_runs(text):
        if text[start] != "0" or end - start > _MAX_FIRST_VALUE_DIGITS:
            continue
        if end - start > 1 and not _MOBILE_START.fullmatch(text, start, end):
            continue
        sign = text[start - 1] if start > 0 else ""
        first = start - 1 if sign and sign in _CURRENCY_SIGNS else start
        if not follows_non_word(text, first):
            continue
        found = _odd_values_from(text, first)
        if found is not None:
            spans.append(Span(found[0], found[1], kind))
    return spans


def _odd_values_from(text: str, start: int) -> tuple[int, int] | None:
    """Return the span of the values from `start` on that spell a mobile, if odd."""
    values: list[str] = []
    digits = ""
    position = start
    while len(digits) < _UK_MOBILE_DIGITS:
        if values:
            gap = _VALUE_GAP.match(text, position)
            if gap is None:
                return None
            position = gap.end()
        value = _VALUE.match(text, position)
        if value is None:
            return None
        values.append(value.group())
        digits += "".join(ch for ch in value.group() if ch.isdigit())
        if not _MOBILE_START.fullmatch(digits):
            return None
        position = value.end()
    if not _MOBILE_DIGITS.fullmatch(digits) or len(values) < _MIN_ODD_VALUES:
        return None  # one value alone, such as "£07700900123", is a price
    if not any(map(_is_odd_value, values)) and not all(
        map(_is_digit_with_unit, values)
    ):
        return None
    return start, position


def _is_digit_with_unit(value: str) -> bool:
    """Check for one digit with a unit: "0°", "7p", "9%".

    Plain digits in a list are left to the candidate scan, which keeps data
    such as "[3, 5, 2, 0, 7, 4, 6, 3, 2, 5, 8, 4, 3, 1]".
    """
    return len(value) > 1 and value[0].isdigit() and not value[1].isdigit()


def _is_odd_value(value: str) -> bool:
    """Check for a value its kind never has: "07/70", "£077.00", "0.7.7.0.0.9"."""
    if value[:1] in _CURRENCY_SIGNS:
        return value[1:2] == "0" and value[2:3].isdigit()
    parts = _DIGIT_RUN.findall(value)
    if "/" in value or "-" in value:
        return not (1 <= int(parts[0]) <= _MAX_DAY and 1 <= int(parts[1]) <= _MAX_MONTH)
    if ":" in value:
        return int(parts[-1]) > _MAX_MINUTE
    return value.count(".") >= _MAX_VERSION_PARTS
