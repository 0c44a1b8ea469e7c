"""Load the labelled filter cases and score a span finder against them.

The cases live in tests/data/filter_cases/, one plain UTF-8 file per kind.
Each line is one case; blank lines and lines starting with "#" are comments.
The text a filter must remove is wrapped in double braces:

    Call me on {{07700 900123}} tonight

A line without braces is a near miss, on which any removal is wrong. The two
characters backslash and "n" stand for a line break, so a case can show a
number split over two lines, and backslash and "t" stand for a tab, as in a
pasted spreadsheet row.

Matching rule, used for every kind and every finder:

- A predicted span is a true positive when it overlaps a gold span, covers
  every letter and digit of that gold span, and covers no letter or digit
  outside the gold spans of its line. Punctuation and spaces at the edges do
  not count either way, so "(07700 900123)" and "07700 900123" both match a
  gold "07700 900123".
- Every other predicted span is a false positive, including every span on a
  near-miss line and on the lines of ordinary.txt and place_names.txt.
- A gold span is recalled when at least one true positive covers it.
- Precision is true positives over predicted spans (1.0 when nothing was
  predicted), recall is recalled gold spans over gold spans, and support is
  the number of gold spans.

Overlapping or touching spans from one finder are merged first, as the relay
merges them before it replaces text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from filters.base import FilterContext, Span, merge_spans
from filters.normalise import matching_view
from filters.text import TEXT_FILTERS, redact_text

CASES_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "filter_cases"
KINDS = ("phone", "email", "postcode", "street_address", "off_platform", "profanity")
# Files of sentences that no filter may change.
ORDINARY_FILE = "ordinary.txt"
PLACE_NAMES_FILE = "place_names.txt"
CONTEXT = FilterContext(relay_domain="relay.example.org")

_MARKER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)

# A finder takes a text and returns the (start, end) offsets it would remove.
Finder = Callable[[str], list[tuple[int, int]]]


class CaseFileError(ValueError):
    """A case file line that cannot be read: unbalanced or empty braces."""


@dataclass(frozen=True)
class Case:
    """One labelled line: the plain text and the spans that must be removed."""

    text: str
    gold: tuple[tuple[int, int], ...]
    source: str


@dataclass
class Score:
    """Counts for one kind and one finder, with the ratios derived from them."""

    predicted: int = 0
    true_positives: int = 0
    gold: int = 0
    recalled: int = 0
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.gold if self.gold else 1.0


def load_cases(path: Path) -> list[Case]:
    """Read a case file, strip the brace markers and record the gold spans."""
    cases: list[Case] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        source = f"{path.name}:{number}"
        text = line.replace("\\n", "\n").replace("\\t", "\t")
        cases.append(parse_case(text, source))
    return cases


def parse_case(marked: str, source: str = "<case>") -> Case:
    """Turn one marked line into a Case; raise CaseFileError on bad markers."""
    pieces: list[str] = []
    gold: list[tuple[int, int]] = []
    length = 0
    cursor = 0
    for match in _MARKER.finditer(marked):
        plain = marked[cursor : match.start()]
        inner = match.group(1)
        if not inner.strip():
            raise CaseFileError(f"{source}: empty {{{{}}}} marker; remove it")
        pieces.extend([plain, inner])
        start = length + len(plain)
        gold.append((start, start + len(inner)))
        length = start + len(inner)
        cursor = match.end()
    pieces.append(marked[cursor:])
    text = "".join(pieces)
    if "{{" in text or "}}" in text:
        raise CaseFileError(f"{source}: unbalanced {{{{ or }}}}; close every marker")
    return Case(text, tuple(gold), source)


def load_kind(kind: str, directory: Path = CASES_DIR) -> list[Case]:
    return load_cases(directory / f"{kind}.txt")


def load_sentences(name: str, directory: Path = CASES_DIR) -> list[str]:
    """Read a file of sentences that must stay unchanged, such as ordinary.txt."""
    return [case.text for case in load_cases(directory / name)]


def is_true_positive(
    predicted: tuple[int, int], case: Case, gold: tuple[int, int]
) -> bool:
    """Apply the matching rule in this module's docstring to one pair of spans."""
    start, end = predicted
    if start >= gold[1] or end <= gold[0]:
        return False
    if not _word_positions(case.text, *gold) <= set(range(start, end)):
        return False
    inside_gold = set().union(*(range(s, e) for s, e in case.gold))
    return _word_positions(case.text, start, end) <= inside_gold


def _word_positions(text: str, start: int, end: int) -> set[int]:
    return {i for i in range(start, end) if text[i].isalnum()}


def score_cases(
    finder: Finder, cases: Iterable[Case], near_misses: Iterable[str] = ()
) -> Score:
    """Score one finder on labelled cases and on sentences it must leave alone."""
    score = Score()
    for case in cases:
        _score_case(finder, case, score)
    for text in near_misses:
        _score_case(finder, Case(text, (), "<ordinary>"), score)
    return score


def _score_case(finder: Finder, case: Case, score: Score) -> None:
    predictions = merged(finder(case.text))
    recalled: set[tuple[int, int]] = set()
    for predicted in predictions:
        covered = [g for g in case.gold if is_true_positive(predicted, case, g)]
        if covered:
            score.true_positives += 1
            recalled.update(covered)
        else:
            score.wrong.append(f"{case.source}: {case.text[slice(*predicted)]!r}")
    score.predicted += len(predictions)
    score.gold += len(case.gold)
    score.recalled += len(recalled)
    for gold in case.gold:
        if gold not in recalled:
            score.missed.append(f"{case.source}: {case.text[slice(*gold)]!r}")


def merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    joined = merge_spans(Span(start, end, "") for start, end in spans)
    return [(span.start, span.end) for span in joined]


def relay_finder(kind: str) -> Finder:
    """Return a finder that runs the relay's text filter for `kind`.

    The filter reads the normalised view of the text, as redact_text gives
    it, so look-alike characters (a zero written as a slashed O, Cyrillic
    letters in a postcode) score as redact_text treats them. The spans are
    mapped back to the text as written.
    """
    (text_filter,) = [f for f in TEXT_FILTERS if f.kind == kind]

    def find(text: str) -> list[tuple[int, int]]:
        view = matching_view(text)
        found = text_filter.find(view.text, CONTEXT)
        return [(o.start, o.end) for o in map(view.original_span, found)]

    return find


def altered_sentences(sentences: Sequence[str]) -> list[str]:
    """Return the sentences that redact_text, with every text filter, changes."""
    return [s for s in sentences if redact_text(s, CONTEXT, "text/plain").text != s]
