"""Relationship lifecycle on a real archive: pause, resume, extend, end, by date."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from archive import lifecycle
from archive.lifecycle import LifecycleError, RelationshipNotFound
from archive.schema import MIGRATIONS
from archive.store import Archive, ArchiveError, Participant

# A term that runs from Monday 7 January 2030 to Saturday 6 July 2030.
START = date(2030, 1, 7)
PLANNED_END = date(2030, 7, 6)
MID_TERM = date(2030, 3, 1)


@pytest.fixture
async def archive(tmp_path: Path) -> AsyncIterator[Archive]:
    opened = await Archive.open(tmp_path / "archive.sqlite3")
    yield opened
    await opened.close()


async def register(archive: Archive) -> tuple[Participant, Participant, Participant]:
    sam, alex, jo = await archive.add_participants(
        [
            ("Sam Jones", "sam@example.org", "mentor", "sam.aaaa@relay.example.org"),
            ("Alex Smith", "alex@example.com", "mentee", "alex.bbbb@relay.example.org"),
            ("Jo Brown", "jo@example.com", "mentee", "jo.cccc@relay.example.org"),
        ]
    )
    return sam, alex, jo


async def pair(archive: Archive, first: Participant, second: Participant) -> int:
    return await lifecycle.start(
        archive,
        [first.id, second.id],
        start_day=START,
        planned_end=PLANNED_END,
        today=MID_TERM,
    )


async def row(archive: Archive, relationship_id: int) -> dict[str, object]:
    found = await archive._fetchone(
        "SELECT status, started_at, planned_end, paused_until, pause_reason, "
        "ended_at, end_reason FROM relationships WHERE id = ?",
        (relationship_id,),
    )
    assert found is not None
    return dict(found)


# Starting


async def test_start_stores_given_dates(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    stored = await row(archive, relationship_id)
    assert stored["status"] == "active"
    assert stored["started_at"] == "2030-01-07T00:00:00+00:00"
    assert stored["planned_end"] == "2030-07-06"
    assert stored["paused_until"] is None


async def test_start_counts_term_from_start(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await lifecycle.start(
        archive, [sam.id, alex.id], start_day=START, term_months=3, today=MID_TERM
    )
    assert (await row(archive, relationship_id))["planned_end"] == "2030-04-07"


async def test_start_without_start_day_begins_now(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    today = datetime.now(UTC).date()
    relationship_id = await lifecycle.start(
        archive, [sam.id, alex.id], term_months=6, today=today
    )
    stored = await row(archive, relationship_id)
    started = datetime.fromisoformat(str(stored["started_at"]))
    assert abs(datetime.now(UTC) - started) < timedelta(minutes=5)
    assert stored["planned_end"] == lifecycle.add_months(today, 6).isoformat()


@pytest.mark.parametrize(
    ("start_day", "planned_end", "message"),
    [
        (date(2030, 3, 2), None, "start date 2030-03-02 is in the future"),
        (START, date(2030, 1, 6), "end date 2030-01-06 is before the start date"),
        (START, date(2030, 2, 28), "the planned end 2030-02-28 has passed"),
        (date(2029, 1, 1), None, "the planned end 2029-07-01 has passed"),
    ],
)
async def test_start_rejects_impossible_dates(
    archive: Archive, start_day: date, planned_end: date | None, message: str
) -> None:
    sam, alex, _ = await register(archive)
    with pytest.raises(LifecycleError, match=message):
        await lifecycle.start(
            archive,
            [sam.id, alex.id],
            start_day=start_day,
            planned_end=planned_end,
            today=MID_TERM,
        )
    assert await archive.list_relationships() == []


# Pausing and resuming


async def test_pause_sets_resume_date_and_reason(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    await lifecycle.pause(
        archive, relationship_id, date(2030, 3, 15), "  exam   season ", MID_TERM
    )
    stored = await row(archive, relationship_id)
    assert stored["status"] == "paused"
    assert stored["paused_until"] == "2030-03-15"
    assert stored["pause_reason"] == "exam season"


async def test_pause_again_moves_resume_date(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    await lifecycle.pause(archive, relationship_id, date(2030, 3, 15), "", MID_TERM)
    await lifecycle.pause(archive, relationship_id, date(2030, 4, 1), "", MID_TERM)
    assert (await row(archive, relationship_id))["paused_until"] == "2030-04-01"


@pytest.mark.parametrize(
    ("until", "message"),
    [
        (MID_TERM, r"resume date 2030-03-01 is not after today \(2030-03-01\)"),
        (date(2030, 2, 1), "resume date 2030-02-01 is not after today"),
        (date(2030, 7, 7), "resume date 2030-07-07 is after the planned end"),
    ],
)
async def test_pause_rejects_bad_resume_date(
    archive: Archive, until: date, message: str
) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    with pytest.raises(LifecycleError, match=message):
        await lifecycle.pause(archive, relationship_id, until, "", MID_TERM)
    assert (await row(archive, relationship_id))["status"] == "active"


async def test_pause_of_ended_relationship_is_rejected(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    await lifecycle.end(archive, relationship_id, "", datetime(2030, 2, 1, tzinfo=UTC))
    with pytest.raises(LifecycleError, match="ended on 2030-02-01, so it cannot be"):
        await lifecycle.pause(archive, relationship_id, date(2030, 3, 15), "", MID_TERM)
    assert (await row(archive, relationship_id))["status"] == "ended"


async def test_pause_after_planned_end_is_rejected(archive: Archive) -> None:
    # The term ran out but the scheduler has not closed it yet.
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    with pytest.raises(LifecycleError, match="reached its planned end on 2030-07-06"):
        await lifecycle.pause(
            archive, relationship_id, date(2030, 7, 20), "", date(2030, 7, 10)
        )


async def test_pause_of_missing_relationship_is_not_found(archive: Archive) -> None:
    with pytest.raises(RelationshipNotFound, match="there is no relationship 9"):
        await lifecycle.pause(archive, 9, date(2030, 3, 15), "", MID_TERM)


async def test_resume_makes_paused_relationship_active(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    await lifecycle.pause(archive, relationship_id, date(2030, 3, 15), "ill", MID_TERM)
    await lifecycle.resume(archive, relationship_id)
    stored = await row(archive, relationship_id)
    assert stored["status"] == "active"
    assert stored["paused_until"] is None
    assert stored["pause_reason"] == ""


async def test_resume_of_active_relationship_is_rejected(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    with pytest.raises(LifecycleError, match="is active, not paused"):
        await lifecycle.resume(archive, relationship_id)


async def test_paused_relationship_still_pairs_members(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    await lifecycle.pause(archive, relationship_id, date(2030, 3, 15), "", MID_TERM)
    with pytest.raises(ArchiveError, match="already paired in relationship 1"):
        await pair(archive, sam, alex)


# Extending


async def test_extend_moves_planned_end(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    await lifecycle.extend(archive, relationship_id, date(2030, 9, 30), MID_TERM)
    assert (await row(archive, relationship_id))["planned_end"] == "2030-09-30"


async def test_extend_by_months_returns_new_end(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    new_end = await lifecycle.extend_by_months(archive, relationship_id, 2, MID_TERM)
    assert new_end == date(2030, 9, 6)
    assert (await row(archive, relationship_id))["planned_end"] == "2030-09-06"


async def test_extend_after_planned_end_revives_term(archive: Archive) -> None:
    # Past its planned end, not yet closed: extending keeps it running.
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    late = date(2030, 7, 10)
    await lifecycle.extend(archive, relationship_id, date(2030, 8, 31), late)
    assert await lifecycle.close_due(archive, late) == []
    assert (await row(archive, relationship_id))["status"] == "active"


@pytest.mark.parametrize(
    ("new_end", "message"),
    [
        (date(2030, 2, 28), r"end date 2030-02-28 is before today \(2030-03-01\)"),
        (PLANNED_END, "end date 2030-07-06 is not after the planned end 2030-07-06"),
        (date(2030, 5, 1), "end date 2030-05-01 is not after the planned end"),
    ],
)
async def test_extend_rejects_earlier_dates(
    archive: Archive, new_end: date, message: str
) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    with pytest.raises(LifecycleError, match=message):
        await lifecycle.extend(archive, relationship_id, new_end, MID_TERM)
    assert (await row(archive, relationship_id))["planned_end"] == "2030-07-06"


async def test_extend_of_ended_relationship_is_rejected(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    await lifecycle.end(archive, relationship_id, "", datetime(2030, 2, 1, tzinfo=UTC))
    with pytest.raises(LifecycleError, match="so it cannot be extended"):
        await lifecycle.extend(archive, relationship_id, date(2030, 9, 30), MID_TERM)


async def test_extend_by_zero_months_is_rejected(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    with pytest.raises(LifecycleError, match="invalid extension of 0 months"):
        await lifecycle.extend_by_months(archive, relationship_id, 0, MID_TERM)


# Ending


async def test_end_records_time_and_reason(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    await lifecycle.pause(archive, relationship_id, date(2030, 3, 15), "", MID_TERM)
    now = datetime(2030, 3, 2, 14, 30, tzinfo=UTC)
    await lifecycle.end(archive, relationship_id, "moved school", now)
    stored = await row(archive, relationship_id)
    assert stored["status"] == "ended"
    assert stored["ended_at"] == "2030-03-02T14:30:00+00:00"
    assert stored["end_reason"] == "moved school"
    assert stored["paused_until"] is None


async def test_end_twice_is_rejected(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    now = datetime(2030, 3, 2, 14, 30, tzinfo=UTC)
    await lifecycle.end(archive, relationship_id, "", now)
    with pytest.raises(LifecycleError, match="no active relationship 1: it ended on"):
        await lifecycle.end(archive, relationship_id, "", now)


async def test_end_reason_with_control_character_is_rejected(
    archive: Archive,
) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    with pytest.raises(LifecycleError, match="invalid reason"):
        await lifecycle.end(archive, relationship_id, "moved\x00", None)
    with pytest.raises(LifecycleError, match="at most 200 printable characters"):
        await lifecycle.end(archive, relationship_id, "x" * 201, None)
    assert (await row(archive, relationship_id))["status"] == "active"


async def test_ended_pair_can_be_paired_again(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    first = await pair(archive, sam, alex)
    await lifecycle.end(archive, first, "", datetime(2030, 2, 1, tzinfo=UTC))
    second = await pair(archive, sam, alex)
    pairing = await archive.pairing(sam.id, alex.id)
    assert pairing is not None
    assert (pairing.relationship_id, pairing.status) == (second, "active")


# The scheduler's daily work


async def test_close_due_ends_relationships_past_planned_end(
    archive: Archive,
) -> None:
    sam, alex, jo = await register(archive)
    active = await pair(archive, sam, alex)
    paused = await pair(archive, sam, jo)
    await lifecycle.pause(archive, paused, date(2030, 7, 1), "", MID_TERM)

    assert await lifecycle.close_due(archive, PLANNED_END) == []
    assert await lifecycle.close_due(archive, date(2030, 7, 7)) == [active, paused]

    for relationship_id in (active, paused):
        stored = await row(archive, relationship_id)
        assert stored["status"] == "ended"
        assert stored["ended_at"] == "2030-07-06T23:59:59+00:00"
        assert stored["end_reason"] == "term ended"
        assert stored["paused_until"] is None
    assert await lifecycle.close_due(archive, date(2030, 7, 8)) == []


async def test_close_due_leaves_ended_relationship_alone(archive: Archive) -> None:
    sam, alex, _ = await register(archive)
    relationship_id = await pair(archive, sam, alex)
    ended_at = datetime(2030, 2, 1, 9, 0, tzinfo=UTC)
    await lifecycle.end(archive, relationship_id, "moved away", ended_at)
    assert await lifecycle.close_due(archive, date(2030, 8, 1)) == []
    stored = await row(archive, relationship_id)
    assert stored["ended_at"] == "2030-02-01T09:00:00+00:00"
    assert stored["end_reason"] == "moved away"


async def test_resume_due_resumes_on_resume_date(archive: Archive) -> None:
    sam, alex, jo = await register(archive)
    early = await pair(archive, sam, alex)
    late = await pair(archive, sam, jo)
    await lifecycle.pause(archive, early, date(2030, 3, 10), "", MID_TERM)
    await lifecycle.pause(archive, late, date(2030, 3, 20), "", MID_TERM)

    assert await lifecycle.resume_due(archive, date(2030, 3, 9)) == []
    assert await lifecycle.resume_due(archive, date(2030, 3, 10)) == [early]
    assert (await row(archive, early))["status"] == "active"
    assert (await row(archive, late))["status"] == "paused"
    assert await lifecycle.resume_due(archive, date(2030, 4, 1)) == [late]
    assert await lifecycle.resume_due(archive, date(2030, 4, 2)) == []


# Dates and reasons


@pytest.mark.parametrize(
    "text", ["2030-9-30", "20300930", "2030-02-30", "30/09/2030", "", "2030-W40-1"]
)
def test_parse_day_rejects_other_forms(text: str) -> None:
    with pytest.raises(LifecycleError) as raised:
        lifecycle.parse_day(text, "--until")
    assert str(raised.value) == (
        f"--until {text!r} is not a valid date: use the form YYYY-MM-DD, "
        "such as 2025-09-30"
    )


def test_parse_day_reads_iso_date() -> None:
    assert lifecycle.parse_day(" 2030-09-30 ", "--until") == date(2030, 9, 30)


def test_add_months_follows_sqlite() -> None:
    # Planned ends made by SQLite (migrations, add_relationship) and by
    # Python (extend --months) must agree, month ends included.
    days = [date(2029, 1, 1) + timedelta(days=n) for n in range(0, 800, 3)]
    with sqlite3.connect(":memory:") as db:
        for day in days:
            for months in (1, 2, 6, 12):
                (expected,) = db.execute(
                    "SELECT date(?, ?)", (day.isoformat(), f"+{months} months")
                ).fetchone()
                assert lifecycle.add_months(day, months).isoformat() == expected


def test_add_months_carries_overflow() -> None:
    assert lifecycle.add_months(date(2029, 8, 31), 6) == date(2030, 3, 3)
    assert lifecycle.add_months(date(2030, 1, 31), 1) == date(2030, 3, 3)
    assert lifecycle.add_months(date(2030, 11, 15), 3) == date(2031, 2, 15)


# Migration from schema version 6


def build_version_6(path: Path) -> None:
    """Create an archive file as a relay with six migrations left it."""
    with sqlite3.connect(path, isolation_level=None) as db:
        for number, script in enumerate(MIGRATIONS[:6], start=1):
            db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};\nCOMMIT;"
            )
        db.executescript(
            """
            INSERT INTO participants VALUES
                (1, 'Sam Jones', 'sam@example.org', 'sam.aaaa@relay.example.org',
                 'mentor', 'active', '2029-08-31T10:00:00+00:00'),
                (2, 'Alex Smith', 'alex@example.com', 'alex.bbbb@relay.example.org',
                 'mentee', 'active', '2029-08-31T10:00:00+00:00'),
                (3, 'Jo Brown', 'jo@example.com', 'jo.cccc@relay.example.org',
                 'mentee', 'active', '2029-08-31T10:00:00+00:00');
            INSERT INTO relationships VALUES
                (4, 'ended', '2029-08-31T10:15:00+00:00',
                 '2029-12-20T16:00:00+00:00'),
                (7, 'active', '2030-01-15T09:30:00+00:00', NULL);
            INSERT INTO relationship_members VALUES (4, 1), (4, 2), (7, 1), (7, 3);
            """
        )


async def test_migration_keeps_relationships_with_six_month_term(
    tmp_path: Path,
) -> None:
    path = tmp_path / "archive.sqlite3"
    build_version_6(path)
    archive = await Archive.open(path)
    try:
        assert await archive.schema_version() == len(MIGRATIONS)
        found = {r.id: r for r in await archive.list_relationships()}
    finally:
        await archive.close()

    assert sorted(found) == [4, 7]
    ended, active = found[4], found[7]
    assert (ended.status, ended.started_at) == ("ended", "2029-08-31T10:15:00+00:00")
    assert ended.ended_at == "2029-12-20T16:00:00+00:00"
    assert ended.planned_end == "2030-03-03"
    assert (active.status, active.started_at) == (
        "active",
        "2030-01-15T09:30:00+00:00",
    )
    assert active.ended_at is None
    assert active.planned_end == "2030-07-15"
    assert active.paused_until is None
    assert [m.email for m in active.members] == ["jo@example.com", "sam@example.org"]
