"""Measure the precision and recall of the safeguarding rules on a labelled set.

Run by hand from the repository root:

    python -m bench.safeguarding_quality                  # packaged rules
    python -m bench.safeguarding_quality --rules FILE     # a programme's copy
    python -m bench.safeguarding_quality --misses         # list the errors
    python -m bench.safeguarding_quality --files holdout.txt
    python -m bench.safeguarding_quality --json
    python -m bench.safeguarding_quality --model          # rules and model

The labelled set is tests/data/safeguarding_cases/*.txt; its README gives
the format. A sentence counts as flagged with a category when any rule of
that category matches it (with --model, also when the learned model in
filters.concern_model flags it with that category). Precision and recall
are counted per category over (sentence, category) pairs, and the "all"
row adds up every pair.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from filters.base import FilterContext
from filters.safeguarding import (
    SafeguardingRules,
    default_rules,
    find_concerns,
    load_rules,
    model_findings,
)

CASES_DIR = (
    Path(__file__).resolve().parents[1] / "tests" / "data" / "safeguarding_cases"
)
PREFIX = re.compile(r"([a-z][a-z0-9-]*(?:,[a-z][a-z0-9-]*)*):\s+(.*)")


@dataclass(frozen=True)
class Case:
    """One labelled sentence; no categories means a near-miss."""

    text: str
    categories: frozenset[str]
    source: str


@dataclass(frozen=True)
class Score:
    """Counts and rates for one category, or for all of them."""

    category: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


def load_cases(
    directory: Path, categories: tuple[str, ...], pattern: str = "*.txt"
) -> list[Case]:
    """Read the cases files in `directory`; raise ValueError on an unknown label."""
    cases: list[Case] = []
    for path in sorted(directory.glob(pattern)):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            source = f"{path.name}:{number}"
            case = parse_case(line, categories, source)
            if case is not None:
                cases.append(case)
    return cases


def parse_case(line: str, categories: tuple[str, ...], source: str) -> Case | None:
    """Parse one line of a cases file; None for a comment or blank line."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    match = PREFIX.fullmatch(line)
    if match is None:
        return Case(line, frozenset(), source)
    labels = frozenset(match.group(1).split(","))
    unknown = sorted(labels - set(categories))
    if unknown:
        raise ValueError(
            f"{source}: unknown category {', '.join(unknown)}: use one of "
            f"{', '.join(categories)}, or start a near-miss with a capital letter"
        )
    return Case(match.group(2), labels, source)


def flagged_categories(
    case: Case, rules: SafeguardingRules, use_model: bool = False
) -> frozenset[str]:
    concerns = find_concerns(case.text, rules)
    flagged = {concern.category for concern in concerns}
    if use_model:
        found = model_findings(case.text, concerns, "text/plain", FilterContext())
        flagged.update(finding.category for finding in found)
    return frozenset(flagged)


def score(
    cases: list[Case], rules: SafeguardingRules, use_model: bool = False
) -> list[Score]:
    """Return one Score per category of `rules`, then the total as "all"."""
    flags = [flagged_categories(case, rules, use_model) for case in cases]
    return score_flags(cases, flags, rules.categories)


def score_flags(
    cases: Sequence[Case], flags: Sequence[frozenset[str]], categories: Iterable[str]
) -> list[Score]:
    """Score `flags[i]` against the labels of `cases[i]`, per category and "all".

    A category outside `categories` that a case is labelled with or flagged
    for gets a row of its own after them.
    """
    counts = {category: [0, 0, 0] for category in categories}
    for case, flagged in zip(cases, flags, strict=True):
        for category in flagged | case.categories:
            row = counts.setdefault(category, [0, 0, 0])
            if category in flagged and category in case.categories:
                row[0] += 1
            elif category in flagged:
                row[1] += 1
            else:
                row[2] += 1
    scores = [Score(category, *row) for category, row in counts.items()]
    total = [sum(row[i] for row in counts.values()) for i in range(3)]
    return [*scores, Score("all", *total)]


def misses(
    cases: list[Case], rules: SafeguardingRules, use_model: bool = False
) -> list[str]:
    """Return one line per case whose flags differ from its labels."""
    lines = []
    for case in cases:
        flagged = flagged_categories(case, rules, use_model)
        if flagged != case.categories:
            expected = ",".join(sorted(case.categories)) or "none"
            got = ",".join(sorted(flagged)) or "none"
            lines.append(f"{case.source}: expected {expected}, got {got}: {case.text}")
    return lines


def format_table(scores: list[Score], case_count: int) -> str:
    """Return the scores as a Markdown table."""
    rows = [
        f"{case_count} labelled sentences.",
        "",
        "| category | precision | recall | true pos. | false pos. | false neg. |",
        "|---|---|---|---|---|---|",
    ]
    for item in scores:
        rows.append(
            f"| {item.category} | {item.precision:.2f} | {item.recall:.2f} "
            f"| {item.true_positives} | {item.false_positives} "
            f"| {item.false_negatives} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, help="rules file (default: packaged)")
    parser.add_argument("--cases", type=Path, default=CASES_DIR, help="cases folder")
    parser.add_argument(
        "--files", default="*.txt", help="file name pattern in the cases folder"
    )
    parser.add_argument("--misses", action="store_true", help="list wrong cases")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--model",
        action="store_true",
        help="add the learned model's flags to the rules' (default: rules only)",
    )
    args = parser.parse_args(argv)

    rules = load_rules(args.rules) if args.rules else default_rules()
    cases = load_cases(args.cases, rules.categories, args.files)
    scores = score(cases, rules, args.model)
    if args.json:
        figures = [
            {**asdict(s), "precision": s.precision, "recall": s.recall} for s in scores
        ]
        print(json.dumps({"cases": len(cases), "scores": figures}, indent=2))
    else:
        print(format_table(scores, len(cases)))
    if args.misses:
        print("\n".join(misses(cases, rules, args.model)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
