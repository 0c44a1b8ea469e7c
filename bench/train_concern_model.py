"""Train the safeguarding concern model, and cross-validate it beside the rules.

Run by hand from the repository root:

    python -m bench.train_concern_model train            # rebuild the model file
    python -m bench.train_concern_model cross-validate   # choose and check thresholds
    python -m bench.train_concern_model history          # score as first scored

`train` fits one logistic regression per category on every labelled
sentence in tests/data/safeguarding_cases/*.txt (the files directly in that
folder, never unseen/), with the lines of tests/data/filter_cases/ordinary.txt
as extra near-misses, and writes config/safeguarding_model.json. Training
is deterministic: the same files give the same model file, byte for byte.

`cross-validate` leaves out one held-out file at a time (HOLDOUT_FOLDS),
trains on everything else, and scores the left-out file with the rules
alone, the model alone and both together. The ordinary and everyday lines
are shared out among the folds the same way, so each one is scored by a
model that never saw it. The thresholds in THRESHOLDS were chosen from its
output. Its rules-and-model rows show the cost in precision but hardly any
gain in recall, because the rules were written from these same files.

`history` measures the gain instead: each held-out file is scored with the
rules as they were when it was first scored (from git), beside a model
trained only on the files that existed then (HISTORY).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    # Run by path (`python bench/NAME.py`): Python then puts bench/ on the
    # import path instead of the repository root, so add the root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.safeguarding_quality import (
    CASES_DIR,
    Case,
    flagged_categories,
    format_table,
    load_cases,
    score_flags,
)
from filters.concern_model import (
    DEFAULT_MODEL_PATH,
    MODEL_FORMAT,
    features_of,
    parse_model,
    words_of,
)
from filters.safeguarding import SafeguardingRules, default_rules, parse_rules

ROOT = Path(__file__).resolve().parents[1]
ORDINARY_PATH = CASES_DIR.parent / "filter_cases" / "ordinary.txt"
# Each fold is one round's held-out file, written without reading the rules.
HOLDOUT_FOLDS = (
    ("holdout.txt",),
    ("holdout2.txt",),
    ("holdout3.txt",),
    ("holdout4.txt", "holdout4b.txt"),
    ("holdout5.txt",),
)
# Near-miss files that are shared out among the folds in cross-validation.
SHARED_NEGATIVES = ("everyday.txt",)
RULES_IN_GIT = "config/safeguarding.toml"
CASES_IN_GIT = "tests/data/safeguarding_cases"
# Each held-out file, with the commit whose rules scored it first: the last
# commit before a rule was changed by reading it.
HISTORY = (
    (("holdout3.txt",), "b722308"),
    (("holdout4.txt", "holdout4b.txt"), "b722308"),
    (("holdout5.txt",), "4bb53ac"),
)


@dataclass(frozen=True)
class Settings:
    """Training settings, chosen by cross-validation."""

    epochs: int = 12
    learning_rate: float = 0.5
    l2: float = 0.003
    # A feature must occur in at least this many sentences to get a weight.
    min_count: int = 2
    # The model file keeps this many features, those with the largest weights.
    max_features: int = 3000
    # Smaller weights are left out of the model file.
    min_weight: float = 0.1
    seed: int = 20261204


SETTINGS = Settings()
# Probability at or above which the model flags a category.
THRESHOLDS = {
    "meeting": 0.8,
    "secrecy": 0.8,
    "leaving-platform": 0.8,
    "gifts-money": 0.8,
    "photos": 0.8,
    "sexual-content": 0.9,
    "self-harm": 0.8,
    "abuse-disclosure": 0.9,
    "bullying": 0.8,
}


@dataclass(frozen=True)
class Sample:
    """One training sentence as feature names, with its categories."""

    features: tuple[str, ...]
    categories: frozenset[str]


# Reading the labelled sentences


def load_training_cases(categories: tuple[str, ...]) -> list[Case]:
    """Return the labelled cases, then ordinary.txt's lines as near-misses."""
    return [*load_cases(CASES_DIR, categories), *ordinary_cases()]


def ordinary_cases() -> list[Case]:
    lines = ORDINARY_PATH.read_text(encoding="utf-8").splitlines()
    return [
        Case(line.strip(), frozenset(), f"{ORDINARY_PATH.name}:{number}")
        for number, line in enumerate(lines, start=1)
        if line.strip() and not line.startswith("#")
    ]


def samples_of(cases: Iterable[Case]) -> list[Sample]:
    return [
        Sample(tuple(features_of(words_of(case.text))), case.categories)
        for case in cases
    ]


# Fitting


def fit(
    samples: Sequence[Sample], categories: tuple[str, ...], settings: Settings
) -> dict[str, object]:
    """Fit one logistic regression per category and return the model file's data.

    Stochastic gradient descent with L2 regularisation, in a fixed shuffled
    order from `settings.seed`, so the result depends only on the samples.
    """
    vocabulary = _vocabulary(samples, settings.min_count)
    rows = [
        [vocabulary[name] for name in sample.features if name in vocabulary]
        for sample in samples
    ]
    targets = [
        [1.0 if category in sample.categories else 0.0 for category in categories]
        for sample in samples
    ]
    weights = [[0.0] * len(categories) for _ in vocabulary]
    biases = _prior_biases(targets, len(categories))
    order = list(range(len(samples)))
    shuffler = random.Random(settings.seed)
    for epoch in range(settings.epochs):
        shuffler.shuffle(order)
        rate = settings.learning_rate / (1.0 + epoch)
        for index in order:
            _step(rows[index], targets[index], weights, biases, rate, settings.l2)
    names = sorted(vocabulary, key=vocabulary.__getitem__)
    return _model_data(names, weights, biases, categories, settings)


def _vocabulary(samples: Sequence[Sample], min_count: int) -> dict[str, int]:
    counts = Counter(name for sample in samples for name in sample.features)
    kept = sorted(name for name, count in counts.items() if count >= min_count)
    return {name: index for index, name in enumerate(kept)}


def _prior_biases(targets: list[list[float]], width: int) -> list[float]:
    """Start each bias at the log-odds of its category in the samples."""
    biases = []
    for column in range(width):
        positives = sum(row[column] for row in targets) + 0.5
        negatives = len(targets) - positives + 1.0
        biases.append(math.log(positives / negatives))
    return biases


def _step(
    row: list[int],
    target: list[float],
    weights: list[list[float]],
    biases: list[float],
    rate: float,
    l2: float,
) -> None:
    """Move the weights of one sample's features down the log-loss gradient."""
    for column, expected in enumerate(target):
        total = biases[column]
        for feature in row:
            total += weights[feature][column]
        error = _probability(total) - expected
        biases[column] -= rate * error
        for feature in row:
            weight = weights[feature][column]
            weights[feature][column] = weight - rate * (error + l2 * weight)


def _probability(total: float) -> float:
    if total < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-total))


def _model_data(
    names: list[str],
    weights: list[list[float]],
    biases: list[float],
    categories: tuple[str, ...],
    settings: Settings,
) -> dict[str, object]:
    """Keep the `max_features` features with the largest weights, rounded."""
    strength = {
        name: max(abs(weight) for weight in row)
        for name, row in zip(names, weights, strict=True)
    }
    kept = sorted(names, key=lambda name: (-strength[name], name))[
        : settings.max_features
    ]
    rows = dict(zip(names, weights, strict=True))
    table = {}
    for name in sorted(kept):
        sparse = {
            category: round(weight, 3)
            for category, weight in zip(categories, rows[name], strict=True)
            if abs(weight) >= settings.min_weight
        }
        if sparse:
            table[name] = sparse
    return {
        "format": MODEL_FORMAT,
        "categories": list(categories),
        "biases": {c: round(b, 3) for c, b in zip(categories, biases, strict=True)},
        "thresholds": {category: THRESHOLDS[category] for category in categories},
        "weights": table,
    }


def train(settings: Settings = SETTINGS) -> dict[str, object]:
    """Fit the model on every training sentence and return the file's data."""
    categories = default_rules().categories
    samples = samples_of(load_training_cases(categories))
    return fit(samples, categories, settings)


def write_model(data: dict[str, object], path: Path) -> None:
    """Write the model file: sorted keys, one feature per line, for short diffs."""
    path.write_text(model_json(data), encoding="utf-8")


def model_json(data: dict[str, object]) -> str:
    """Return the model file's text: the header, then one feature per line."""
    header = {key: value for key, value in data.items() if key != "weights"}
    head = json.dumps(header, indent=1, sort_keys=True, ensure_ascii=False)
    weights = data["weights"]
    assert isinstance(weights, dict)
    rows = ",\n".join(
        f"  {json.dumps(name, ensure_ascii=False)}: {json.dumps(row, sort_keys=True)}"
        for name, row in weights.items()
    )
    return head.removesuffix("\n}") + ',\n "weights": {\n' + rows + "\n }\n}\n"


# Cross-validation


@dataclass(frozen=True)
class Fold:
    """One left-out set of sentences, with the rules and training cases it gets."""

    name: str
    held: list[Case]
    training: list[Case]
    rules: SafeguardingRules


@dataclass(frozen=True)
class FoldResult:
    """The flags of the rules and of the model on each case of one fold."""

    name: str
    cases: list[Case]
    rule_flags: list[frozenset[str]]
    model_flags: list[frozenset[str]]


def leave_one_out_folds() -> list[Fold]:
    """Leave out each of HOLDOUT_FOLDS in turn, and train on everything else.

    The near-misses of SHARED_NEGATIVES and ordinary.txt are dealt out
    among the folds in turn, so each is scored once by a model without it.
    """
    rules = default_rules()
    labelled = load_cases(CASES_DIR, rules.categories)
    shared = [case for case in labelled if _file_of(case) in SHARED_NEGATIVES]
    shared += ordinary_cases()
    folds = []
    for number, files in enumerate(HOLDOUT_FOLDS):
        held = [case for case in labelled if _file_of(case) in files]
        held += shared[number :: len(HOLDOUT_FOLDS)]
        held_ids = {id(case) for case in held}
        pool = [*labelled, *shared]
        training = [case for case in pool if id(case) not in held_ids]
        folds.append(Fold("+".join(files), held, training, rules))
    return folds


def history_folds() -> list[Fold]:
    """Score each held-out file as it was first scored, before anyone studied it.

    Each fold takes the rules file from the commit in HISTORY and trains
    only on the case files that were in the folder at that commit, so
    neither the rules nor the model has seen the file or what was written
    after studying it. Reads the history with `git show` and `git ls-tree`.
    """
    categories = default_rules().categories
    labelled = load_cases(CASES_DIR, categories)
    folds = []
    for files, commit in HISTORY:
        rules = parse_rules(
            tomllib.loads(_git("show", f"{commit}:{RULES_IN_GIT}")), commit
        )
        present = set(
            _git("ls-tree", "--name-only", commit, f"{CASES_IN_GIT}/").split()
        )
        names = {Path(name).name for name in present} - set(files)
        held = [case for case in labelled if _file_of(case) in files]
        training = [case for case in labelled if _file_of(case) in names]
        training += ordinary_cases()
        folds.append(Fold("+".join(files), held, training, rules))
    return folds


def _git(*arguments: str) -> str:
    done = subprocess.run(
        ["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


def _file_of(case: Case) -> str:
    return case.source.rpartition(":")[0]


def run_fold(fold: Fold, settings: Settings = SETTINGS) -> FoldResult:
    """Train on the fold's training cases and flag its held cases both ways."""
    categories = default_rules().categories
    model = parse_model(fit(samples_of(fold.training), categories, settings))
    rule_flags = [flagged_categories(case, fold.rules) for case in fold.held]
    model_flags = [
        frozenset(category for category, _ in model.estimate(words_of(case.text)))
        for case in fold.held
    ]
    return FoldResult(fold.name, fold.held, rule_flags, model_flags)


def report(results: list[FoldResult]) -> str:
    """Return pooled tables for the rules, the model and both, then each fold."""
    categories = default_rules().categories
    cases = [case for result in results for case in result.cases]
    rules = [flags for result in results for flags in result.rule_flags]
    model = [flags for result in results for flags in result.model_flags]
    both = [a | b for a, b in zip(rules, model, strict=True)]
    sections = []
    for title, flags in (("rules", rules), ("model", model), ("both", both)):
        table = format_table(score_flags(cases, flags, categories), len(cases))
        sections.append(f"### {title}\n\n{table}")
    sections.append(_fold_table(results, categories))
    sections.append(_new_false_flags(results))
    return "\n\n".join(sections)


def _fold_table(results: list[FoldResult], categories: tuple[str, ...]) -> str:
    lines = [
        "| fold | sentences | rules P / R | model P / R | both P / R |",
        "|---|---:|---|---|---|",
    ]
    for result in results:
        both = [
            a | b for a, b in zip(result.rule_flags, result.model_flags, strict=True)
        ]
        figures = [
            score_flags(result.cases, flags, categories)[-1]
            for flags in (result.rule_flags, result.model_flags, both)
        ]
        cells = [f"{s.precision:.2f} / {s.recall:.2f}" for s in figures]
        lines.append(f"| {result.name} | {len(result.cases)} | {' | '.join(cells)} |")
    return "\n".join(lines)


def _new_false_flags(results: list[FoldResult]) -> str:
    """List each category the model adds to a case that is not labelled with it."""
    lines = ["Categories the model adds wrongly:"]
    for result in results:
        for case, rules, model in zip(
            result.cases, result.rule_flags, result.model_flags, strict=True
        ):
            wrong = model - rules - case.categories
            if wrong:
                lines.append(f"- {case.source} {','.join(sorted(wrong))}: {case.text}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("train", "cross-validate", "history"))
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_MODEL_PATH, help="model file to write"
    )
    args = parser.parse_args(argv)
    if args.command == "train":
        write_model(train(), args.output)
        print(f"wrote {args.output}")
        return 0
    folds = (
        leave_one_out_folds() if args.command == "cross-validate" else history_folds()
    )
    print(report([run_fold(fold) for fold in folds]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
