"""A learned second opinion beside the safeguarding rules.

The rules in config/safeguarding.toml match phrasings, so they miss a
concern written in words nobody listed. This module scores each sentence
with a linear model, one logistic regression per category over lower-cased
word unigrams and bigrams, and reports the categories whose estimated
probability reaches that category's threshold. The weights and thresholds
live in config/safeguarding_model.json, which `python -m
bench.train_concern_model train` rebuilds from the labelled sentences in
tests/data/safeguarding_cases/.

The safeguarding step (filters.safeguarding) turns each estimate into a
medium-severity finding, unless a rule already flagged that sentence for
that category. Medium severity means an estimate never holds a message by
itself.

Scoring is pure Python: one dictionary lookup per word and one per pair of
adjacent words, over the words of the text.

Each model remembers the scores of the word sequences it has scored, so a
sentence repeated in the other alternative or in a quoted reply is looked
up, not scored again. A message of new sentences pays the full cost.
NOTE: on a 200 KB message of distinct sentences that would be about 30 to
45 ms beside the rules' 33 ms (measured with every sentence scored, shared
2-CPU machine), against a budget of about 10 ms.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = (
    Path(__file__).resolve().parents[1] / "config" / "safeguarding_model.json"
)
MODEL_FORMAT = 1

# A sentence ends at ".", "!" or "?" followed by a space or the end of the
# text, or at a blank line, the same boundaries the rules use.
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n[^\S\n]*\n")
# Words are runs of letters and digits. Apostrophes are removed before
# splitting, so "don't" and "dont" are one word.
WORD = re.compile(r"[^\W_]+")
APOSTROPHES = re.compile("['\u2019]")
# A str.translate table for ASCII text that keeps what WORD matches and
# the apostrophe, and turns every other character into a space.
_WORDS_AND_APOSTROPHES = "".join(
    char if char.isalnum() or char == "'" else " " for char in map(chr, range(128))
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# A sentence longer than this many words is scored in windows of this
# size, because the labelled sentences the model learned from are short
# and a long run of words without punctuation would add up weights from
# unrelated clauses.
WINDOW_WORDS = 40
# How many scored word sequences a model remembers (see ConcernModel.seen).
SEEN_LIMIT = 20_000


class ModelError(ValueError):
    """An error meaning the model file is missing or invalid."""


@dataclass(frozen=True)
class Estimate:
    """One category the model estimates for `text[start:end]`."""

    category: str
    probability: float
    start: int
    end: int


@dataclass(frozen=True)
class ConcernModel:
    """Weights of a one-vs-rest logistic regression, one column per category.

    `unigrams` maps a word, and `bigrams` maps a first word and then a
    second word, to one weight per category, in the order of `categories`.
    """

    categories: tuple[str, ...]
    biases: tuple[float, ...]
    thresholds: tuple[float, ...]
    unigrams: dict[str, tuple[float, ...]]
    bigrams: dict[str, dict[str, tuple[float, ...]]]

    def totals(self, words: Sequence[str]) -> list[float]:
        """Return the log-odds of each category for `words`."""
        # The lookups and the column sums run in C (map, filter, zip, sum)
        # instead of a Python loop over the words. A weight row has one
        # weight per category, so it is never empty and filter(None) drops
        # only the misses. The same words give the rows in the same order,
        # so the float sums do not change between calls.
        features: Iterator[str | tuple[str, str]] = chain(
            set(words), set(pairwise(words))
        )
        rows = [self.biases]
        rows.extend(filter(None, map(self.feature_weights.get, features)))
        return list(map(sum, zip(*rows, strict=True)))

    def probabilities(self, words: Sequence[str]) -> list[float]:
        """Return the estimated probability of each category for `words`."""
        return [_sigmoid(total) for total in self.totals(words)]

    def estimate(self, words: Sequence[str]) -> list[tuple[str, float]]:
        """Return (category, probability) for each category over its threshold."""
        return [
            (category, _sigmoid(total))
            for category, total, limit in zip(
                self.categories, self.totals(words), self.limits, strict=True
            )
            if total >= limit
        ]

    @functools.cached_property
    def seen(self) -> dict[tuple[str, ...], list[tuple[str, float]]]:
        """Scores of word sequences scored before, emptied once it reaches SEEN_LIMIT.

        Mail repeats itself: the plain and HTML alternatives carry the same
        sentences, and a reply quotes the messages before it, so most
        sentences of a long message have been scored already.
        """
        return {}

    @functools.cached_property
    def pair_weights(self) -> dict[tuple[str, str], tuple[float, ...]]:
        """The weights of `bigrams`, keyed by the pair of words."""
        return {
            (first, second): weights
            for first, following in self.bigrams.items()
            for second, weights in following.items()
        }

    @functools.cached_property
    def feature_weights(self) -> dict[str | tuple[str, str], tuple[float, ...]]:
        """The weights of `unigrams` and `pair_weights` in one dictionary."""
        weights: dict[str | tuple[str, str], tuple[float, ...]] = {}
        weights.update(self.unigrams.items())
        weights.update(self.pair_weights.items())
        return weights

    @functools.cached_property
    def limits(self) -> tuple[float, ...]:
        """The thresholds as log-odds, so scoring needs no exponential."""
        return tuple(math.log(p / (1.0 - p)) for p in self.thresholds)


def _sigmoid(total: float) -> float:
    if total < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-total))


def words_of(text: str) -> list[str]:
    """Return the lower-cased words of `text`, apostrophes removed."""
    return WORD.findall(APOSTROPHES.sub("", text.lower()))


def features_of(words: Sequence[str]) -> list[str]:
    """Return the feature names of `words`: each word, then each "first second"."""
    pairs = {f"{first} {second}" for first, second in pairwise(words)}
    return sorted(set(words)) + sorted(pairs)


# Loading the model file


def load_model(path: Path) -> ConcernModel:
    """Read and check a model file, raising ModelError that names the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ModelError(f"cannot read model {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ModelError(f"{path} is not valid JSON: {error}") from None
    try:
        return parse_model(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(
            f"{path} is not a model file of format {MODEL_FORMAT} ({error!r}): "
            "rebuild it with `python -m bench.train_concern_model train`"
        ) from None


@functools.cache
def default_model() -> ConcernModel:
    """Return the packaged model, read on first use and then kept."""
    model = load_model(DEFAULT_MODEL_PATH)
    log.debug("loaded %d model features", len(model.unigrams) + len(model.bigrams))
    return model


def parse_model(data: dict[str, Any]) -> ConcernModel:
    """Build a ConcernModel from the parsed JSON of a model file."""
    if data["format"] != MODEL_FORMAT:
        raise ValueError(f"format {data['format']!r}")
    categories = tuple(str(name) for name in data["categories"])
    biases = tuple(float(data["biases"][name]) for name in categories)
    thresholds = tuple(float(data["thresholds"][name]) for name in categories)
    if not all(0.0 < threshold < 1.0 for threshold in thresholds):
        raise ValueError(f"thresholds {thresholds} outside 0-1")
    unigrams: dict[str, tuple[float, ...]] = {}
    bigrams: dict[str, dict[str, tuple[float, ...]]] = {}
    for feature, weights in data["weights"].items():
        unknown = set(weights) - set(categories)
        if unknown:
            raise ValueError(f"feature {feature!r} has unknown categories {unknown}")
        dense = tuple(float(weights.get(name, 0.0)) for name in categories)
        first, _, second = feature.partition(" ")
        if second:
            bigrams.setdefault(first, {})[second] = dense
        else:
            unigrams[first] = dense
    return ConcernModel(categories, biases, thresholds, unigrams, bigrams)


# Scoring a text


def estimate_concerns(text: str, model: ConcernModel) -> list[Estimate]:
    """Return the model's estimates for each sentence of `text`, in text order."""
    estimates: list[Estimate] = []
    for start, end, words in _sentences(text):
        if len(words) > WINDOW_WORDS:
            windows: Iterable[tuple[int, int, list[str]]] = _windows(text, start, end)
        else:
            windows = ((start, end, words),)
        for low, high, window_words in windows:
            estimates.extend(
                Estimate(category, probability, low, high)
                for category, probability in _estimate(model, window_words)
            )
    return estimates


def _sentences(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """Yield (start, end, words) for each span of `sentence_spans(text)`.

    The words are `words_of(text[start:end])`, found by `str.split` in
    `_word_text(text)`, so no sentence needs a regular expression of its own.
    """
    spaced = _word_text(text)
    if spaced is None:
        for start, end in sentence_spans(text):
            yield start, end, words_of(text[start:end])
        return
    start = 0
    for boundary in SENTENCE_END.finditer(text):
        words = spaced[start : boundary.end()].replace("'", "").split()
        if words:
            yield start, boundary.end(), words
        start = boundary.end()
    words = spaced[start:].replace("'", "").split()
    if words:
        yield start, len(text), words


def _word_text(text: str) -> str | None:
    """Return `text` lower-cased with each apostrophe as "'" and other non-words as " ".

    The result has the length of `text`, and for any slice, removing its
    "'" and splitting it at spaces gives what `words_of` gives for that
    slice of `text`. That holds when no character outside ASCII is a word
    character or lower-cases to one, so None is returned otherwise. Such
    text also lower-cases one character at a time: the one rule of
    `str.lower` that looks at neighbours is for the capital sigma.
    """
    lower = text.lower()
    if len(lower) != len(text):
        return None
    if not text.isascii():
        outside_ascii = set(_NON_ASCII.findall(text))
        if any(char.isalnum() or char.lower().isalnum() for char in outside_ascii):
            return None
        # The other characters outside ASCII become "?", a non-word.
        lower = lower.replace("\u2019", "'").encode("ascii", "replace").decode()
    return lower.translate(_WORDS_AND_APOSTROPHES)


def _estimate(model: ConcernModel, words: list[str]) -> list[tuple[str, float]]:
    seen = model.seen
    key = tuple(words)
    found = seen.get(key)
    if found is None:
        if len(seen) >= SEEN_LIMIT:
            seen.clear()
        found = seen[key] = model.estimate(words)
    return found


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """Yield the (start, end) of each sentence of `text` that has a letter."""
    start = 0
    for boundary in SENTENCE_END.finditer(text):
        if _has_word(text, start, boundary.start()):
            yield start, boundary.end()
        start = boundary.end()
    if _has_word(text, start, len(text)):
        yield start, len(text)


def _has_word(text: str, start: int, end: int) -> bool:
    return WORD.search(text, start, end) is not None


def _windows(text: str, start: int, end: int) -> Iterator[tuple[int, int, list[str]]]:
    """Yield (start, end, words) for the sentence, in windows of WINDOW_WORDS."""
    words = words_of(text[start:end])
    if len(words) <= WINDOW_WORDS:
        yield start, end, words
        return
    # Only long sentences pay for word offsets.
    bounds = [match.span() for match in WORD.finditer(text, start, end)]
    for first in range(0, len(bounds), WINDOW_WORDS):
        chunk = bounds[first : first + WINDOW_WORDS]
        low, high = chunk[0][0], chunk[-1][1]
        yield low, high, words_of(text[low:high])
