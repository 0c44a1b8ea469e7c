"""Find telephone numbers, written in digits or spelled out in words.

A cheap regular expression first picks out runs of digits and separators. Only
those candidates go to phonenumbers, because its own matcher is too slow to run
over a whole body. The test is deliberately lenient. A number phonenumbers
calls invalid (Ofcom's drama range 07700 900xxx, say) may still reach a person,
so any number of a possible length counts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, ValidationResult

from filters.base import FilterContext, Span
from filters.prefilter import digit_runs, fold_case, matches_at

log = logging.getLogger(__name__)

# A candidate starts with a digit, "+" or "(" that is not glued to a word, then
# alternates separators and digits. A line break is a separator, because mail
# clients wrap long lines inside numbers. The possessive loop cannot
# backtrack, so a long run of digits costs linear time.
_CANDIDATE = re.compile(
    r"(?<![\w+(])(?:\+|\(\+?)?\d(?:[ \t\r\n\u00a0.\-\u2013()]{0,3}\d)*+",
)
# A candidate's first digit starts a run of digits, and only "+", "(" or
# "(+" may come before it.
_CANDIDATE_DIGIT_OFFSETS = range(3)
# A run of digits with the letter O typed for zero: "O7700 9OO123".
_LETTER_O_RUN = re.compile(r"(?<![^\W\d_])[0-9Oo]*[0-9][0-9Oo]*(?![^\W\d_])")
# One character class first lets `re` skip ahead, whereas
# "[Oo][0-9]|[0-9][Oo]" would try a match at every position.
_LETTER_O_BY_DIGIT = re.compile(r"[0-9Oo](?:(?<=[Oo])[0-9]|(?<=[0-9])[Oo])")
_DIGIT_RUN = re.compile(r"\d+")
_SEPARATORS = " \t\r\n\u00a0.-\u2013()"

# Layouts that look like numbers but are something else.
_DATE = re.compile(r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}")
_ISBN_10 = re.compile(r"\d{1,5}-\d{1,7}-\d{1,7}-\d")
_NANP = re.compile(r"(?:1[ .\-])?\(?\d{3}\)?[ .\-]?\d{3}[ .\-]\d{4}")

_MIN_DIGITS = 7
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
        spans: list[Span] = []
        digits = _letter_o_as_zero(text)
        starts = (
            start - offset
            for start, _ in digit_runs(digits)
            for offset in _CANDIDATE_DIGIT_OFFSETS
        )
        for match in matches_at(_CANDIDATE, digits, starts):
            first = match.start()
            last = _end_before_glued_word(digits, first, match.end())
            if not _has_plain_surroundings(digits, first, last):
                continue
            for start, end in _numbers_in(digits[first:last], region):
                spans.append(Span(first + start, first + end, self.kind))
        spans.extend(_spelled_numbers(text, self.kind))
        return spans


def _end_before_glued_word(text: str, start: int, end: int) -> int:
    """Drop a last digit run that is glued to a word, as in "07700 900123 0A".

    The run belongs to a code such as "0A", so the number before it stands
    alone. A candidate with no space in it is returned whole, for the
    surroundings check to reject ("07700900123abc").
    """
    if end >= len(text) or not (text[end].isalnum() or text[end] == "_"):
        return end
    cut = max(text.rfind(space, start, end) for space in " \t\r\n\u00a0")
    if cut <= start:
        return end
    return start + len(text[start:cut].rstrip(_SEPARATORS))


def _letter_o_as_zero(text: str) -> str:
    """Return `text` with each O in a run of digits replaced by 0.

    The result has the same length, so offsets found in it hold for `text`.
    A run must stand apart from letters and hold two real digits, which leaves
    "CO2" and "1O" alone.
    """
    if not _has_letter_o_by_digit(text) or not _LETTER_O_BY_DIGIT.search(text):
        # Most text has no such run, so a plain search first saves the
        # substitution, which tries a match at every "o".
        return text

    def zeros(match: re.Match[str]) -> str:
        run = match.group()
        if sum(ch.isdigit() for ch in run) < 2:
            return run
        return run.replace("O", "0").replace("o", "0")

    return _LETTER_O_RUN.sub(zeros, text)


def _has_letter_o_by_digit(text: str) -> bool:
    """Check for an O beside a run of digits, reading only the runs' edges."""
    return any(
        text[start - 1 : start] in ("O", "o") or text[end : end + 1] in ("O", "o")
        for start, end in digit_runs(text)
    )


def _has_plain_surroundings(text: str, start: int, end: int) -> bool:
    """Check that a candidate is not part of a reference, a price or a word."""
    before = text[start - 1] if start > 0 else " "
    before_that = text[start - 2] if start > 1 else " "
    after = text[end] if end < len(text) else " "
    after_that = text[end + 1] if end + 1 < len(text) else " "

    if before in _PRICE_AND_REFERENCE_SIGNS or after.isalnum() or after in "%_":
        return False
    # "ORD-2026-1234" and "2026-1234-A" are references, not numbers.
    if before in "-/" and before_that.isalnum():
        return False
    if after in "-/" and after_that.isalnum():
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
    if not gap.rstrip("+(").isspace():
        # A number only starts after whitespace, never after "-" or "." inside one.
        return None
    start = _number_start(candidate, runs[first][0])
    for last in range(_last_run_within_limit(runs, first), first - 1, -1):
        end = _number_end(candidate, start, runs[last][1])
        if _is_phone_number(candidate[start:end], region):
            return start, end, last + 1
    return None


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
    """Move a number's start back over a leading "+", "(" or "(+"."""
    start = run_start
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
    # phonenumbers rejects a line break inside a number, but not a space.
    written = written.replace("\r", " ").replace("\n", " ")
    digits = sum(ch.isdigit() for ch in written)
    if not _MIN_DIGITS <= digits <= _MAX_DIGITS:
        return False
    if _looks_like_other_number(written, digits):
        return False

    bare = written.lstrip("(")
    if bare.startswith(("+", "00")):
        return _is_possible(written, region) or (
            _MIN_INTERNATIONAL_DIGITS <= digits <= _MAX_INTERNATIONAL_DIGITS
        )
    if _NANP.fullmatch(written):
        return True
    # NOTE: a national number written without its trunk prefix ("7700 900123"
    # in the UK) stays, because without the 0 it reads like any digit run.
    prefix = _national_prefix(region)
    return bool(prefix) and bare.startswith(prefix) and _is_possible(written, region)


def _looks_like_other_number(written: str, digits: int) -> bool:
    """Recognise dates and ISBNs, whose separators look like a phone layout."""
    if _DATE.fullmatch(written) or _ISBN_10.fullmatch(written):
        return True
    compact = "".join(ch for ch in written if ch.isdigit())
    return digits == 13 and compact.startswith(("978", "979")) and "+" not in written


def _is_possible(written: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(written, region)
    except NumberParseException:
        return False
    reason = phonenumbers.is_possible_number_with_reason(number)
    # IS_POSSIBLE_LOCAL_ONLY is left out: a bare eight-digit run is more often
    # an account or order number than a local call.
    return bool(reason == ValidationResult.IS_POSSIBLE)


def _national_prefix(region: str) -> str:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix is None:
        return ""
    return str(metadata.national_prefix)


# Numbers spelled out in words: "oh seven seven double oh nine hundred ...".
_DIGIT_WORDS = {
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
}
_REPEATS = {"double": 2, "triple": 3, "treble": 3}
_ZEROS = {"hundred": 2, "thousand": 3}
# Longest words first, and no letter after a word, so that "o" never stops a
# match that "oh" or "one" would continue. A digit may follow: "oh7700".
_NUMBER_WORD = (
    r"(?:\d+|plus|"
    + "|".join(sorted([*_DIGIT_WORDS, *_REPEATS, *_ZEROS], key=len, reverse=True))
    + r")(?![a-z])"
)
# Words joined by spaces, commas or hyphens, or glued to digits ("oh7700"),
# bounded by word edges. The pattern reads text from prefilter.fold_case:
# without re.IGNORECASE, `re` checks the first letter of each word before
# trying it, which makes the scan about three times as fast.
_SPELLED_RUN = re.compile(
    rf"\b{_NUMBER_WORD}(?:(?:[\s,\-]{{1,3}}|(?<=[a-z])(?=\d)){_NUMBER_WORD})*+"
    r"(?![a-z\d])"
)
_MIN_SPELLED_DIGITS = 10
_MIN_SPELLED_WORDS = 4


def _spelled_numbers(text: str, kind: str) -> list[Span]:
    """Find phone numbers spelled out in words, alone or mixed with digits.

    A run counts only when it yields at least ten digits starting with 0 or
    "plus" and uses at least four words, so a countdown or a sentence with a
    few numbers in it stays.
    """
    spans: list[Span] = []
    for match in _SPELLED_RUN.finditer(fold_case(text)):
        words = re.findall(r"[A-Za-z]+|\d+", text[match.start() : match.end()])
        if sum(w.isalpha() for w in words) < _MIN_SPELLED_WORDS:
            continue
        digits = _spell_out(words)
        if digits is not None and len(digits) >= _MIN_SPELLED_DIGITS:
            spans.append(Span(match.start(), match.end(), kind))
    return spans


def _spell_out(words: list[str]) -> str | None:
    """Return the digits a run of number words spells, or None if it is no number."""
    digits = ""
    repeat = 1
    for position, word in enumerate(words):
        lower = word.lower()
        if lower == "plus" and position == 0:
            digits = "+"
        elif lower in _REPEATS:
            repeat = _REPEATS[lower]
            continue
        elif lower in _ZEROS and digits[-1:].isdigit():
            digits += "0" * _ZEROS[lower]
        elif lower in _DIGIT_WORDS:
            digits += _DIGIT_WORDS[lower] * repeat
        elif word.isdigit():
            digits += word * repeat if len(word) == 1 else word
        else:
            return None
        repeat = 1
    if not digits.startswith(("0", "+")):
        return None
    return digits.lstrip("+")
