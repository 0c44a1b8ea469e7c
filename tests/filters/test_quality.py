"""Quality floors of the text filters on the labelled cases, and the scorer."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.filter_cases import (
    KINDS,
    Case,
    CaseFileError,
    load_cases,
    parse_case,
    score_cases,
)
from bench.filter_quality import Report, relay_report

FLOORS = {
    "phone": 0.97,
    "email": 0.97,
    "postcode": 0.97,
    "off_platform": 0.97,
    "street_address": 0.90,
    "profanity": 0.90,
}
MAX_ORDINARY_ALTERED_RATE = 0.005


@pytest.fixture(scope="module")
def report() -> Report:
    return relay_report()


@pytest.mark.parametrize("kind", KINDS)
def test_recall_meets_floor(report: Report, kind: str) -> None:
    score = report.scores[kind]

    assert score.recall >= FLOORS[kind], score.missed


@pytest.mark.parametrize("kind", KINDS)
def test_precision_meets_floor(report: Report, kind: str) -> None:
    score = report.scores[kind]

    assert score.precision >= FLOORS[kind], score.wrong


def test_every_kind_has_cases(report: Report) -> None:
    supports = {kind: report.scores[kind].gold for kind in KINDS}

    assert sum(supports.values()) >= 400
    assert min(supports.values()) >= 60


def test_place_names_stay(report: Report) -> None:
    assert report.place_names_altered == []


def test_ordinary_sentences_mostly_stay(report: Report) -> None:
    assert report.ordinary_total >= 1000
    assert report.ordinary_altered_rate <= MAX_ORDINARY_ALTERED_RATE, (
        report.ordinary_altered
    )


def test_markers_become_gold_spans() -> None:
    case = parse_case("Call {{07700 900123}} or {{01632 960123}}.")

    assert case.text == "Call 07700 900123 or 01632 960123."
    assert case.gold == ((5, 17), (21, 33))


def test_unmarked_line_is_near_miss() -> None:
    case = parse_case("See you at 14:30.")

    assert case.text == "See you at 14:30."
    assert case.gold == ()


@pytest.mark.parametrize(
    "line", ["Call {{07700 900123 now", "Call 07700}} now", "Call {{ }} now"]
)
def test_bad_markers_are_rejected(line: str) -> None:
    with pytest.raises(CaseFileError):
        parse_case(line, "phone.txt:3")


def test_case_file_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "phone.txt"
    path.write_text("# comment\n\nRing {{07700\\n900123}}\nNo number here\n")

    cases = load_cases(path)

    assert [case.text for case in cases] == ["Ring 07700\n900123", "No number here"]
    assert cases[0].gold == ((5, 17),)
    assert cases[0].source == "phone.txt:3"


CASE = Case("Call (07700 900123) now", ((6, 18),), "<test>")


@pytest.mark.parametrize(
    ("predicted", "true_positives"),
    [
        ((6, 18), 1),  # exactly the gold span
        ((5, 19), 1),  # with the brackets, which are no letters or digits
        ((6, 12), 0),  # leaves "900123" behind
        ((0, 18), 0),  # also removes "Call"
        ((20, 23), 0),  # elsewhere on the line
    ],
)
def test_match_rule_counts_true_positives(
    predicted: tuple[int, int], true_positives: int
) -> None:
    score = score_cases(lambda text: [predicted], [CASE])

    assert score.true_positives == true_positives
    assert score.predicted == 1
    assert score.recalled == true_positives


def test_ordinary_removal_is_false_positive() -> None:
    score = score_cases(lambda text: [(0, 3)], [CASE], ["See you soon"])

    assert score.predicted == 2
    assert score.true_positives == 0
    assert score.precision == 0.0
    assert score.recall == 0.0
    assert score.wrong == ["<test>: 'Cal'", "<ordinary>: 'See'"]


def test_overlapping_predictions_count_once() -> None:
    score = score_cases(lambda text: [(6, 12), (10, 18)], [CASE])

    assert score.predicted == 1
    assert score.true_positives == 1
    assert score.precision == 1.0
    assert score.recall == 1.0
