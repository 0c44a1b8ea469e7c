"""Measure how well the text filters find contact details and offensive words.

Run by hand from the repository root. The test suite imports only the
scoring of our own filters (tests/filters/test_quality.py), never Presidio.

    python -m bench.filter_quality            # tables, ours beside Presidio's
    python -m bench.filter_quality --json     # figures as JSON
    python -m bench.filter_quality --errors   # also list every miss and false hit
    python -m bench.filter_quality --no-presidio

Each kind's filter runs over that kind's labelled cases in
tests/data/filter_cases/ and over ordinary.txt and place_names.txt, where any
removal is a false positive. The matching rule (a hit must cover all the
letters and digits of a gold span and none outside the gold spans) is written
out in bench/filter_cases.py. The altered rate is the share of ordinary.txt
sentences that redact_text, with every text filter, changes at all.

For comparison the same cases go through Microsoft Presidio's analyzer with
pattern recognizers only and a blank spaCy English pipeline, so no model is
downloaded: PhoneRecognizer (phone), EmailRecognizer (email),
UkPostcodeRecognizer (postcode) and UrlRecognizer (off_platform). Presidio has
nothing for street addresses or offensive words. Its analyzer runs with its
default score threshold, so every pattern hit counts. Presidio is optional:
when presidio-analyzer or spacy is not installed, the script prints why and
shows our table alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run by path (`python bench/NAME.py`): Python then puts bench/ on the
    # import path instead of the repository root, so add the root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.filter_cases import (
    KINDS,
    ORDINARY_FILE,
    PLACE_NAMES_FILE,
    Finder,
    Score,
    altered_sentences,
    load_kind,
    load_sentences,
    relay_finder,
    score_cases,
)

# Presidio entity for each kind it has a recognizer for.
PRESIDIO_ENTITIES = {
    "phone": "PHONE_NUMBER",
    "email": "EMAIL_ADDRESS",
    "postcode": "UK_POSTCODE",
    "off_platform": "URL",
}


@dataclass
class Report:
    """Scores per kind and the sentences that must stay but were changed."""

    scores: dict[str, Score]
    ordinary_total: int
    ordinary_altered: list[str]
    place_names_altered: list[str]

    @property
    def ordinary_altered_rate(self) -> float:
        return len(self.ordinary_altered) / self.ordinary_total


def evaluate(
    finders: Mapping[str, Finder],
    alters: Callable[[list[str]], list[str]] = altered_sentences,
) -> Report:
    """Score each finder on its kind's cases and on the sentences that must stay.

    `alters` returns the sentences that the whole filter set changes.
    """
    ordinary = load_sentences(ORDINARY_FILE)
    place_names = load_sentences(PLACE_NAMES_FILE)
    scores = {
        kind: score_cases(finder, load_kind(kind), [*ordinary, *place_names])
        for kind, finder in finders.items()
    }
    return Report(scores, len(ordinary), alters(ordinary), alters(place_names))


def relay_report() -> Report:
    """Score the relay's own filters."""
    return evaluate({kind: relay_finder(kind) for kind in KINDS})


def presidio_report() -> Report:
    """Score Presidio's pattern recognizers; raise ImportError if it is missing."""
    finders = _presidio_finders()

    def alters(sentences: list[str]) -> list[str]:
        return [s for s in sentences if any(f(s) for f in finders.values())]

    return evaluate(finders, alters)


def _presidio_finders() -> dict[str, Finder]:
    # Imported here because Presidio is a benchmark-only package.
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        EmailRecognizer,
        PhoneRecognizer,
        UkPostcodeRecognizer,
        UrlRecognizer,
    )

    # EmailRecognizer calls tldextract.extract, which by default downloads the
    # public suffix list. The snapshot bundled with tldextract is used instead.
    # The ignore is needed because tldextract types `extract` as a function.
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tldextract.extract = offline  # type: ignore[assignment]

    class BlankSpacyEngine(SpacyNlpEngine):
        """A spaCy engine over a blank English pipeline: tokens, no model.

        SpacyNlpEngine.load would download a named model if it is missing.
        """

        def load(self) -> None:
            # Presidio declares `nlp` as None until load() fills it.
            self.nlp = {"en": spacy.blank("en")}  # type: ignore[assignment]

    engine = BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.load()
    recognizers = [
        PhoneRecognizer(),
        EmailRecognizer(),
        UkPostcodeRecognizer(),
        UrlRecognizer(),
    ]
    analyzer = AnalyzerEngine(
        registry=RecognizerRegistry(recognizers=recognizers),
        nlp_engine=engine,
        supported_languages=["en"],
    )
    return {
        kind: _presidio_finder(analyzer, entity)
        for kind, entity in PRESIDIO_ENTITIES.items()
    }


def _presidio_finder(analyzer: Any, entity: str) -> Finder:
    def find(text: str) -> list[tuple[int, int]]:
        results = analyzer.analyze(text, language="en", entities=[entity])
        return [(result.start, result.end) for result in results]

    return find


def report_json(report: Report) -> dict[str, Any]:
    kinds = {
        kind: {
            "precision": round(score.precision, 4),
            "recall": round(score.recall, 4),
            "support": score.gold,
        }
        for kind, score in report.scores.items()
    }
    return {
        "kinds": kinds,
        "ordinary_altered_rate": round(report.ordinary_altered_rate, 4),
        "ordinary_sentences": report.ordinary_total,
        "place_names_altered": len(report.place_names_altered),
    }


def format_tables(ours: Report, presidio: Report | None, why_not: str) -> str:
    """Lay out our figures and Presidio's side by side, one row per kind."""
    header = (
        f"{'kind':<15} {'support':>7}   {'precision':>9} {'recall':>7}"
        f"   {'presidio P':>10} {'presidio R':>10}"
    )
    lines = [header, "-" * len(header)]
    for kind in KINDS:
        score = ours.scores[kind]
        theirs = presidio.scores.get(kind) if presidio else None
        lines.append(
            f"{kind:<15} {score.gold:>7}   {score.precision:>9.3f} "
            f"{score.recall:>7.3f}   {_ratio(theirs, 'precision'):>10} "
            f"{_ratio(theirs, 'recall'):>10}"
        )
    lines.append("")
    lines.append(
        f"ordinary sentences altered: {len(ours.ordinary_altered)} of "
        f"{ours.ordinary_total} ({ours.ordinary_altered_rate:.2%})"
        + (
            f"; Presidio {len(presidio.ordinary_altered)}"
            f" ({presidio.ordinary_altered_rate:.2%})"
            if presidio
            else ""
        )
    )
    lines.append(
        f"place names altered: {len(ours.place_names_altered)}"
        + (f"; Presidio {len(presidio.place_names_altered)}" if presidio else "")
    )
    if presidio is None:
        lines.append(f"Presidio not run: {why_not}")
    return "\n".join(lines)


def _ratio(score: Score | None, name: str) -> str:
    if score is None:
        return "n/a"
    return f"{getattr(score, name):.3f}"


def format_errors(report: Report) -> str:
    lines: list[str] = []
    for kind, score in report.scores.items():
        lines.extend(f"missed {kind} {item}" for item in score.missed)
        lines.extend(f"wrong {kind} {item}" for item in score.wrong)
    lines.extend(f"altered ordinary: {s!r}" for s in report.ordinary_altered)
    lines.extend(f"altered place name: {s!r}" for s in report.place_names_altered)
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.filter_quality",
        description="Score the text filters on the labelled cases.",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--errors", action="store_true", help="list every miss and false hit"
    )
    parser.add_argument(
        "--no-presidio", action="store_true", help="skip the Presidio comparison"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ours = relay_report()
    presidio: Report | None = None
    why_not = "skipped with --no-presidio"
    if not args.no_presidio:
        try:
            presidio = presidio_report()
        except ImportError as error:
            why_not = f"{error}; install presidio-analyzer and spacy to compare"

    if args.json:
        figures = report_json(ours)
        if presidio is not None:
            figures["presidio"] = report_json(presidio)
        else:
            figures["presidio_error"] = why_not
        json.dump(figures, sys.stdout, indent=2)
        print()
        return 0

    print(format_tables(ours, presidio, why_not))
    if args.errors:
        print()
        print(format_errors(ours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
