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
from collections.abc import Callable, Iterable, Iterator

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
    for cached in (fold_case, token_runs, words, digit_runs):
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
    resume = 0
    for start in sorted(set(starts)):
        if start < resume:
            continue
        match = pattern.match(text, start)
        if match is not None:
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
