"""The `relationship` commands: add with dates, pause, resume, extend, end, list."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from archive import lifecycle
from relay.cli import main
from tests.conftest import Cast, run_cli, set_config

TODAY = date(2030, 3, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "utc_today", lambda: TODAY)


@pytest.fixture
def term(relay_dir: Path, cast: Cast) -> int:
    """Give the cast's relationship a term from 7 January to 6 July 2030."""
    with sqlite3.connect(relay_dir / "archive.sqlite3") as db:
        db.execute(
            "UPDATE relationships SET started_at = '2030-01-07T09:00:00+00:00', "
            "planned_end = '2030-07-06' WHERE id = ?",
            (cast.relationship_id,),
        )
    return cast.relationship_id


def relationship_cli(relay_dir: Path, *args: str) -> str:
    return run_cli("--config", str(relay_dir / "relay.toml"), "relationship", *args)


def failure(
    relay_dir: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["--config", str(relay_dir / "relay.toml"), "relationship", *args])
    return status, capsys.readouterr().err


def listed(relay_dir: Path, relationship_id: int) -> dict[str, object]:
    found = json.loads(relationship_cli(relay_dir, "list", "--json"))
    entry: dict[str, object] = next(r for r in found if r["id"] == relationship_id)
    return entry


# add


def test_add_with_start_and_end(relay_dir: Path, cast: Cast) -> None:
    output = relationship_cli(
        relay_dir, "add", cast.sam, cast.jo, "--start", "2030-02-03", "--end",
        "2030-08-31",
    )  # fmt: skip
    assert output == "relationship 2 started, planned to end on 2030-08-31\n"
    entry = listed(relay_dir, 2)
    assert entry["started_at"] == "2030-02-03T00:00:00+00:00"
    assert entry["planned_end"] == "2030-08-31"
    assert entry["status"] == "active"


def test_add_uses_configured_term(relay_dir: Path, cast: Cast) -> None:
    set_config(relay_dir, "programme", "term_months", "3")
    added = json.loads(
        relationship_cli(
            relay_dir, "add", cast.sam, cast.jo, "--start", "2030-02-03", "--json"
        )
    )
    assert added == {"id": 2, "planned_end": "2030-05-03"}


def test_add_with_term_months(relay_dir: Path, cast: Cast) -> None:
    added = json.loads(
        relationship_cli(
            relay_dir,
            "add",
            cast.sam,
            cast.jo,
            "--start",
            "2030-02-03",
            "--term-months",
            "9",
            "--json",
        )
    )
    assert added["planned_end"] == "2030-11-03"


def test_add_rejects_end_and_term_together(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(
            [
                "--config",
                str(relay_dir / "relay.toml"),
                "relationship",
                "add",
                cast.sam,
                cast.jo,
                "--end",
                "2030-08-31",
                "--term-months",
                "3",
            ]
        )
    assert "not allowed with argument" in capsys.readouterr().err


def test_add_rejects_bad_start_date(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = failure(
        relay_dir, capsys, "add", cast.sam, cast.jo, "--start", "3 March"
    )
    assert status == 1
    assert err == (
        "error: --start '3 March' is not a valid date: use the form "
        "YYYY-MM-DD, such as 2025-09-30\n"
    )
    assert len(json.loads(relationship_cli(relay_dir, "list", "--json"))) == 1


def test_add_rejects_future_start(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = failure(
        relay_dir, capsys, "add", cast.sam, cast.jo, "--start", "2030-03-02"
    )
    assert status == 1
    assert err.startswith("error: start date 2030-03-02 is in the future")


# pause and resume


def test_pause_and_resume(relay_dir: Path, term: int) -> None:
    output = relationship_cli(
        relay_dir, "pause", str(term), "--until", "2030-03-15", "--reason", "exams"
    )
    assert output == f"relationship {term} paused: mail resumes on 2030-03-15\n"
    entry = listed(relay_dir, term)
    assert entry["status"] == "paused"
    assert entry["paused_until"] == "2030-03-15"
    assert entry["pause_reason"] == "exams"

    assert relationship_cli(relay_dir, "resume", str(term)) == (
        f"relationship {term} resumed\n"
    )
    entry = listed(relay_dir, term)
    assert entry["status"] == "active"
    assert entry["paused_until"] is None


def test_pause_rejects_invalid_date(
    relay_dir: Path, term: int, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = failure(
        relay_dir, capsys, "pause", str(term), "--until", "2030-02-30"
    )
    assert status == 1
    assert err == (
        "error: --until '2030-02-30' is not a valid date: use the form "
        "YYYY-MM-DD, such as 2025-09-30\n"
    )


def test_pause_rejects_past_date(
    relay_dir: Path, term: int, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = failure(
        relay_dir, capsys, "pause", str(term), "--until", "2030-02-01"
    )
    assert status == 1
    assert err == (
        "error: resume date 2030-02-01 is not after today (2030-03-01): give a "
        "later date\n"
    )
    assert listed(relay_dir, term)["status"] == "active"


def test_pause_requires_until(
    relay_dir: Path, term: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["--config", str(relay_dir / "relay.toml"), "relationship", "pause", "1"])
    assert "the following arguments are required: --until" in capsys.readouterr().err


def test_resume_of_active_is_an_error(
    relay_dir: Path, term: int, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = failure(relay_dir, capsys, "resume", str(term))
    assert status == 1
    assert err == (
        f"error: relationship {term} is active, not paused: only a paused "
        "relationship can be resumed\n"
    )


def test_unknown_relationship_is_named(
    relay_dir: Path, term: int, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = failure(relay_dir, capsys, "pause", "42", "--until", "2030-03-15")
    assert status == 1
    assert err == (
        "error: there is no relationship 42: see `mentor-relay relationship list`\n"
    )


# extend and end


def test_extend_until_date(relay_dir: Path, term: int) -> None:
    output = relationship_cli(relay_dir, "extend", str(term), "--until", "2030-09-30")
    assert output == f"relationship {term} now ends on 2030-09-30\n"
    assert listed(relay_dir, term)["planned_end"] == "2030-09-30"


def test_extend_by_months(relay_dir: Path, term: int) -> None:
    output = relationship_cli(relay_dir, "extend", str(term), "--months", "2")
    assert output == f"relationship {term} now ends on 2030-09-06\n"
    assert listed(relay_dir, term)["planned_end"] == "2030-09-06"


def test_extend_to_earlier_date_is_an_error(
    relay_dir: Path, term: int, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = failure(
        relay_dir, capsys, "extend", str(term), "--until", "2030-05-01"
    )
    assert status == 1
    assert err == (
        "error: end date 2030-05-01 is not after the planned end 2030-07-06: "
        "give a later date, or end the relationship instead\n"
    )


def test_end_with_reason(relay_dir: Path, term: int) -> None:
    output = relationship_cli(relay_dir, "end", str(term), "--reason", "moved school")
    assert output == f"relationship {term} ended\n"
    entry = listed(relay_dir, term)
    assert entry["status"] == "ended"
    assert entry["end_reason"] == "moved school"
    assert entry["ended_at"] is not None


def test_end_of_paused_relationship(relay_dir: Path, term: int) -> None:
    relationship_cli(relay_dir, "pause", str(term), "--until", "2030-03-15")
    relationship_cli(relay_dir, "end", str(term))
    entry = listed(relay_dir, term)
    assert entry["status"] == "ended"
    assert entry["paused_until"] is None


# list


def test_list_shows_dates(relay_dir: Path, term: int) -> None:
    relationship_cli(relay_dir, "pause", str(term), "--until", "2030-03-15")
    header, row = relationship_cli(relay_dir, "list").splitlines()
    assert re.split(r"\s{2,}", header)[:6] == [
        "ID",
        "STATUS",
        "STARTED",
        "PLANNED END",
        "PAUSED UNTIL",
        "ENDED",
    ]
    assert row.split()[:5] == [
        str(term),
        "paused",
        "2030-01-07",
        "2030-07-06",
        "2030-03-15",
    ]


# bounds on months and dates


@pytest.mark.parametrize("months", ["0", "-3", "121", "100000", "99999999999999999999"])
def test_add_rejects_term_months_out_of_range(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str], months: str
) -> None:
    status, err = failure(
        relay_dir, capsys, "add", cast.sam, cast.jo, "--term-months", months
    )
    assert status == 1
    assert err == f"error: invalid term of {months} months: give 1 to 120\n"
    assert len(json.loads(relationship_cli(relay_dir, "list", "--json"))) == 1


def test_add_accepts_longest_term(relay_dir: Path, cast: Cast) -> None:
    output = relationship_cli(
        relay_dir, "add", cast.sam, cast.jo, "--start", "2030-02-03",
        "--term-months", "120",
    )  # fmt: skip
    assert output == "relationship 2 started, planned to end on 2040-02-03\n"


@pytest.mark.parametrize(
    ("option", "day"),
    [("--end", "9999-12-31"), ("--end", "2101-01-01"), ("--start", "0001-01-01")],
)
def test_add_rejects_day_out_of_range(
    relay_dir: Path,
    cast: Cast,
    capsys: pytest.CaptureFixture[str],
    option: str,
    day: str,
) -> None:
    status, err = failure(relay_dir, capsys, "add", cast.sam, cast.jo, option, day)
    assert status == 1
    assert err == (
        f"error: {option} {day} is out of range: give a date from 2000-01-01 "
        "to 2100-12-31\n"
    )
    assert len(json.loads(relationship_cli(relay_dir, "list", "--json"))) == 1


@pytest.mark.parametrize("months", ["0", "-1", "121", "1000000"])
def test_extend_rejects_months_out_of_range(
    relay_dir: Path, term: int, capsys: pytest.CaptureFixture[str], months: str
) -> None:
    status, err = failure(relay_dir, capsys, "extend", str(term), "--months", months)
    assert status == 1
    assert err == f"error: invalid extension of {months} months: give 1 to 120\n"
    assert listed(relay_dir, term)["planned_end"] == "2030-07-06"


def test_extend_rejects_day_after_2100(
    relay_dir: Path, term: int, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = failure(
        relay_dir, capsys, "extend", str(term), "--until", "2101-01-01"
    )
    assert status == 1
    assert err == (
        "error: --until 2101-01-01 is out of range: give a date from 2000-01-01 "
        "to 2100-12-31\n"
    )
    assert listed(relay_dir, term)["planned_end"] == "2030-07-06"


def test_extend_by_months_past_2100_is_an_error(
    relay_dir: Path, term: int, capsys: pytest.CaptureFixture[str]
) -> None:
    relationship_cli(relay_dir, "extend", str(term), "--until", "2100-06-30")
    status, err = failure(relay_dir, capsys, "extend", str(term), "--months", "7")
    assert status == 1
    assert err == (
        "error: end date 2101-01-30 is out of range: give a date from 2000-01-01 "
        "to 2100-12-31\n"
    )
    assert listed(relay_dir, term)["planned_end"] == "2100-06-30"


def test_extend_near_year_9999_is_rejected(
    relay_dir: Path, term: int, capsys: pytest.CaptureFixture[str]
) -> None:
    # Archives written before the date bounds may hold such a planned end,
    # and one more month would pass the last day a Python date can hold.
    with sqlite3.connect(relay_dir / "archive.sqlite3") as db:
        db.execute(
            "UPDATE relationships SET planned_end = '9999-12-31' WHERE id = ?",
            (term,),
        )
    status, err = failure(relay_dir, capsys, "extend", str(term), "--months", "1")
    assert status == 1
    assert err == (
        f"error: relationship {term} has a planned end of 9999-12-31, after "
        f"2100-12-31, so it cannot be extended: end it with `mentor-relay "
        f"relationship end {term}` when the pair stops\n"
    )
    assert listed(relay_dir, term)["planned_end"] == "9999-12-31"
