"""The evaluation report over a crafted archive with known figures.

Three relationships in January 2026 (ISO weeks 2026-W02 to 2026-W04):

- 1, Sam (mentor) and Alex (mentee), active: six counted messages, one
  rejected, one outside the period and one to a stranger.
- 2, Kim (mentor) and Jo (mentee), ended on 20 January: three counted
  messages and one after the end.
- 3, Pat (mentor) and Lee (mentee), paused, no messages.

A fourth, Sam and Jo, starts after the period and is left out.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import sqlite3
import stat
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from archive.report import CountedMessage
from archive.store import (
    Archive,
    FilterOutcome,
    Participant,
    Relationship,
    StoredFinding,
)
from relay.report import (
    Period,
    Report,
    ReportError,
    build_report,
    load_report,
    parse_day,
    pseudonym,
    read_key,
    report_period,
)
from relay.report_output import (
    UTF8_BOM,
    report_csv,
    report_json,
    report_table,
    write_new_file,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FROM = date(2026, 1, 5)
TO = date(2026, 1, 25)
WEEKS = ("2026-W02", "2026-W03", "2026-W04")
KEY = bytes(range(32))

CAST = (
    ("Sam Jones", "sam@example.org", "mentor", "sam.k7q2m4@relay.example.org"),
    ("Alex Smith", "alex@example.com", "mentee", "alex.p3x9r2@relay.example.org"),
    ("Kim Lee", "kim@example.org", "mentor", "kim.w8d2n5@relay.example.org"),
    ("Jo Brown", "jo@example.com", "mentee", "jo.c4v7h3@relay.example.org"),
    ("Pat Green", "pat@example.org", "mentor", "pat.m2q8z6@relay.example.org"),
    # A name a spreadsheet would run as a formula.
    ("=Lee Hall", "lee@example.com", "mentee", "lee.t5b3k9@relay.example.org"),
)

SELF_HARM = StoredFinding(
    "safeguarding", "body", 1, category="self-harm", severity="high",
    matched="hurt myself",
)  # fmt: skip
MEETING = StoredFinding(
    "safeguarding", "body", 1, category="meeting", severity="medium",
    matched="meet up",
)  # fmt: skip
GIFTS = StoredFinding(
    "safeguarding", "subject", 1, category="gifts-money", severity="medium",
    matched="a present",
)  # fmt: skip
PROFANITY = StoredFinding("profanity", "body", 2)


@dataclass(frozen=True)
class Programme:
    archive: Archive
    path: Path
    people: dict[str, Participant]


def run_sql(path: Path, sql: str, *params: object) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute(sql, params)
        db.commit()


async def add_message(
    programme: Programme,
    sender: str,
    recipient: str,
    received_at: str,
    *,
    findings: tuple[StoredFinding, ...] = (),
    held: bool = False,
    rejected: bool = False,
) -> int:
    """Store a filtered message from one first name to another at a set time."""
    source = programme.people[sender]
    target = programme.people[recipient]
    raw = b"Subject: hello\r\n\r\nSee you on Tuesday.\r\n"
    message_id = await programme.archive.accept_message(
        secrets.token_hex(6), "127.0.0.1", source.email, source.id, [target.id], raw
    )
    outcome = FilterOutcome(
        message_id=message_id,
        relay_message_id=f"{secrets.token_hex(8)}@relay.example.org",
        original_message_id=None,
        subject="hello",
        body_text="See you on Tuesday.",
        delivered=raw,
        findings=findings,
        hold_reason="Flagged for a safeguarding review" if held else None,
        reject_reason="Rejected by a safeguarding officer" if rejected else None,
    )
    await programme.archive.record_filtered(outcome, [target.id])
    run_sql(
        programme.path,
        "UPDATE messages SET received_at = ? WHERE id = ?",
        f"2026-{received_at}+00:00",
        message_id,
    )
    return message_id


async def add_relationship(
    programme: Programme,
    members: tuple[str, str],
    started: str,
    *,
    status: str = "active",
    ended: str | None = None,
) -> int:
    ids = [programme.people[name].id for name in members]
    relationship_id = await programme.archive.add_relationship(ids)
    run_sql(
        programme.path,
        "UPDATE relationships SET started_at = ?, planned_end = ?, status = ?, "
        "ended_at = ?, paused_until = ? WHERE id = ?",
        f"2026-{started}+00:00",
        "2026-07-04",
        status,
        f"2026-{ended}+00:00" if ended else None,
        "2026-02-10" if status == "paused" else None,
        relationship_id,
    )
    return relationship_id


@pytest.fixture
async def programme(tmp_path: Path) -> AsyncIterator[Programme]:
    path = tmp_path / "archive.sqlite3"
    archive = await Archive.open(path)
    added = await archive.add_participants(CAST)
    people = {p.name.lstrip("=").split()[0]: p for p in added}
    crafted = Programme(archive, path, people)
    await _add_pairs(crafted)
    await _add_messages(crafted)
    yield crafted
    await archive.close()


async def _add_pairs(programme: Programme) -> None:
    await add_relationship(programme, ("Sam", "Alex"), "01-05T09:00:00")
    await add_relationship(
        programme, ("Kim", "Jo"), "01-06T09:00:00", status="ended",
        ended="01-20T12:00:00",
    )  # fmt: skip
    await add_relationship(programme, ("Pat", "Lee"), "01-19T09:00:00", status="paused")


async def _add_messages(programme: Programme) -> None:
    add = add_message
    # Relationship 1: replies of 2 h (mentee), 24 h (mentor), 168 h (mentee)
    # and 6 h (mentor).
    await add(programme, "Sam", "Alex", "01-05T10:00:00")
    await add(programme, "Alex", "Sam", "01-05T12:00:00")
    await add(programme, "Alex", "Sam", "01-06T12:00:00")
    await add(programme, "Sam", "Alex", "01-07T12:00:00")
    await add(
        programme, "Alex", "Sam", "01-14T12:00:00", findings=(SELF_HARM,), held=True
    )
    await add(programme, "Sam", "Alex", "01-14T18:00:00", findings=(MEETING,))
    await add(programme, "Alex", "Sam", "01-15T10:00:00", rejected=True)
    await add(programme, "Sam", "Jo", "01-16T10:00:00")
    await add(programme, "Sam", "Alex", "01-27T10:00:00")
    # Relationship 2: one reply of 48 h (mentor), then eleven quiet days.
    await add(programme, "Jo", "Kim", "01-06T10:00:00")
    await add(programme, "Kim", "Jo", "01-08T10:00:00", findings=(PROFANITY,))
    await add(programme, "Kim", "Jo", "01-19T10:00:00", findings=(GIFTS, GIFTS))
    await add(programme, "Jo", "Kim", "01-21T10:00:00")
    # Starts after the period.
    await add_relationship(programme, ("Sam", "Jo"), "02-02T09:00:00")


async def january(programme: Programme, key: bytes | None = None) -> Report:
    return await load_report(
        programme.archive, NOW, date_from=FROM, date_to=TO, key=key
    )


# Figures


async def test_report_covers_pairs_that_ran(programme: Programme) -> None:
    report = await january(programme)
    assert [r.id for r in report.relationships] == [1, 2, 3]
    assert [r.status for r in report.relationships] == ["active", "ended", "paused"]
    assert report.weeks == WEEKS
    assert report.period == Period(
        datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 26, tzinfo=UTC)
    )


async def test_weekly_counts_per_side(programme: Programme) -> None:
    first, second, third = (await january(programme)).relationships
    assert [s.role for s in first.sides] == ["mentor", "mentee"]
    assert first.sides[0].weekly == (2, 1, 0)
    assert first.sides[1].weekly == (2, 1, 0)
    assert second.sides[0].weekly == (1, 0, 1)
    assert second.sides[1].weekly == (1, 0, 0)
    assert third.sides[0].weekly == (0, 0, 0)


async def test_sent_skips_rejected_and_outside(programme: Programme) -> None:
    # Rejected, after the period, to a stranger, after the pair ended.
    first, second, third = (await january(programme)).relationships
    assert (first.sides[0].sent, first.sides[1].sent) == (3, 3)
    assert (second.sides[0].sent, second.sides[1].sent) == (2, 1)
    assert third.sent == 0


async def test_held_counts_messages_held_for_review(programme: Programme) -> None:
    first, second, _ = (await january(programme)).relationships
    assert first.sides[0].held == 0
    assert first.sides[1].held == 1
    assert second.held == 0


async def test_median_reply_hours(programme: Programme) -> None:
    first, second, third = (await january(programme)).relationships
    assert first.median_reply_hours == 15.0
    assert first.sides[0].median_reply_hours == 15.0
    assert first.sides[1].median_reply_hours == 85.0
    assert second.median_reply_hours == 48.0
    assert second.sides[1].median_reply_hours is None
    assert third.median_reply_hours is None


async def test_longest_gap_includes_open_end(
    programme: Programme,
) -> None:
    first, second, third = (await january(programme)).relationships
    # From the last message on 14 January 18:00 to 26 January 00:00.
    assert first.longest_gap_days == 11.25
    # Ended on 20 January: only the gap between 8 and 19 January.
    assert second.longest_gap_days == 11.0
    # Paused with no message: from its start on 19 January 09:00.
    assert third.longest_gap_days == 6.625


async def test_flags_by_safeguarding_category(programme: Programme) -> None:
    first, second, third = (await january(programme)).relationships
    assert first.sides[0].flags == {"meeting": 1}
    assert first.sides[1].flags == {"self-harm": 1}
    assert first.flags == {"meeting": 1, "self-harm": 1}
    # Two findings of one category in one message count once; profanity is
    # not a safeguarding category.
    assert second.flags == {"gifts-money": 1}
    assert third.flags == {}


async def test_programme_totals(programme: Programme) -> None:
    totals = (await january(programme)).totals
    assert totals.relationships == {"active": 1, "paused": 1, "ended": 1}
    assert totals.messages == 9
    assert totals.held == 1
    assert totals.flagged == 3
    assert totals.flags == {"gifts-money": 1, "meeting": 1, "self-harm": 1}
    assert totals.median_reply_hours == 31.5


async def test_default_period_runs_from_first_start_to_now(
    programme: Programme,
) -> None:
    report = await load_report(programme.archive, NOW)
    assert report.period == Period(
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 12, 0, 1, tzinfo=UTC),
    )
    assert [r.id for r in report.relationships] == [1, 2, 3, 4]
    assert report.relationships[0].sent == 7


def test_shared_message_counts_once_in_totals() -> None:
    sam = Participant(1, "Sam Jones", "sam@example.org", "sam@r.example.org",
                      "mentor", "active")  # fmt: skip
    alex = Participant(2, "Alex Smith", "alex@example.com", "alex@r.example.org",
                       "mentee", "active")  # fmt: skip
    jo = Participant(3, "Jo Brown", "jo@example.com", "jo@r.example.org",
                     "mentee", "active")  # fmt: skip
    started = "2026-01-05T09:00:00+00:00"
    pairs = [
        Relationship(1, "active", started, None, (sam, alex), "2026-07-05"),
        Relationship(2, "active", started, None, (sam, jo), "2026-07-05"),
    ]
    sent = "2026-01-06T09:00:00+00:00"
    messages = [
        CountedMessage(1, 40, 1, sent, False, ("meeting",)),
        CountedMessage(2, 40, 1, sent, False, ("meeting",)),
    ]
    period = Period(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC))
    report = build_report(pairs, messages, period)
    assert [r.sent for r in report.relationships] == [1, 1]
    assert report.totals.messages == 1
    assert report.totals.flags == {"meeting": 1}


# Periods and options


def test_weeks_cross_the_iso_year() -> None:
    period = Period(
        datetime(2025, 12, 24, tzinfo=UTC), datetime(2026, 1, 6, 8, tzinfo=UTC)
    )
    assert period.weeks() == ("2025-W52", "2026-W01", "2026-W02")


def test_period_ends_at_midnight_after_last_day() -> None:
    period = report_period([], NOW, FROM, TO)
    assert period.end == datetime(2026, 1, 26, tzinfo=UTC)


def test_period_never_ends_after_now() -> None:
    period = report_period([], NOW, FROM, date(2026, 12, 31))
    assert period.end == datetime(2026, 3, 2, 12, 0, 1, tzinfo=UTC)


def test_first_day_after_last_day_is_rejected() -> None:
    with pytest.raises(ReportError, match="the first day, 2026-01-25, is after"):
        report_period([], NOW, TO, FROM)


def test_first_day_in_future_is_rejected() -> None:
    with pytest.raises(ReportError, match="2026-04-01, is in the future"):
        report_period([], NOW, date(2026, 4, 1))


@pytest.mark.parametrize(
    "value", ["2026-1-05", "20260105", "2026-W02-1", "2026-02-30", "soon"]
)
def test_day_must_be_iso_date(value: str) -> None:
    with pytest.raises(ReportError, match=f"--from '{value}' is not a day"):
        parse_day(value, "--from")


def test_day_is_optional() -> None:
    assert parse_day(None, "--to") is None
    assert parse_day("2026-01-25", "--to") == TO


# Output


async def test_csv_parses_back_to_the_figures(programme: Programme) -> None:
    text = report_csv(await january(programme))
    assert text.startswith(UTF8_BOM)
    rows = list(csv.DictReader(io.StringIO(text.removeprefix(UTF8_BOM))))
    assert [(r["relationship"], r["side"]) for r in rows] == [
        ("1", "mentor"), ("1", "mentee"), ("2", "mentor"), ("2", "mentee"),
        ("3", "mentor"), ("3", "mentee"),
    ]  # fmt: skip
    mentee = rows[1]
    assert mentee["members"] == "Alex Smith <alex.p3x9r2@relay.example.org>"
    assert mentee["status"] == "active"
    assert mentee["started"] == "2026-01-05T09:00:00+00:00"
    assert mentee["planned_end"] == "2026-07-04"
    assert mentee["ended"] == ""
    assert mentee["sent"] == "3"
    assert mentee["held"] == "1"
    assert mentee["side_median_reply_hours"] == "85.00"
    assert mentee["median_reply_hours"] == "15.00"
    assert mentee["longest_gap_days"] == "11.25"
    assert mentee["flags_self-harm"] == "1"
    assert mentee["flags_meeting"] == "0"
    assert [mentee[f"week_{w}"] for w in WEEKS] == ["2", "1", "0"]
    assert rows[2]["ended"] == "2026-01-20T12:00:00+00:00"
    assert rows[2]["flags_gifts-money"] == "1"
    assert rows[3]["side_median_reply_hours"] == ""


async def test_csv_header_lists_flags_then_weeks(programme: Programme) -> None:
    text = report_csv(await january(programme)).removeprefix(UTF8_BOM)
    header = next(csv.reader(io.StringIO(text)))
    assert header[11:] == [
        "longest_gap_days", "flags_gifts-money", "flags_meeting",
        "flags_self-harm", "week_2026-W02", "week_2026-W03", "week_2026-W04",
    ]  # fmt: skip


async def test_csv_defuses_formulas(programme: Programme) -> None:
    text = report_csv(await january(programme)).removeprefix(UTF8_BOM)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[5]["members"] == "'=Lee Hall <lee.t5b3k9@relay.example.org>"


async def test_json_has_relationships_and_totals(programme: Programme) -> None:
    document = json.loads(report_json(await january(programme)))
    assert list(document) == [
        "period", "pseudonymised", "weeks", "relationships", "totals",
    ]  # fmt: skip
    first = document["relationships"][0]
    assert first["sides"]["mentor"]["members"] == [
        {"role": "mentor", "name": "Sam Jones",
         "alias": "sam.k7q2m4@relay.example.org"},
    ]  # fmt: skip
    assert first["sides"]["mentor"]["weekly"] == {
        "2026-W02": 2, "2026-W03": 1, "2026-W04": 0,
    }  # fmt: skip
    assert first["median_reply_hours"] == 15.0
    assert first["longest_gap_days"] == 11.25
    assert document["totals"] == {
        "relationships": {"active": 1, "paused": 1, "ended": 1},
        "messages": 9,
        "held": 1,
        "flagged": 3,
        "flags": {"gifts-money": 1, "meeting": 1, "self-harm": 1},
        "median_reply_hours": 31.5,
    }


async def test_table_lists_pairs_weeks_and_totals(programme: Programme) -> None:
    lines = report_table(await january(programme)).splitlines()
    assert lines[0] == "Evaluation report from 2026-01-05 00:00 to 2026-01-26 00:00 UTC"
    assert lines[2].split("  ")[0] == "ID"
    # Cells are two or more spaces apart; the empty "ended" cell leaves none.
    assert re.split(r"  +", lines[3]) == [
        "1", "active", "2026-01-05", "2026-07-04",
        "Sam Jones <sam.k7q2m4@relay.example.org>",
        "Alex Smith <alex.p3x9r2@relay.example.org>",
        "3", "3", "1", "15.00", "11.25", "meeting 1, self-harm 1",
    ]  # fmt: skip
    assert "ID  SIDE    W02  W03  W04" in lines
    assert "1   mentor  2    1    0" in lines
    assert lines[-4:] == [
        "Relationships: 1 active, 1 paused, 1 ended",
        "Messages: 9, of which 1 held for review",
        "Flagged messages: 3 (gifts-money 1, meeting 1, self-harm 1)",
        "Median reply time (median of the relationships' medians): 31.5 h",
    ]


# Pseudonyms


def test_pseudonym_is_keyed_hmac_of_id() -> None:
    expected = hmac.new(KEY, b"17", hashlib.sha256).hexdigest()[:8].upper()
    assert pseudonym(KEY, 17) == f"P-{expected}"
    assert pseudonym(KEY, 17) != pseudonym(bytes(32), 17)
    assert pseudonym(KEY, 17) != pseudonym(KEY, 71)


def test_key_file_is_read_with_its_checks(tmp_path: Path) -> None:
    path = tmp_path / "archive.key"
    with pytest.raises(ReportError, match="cannot make pseudonyms: archive key"):
        read_key(path)
    path.write_bytes(os.urandom(32))
    path.chmod(0o600)
    assert read_key(path) == path.read_bytes()
    path.chmod(0o644)
    with pytest.raises(ReportError, match="accessible to group or others"):
        read_key(path)


async def test_pseudonymised_output_names_nobody(programme: Programme) -> None:
    report = await january(programme, KEY)
    outputs = {
        "table": report_table(report),
        "json": report_json(report),
        "csv": report_csv(report),
    }
    for name, email, _, alias in CAST:
        for output_format, text in outputs.items():
            assert name.lstrip("=") not in text, (output_format, name)
            assert email not in text, (output_format, email)
            assert alias not in text, (output_format, alias)
            assert alias.split("@")[0] not in text, (output_format, alias)


async def test_pseudonyms_are_stable_across_runs_and_formats(
    programme: Programme,
) -> None:
    codes = {p.id: pseudonym(KEY, p.id) for p in programme.people.values()}
    first = await january(programme, KEY)
    second = await january(programme, KEY)
    assert [m.pseudonym for m in first.relationships[0].members] == [
        codes[programme.people["Sam"].id],
        codes[programme.people["Alex"].id],
    ]
    assert report_csv(first) == report_csv(second)
    sam = codes[programme.people["Sam"].id]
    assert sam in report_table(first)
    assert json.loads(report_json(first))["relationships"][0]["sides"]["mentor"][
        "members"
    ] == [{"role": "mentor", "pseudonym": sam}]


# Files


def test_output_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    write_new_file(path, UTF8_BOM + "relationship\r\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == b"\xef\xbb\xbfrelationship\r\n"


def test_output_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("earlier report")
    with pytest.raises(ReportError, match=r"report\.csv already exists"):
        write_new_file(path, "new")
    assert path.read_text() == "earlier report"


def test_output_through_symlink_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep")
    link = tmp_path / "report.csv"
    os.symlink(target, link)
    with pytest.raises(ReportError, match="already exists"):
        write_new_file(link, "new")
    assert target.read_text() == "keep"
