"""Cheap checks that let a text filter skip most of its regular expressions.

Python's `re` tries a full match at every position of a pattern that starts
with `\b`, a lookbehind or a case-insensitive letter, which cost 2 to 10 ms
per 100 KB for each such pattern here (Python 3.11, bench/filter_speed.py).
So a filter first checks whether the text contains the words a pattern
needs, and runs the pattern only then, or only where a match can start.

The scans below are cached per text, because the text filters run over the
same text one after another.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from itertools import repeat

# Characters that `re.IGNORECASE` matches with an ASCII letter but that
# `str.lower` maps elsewhere (Python 3.11): dotted capital I lower-cases to
# two characters, and dotless i and long s stay as they are.
_IGNORECASE_FOLDS = {"\u0130": "i", "\u0131": "i", "\u017f": "s"}
_WORD = re.compile(r"\w+")
# Runs of word characters and the symbols that stand for letters in
# leetspeak. One scan serves both `words` and the offensive-word filter.
LEET_SYMBOLS = "@$!+*"
_TOKEN_RUN = re.compile(r"[\w@$!+*]+")
_LEET_SYMBOL = re.compile(r"[@$!+*]")
_DIGIT_RUN = re.compile(r"\d+")

# Each cache keeps a few texts, because the text filters run over one text
# in turn and never look up an older one again.
_CACHED_TEXTS = 4


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def fold_case(text: str) -> str:
    """Return `text` in lower case, with the same length as `text`.

    A case-sensitive pattern of lower-case ASCII letters matches the result
    exactly where the same pattern with `re.IGNORECASE` matches `text`.
    """
    for char, folded in _IGNORECASE_FOLDS.items():
        if char in text:
            text = text.replace(char, folded)
    return text.lower()


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def token_runs(text: str) -> frozenset[str]:
    """Return the distinct maximal runs of `\\w` and `@$!+*` characters of `text`."""
    return frozenset(_TOKEN_RUN.findall(text))


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def words(text: str) -> frozenset[str]:
    """Return the distinct maximal runs of `\\w` characters of `text`, folded.

    Each word is lower-cased, and folded as `fold_case` folds it, so a
    lower-case ASCII word is in the set exactly when `re.IGNORECASE` would
    match it as a whole run of word characters.
    """
    if any(char in text for char in _IGNORECASE_FOLDS):
        return frozenset(_WORD.findall(fold_case(text)))
    runs = token_runs(text)
    found = set(map(str.lower, runs))
    symbols = lines_with(_LEET_SYMBOL, found)
    if symbols:
        found -= symbols
        for run in symbols:
            found.update(_LEET_SYMBOL.split(run))
        found.discard("")
    return frozenset(found)


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def digit_runs(text: str) -> tuple[tuple[int, int], ...]:
    """Return the (start, end) of every maximal run of `\\d` characters."""
    return tuple(match.span() for match in _DIGIT_RUN.finditer(text))


def clear_caches() -> None:
    """Forget every cached text, so that a benchmark pays for each scan."""
    for cached in (
        fold_case,
        ascii_shape,
        token_runs,
        words,
        digit_runs,
        fast_digit_runs,
        letter_runs,
        letter_words,
        sorted_letter_words,
        _found_word_starts,
        code_runs,
        short_line_runs,
    ):
        cached.cache_clear()


def lines_with(pattern: re.Pattern[str], strings: Iterable[str]) -> set[str]:
    """Return the strings of `strings` in which `pattern` finds a match.

    One search over the strings joined by line breaks is faster than a
    search per string. The strings must not contain a line break, and the
    pattern must not match one.
    """
    joined = "\n".join(strings)
    found = set()
    for match in pattern.finditer(joined):
        start = joined.rfind("\n", 0, match.start()) + 1
        end = joined.find("\n", match.end())
        found.add(joined[start : len(joined) if end == -1 else end])
    return found


def matches_at(
    pattern: re.Pattern[str], text: str, starts: Iterable[int]
) -> Iterator[re.Match[str]]:
    """Yield the matches `pattern.finditer(text)` yields, trying only `starts`.

    The result equals finditer's when `starts` contains every position where a
    match of `pattern` can start; other positions only cost time. Like
    finditer, a match is tried only from the end of the previous match on.
    The pattern must not match the empty string.
    """
    # map() tries every start at C speed. A match that starts before the
    # end of the previous one is dropped here instead of never being tried,
    # which yields the same matches because trying a start has no effect.
    resume = 0
    tried = map(pattern.match, repeat(text), sorted(set(starts)))
    for match in filter(None, tried):
        if match.start() < resume:
            continue
        resume = match.end()
        yield match


def matches_after(
    pattern: re.Pattern[str], text: str, may_start: Callable[[str, int], bool]
) -> Iterator[re.Match[str]]:
    """Yield what finditer yields for `pattern` with a lookbehind in front.

    `may_start(text, start)` stands for the lookbehind. A pattern without a
    leading lookbehind lets `re` skip ahead to its possible first characters
    instead of trying a match at every position. The pattern must not match
    the empty string.
    """
    position = 0
    while match := pattern.search(text, position):
        start = match.start()
        if may_start(text, start):
            yield match
            position = match.end()
        else:
            position = start + 1


def follows_non_word(text: str, start: int) -> bool:
    """Check that `text[start]` has no word character (`\\w`) before it."""
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")


_LEADING_LETTERS = re.compile("[a-z]+")
_DIGITS_AS_ZERO = str.maketrans("123456789", "000000000")
_ZERO_RUN = re.compile("0+")


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def fast_digit_runs(text: str) -> tuple[tuple[int, int], ...]:
    """Return what `digit_runs` returns, scanning ASCII text without `re`.

    In ASCII text `\\d` matches only 0-9, so `str.translate` turns every
    digit into "0" and `str.find` jumps from run to run. On the bench
    bodies that is about eight times faster than the `\\d+` scan (timeit,
    Python 3.11). Text with other characters goes to `digit_runs`.
    """
    if not text.isascii():
        return digit_runs(text)
    zeros = text.translate(_DIGITS_AS_ZERO)
    runs = []
    start = zeros.find("0")
    while start != -1:
        run = _ZERO_RUN.match(zeros, start)
        end = run.end() if run else start + 1
        runs.append((start, end))
        start = zeros.find("0", end)
    return tuple(runs)


# Every byte that is not a lower-case ASCII letter becomes a space.
_LOWER_ASCII_LETTERS_ONLY = bytes(
    byte if 0x61 <= byte <= 0x7A else 0x20 for byte in range(256)
)


# ASCII capitals become "A", small letters "a" and digits "0". Every other
# byte stays as it is, and `ascii_shape` writes each non-ASCII character
# as "?".
_ASCII_SHAPES = bytes(
    0x41 if 0x41 <= byte <= 0x5A
    else 0x61 if 0x61 <= byte <= 0x7A
    else 0x30 if 0x30 <= byte <= 0x39
    else byte
    for byte in range(256)
)  # fmt: skip


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def ascii_shape(text: str) -> str:
    """Return `text` with ASCII capitals as "A", small letters as "a", digits as "0".

    Each non-ASCII character becomes "?", so offsets hold for `text`. A
    case-sensitive pattern of ASCII classes, such as "[A-Z]{3} [A-Z]{2}",
    can match `text` only where its shape ("AAA AA") is in the result. The
    translation and a `str.find` for the shape cost about a tenth of a
    search with such a pattern, which `re` tries at every capital (timeit
    on the 5 KB bench.filter_speed body, Python 3.11).
    """
    shape = text.encode("ascii", "replace").translate(_ASCII_SHAPES)
    return shape.decode("ascii")


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def letter_runs(text: str) -> tuple[str, ...]:
    """Return the maximal runs of ASCII letters of `fold_case(text)`, in text order.

    A word of `words` made of ASCII letters alone is also a run here, so
    the runs can stand in for `words` wherever a filter looks for ASCII
    words only. A bytes translation and a split cost about a fifth of the
    `\\w+` scan behind `words`.
    """
    folded = fold_case(text).encode("ascii", "replace")
    return tuple(folded.translate(_LOWER_ASCII_LETTERS_ONLY).decode("ascii").split())


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def letter_words(text: str) -> frozenset[str]:
    """Return the distinct runs of `letter_runs(text)`."""
    return frozenset(letter_runs(text))


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def sorted_letter_words(text: str) -> tuple[str, ...]:
    """Return the distinct runs of `letter_runs(text)`, sorted."""
    return tuple(sorted(letter_words(text)))


def starts_letter_run(text: str, prefix: str) -> bool:
    """Check whether a run of `letter_runs(text)` starts with `prefix`.

    `prefix` must be lower-case ASCII letters. A binary search of the
    sorted runs finds the result without scanning `text`.
    """
    ordered = sorted_letter_words(text)
    index = bisect_left(ordered, prefix)
    return index < len(ordered) and ordered[index].startswith(prefix)


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def _found_word_starts(text: str) -> dict[str, tuple[int, ...]]:
    """Return the starts that `word_starts` found in `text` so far, by word.

    The dictionary fills as words are looked up, because several filters
    look up the same number words in one text.
    """
    return {}


def word_starts(text: str, word: str) -> Iterator[int]:
    """Yield where `word` starts in `text`, in any case, after a non-word character.

    `word` must be lower-case ASCII, so that it is found in `fold_case(text)`
    exactly where `re.IGNORECASE` would match it.
    """
    found = _found_word_starts(text)
    starts = found.get(word)
    if starts is None:
        starts = found[word] = tuple(_scan_word_starts(text, word))
    return iter(starts)


# Sorting the runs of a text costs about as much as eight `str.find` scans
# of it (timeit, Python 3.11). Only texts this long, in which lookups of
# absent words cost more than the sort, are therefore checked for a run first.
_MIN_CHECKED_CHARS = 8_000


def _scan_word_starts(text: str, word: str) -> Iterator[int]:
    # A non-word character before a start is no ASCII letter, so a run of
    # letter_runs starts there with the letters that `word` starts with.
    # Most words looked up are in no text, and the check spares a scan.
    letters = _LEADING_LETTERS.match(word)
    if (
        len(text) >= _MIN_CHECKED_CHARS
        and letters
        and not starts_letter_run(text, letters.group())
    ):
        return
    folded = fold_case(text)
    start = folded.find(word)
    while start != -1:
        if follows_non_word(text, start):
            yield start
        start = folded.find(word, start + 1)


def has_word(text: str, word: str) -> bool:
    """Check whether `word` is in `words(text)`, without scanning every word.

    `word` must be lower-case ASCII letters.
    """
    return any(
        precedes_non_word(text, start + len(word)) for start in word_starts(text, word)
    )


def precedes_non_word(text: str, end: int) -> bool:
    """Check that no word character (`\\w`) starts at `text[end]`."""
    return end >= len(text) or not (text[end].isalnum() or text[end] == "_")


# Bytes of the base64, base64url and hex alphabets: upper-case letters,
# digits and the "=" of padding become "B", lower-case letters and "+",
# "/", "_", "-" become "a", and every other byte becomes a space. Non-ASCII
# characters are encoded as "?" first, so offsets stay the same.
_CODE_CLASSES = bytes(
    0x42 if byte in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789="
    else 0x61 if byte in b"abcdefghijklmnopqrstuvwxyz+/_-"
    else 0x20
    for byte in range(256)
)  # fmt: skip
MIN_CODE_RUN = 12


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def code_runs(text: str) -> tuple[tuple[int, int], ...]:
    """Return the (start, end) of each run of `text` that may be base64 or hex.

    A run has `MIN_CODE_RUN` or more characters of the base64, base64url
    and hex alphabets, and an upper-case letter, a digit or "=" after its
    first character. Hex of ASCII text has a digit in every other place.
    Base64 of a phone number or an address has such characters throughout,
    which tests/filters/test_encoded.py checks on generated ones. A word in
    lower case or with a capital first letter has none, and a word in
    capitals is left out. Only the inner characters are looked up, because
    lower-case letters fill most of any text and make a scan for long runs
    cost several times as much.
    """
    coded = text.encode("ascii", "replace").translate(_CODE_CLASSES)
    inner = coded.replace(b" B", b"  ")
    runs = []
    mark = inner.find(b"B", 1)
    while mark != -1:
        start = coded.rfind(b" ", 0, mark) + 1
        end = coded.find(b" ", mark)
        end = len(coded) if end == -1 else end
        if end - start >= MIN_CODE_RUN and not _is_capital_word(text[start:end]):
            runs.append((start, end))
        mark = inner.find(b"B", end)
    return tuple(runs)


def _is_capital_word(run: str) -> bool:
    return run.isalpha() and run.isupper()


# A line with one or two visible characters and nothing else but spaces.
# Control characters do not count, because filters.text joins texts with a
# line of one NUL character.
_SHORT_LINE = r"[^\S\n]*+[^\s\x00-\x1f\x7f]{1,2}+[^\S\n]*+"
# NOTE: an address of fewer than 20 characters written two a line takes
# fewer lines than this, so it is not joined ("sa", "m@", "ex", ...).
MIN_SHORT_LINES = 10
_FIRST_SHORT_LINES = re.compile(
    rf"{_SHORT_LINE}(?:\n{_SHORT_LINE}){{{MIN_SHORT_LINES - 1},}}(?=\n|\Z)"
)
# The later runs start with a line break, so that `re` skips ahead from
# one line break to the next instead of trying every position.
_LATER_SHORT_LINES = re.compile(rf"\n{_FIRST_SHORT_LINES.pattern}")


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def short_line_runs(text: str) -> tuple[tuple[int, int], ...]:
    """Return the (start, end) of each run of `MIN_SHORT_LINES` or more short lines.

    A short line has one or two visible characters, such as one letter of
    an address written downwards. A run covers its lines from the start of
    the first to the end of the last, spaces included, and no line break
    before or after them.
    """
    runs = []
    first = _FIRST_SHORT_LINES.match(text)
    if first is not None:
        runs.append(first.span())
    for match in _LATER_SHORT_LINES.finditer(text, first.end() if first else 0):
        runs.append((match.start() + 1, match.end()))
    return tuple(runs)
