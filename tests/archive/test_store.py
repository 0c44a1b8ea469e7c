"""The archive on a real SQLite file: schema, accept, leases, recording."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from archive.schema import MIGRATIONS
from archive.store import Archive, ArchiveError, DuplicateError, FilterOutcome


@pytest.fixture
async def archive(tmp_path: Path) -> Archive:
    opened = await Archive.open(tmp_path / "archive.sqlite3")
    yield opened
    await opened.close()


async def add_pair(archive: Archive) -> tuple[int, int]:
    sam, alex = await archive.add_participants(
        [
            (
                "Sam Jones",
                "sam@example.org",
                "mentor",
                "sam.aaaaaaaa@relay.example.org",
            ),
            (
                "Alex Smith",
                "alex@example.com",
                "mentee",
                "alex.bbbbbbbb@relay.example.org",
            ),
        ]
    )
    await archive.add_relationship([sam.id, alex.id])
    return sam.id, alex.id


def outcome(message_id: int, hold: str | None = None) -> FilterOutcome:
    return FilterOutcome(
        message_id=message_id,
        relay_message_id=f"r{message_id}@relay.example.org",
        original_message_id=f"o{message_id}@mail.example.org",
        subject="Weekly catch-up",
        body_text="We talked about revision timetables.",
        delivered=b"Subject: Weekly catch-up\r\n\r\nbody\r\n",
        findings=[],
        hold_reason=hold,
    )


async def test_new_archive_has_latest_schema_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    archive = await Archive.open(path)
    assert await archive.schema_version() == len(MIGRATIONS)
    await archive.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(ArchiveError, match="newer than this relay's"):
        await Archive.open(path)


async def test_duplicate_in_batch_adds_nobody(archive: Archive) -> None:
    with pytest.raises(DuplicateError):
        await archive.add_participants(
            [
                ("A", "a@example.org", "mentor", "a.aaaaaaaa@relay.example.org"),
                ("B", "A@EXAMPLE.ORG", "mentee", "b.bbbbbbbb@relay.example.org"),
            ]
        )
    assert await archive.list_participants() == []


async def test_pairing_reports_end_date(archive: Archive) -> None:
    sam, alex = await add_pair(archive)
    active = await archive.pairing(sam, alex)
    assert active is not None
    assert (active.status, active.ended_at) == ("active", None)
    assert await archive.end_relationship(1)
    ended = await archive.pairing(alex, sam)
    assert ended is not None
    assert ended.status == "ended"
    assert ended.ended_at is not None and ended.ended_at.startswith("20")


async def test_accepted_message_has_pipeline_job(archive: Archive) -> None:
    sam, alex = await add_pair(archive)
    message_id = await archive.accept_message(
        "Q1", "127.0.0.1", "sam@example.org", sam, [alex], b"raw bytes"
    )
    work = await archive.lease_pipeline_job(60)
    assert work is not None
    assert (work.message_id, work.queue_id, work.raw) == (
        message_id,
        "Q1",
        b"raw bytes",
    )
    assert [r.id for r in work.recipients] == [alex]
    # Leased: a second runner gets nothing until the lease expires.
    assert await archive.lease_pipeline_job(60) is None


async def test_expired_lease_runs_again(archive: Archive) -> None:
    sam, alex = await add_pair(archive)
    await archive.accept_message("Q1", "127.0.0.1", "", sam, [alex], b"x")
    assert await archive.lease_pipeline_job(0.0) is not None
    time.sleep(0.01)
    again = await archive.lease_pipeline_job(60)
    assert again is not None
    assert again.queue_id == "Q1"


async def test_recorded_message_queues_delivery_and_is_searchable(
    archive: Archive,
) -> None:
    sam, alex = await add_pair(archive)
    message_id = await archive.accept_message("Q1", "127.0.0.1", "", sam, [alex], b"x")
    await archive.record_filtered(outcome(message_id), [alex])

    assert await archive.lease_pipeline_job(60) is None
    (job,) = await archive.lease_delivery_jobs(10, 60)
    assert job.recipient.email == "alex@example.com"
    assert job.delivered == outcome(message_id).delivered
    hits = await archive.search("timetables")
    assert [row["queue_id"] for row in hits] == ["Q1"]

    await archive.finish_delivery_job(job.id, "sent")
    row = await archive.message("Q1")
    assert row is not None
    assert row["status"] == "delivered"


async def test_held_message_queues_no_delivery(archive: Archive) -> None:
    sam, alex = await add_pair(archive)
    message_id = await archive.accept_message("Q1", "127.0.0.1", "", sam, [alex], b"x")
    await archive.record_filtered(outcome(message_id, hold="Encrypted."), [alex])
    assert await archive.lease_delivery_jobs(10, 60) == []
    row = await archive.message(str(message_id))
    assert row is not None
    assert (row["status"], row["hold_reason"]) == ("held", "Encrypted.")


async def test_search_takes_operators_literally(archive: Archive) -> None:
    sam, alex = await add_pair(archive)
    message_id = await archive.accept_message("Q1", "127.0.0.1", "", sam, [alex], b"x")
    await archive.record_filtered(outcome(message_id), [alex])
    assert await archive.search('revision" OR "x') == []
    assert await archive.search("NEAR(") == []
    assert len(await archive.search("revision")) == 1


async def test_deferred_job_waits_until_due(archive: Archive) -> None:
    sam, alex = await add_pair(archive)
    message_id = await archive.accept_message("Q1", "127.0.0.1", "", sam, [alex], b"x")
    await archive.record_filtered(outcome(message_id), [alex])
    (job,) = await archive.lease_delivery_jobs(10, 60)
    await archive.defer_delivery_job(job.id, time.time() + 3600, "451 try later")
    assert await archive.lease_delivery_jobs(10, 60) == []
    due = await archive.next_delivery_due()
    assert due is not None and due > time.time() + 3500
