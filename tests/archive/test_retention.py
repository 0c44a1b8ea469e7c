"""Retention on a real archive file: what each class keeps, and what leaves the disk."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.legal_holds import add_legal_hold, release_legal_hold
from archive.purge import scrub_files
from archive.retention import run_retention
from archive.store import Archive, StoredFinding
from tests.archive.data_protection_records import (
    SETTINGS,
    People,
    add_audit,
    add_decision,
    add_message,
    add_people,
    add_staff,
    count,
    files_containing,
)

# With the default settings, at NOW a plain message received before
# 2024-06-01 has expired, its original before 2025-06-01, and a flagged
# one before 2019-06-03.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OLD = "2024-01-10T09:00:00+00:00"
YEAR_OLD = "2025-03-01T09:00:00+00:00"
RECENT = "2026-05-20T09:00:00+00:00"
MARKER = "QuillonZebraMarker7731"


def concern(category: str) -> StoredFinding:
    """Return a finding as the safeguarding filter records one."""
    return StoredFinding(
        "safeguarding", "body", 1, category=category, severity="high", matched="x"
    )


@pytest.fixture
async def archive(tmp_path: Path) -> AsyncIterator[Archive]:
    opened = await Archive.open(tmp_path / "archive.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
async def people(archive: Archive) -> People:
    return await add_people(archive)


async def message_count(archive: Archive) -> int:
    return await count(archive, "SELECT COUNT(*) FROM messages")


async def test_expired_message_leaves_no_bytes_on_disk(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    # The marker is in the subject, the body, the raw original, the
    # delivered copy, a finding and the search index.
    path = tmp_path / "archive.sqlite3"
    await add_message(
        archive,
        people.sam,
        people.alex,
        OLD,
        subject=f"About {MARKER} plans",
        body=f"The word is {MARKER} again.",
        findings=[StoredFinding("phone", "body", 1, matched=MARKER)],
    )
    await add_message(archive, people.alex, people.sam, RECENT)
    await scrub_files(archive)
    assert files_containing(path, MARKER) == ["archive.sqlite3"]

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 1
    assert report.files_scrubbed
    assert files_containing(path, MARKER) == []
    assert await message_count(archive) == 1
    await archive.close()
    assert files_containing(path, MARKER) == []
    archive_reopened = await Archive.open(path)
    try:
        assert await archive_reopened.search("revision") != []
        assert await archive_reopened.search(MARKER) == []
    finally:
        await archive_reopened.close()


async def test_search_index_drops_deleted_words(
    archive: Archive, people: People
) -> None:
    await add_message(archive, people.sam, people.alex, OLD, body=f"see {MARKER}")
    await run_retention(archive, SETTINGS, NOW)
    async with archive._lock:
        await archive._db.execute(
            "CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, message_search, row)"
        )
        rows = await archive._db.execute_fetchall(
            "SELECT COUNT(*) FROM temp.words WHERE term = ?", (MARKER.lower(),)
        )
    assert [tuple(row) for row in rows] == [(0,)]


async def test_flagged_and_legal_hold_messages_survive(
    archive: Archive, people: People
) -> None:
    await add_message(archive, people.sam, people.alex, OLD, subject="plain")
    flagged = await add_message(
        archive,
        people.sam,
        people.alex,
        OLD,
        subject="flagged",
        flag="meeting",
        findings=[concern("meeting")],
    )
    held = await add_message(archive, people.alex, people.sam, OLD, subject="held")
    await add_legal_hold(
        archive, message_id=held, reason="police request", actor="test", now=OLD
    )

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 1
    assert report.originals == 0
    assert await message_count(archive) == 2
    flagged_row = await archive.message(str(flagged))
    held_row = await archive.message(str(held))
    assert flagged_row is not None
    assert held_row is not None
    assert flagged_row["subject"] == "flagged"
    assert bytes(flagged_row["raw"]) != b""
    assert bytes(held_row["raw"]) != b""
    assert held_row["original_removed_at"] is None


async def test_legal_hold_on_participant_keeps_all_their_messages(
    archive: Archive, people: People
) -> None:
    await add_message(archive, people.sam, people.alex, OLD)
    await add_message(archive, people.alex, people.sam, OLD)
    await add_message(archive, people.sam, people.jo, OLD)
    await add_legal_hold(
        archive, participant_id=people.alex.id, reason="claim", actor="t", now=OLD
    )

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 1
    assert await message_count(archive) == 2


async def test_released_legal_hold_no_longer_keeps(
    archive: Archive, people: People
) -> None:
    message_id = await add_message(archive, people.sam, people.alex, OLD)
    hold = await add_legal_hold(
        archive, message_id=message_id, reason="claim", actor="t", now=OLD
    )
    await release_legal_hold(archive, hold.id, actor="t", now=YEAR_OLD)

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 1
    assert await message_count(archive) == 0


async def test_year_old_original_is_emptied_and_copy_kept(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    raw_marker = f"Original{MARKER}"
    message_id = await add_message(
        archive,
        people.sam,
        people.alex,
        YEAR_OLD,
        raw=f"Subject: hi\r\n\r\n{raw_marker}\r\n".encode(),
    )
    await add_message(archive, people.sam, people.alex, RECENT)

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 0
    assert report.originals == 1
    row = await archive.message(str(message_id))
    assert row is not None
    assert bytes(row["raw"]) == b""
    assert row["original_removed_at"] == "2026-06-01T12:00:00+00:00"
    assert row["subject"] == "Weekly catch-up"
    assert bytes(row["delivered"]).startswith(b"From: Sam Jones")
    assert files_containing(tmp_path / "archive.sqlite3", raw_marker) == []


async def test_findings_expire_before_their_message(
    archive: Archive, people: People
) -> None:
    settings = replace(SETTINGS, findings_days=200)
    finding = StoredFinding("phone", "body", 1)
    old = await add_message(
        archive, people.sam, people.alex, YEAR_OLD, findings=[finding, finding]
    )
    await add_message(archive, people.sam, people.alex, RECENT, findings=[finding])

    report = await run_retention(archive, settings, NOW)

    assert report.findings == 2
    assert await archive.findings(old) == []
    assert await count(archive, "SELECT COUNT(*) FROM findings") == 1


async def test_flagged_message_and_decisions_go_after_flagged_days(
    archive: Archive, people: People
) -> None:
    staff_id = await add_staff(archive)
    ancient = await add_message(
        archive,
        people.sam,
        people.alex,
        "2018-01-10T09:00:00+00:00",
        flag="gift",
        findings=[concern("gift")],
    )
    kept = await add_message(
        archive, people.sam, people.alex, OLD, flag="gift", findings=[concern("gift")]
    )
    await add_decision(archive, ancient, staff_id, "2018-01-11T09:00:00+00:00")
    await add_decision(archive, kept, staff_id, "2024-01-11T09:00:00+00:00")

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 1
    assert report.decisions == 1
    assert await archive.message(str(ancient)) is None
    assert await count(archive, "SELECT COUNT(*) FROM decisions") == 1
    assert await count(archive, "SELECT message_id FROM decisions WHERE id = 2") == kept


async def test_message_with_decision_counts_as_safeguarding_record(
    archive: Archive, people: People
) -> None:
    staff_id = await add_staff(archive)
    noted = await add_message(archive, people.sam, people.alex, OLD)
    await add_decision(archive, noted, staff_id, OLD)

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 0
    assert report.originals == 0
    assert await message_count(archive) == 1


async def test_held_message_counts_as_safeguarding_record(
    archive: Archive, people: People
) -> None:
    await add_message(archive, people.sam, people.alex, OLD, hold="review")

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 0
    assert await message_count(archive) == 1


async def test_message_still_being_delivered_is_kept(
    archive: Archive, people: People
) -> None:
    await add_message(archive, people.sam, people.alex, OLD, deliver=False)

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 0
    assert report.originals == 0
    assert await message_count(archive) == 1


async def test_audit_rows_expire_unless_about_kept_records(
    archive: Archive, people: People
) -> None:
    flagged = await add_message(
        archive, people.sam, people.alex, OLD, flag="gift", findings=[concern("gift")]
    )
    held = await add_message(archive, people.sam, people.alex, OLD)
    gone = await add_message(archive, people.sam, people.alex, OLD)
    await add_legal_hold(archive, message_id=held, reason="claim", actor="t", now=OLD)
    # Past audit_days (2190) but within flagged_days (2555).
    expired = "2020-01-10T09:00:00+00:00"
    for message_id in (None, flagged, held, gone):
        await add_audit(archive, expired, message_id)
    await add_audit(archive, RECENT)

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.audit == 2
    remaining = await archive._fetchall("SELECT message_id FROM audit_log ORDER BY id")
    assert [row[0] for row in remaining] == [flagged, held, None]


async def test_message_deleted_while_its_audit_rows_stay(
    archive: Archive, people: People
) -> None:
    message_id = await add_message(archive, people.sam, people.alex, OLD)
    await add_audit(archive, OLD, message_id)

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 1
    assert report.audit == 0
    assert await count(archive, "SELECT message_id FROM audit_log") == message_id


async def test_notices_about_expired_message_are_deleted(
    archive: Archive, people: People
) -> None:
    from archive.notices import NewNotice, queue_notice

    message_id = await add_message(archive, people.sam, people.alex, OLD)
    async with archive._transaction() as db:
        await queue_notice(
            db,
            NewNotice("rejection", "sam@example.org", b"Subject: notice\r\n\r\nx"),
            0.0,
            about_message_id=message_id,
        )
        await db.execute("UPDATE delivery_jobs SET state = 'sent'")

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.notices == 1
    assert await count(archive, "SELECT COUNT(*) FROM notices") == 0
    assert await count(archive, "SELECT COUNT(*) FROM delivery_jobs") == 0


async def test_dry_run_counts_and_changes_nothing(
    archive: Archive, people: People
) -> None:
    await add_message(archive, people.sam, people.alex, OLD)
    await add_message(archive, people.sam, people.alex, YEAR_OLD)
    await add_audit(archive, "2019-01-10T09:00:00+00:00")

    dry = await run_retention(archive, SETTINGS, NOW, dry_run=True)

    assert (dry.delivered, dry.originals, dry.audit) == (1, 1, 1)
    assert dry.dry_run
    assert await message_count(archive) == 2
    assert await count(archive, "SELECT COUNT(*) FROM audit_log") == 1
    real = await run_retention(archive, SETTINGS, NOW)
    assert (real.delivered, real.originals, real.audit) == (1, 1, 1)


async def test_second_run_deletes_nothing_more(
    archive: Archive, people: People
) -> None:
    await add_message(archive, people.sam, people.alex, OLD)
    await add_message(archive, people.sam, people.alex, YEAR_OLD)
    await run_retention(archive, SETTINGS, NOW)

    again = await run_retention(archive, SETTINGS, NOW)

    assert (again.delivered, again.originals, again.findings, again.audit) == (
        0,
        0,
        0,
        0,
    )


async def test_naive_now_is_rejected(archive: Archive) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await run_retention(archive, SETTINGS, datetime(2026, 6, 1))


async def test_audit_log_rejects_ad_hoc_changes(
    archive: Archive,
) -> None:
    await add_audit(archive, "2001-01-01T00:00:00+00:00")
    for statement in ("DELETE FROM audit_log", "UPDATE audit_log SET detail = 'x'"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with archive._transaction() as db:
                await db.execute(statement)
    assert await count(archive, "SELECT COUNT(*) FROM audit_log") == 1


async def test_decisions_still_reject_ad_hoc_delete(
    archive: Archive, people: People
) -> None:
    staff_id = await add_staff(archive)
    message_id = await add_message(archive, people.sam, people.alex, OLD)
    await add_decision(archive, message_id, staff_id, OLD)
    with pytest.raises(sqlite3.IntegrityError, match="decisions are final"):
        async with archive._transaction() as db:
            await db.execute("DELETE FROM decisions")


async def test_held_message_cannot_be_deleted_by_hand(
    archive: Archive, people: People
) -> None:
    message_id = await add_message(archive, people.sam, people.alex, OLD)
    await add_legal_hold(
        archive, message_id=message_id, reason="claim", actor="t", now=OLD
    )
    with pytest.raises(sqlite3.IntegrityError, match="legal hold"):
        async with archive._transaction() as db:
            await db.execute("DELETE FROM message_recipients")


async def test_removal_findings_make_no_safeguarding_record(
    archive: Archive, people: People
) -> None:
    # The relay sets messages.flag for every removal, so the flag alone
    # must not keep a message for flagged_days.
    removals = [
        StoredFinding("phone", "body", 1),
        StoredFinding("attachment", "message", 1, detail="photo.jpg"),
        StoredFinding("off_platform", "body", 1),
    ]
    await add_message(
        archive,
        people.sam,
        people.alex,
        OLD,
        flag="contact details, attachment, off-platform contact",
        findings=removals,
    )

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.delivered == 1
    assert await message_count(archive) == 0


async def queue_test_notice(
    archive: Archive,
    kind: str,
    created: str,
    state: str,
    *,
    about_message_id: int | None = None,
    about_job_id: int | None = None,
) -> int:
    """Queue a notice created at `created` whose delivery job is in `state`."""
    from archive.notices import NewNotice, queue_notice

    at = datetime.fromisoformat(created).timestamp()
    notice = NewNotice(kind, "sam@example.org", b"Subject: Sam Jones\r\n\r\nx")
    async with archive._transaction() as db:
        await queue_notice(
            db, notice, at, about_message_id=about_message_id, about_job_id=about_job_id
        )
        rows = await db.execute_fetchall("SELECT MAX(id) FROM notices")
        notice_id = int(next(iter(rows))[0])
        await db.execute(
            "UPDATE delivery_jobs SET state = ? WHERE notice_id = ?",
            (state, notice_id),
        )
    return notice_id


async def notice_ids(archive: Archive) -> list[int]:
    rows = await archive._fetchall("SELECT id FROM notices ORDER BY id")
    return [int(row[0]) for row in rows]


async def test_expired_notices_go_with_their_jobs(
    archive: Archive, people: People
) -> None:
    sent = await queue_test_notice(archive, "prompt", OLD, "sent")
    failed = await queue_test_notice(archive, "digest", OLD, "failed")
    pending = await queue_test_notice(archive, "wind_down", OLD, "pending")
    recent = await queue_test_notice(archive, "prompt", RECENT, "sent")

    report = await run_retention(archive, SETTINGS, NOW)

    assert sent < failed
    assert report.notices == 2
    assert await notice_ids(archive) == [pending, recent]
    assert await count(archive, "SELECT COUNT(*) FROM delivery_jobs") == 2
    assert report.lines()[-1] == "notices deleted: 2"


async def test_notice_about_a_recent_job_keeps_it(
    archive: Archive, people: People
) -> None:
    # A failure report about an expired notice's delivery job refers to that
    # job, so the expired notice waits until the report expires too.
    failed = await queue_test_notice(archive, "digest", OLD, "failed")
    job = await count(
        archive, "SELECT id FROM delivery_jobs WHERE notice_id = ?", (failed,)
    )
    report_notice = await queue_test_notice(
        archive, "coordinator_failure", RECENT, "sent", about_job_id=job
    )

    first = await run_retention(archive, SETTINGS, NOW)
    later = await run_retention(archive, SETTINGS, datetime(2030, 1, 1, tzinfo=UTC))

    assert first.notices == 0
    assert later.notices == 2
    assert report_notice > failed
    assert await notice_ids(archive) == []
    assert await count(archive, "SELECT COUNT(*) FROM delivery_jobs") == 0


async def test_alert_about_kept_safeguarding_message_stays(
    archive: Archive, people: People
) -> None:
    kept = await add_message(
        archive, people.sam, people.alex, OLD, findings=[concern("meeting")]
    )
    alert = await queue_test_notice(
        archive, "safeguarding_alert", OLD, "sent", about_message_id=kept
    )

    report = await run_retention(archive, SETTINGS, NOW)

    assert report.notices == 0
    assert await notice_ids(archive) == [alert]


def test_unfinished_checkpoint_warning_is_truthful() -> None:
    from archive.retention import RetentionReport

    report = RetentionReport(
        delivered=0,
        originals=0,
        findings=0,
        audit=0,
        decisions=0,
        notices=0,
        dry_run=False,
        files_scrubbed=False,
    )

    warnings = [line for line in report.lines() if line.startswith("warning:")]

    assert warnings == [
        "warning: another process is reading the archive, so the deleted data "
        "stays in the database file, and may stay in its -wal file, until a "
        "checkpoint completes; run `mentor-relay retention run` again while "
        "the relay is stopped"
    ]


async def test_unfinished_checkpoint_logs_no_warning(
    archive: Archive,
    people: People,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The report prints the warning, so a log line would show it twice.
    await add_message(archive, people.sam, people.alex, OLD)
    reader = sqlite3.connect(tmp_path / "archive.sqlite3")
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM messages").fetchall()
        caplog.set_level(logging.WARNING)

        report = await run_retention(archive, SETTINGS, NOW)
    finally:
        reader.close()

    assert report.files_scrubbed is False
    assert [r.getMessage() for r in caplog.records] == []
