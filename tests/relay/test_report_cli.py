"""`mentor-relay report` run in-process on a real relay directory.

Sam (mentor) and Alex (mentee) are paired from 5 January 2026 and write
three times in two weeks: Sam at 10:00 on the 5th, Alex at 14:00 the same
day (a reply after 4 h), Sam on the 12th (a reply after 164 h, flagged
"meeting").
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from archive.store import Archive, FilterOutcome, StoredFinding
from relay.cli import main
from relay.config import Config, archive_cipher, load_config
from relay.report import pseudonym
from relay.report_output import UTF8_BOM
from tests.conftest import Cast, run_cli

PERIOD = ["--from", "2026-01-05", "--to", "2026-01-18"]
MEETING = StoredFinding(
    "safeguarding", "body", 1, category="meeting", severity="medium",
    matched="meet up",
)  # fmt: skip
REAL_NAMES = ("Sam Jones", "Alex Smith", "sam@example.org", "alex@example.com")


async def _seed(config: Config, relationship_id: int) -> None:
    archive = await Archive.open(config.archive_path, archive_cipher(config))
    try:
        sam = await archive.participant_by_email("sam@example.org")
        alex = await archive.participant_by_email("alex@example.com")
        assert sam is not None and alex is not None
        sent = [
            (sam, alex, "2026-01-05T10:00:00+00:00", ()),
            (alex, sam, "2026-01-05T14:00:00+00:00", ()),
            (sam, alex, "2026-01-12T10:00:00+00:00", (MEETING,)),
        ]
        for sender, recipient, received_at, findings in sent:
            raw = b"Subject: hello\r\n\r\nSee you on Tuesday.\r\n"
            message_id = await archive.accept_message(
                secrets.token_hex(6), "127.0.0.1", sender.email, sender.id,
                [recipient.id], raw,
            )  # fmt: skip
            outcome = FilterOutcome(
                message_id, f"{secrets.token_hex(8)}@relay.example.org", None,
                "hello", "See you on Tuesday.", raw, findings, None,
            )  # fmt: skip
            await archive.record_filtered(outcome, [recipient.id])
            _sql(
                config,
                "UPDATE messages SET received_at = ? WHERE id = ?",
                (received_at, message_id),
            )
    finally:
        await archive.close()
    _sql(
        config,
        "UPDATE relationships SET started_at = ?, planned_end = ? WHERE id = ?",
        ("2026-01-05T09:00:00+00:00", "2026-07-04", relationship_id),
    )


def _sql(config: Config, statement: str, params: tuple[object, ...]) -> None:
    with closing(sqlite3.connect(config.archive_path)) as db:
        db.execute(statement, params)
        db.commit()


@pytest.fixture
def config_args(relay_dir: Path, cast: Cast) -> list[str]:
    config = load_config(relay_dir / "relay.toml")
    asyncio.run(_seed(config, cast.relationship_id))
    return ["--config", str(relay_dir / "relay.toml")]


def test_report_json_has_the_figures(config_args: list[str], cast: Cast) -> None:
    document = json.loads(run_cli(*config_args, "report", "--json", *PERIOD))
    (pair,) = document["relationships"]
    assert pair["id"] == cast.relationship_id
    assert pair["sides"]["mentor"]["weekly"] == {"2026-W02": 1, "2026-W03": 1}
    assert pair["sides"]["mentee"]["weekly"] == {"2026-W02": 1, "2026-W03": 0}
    assert pair["median_reply_hours"] == 84.0
    assert pair["sides"]["mentee"]["median_reply_hours"] == 4.0
    # 5 January 14:00 to 12 January 10:00 is 6.83 days, longer than the
    # 6.58 days from then to the end of the period on the 19th.
    assert pair["longest_gap_days"] == 6.83
    assert pair["flags"] == {"meeting": 1}
    assert document["totals"]["messages"] == 3
    assert document["totals"]["relationships"] == {
        "active": 1,
        "paused": 0,
        "ended": 0,
    }


def test_report_table_is_the_default(config_args: list[str], cast: Cast) -> None:
    output = run_cli(*config_args, "report", *PERIOD)
    assert output.startswith(
        "Evaluation report from 2026-01-05 00:00 to 2026-01-19 00:00 UTC\n"
    )
    assert f"Sam Jones <{cast.sam}>" in output
    assert "Messages: 3, of which 0 held for review" in output


def test_report_csv_goes_to_private_file(
    config_args: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "january.csv"
    output = run_cli(*config_args, "report", "--csv", "--output", str(path), *PERIOD)
    assert output == ""
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["side"], r["sent"], r["week_2026-W02"]) for r in rows] == [
        ("mentor", "2", "1"),
        ("mentee", "1", "1"),
    ]


def test_report_refuses_to_overwrite(
    config_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "january.csv"
    path.write_text("last month's report")
    status = main([*config_args, "report", "--csv", "--output", str(path)])
    assert status == 1
    error = capsys.readouterr().err
    assert error == (
        f"error: {path} already exists: give --output the name of a new file\n"
    )
    assert path.read_text() == "last month's report"


def test_report_pseudonymises_with_archive_key(
    config_args: list[str], relay_dir: Path, cast: Cast
) -> None:
    key = (relay_dir / "archive.key").read_bytes()
    first = run_cli(*config_args, "report", "--csv", "--pseudonymise", *PERIOD)
    second = run_cli(*config_args, "report", "--csv", "--pseudonymise", *PERIOD)
    as_json = run_cli(*config_args, "report", "--json", "--pseudonymise", *PERIOD)
    table = run_cli(*config_args, "report", "--pseudonymise", *PERIOD)
    for text in (first, as_json, table):
        for secret in (*REAL_NAMES, cast.sam, cast.alex):
            assert secret not in text
    assert first == second
    rows = list(csv.DictReader(io.StringIO(first.removeprefix(UTF8_BOM))))
    people = json.loads(run_cli(*config_args, "participant", "list", "--json"))
    ids = {person["alias"]: person["id"] for person in people}
    codes = [pseudonym(key, ids[cast.sam]), pseudonym(key, ids[cast.alex])]
    assert [r["members"] for r in rows] == codes
    document = json.loads(as_json)
    mentor = document["relationships"][0]["sides"]["mentor"]["members"]
    assert mentor == [{"role": "mentor", "pseudonym": codes[0]}]
    assert codes[1] in table


def test_report_rejects_invalid_day(
    config_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*config_args, "report", "--from", "2026-13-01"]) == 1
    assert capsys.readouterr().err == (
        "error: --from '2026-13-01' is not a day: use YYYY-MM-DD, such as 2026-09-01\n"
    )


def test_report_rejects_swapped_days(
    config_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [*config_args, "report", "--from", "2026-01-18", "--to", "2026-01-05"]
    )
    assert status == 1
    assert "the first day, 2026-01-18, is after the last day" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "day"),
    [("--to", "9999-12-31"), ("--from", "0001-01-01"), ("--from", "1999-12-31")],
)
def test_report_rejects_day_out_of_range(
    config_args: list[str], capsys: pytest.CaptureFixture[str], option: str, day: str
) -> None:
    assert main([*config_args, "report", "--csv", option, day]) == 1
    assert capsys.readouterr().err == (
        f"error: {option} {day} is out of range: give a date from 2000-01-01 "
        "to 2100-12-31\n"
    )


def test_report_rejects_period_over_ten_years(
    config_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [*config_args, "report", "--csv", "--from", "2005-01-01", "--to", "2015-01-02"]
    )
    assert status == 1
    assert capsys.readouterr().err == (
        "error: the period from 2005-01-01 to 2015-01-02 is longer than 10 years: "
        "give a first and a last day at most 10 years apart\n"
    )


def test_report_accepts_period_of_ten_years(config_args: list[str]) -> None:
    output = run_cli(
        *config_args, "report", "--csv", "--from", "2016-01-05", "--to", "2026-01-04"
    )
    header = next(csv.reader(io.StringIO(output.removeprefix(UTF8_BOM))))
    weeks = [column for column in header if column.startswith("week_")]
    assert weeks[0] == "week_2016-W01"
    assert weeks[-1] == "week_2026-W01"
    assert len(weeks) == 522
