"""Notices about messages: the migration that allows them, and their uniqueness."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from archive.notices import NewNotice, queue_notice
from archive.queue import DeliveryQueue
from archive.schema import MIGRATIONS
from archive.store import Archive, FilterOutcome

# The migration that lets a notice be about a message.
MESSAGE_NOTICES_VERSION = 6
ALERT = NewNotice("safeguarding_alert", "dsl@example.org", b"Subject: alert\r\n\r\n")


@pytest.fixture
async def archive(tmp_path: Path) -> AsyncIterator[Archive]:
    opened = await Archive.open(tmp_path / "archive.sqlite3")
    yield opened
    await opened.close()


async def accepted_message(archive: Archive) -> int:
    sam, alex = await archive.add_participants(
        [
            ("Sam Jones", "sam@example.org", "mentor", "sam.a1@relay.example.org"),
            ("Alex Smith", "alex@example.com", "mentee", "alex.b2@relay.example.org"),
        ]
    )
    return await archive.accept_message(
        "q1", "127.0.0.1", alex.email, alex.id, [sam.id], b"Subject: hi\r\n\r\nhi\r\n"
    )


def outcome(message_id: int, notices: tuple[NewNotice, ...]) -> FilterOutcome:
    return FilterOutcome(
        message_id=message_id,
        relay_message_id=f"r{message_id}@relay.example.org",
        original_message_id=None,
        subject="Feeling low",
        body_text="text",
        delivered=b"Subject: Feeling low\r\n\r\ntext\r\n",
        findings=[],
        hold_reason="Flagged for a safeguarding review: self-harm",
        notices=notices,
    )


def migrated_to(path: Path, version: int) -> None:
    """Create an archive file with only the first `version` migrations."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys=ON")
        for number, script in enumerate(MIGRATIONS[:version], start=1):
            db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};\nCOMMIT;"
            )
    finally:
        db.close()


def add_failure_notice(path: Path) -> None:
    """Store a failed message job with a failure notice and the notice's job."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.executescript(
            """
            PRAGMA foreign_keys=ON;
            INSERT INTO participants VALUES
                (1, 'Sam Jones', 'sam@example.org', 'sam.a1@relay.example.org',
                 'mentor', 'active', '2025-01-01T00:00:00+00:00');
            INSERT INTO messages (id, queue_id, received_at, client_address,
                envelope_from, sender_id, raw)
                VALUES (1, 'q1', '2025-01-01T00:00:00+00:00', '127.0.0.1',
                'sam@example.org', 1, x'00');
            INSERT INTO delivery_jobs (id, message_id, recipient_id, state,
                next_attempt_at, created_at) VALUES (7, 1, 1, 'failed', 0, 0);
            INSERT INTO notices VALUES
                (3, 'failure', 7, 'sam@example.org', x'01', 5.0);
            INSERT INTO delivery_jobs (id, notice_id, next_attempt_at, created_at)
                VALUES (8, 3, 5.0, 5.0);
            """
        )
    finally:
        db.close()


async def test_migration_keeps_failure_notices(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    migrated_to(path, MESSAGE_NOTICES_VERSION - 1)
    add_failure_notice(path)

    archive = await Archive.open(path)
    try:
        assert await archive.schema_version() == len(MIGRATIONS)
        (notice,) = await DeliveryQueue(archive).notices()
        check = await archive._fetchall("PRAGMA foreign_key_check")
    finally:
        await archive.close()
    assert (notice.id, notice.kind, notice.about_job_id) == (3, "failure", 7)
    assert notice.about_message_id is None
    assert notice.content == b"\x01"
    assert (notice.job_id, notice.job_state) == (8, "pending")
    assert check == []


async def test_migrated_archive_still_notices_once_per_job(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    migrated_to(path, MESSAGE_NOTICES_VERSION - 1)
    add_failure_notice(path)

    archive = await Archive.open(path)
    try:
        async with archive._transaction() as db:
            again = NewNotice("failure", "sam@example.org", b"\x02")
            queued = await queue_notice(db, again, 9.0, about_job_id=7)
        notices = await DeliveryQueue(archive).notices(7)
    finally:
        await archive.close()
    assert queued is False
    assert [n.content for n in notices] == [b"\x01"]


async def test_record_filtered_queues_message_notices(archive: Archive) -> None:
    message_id = await accepted_message(archive)
    second = NewNotice("safeguarding_alert", "deputy@example.com", b"Subject: b\r\n")

    await archive.record_filtered(outcome(message_id, (ALERT, second)), [1])

    notices = await DeliveryQueue(archive).notices(about_message_id=message_id)
    assert [n.recipient for n in notices] == ["dsl@example.org", "deputy@example.com"]
    assert [n.job_state for n in notices] == ["pending", "pending"]
    assert {n.about_job_id for n in notices} == {None}


async def test_message_notice_is_stored_once_per_recipient(archive: Archive) -> None:
    message_id = await accepted_message(archive)
    shouted = NewNotice(ALERT.kind, "DSL@Example.org", ALERT.content)

    async with archive._transaction() as db:
        first = await queue_notice(db, ALERT, 1.0, about_message_id=message_id)
        again = await queue_notice(db, ALERT, 2.0, about_message_id=message_id)
        other_case = await queue_notice(db, shouted, 3.0, about_message_id=message_id)

    assert (first, again, other_case) == (True, False, False)
    jobs = await archive._fetchall("SELECT id FROM delivery_jobs")
    assert len(jobs) == 1


async def test_rejection_and_alert_to_one_address_both_stored(
    archive: Archive,
) -> None:
    message_id = await accepted_message(archive)
    rejection = NewNotice("rejection", ALERT.recipient, b"Subject: r\r\n\r\n")

    async with archive._transaction() as db:
        await queue_notice(db, ALERT, 1.0, about_message_id=message_id)
        stored = await queue_notice(db, rejection, 2.0, about_message_id=message_id)

    assert stored is True
    notices = await DeliveryQueue(archive).notices(about_message_id=message_id)
    assert [n.kind for n in notices] == ["safeguarding_alert", "rejection"]


@pytest.mark.parametrize(
    ("kind", "about"),
    [
        ("safeguarding_alert", "about_job_id"),
        ("rejection", "about_job_id"),
        ("failure", "about_message_id"),
        ("reminder", "about_message_id"),
    ],
)
async def test_notice_kind_must_match_what_it_is_about(
    archive: Archive, kind: str, about: str
) -> None:
    message_id = await accepted_message(archive)
    await archive.record_filtered(outcome(message_id, ()), [])
    notice = NewNotice(kind, "dsl@example.org", b"x")

    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        async with archive._transaction() as db:
            await queue_notice(db, notice, 1.0, **{about: message_id})
