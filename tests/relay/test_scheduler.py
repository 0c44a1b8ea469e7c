"""The scheduler's tick, with time injected: prompts, wind-down, digests, dates.

Sam (mentor) and Alex (mentee) start their relationship on Monday
5 January 2026 at 09:00 UTC, with a last day of 4 July 2026. Every tick is
given its time, so nothing here waits for the wall clock.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from archive import lifecycle, retention
from archive.console import ConsoleStore
from archive.retention import RetentionReport
from archive.store import Archive, Participant
from relay.config import Config, RetentionSettings, load_config
from relay.programme_mail import ProgrammeMail
from relay.scheduler import Scheduler, TickReport
from tests.conftest import Cast, set_config

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PLANNED_END = "2026-07-04"
COORDINATOR = "coordinator@example.org"
CASEY = "casey@example.org"


@dataclass
class Programme:
    config: Config
    archive: Archive
    scheduler: Scheduler
    queued: asyncio.Event
    relationship_id: int
    sam: Participant
    alex: Participant
    jo: Participant

    async def tick(self, moment: datetime) -> TickReport:
        return await self.scheduler.tick(moment)

    async def notices(self, kind: str | None = None) -> list[tuple[str, str]]:
        """Return (kind, recipient) of every queued notice, oldest first."""
        rows = await self.archive._fetchall(
            "SELECT kind, recipient FROM notices ORDER BY id"
        )
        return [(row[0], row[1]) for row in rows if kind in (None, row[0])]

    async def contents(self, kind: str) -> dict[str, EmailMessage]:
        """Return the latest notice of `kind` per recipient, parsed."""
        rows = await self.archive._fetchall(
            "SELECT recipient, content FROM notices WHERE kind = ? ORDER BY id",
            (kind,),
        )
        parsed: dict[str, EmailMessage] = {}
        for row in rows:
            message = message_from_bytes(bytes(row[1]), policy=default)
            assert isinstance(message, EmailMessage)
            parsed[row[0]] = message
        return parsed

    async def sends(self, kind: str) -> list[str]:
        rows = await self.archive._fetchall(
            "SELECT subject FROM programme_sends WHERE kind = ? ORDER BY id", (kind,)
        )
        return [row[0] for row in rows]


def text_of(message: EmailMessage) -> str:
    """Return the text body with LF line ends (the stored notice has CRLF)."""
    content: str = message.get_content()
    return content.replace("\r\n", "\n")


async def execute(archive: Archive, sql: str, params: tuple[Any, ...] = ()) -> None:
    async with archive._transaction() as db:
        await db.execute(sql, params)


async def set_dates(
    archive: Archive, relationship_id: int, started: datetime, planned_end: str
) -> None:
    await execute(
        archive,
        "UPDATE relationships SET started_at = ?, planned_end = ? WHERE id = ?",
        (started.isoformat(timespec="seconds"), planned_end, relationship_id),
    )


async def add_message(
    archive: Archive,
    sender: Participant,
    recipient: Participant,
    at: datetime,
    *,
    status: str = "delivered",
    flag: str | None = None,
) -> int:
    """Store a message between two participants as received at `at`."""
    message_id = await archive.accept_message(
        secrets.token_hex(6).upper(),
        "127.0.0.1",
        sender.email,
        sender.id,
        [recipient.id],
        b"Subject: Revision\r\n\r\nSee you on Tuesday.\r\n",
    )
    await execute(
        archive,
        "UPDATE messages SET received_at = ?, status = ?, flag = ? WHERE id = ?",
        (at.isoformat(timespec="seconds"), status, flag, message_id),
    )
    await execute(
        archive, "DELETE FROM pipeline_jobs WHERE message_id = ?", (message_id,)
    )
    return message_id


async def add_coordinator(
    archive: Archive, username: str, email: str, *, role: str = "coordinator"
) -> None:
    await ConsoleStore(archive).add_staff(username, "not a real hash", role)
    assert await archive.set_staff_email(username, email, "test")


def scheduler_for(config: Config, archive: Archive, queued: asyncio.Event) -> Scheduler:
    return Scheduler(config, archive, ProgrammeMail.load(config), queued)


def configure(relay_dir: Path, *settings: tuple[str, str, str]) -> Config:
    # Retention is tested on its own below, with a stand-in for the module.
    set_config(relay_dir, "retention", "scheduled", "false")
    for section, key, value in settings:
        set_config(relay_dir, section, key, value)
    return load_config(relay_dir / "relay.toml")


async def open_programme(config: Config, cast: Cast) -> Programme:
    archive = await Archive.open(config.archive_path)
    await set_dates(archive, cast.relationship_id, START, PLANNED_END)
    sam = await archive.participant_by_email("sam@example.org")
    alex = await archive.participant_by_email("alex@example.com")
    jo = await archive.participant_by_email("jo@example.com")
    assert sam is not None
    assert alex is not None
    assert jo is not None
    queued = asyncio.Event()
    return Programme(
        config,
        archive,
        scheduler_for(config, archive, queued),
        queued,
        cast.relationship_id,
        sam,
        alex,
        jo,
    )


@pytest.fixture
async def programme(relay_dir: Path, cast: Cast) -> AsyncIterator[Programme]:
    config = configure(relay_dir, ("relay", "coordinator_email", f'"{COORDINATOR}"'))
    running = await open_programme(config, cast)
    yield running
    await running.archive.close()


def days(count: float) -> datetime:
    return START + timedelta(days=count)


# Prompts


async def test_quiet_pair_prompted_once(
    programme: Programme,
) -> None:
    report = await programme.tick(days(10))
    assert report.prompts == 0
    assert await programme.notices("prompt") == []

    report = await programme.tick(days(10.01))
    assert report.prompts == 1
    assert programme.queued.is_set()
    for moment in (days(10.01), days(10.5), days(12), days(30)):
        assert (await programme.tick(moment)).prompts == 0

    # Members come mentee first, as the archive lists them.
    assert await programme.notices("prompt") == [
        ("prompt", "alex@example.com"),
        ("prompt", "sam@example.org"),
    ]
    assert await programme.sends("prompt") == [
        f"{programme.relationship_id}:2026-01-05T09:00:00+00:00"
    ]
    linked = await programme.archive._fetchall(
        "SELECT about_relationship_id FROM notices WHERE kind = 'prompt'", ()
    )
    assert [row[0] for row in linked] == [programme.relationship_id] * 2


async def test_new_gap_gives_second_prompt(
    programme: Programme,
) -> None:
    await programme.tick(days(11))
    await add_message(programme.archive, programme.alex, programme.sam, days(20))

    assert (await programme.tick(days(25))).prompts == 0
    assert (await programme.tick(days(30))).prompts == 0
    assert (await programme.tick(days(30.5))).prompts == 1
    assert (await programme.tick(days(31))).prompts == 0

    assert len(await programme.notices("prompt")) == 4
    assert await programme.sends("prompt") == [
        f"{programme.relationship_id}:2026-01-05T09:00:00+00:00",
        f"{programme.relationship_id}:2026-01-25T09:00:00+00:00",
    ]


@pytest.mark.parametrize("mentor_writes", [True, False])
async def test_either_direction_counts_as_activity(
    programme: Programme, mentor_writes: bool
) -> None:
    sam, alex = programme.sam, programme.alex
    sender, recipient = (sam, alex) if mentor_writes else (alex, sam)
    await add_message(programme.archive, sender, recipient, days(4))

    assert (await programme.tick(days(13))).prompts == 0
    assert (await programme.tick(days(14.5))).prompts == 1


async def test_message_to_outsider_not_activity(
    programme: Programme,
) -> None:
    # Jo is not Sam's partner, so Sam writing to Jo does not keep the pair
    # of Sam and Alex going.
    await add_message(programme.archive, programme.sam, programme.jo, days(8))

    assert (await programme.tick(days(10.5))).prompts == 1


async def test_no_prompt_to_paused_pair(programme: Programme) -> None:
    await lifecycle.pause(
        programme.archive,
        programme.relationship_id,
        date(2026, 3, 2),
        today=date(2026, 1, 6),
    )

    for moment in (days(11), days(30), days(50)):
        assert (await programme.tick(moment)).prompts == 0
    assert await programme.notices("prompt") == []


async def test_quiet_days_restart_after_pause(programme: Programme) -> None:
    await lifecycle.pause(
        programme.archive,
        programme.relationship_id,
        date(2026, 3, 2),
        today=date(2026, 1, 6),
    )
    resume_tick = await programme.tick(datetime(2026, 3, 2, 0, 30, tzinfo=UTC))
    assert resume_tick.resumed == [programme.relationship_id]
    assert resume_tick.prompts == 0

    ten_days_on = datetime(2026, 3, 12, 0, 0, tzinfo=UTC)
    assert (await programme.tick(ten_days_on)).prompts == 0
    assert (await programme.tick(ten_days_on + timedelta(hours=1))).prompts == 1


async def test_no_prompt_to_ended_pair(programme: Programme) -> None:
    await lifecycle.end(programme.archive, programme.relationship_id, now=days(1))

    for moment in (days(11), days(30)):
        assert (await programme.tick(moment)).prompts == 0
    assert await programme.notices("prompt") == []


async def test_no_prompt_with_suspended_member(programme: Programme) -> None:
    await programme.archive.set_participant_status(programme.alex.id, "suspended")

    assert (await programme.tick(days(11))).prompts == 0
    assert await programme.notices("prompt") == []


async def test_prompt_hides_partner_address(programme: Programme) -> None:
    await programme.tick(days(12))

    prompts = await programme.contents("prompt")
    to_sam = prompts["sam@example.org"]
    body = text_of(to_sam)
    assert to_sam["To"] == "Sam Jones <sam@example.org>"
    assert to_sam["Subject"] == "Time to write to Alex Smith?"
    assert "It has been 12 days since you and Alex Smith last wrote" in body
    assert f"Write to Alex Smith at {programme.alex.alias}, as before." in body
    assert "alex@example.com" not in to_sam.as_string()
    assert "sam@example.org" not in prompts["alex@example.com"].as_string()


# Wind-down notices


async def test_wind_down_once_per_end_date(programme: Programme) -> None:
    await add_coordinator(programme.archive, "casey", CASEY)

    assert (
        await programme.tick(datetime(2026, 6, 19, 23, 59, tzinfo=UTC))
    ).wind_downs == 0
    assert (
        await programme.tick(datetime(2026, 6, 20, 0, 5, tzinfo=UTC))
    ).wind_downs == 1
    assert (await programme.tick(datetime(2026, 6, 25, tzinfo=UTC))).wind_downs == 0

    assert await programme.notices("wind_down") == [
        ("wind_down", "alex@example.com"),
        ("wind_down", "sam@example.org"),
        ("wind_down", CASEY),
        ("wind_down", COORDINATOR),
    ]
    assert await programme.sends("wind_down") == [
        f"{programme.relationship_id}:2026-07-04"
    ]


async def test_extension_gives_new_wind_down(programme: Programme) -> None:
    await programme.tick(datetime(2026, 6, 21, tzinfo=UTC))
    await lifecycle.extend(
        programme.archive,
        programme.relationship_id,
        date(2026, 8, 1),
        today=date(2026, 6, 22),
    )

    assert (await programme.tick(datetime(2026, 6, 22, tzinfo=UTC))).wind_downs == 0
    assert (await programme.tick(datetime(2026, 7, 17, tzinfo=UTC))).wind_downs == 0
    assert (await programme.tick(datetime(2026, 7, 18, tzinfo=UTC))).wind_downs == 1

    assert len(await programme.notices("wind_down")) == 6
    assert await programme.sends("wind_down") == [
        f"{programme.relationship_id}:2026-07-04",
        f"{programme.relationship_id}:2026-08-01",
    ]
    latest = await programme.contents("wind_down")
    assert latest["sam@example.org"]["Subject"] == (
        "Your mentoring relationship ends on 2026-08-01"
    )


async def test_wind_down_hides_real_addresses(programme: Programme) -> None:
    await programme.tick(datetime(2026, 6, 20, tzinfo=UTC))

    notices = await programme.contents("wind_down")
    to_alex = notices["alex@example.com"]
    assert (
        "The last day of your mentoring relationship with Sam Jones is\n2026-07-04."
        in (text_of(to_alex))
    )
    assert programme.sam.alias in text_of(to_alex)
    assert "sam@example.org" not in to_alex.as_string()

    to_coordinator = notices[COORDINATOR]
    body = text_of(to_coordinator)
    assert to_coordinator["Subject"] == (
        f"Relationship {programme.relationship_id} ends on 2026-07-04"
    )
    assert (
        f"Members: {programme.alex.alias} (mentee), {programme.sam.alias} (mentor)"
        in body
    )
    assert "@example." not in body


async def test_no_wind_down_with_suspended_member(programme: Programme) -> None:
    # The partner's notice would name the suspended member, and the
    # coordinators' notice says every member was sent one.
    await add_coordinator(programme.archive, "casey", CASEY)
    await programme.archive.set_participant_status(programme.alex.id, "suspended")

    report = await programme.tick(datetime(2026, 6, 20, tzinfo=UTC))

    assert report.wind_downs == 0
    assert await programme.notices("wind_down") == []
    assert await programme.sends("wind_down") == []


async def test_no_wind_down_after_erasure(programme: Programme) -> None:
    from archive.subject import erase_participant

    await erase_participant(
        programme.archive, programme.alex, datetime(2026, 6, 1, tzinfo=UTC)
    )

    report = await programme.tick(datetime(2026, 6, 20, tzinfo=UTC))

    assert report.wind_downs == 0
    assert await programme.notices("wind_down") == []


async def test_no_wind_down_while_paused(programme: Programme) -> None:
    await lifecycle.pause(
        programme.archive,
        programme.relationship_id,
        date(2026, 7, 1),
        today=date(2026, 6, 1),
    )

    assert (await programme.tick(datetime(2026, 6, 22, tzinfo=UTC))).wind_downs == 0
    # Back from the pause within the window, the pair hears of the end.
    assert (await programme.tick(datetime(2026, 7, 1, tzinfo=UTC))).wind_downs == 1


async def test_tick_closes_past_planned_end(
    programme: Programme,
) -> None:
    report = await programme.tick(datetime(2026, 7, 5, 0, 1, tzinfo=UTC))

    assert report.closed == [programme.relationship_id]
    assert report.prompts == 0
    assert report.wind_downs == 0
    relationship = await programme.archive.relationship(programme.relationship_id)
    assert relationship is not None
    assert relationship.status == "ended"


async def test_tick_resumes_paused_relationship(programme: Programme) -> None:
    await lifecycle.pause(
        programme.archive,
        programme.relationship_id,
        date(2026, 2, 1),
        today=date(2026, 1, 10),
    )

    assert (await programme.tick(days(20))).resumed == []
    assert (await programme.tick(datetime(2026, 2, 1, tzinfo=UTC))).resumed == [
        programme.relationship_id
    ]


# Weekly digest


async def seed_digest_week(programme: Programme) -> tuple[int, Participant]:
    """Seed the week before Monday 2 February 2026; return Jo's pairing."""
    archive = programme.archive
    sam, alex, jo = programme.sam, programme.alex, programme.jo
    await add_message(archive, sam, alex, datetime(2026, 1, 20, tzinfo=UTC))
    await add_message(archive, sam, alex, datetime(2026, 1, 27, tzinfo=UTC))
    await add_message(
        archive, alex, sam, datetime(2026, 1, 28, tzinfo=UTC), status="held"
    )
    await add_message(
        archive, alex, sam, datetime(2026, 1, 30, tzinfo=UTC), flag="self-harm"
    )
    await add_message(
        archive, sam, alex, datetime(2026, 1, 10, tzinfo=UTC), flag="meeting"
    )
    (robin,) = await archive.add_participants(
        [("Robin Hill", "robin@example.org", "mentor", "robin.x7k2@relay.example.org")]
    )
    jo_pair = await archive.add_relationship([robin.id, jo.id])
    await set_dates(archive, jo_pair, START, "2026-02-10")
    return jo_pair, robin


async def test_digest_once_per_week(programme: Programme) -> None:
    await add_coordinator(programme.archive, "casey", CASEY)

    assert (await programme.tick(datetime(2026, 2, 1, 23, 0, tzinfo=UTC))).digests == 0
    assert (await programme.tick(datetime(2026, 2, 2, 0, 5, tzinfo=UTC))).digests == 2
    for moment in (
        datetime(2026, 2, 2, 12, 0, tzinfo=UTC),
        datetime(2026, 2, 4, tzinfo=UTC),
        datetime(2026, 2, 8, 23, 59, tzinfo=UTC),
    ):
        assert (await programme.tick(moment)).digests == 0
    assert (await programme.tick(datetime(2026, 2, 9, 8, 0, tzinfo=UTC))).digests == 2

    assert await programme.notices("digest") == [
        ("digest", CASEY),
        ("digest", COORDINATOR),
        ("digest", CASEY),
        ("digest", COORDINATOR),
    ]
    assert await programme.sends("digest") == [
        f"{CASEY}:2026-W06",
        f"{COORDINATOR}:2026-W06",
        f"{CASEY}:2026-W07",
        f"{COORDINATOR}:2026-W07",
    ]


async def test_digest_missed_day_sent_late(
    programme: Programme,
) -> None:
    assert (await programme.tick(datetime(2026, 2, 2, 9, 0, tzinfo=UTC))).digests == 1
    # Down from Sunday 8 February to Wednesday 11 February, past Monday's digest.
    assert (await programme.tick(datetime(2026, 2, 11, 7, 0, tzinfo=UTC))).digests == 1
    late = (await programme.contents("digest"))[COORDINATOR]
    assert late["Subject"] == "Mentor Relay weekly digest, 2026-W07"
    assert (await programme.tick(datetime(2026, 2, 12, 7, 0, tzinfo=UTC))).digests == 0
    assert (await programme.tick(datetime(2026, 2, 16, 7, 0, tzinfo=UTC))).digests == 1

    assert await programme.sends("digest") == [
        f"{COORDINATOR}:2026-W06",
        f"{COORDINATOR}:2026-W07",
        f"{COORDINATOR}:2026-W08",
    ]


async def test_digest_new_relay_waits_for_day(
    programme: Programme,
) -> None:
    for day in (3, 5, 8):
        moment = datetime(2026, 2, day, 12, 0, tzinfo=UTC)
        assert (await programme.tick(moment)).digests == 0
    assert (await programme.tick(datetime(2026, 2, 9, tzinfo=UTC))).digests == 1


async def test_digest_to_active_coordinators_only(
    programme: Programme,
) -> None:
    await add_coordinator(programme.archive, "casey", CASEY)
    await add_coordinator(programme.archive, "drew", "drew@example.org")
    await add_coordinator(
        programme.archive, "morgan", "morgan@example.org", role="safeguarding"
    )
    await ConsoleStore(programme.archive).add_staff(
        "lee", "not a real hash", "coordinator"
    )
    await ConsoleStore(programme.archive).set_staff_status("drew", "disabled", "test")
    # The configured coordinator address is also Casey's, in other case.
    await add_coordinator(programme.archive, "kim", COORDINATOR.upper())

    await programme.tick(datetime(2026, 2, 2, tzinfo=UTC))

    assert await programme.notices("digest") == [
        ("digest", CASEY),
        ("digest", COORDINATOR),
    ]


async def test_digest_on_configured_weekday(relay_dir: Path, cast: Cast) -> None:
    config = configure(
        relay_dir,
        ("relay", "coordinator_email", f'"{COORDINATOR}"'),
        ("programme", "digest_weekday", '"wednesday"'),
    )
    programme = await open_programme(config, cast)
    try:
        for day in (2, 3, 5, 8):
            moment = datetime(2026, 2, day, 12, 0, tzinfo=UTC)
            assert (await programme.tick(moment)).digests == 0
        assert (await programme.tick(datetime(2026, 2, 4, tzinfo=UTC))).digests == 1
    finally:
        await programme.archive.close()


async def test_digest_exact_counts_by_alias(programme: Programme) -> None:
    jo_pair, robin = await seed_digest_week(programme)
    rid = programme.relationship_id
    sam, alex, jo = programme.sam.alias, programme.alex.alias, programme.jo.alias

    await programme.tick(datetime(2026, 2, 2, 10, 0, tzinfo=UTC))

    digest = (await programme.contents("digest"))[COORDINATOR]
    assert digest["Subject"] == "Mentor Relay weekly digest, 2026-W06"
    assert digest["To"] == COORDINATOR
    assert text_of(digest) == (
        "Weekly digest for 2026-W06.\n"
        "\n"
        "Waiting for review:\n"
        "  1 held messages (1 new in the last seven days)\n"
        "  2 flagged messages passed on without a decision (1 new)\n"
        "\n"
        "Pairs with no message for more than 10 days:\n"
        f"  relationship {jo_pair} ({jo} and {robin.alias}): 28 days\n"
        "\n"
        "Relationships ending within 14 days:\n"
        f"  relationship {jo_pair} ({jo} and {robin.alias}): last day 2026-02-10\n"
        "\n"
        "Messages between members in the last seven days:\n"
        f"  relationship {rid} ({alex} and {sam}): 3\n"
        f"  relationship {jo_pair} ({jo} and {robin.alias}): 0\n"
        "\n"
        f"Open the console to review: {programme.config.console.base_url}\n"
    )


async def test_decided_message_leaves_digest(
    programme: Programme,
) -> None:
    await seed_digest_week(programme)
    await add_coordinator(programme.archive, "casey", CASEY)
    await execute(
        programme.archive,
        "INSERT INTO decisions (message_id, staff_id, action, decided_at) "
        "SELECT m.id, s.id, 'note', '2026-01-31T10:00:00+00:00' "
        "FROM messages m, staff s WHERE m.flag = 'meeting'",
    )

    await programme.tick(datetime(2026, 2, 2, 10, 0, tzinfo=UTC))

    body = text_of((await programme.contents("digest"))[CASEY])
    assert "  1 flagged messages passed on without a decision (1 new)\n" in body


# Failures, the loop and retention


async def test_failing_step_logged_others_run(
    programme: Programme,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(archive: Archive, today: date) -> list[int]:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(lifecycle, "close_due", broken)
    caplog.set_level(logging.INFO, logger="relay.scheduler")

    first = await programme.tick(days(11))
    second = await programme.tick(days(12))

    assert first.failed == ["relationship dates"]
    assert first.prompts == 1
    assert second.failed == ["relationship dates"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "scheduler step relationship dates failed",
        "scheduler step relationship dates failed again (2 ticks in a row): "
        "RuntimeError",
    ]
    # The traceback is logged once, not at every repeat.
    assert errors[0].exc_info is not None
    assert errors[1].exc_info is None


async def test_naive_time_is_rejected(programme: Programme) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await programme.tick(datetime(2026, 1, 20, 9, 0))


async def test_loop_survives_failing_tick(
    programme: Programme,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fast = replace(
        programme.config,
        programme=replace(programme.config.programme, scheduler_interval_seconds=0.01),
    )
    times = iter([days(1), days(11)] + [days(12)] * 1000)
    scheduler = Scheduler(
        fast,
        programme.archive,
        ProgrammeMail.load(fast),
        programme.queued,
        clock=lambda: next(times),
    )
    calls: list[datetime] = []
    second_tick = asyncio.Event()
    real_tick = scheduler.tick

    async def flaky_tick(now: datetime) -> TickReport:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        report = await real_tick(now)
        second_tick.set()
        return report

    monkeypatch.setattr(scheduler, "tick", flaky_tick)
    caplog.set_level(logging.ERROR, logger="relay.scheduler")

    task = asyncio.create_task(scheduler.run())
    await asyncio.wait_for(second_tick.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert calls[:2] == [days(1), days(11)]
    assert [r.getMessage() for r in caplog.records] == ["scheduler tick failed"]
    assert len(await programme.notices("prompt")) == 2


REPORTED = RetentionReport(
    delivered=3,
    originals=5,
    findings=7,
    audit=2,
    decisions=1,
    notices=4,
    dry_run=False,
    files_scrubbed=True,
)


async def test_retention_runs_once_a_day(
    relay_dir: Path,
    cast: Cast,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = configure(relay_dir, ("retention", "scheduled", "true"))
    runs: list[datetime] = []

    async def run_retention(
        archive: Archive, settings: RetentionSettings, now: datetime
    ) -> RetentionReport:
        assert settings is config.retention
        runs.append(now)
        return REPORTED

    monkeypatch.setattr(retention, "run_retention", run_retention)
    caplog.set_level(logging.INFO, logger="relay.scheduler")
    programme = await open_programme(config, cast)
    try:
        moments = [
            datetime(2026, 3, 1, 0, 10, tzinfo=UTC),
            datetime(2026, 3, 1, 0, 15, tzinfo=UTC),
            datetime(2026, 3, 1, 23, 59, tzinfo=UTC),
            datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
        ]
        reports = [await programme.tick(moment) for moment in moments]
    finally:
        await programme.archive.close()

    assert [r.retention_ran for r in reports] == [True, False, False, True]
    assert runs == [moments[0], moments[3]]
    assert (
        "retention run deleted 3 messages, 5 originals, 7 findings, 2 audit "
        "rows, 1 decisions and 4 notices"
    ) in [r.getMessage() for r in caplog.records]


async def test_retention_runs_on_real_archive(relay_dir: Path, cast: Cast) -> None:
    # The real retention module, on messages far younger than any period:
    # it runs and deletes nothing the scheduler needs.
    config = configure(relay_dir, ("retention", "scheduled", "true"))
    programme = await open_programme(config, cast)
    try:
        await add_message(programme.archive, programme.sam, programme.alex, days(2))
        report = await programme.tick(days(13))
        counts = await programme.archive._fetchall("SELECT COUNT(*) FROM messages")
    finally:
        await programme.archive.close()

    assert report.retention_ran is True
    assert report.failed == []
    assert report.prompts == 1
    assert counts[0][0] == 1


async def test_retention_off_when_unscheduled(
    programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[datetime] = []

    async def run_retention(
        archive: Archive, settings: RetentionSettings, now: datetime
    ) -> RetentionReport:
        runs.append(now)
        return REPORTED

    monkeypatch.setattr(retention, "run_retention", run_retention)

    report = await programme.tick(days(1))

    assert report.retention_ran is False
    assert runs == []


async def test_unfinished_checkpoint_warned_once(
    relay_dir: Path,
    cast: Cast,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = configure(relay_dir, ("retention", "scheduled", "true"))

    async def run_retention(
        archive: Archive, settings: RetentionSettings, now: datetime
    ) -> RetentionReport:
        return replace(REPORTED, files_scrubbed=False)

    monkeypatch.setattr(retention, "run_retention", run_retention)
    caplog.set_level(logging.WARNING)
    programme = await open_programme(config, cast)
    try:
        await programme.tick(days(1))
    finally:
        await programme.archive.close()

    assert [r.getMessage() for r in caplog.records] == [
        "retention run: another process is reading the archive, so the deleted "
        "data stays in the database file, and may stay in its -wal file, until "
        "a checkpoint completes"
    ]
