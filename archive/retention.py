"""Retention: delete each class of record once it is older than its period.

The classes, each with a period in days from RetentionSettings:

- delivered: whole messages (filtered copy, subject, body, findings,
  recipients, finished delivery jobs, notices, search index row), by the
  time the message was received;
- originals: the raw message as sent, replaced with an empty blob and
  marked by `original_removed_at`, while the filtered copy stays;
- findings: the filter findings of messages that are kept;
- audit: rows of the console's audit log, by the time of the action;
- notices: mail the relay wrote itself (prompts, wind-down notices,
  digests, failure, delay and rejection notices, alerts), by delivered_days
  from the time it was queued, once its delivery job has finished.

A safeguarding record (see `archive.purge.SAFEGUARDING_RECORD`) is kept
for `flagged_days` instead, and so are its findings, its original, the
audit rows and the notices about it. Nothing under a legal hold is
deleted, and neither is a message still being filtered or delivered.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiosqlite

from archive.purge import (
    IN_PROGRESS,
    SAFEGUARDING_RECORD,
    UNCHECKPOINTED,
    UNDER_LEGAL_HOLD,
    notices_about_jobs_of,
    purge_messages,
    purge_notices,
    scrub_files,
)
from archive.store import Archive

if TYPE_CHECKING:
    from relay.config import RetentionSettings

log = logging.getLogger(__name__)

_EXPIRED_MESSAGES = f"""
SELECT m.id FROM messages m
WHERE m.received_at < CASE WHEN {SAFEGUARDING_RECORD}
        THEN :flagged ELSE :delivered END
    AND NOT {UNDER_LEGAL_HOLD} AND NOT {IN_PROGRESS}
ORDER BY m.id
"""

_EXPIRED_ORIGINALS = f"""
UPDATE messages SET raw = x'', original_removed_at = :now
WHERE id IN (SELECT m.id FROM messages m
    WHERE m.original_removed_at IS NULL
        AND m.received_at < CASE WHEN {SAFEGUARDING_RECORD}
            THEN :flagged ELSE :originals END
        AND NOT {UNDER_LEGAL_HOLD} AND NOT {IN_PROGRESS})
"""

_EXPIRED_FINDINGS = f"""
DELETE FROM findings
WHERE message_id IN (SELECT m.id FROM messages m
    WHERE m.received_at < CASE WHEN {SAFEGUARDING_RECORD}
        THEN :flagged ELSE :findings END
        AND NOT {UNDER_LEGAL_HOLD})
"""

# An audit row about a message that still exists follows that message:
# never deleted under a legal hold, kept for flagged_days for a
# safeguarding record.
_EXPIRED_AUDIT = f"""
DELETE FROM audit_log
WHERE at < :audit AND NOT EXISTS (SELECT 1 FROM messages m
    WHERE m.id = audit_log.message_id
        AND ({UNDER_LEGAL_HOLD}
            OR ({SAFEGUARDING_RECORD} AND audit_log.at >= :flagged)))
"""


# Notices queued before the cutoff whose delivery has finished. A notice
# about a message (an alert or a rejection notice) stays while the message
# does, and goes with it.
_EXPIRED_NOTICES = """
SELECT n.id FROM notices n JOIN delivery_jobs j ON j.notice_id = n.id
WHERE n.created_at < ? AND n.about_message_id IS NULL
    AND j.state IN ('sent', 'failed')
ORDER BY n.id
"""


@dataclass(frozen=True)
class RetentionReport:
    """The counts of records one retention run deleted, or would delete."""

    # Whole messages deleted, with the findings and decisions that went
    # with them.
    delivered: int
    originals: int
    # Findings deleted from messages that are kept.
    findings: int
    audit: int
    decisions: int
    # Notices deleted with their messages, and expired notices on their own.
    notices: int
    dry_run: bool
    # False when another connection kept the WAL file from being emptied.
    files_scrubbed: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """Describe the run for a person, one class per line."""
        verb = "would delete" if self.dry_run else "deleted"
        lines = [
            f"messages {verb}: {self.delivered}",
            f"originals {verb}: {self.originals}",
            f"findings {verb}: {self.findings}",
            f"audit log rows {verb}: {self.audit}",
            f"decisions {verb} with their messages: {self.decisions}",
            f"notices {verb}: {self.notices}",
        ]
        if not self.files_scrubbed:
            lines.append(
                f"{UNCHECKPOINTED}; run `mentor-relay retention run` again "
                "while the relay is stopped"
            )
        return lines


@dataclass(frozen=True)
class _Cutoffs:
    """ISO 8601 times in UTC: a record older than its class's cutoff expires."""

    now: str
    delivered: str
    originals: str
    findings: str
    audit: str
    flagged: str

    @classmethod
    def at(cls, settings: RetentionSettings, now: datetime) -> _Cutoffs:
        def before(days: int) -> str:
            return (now - timedelta(days=days)).isoformat(timespec="seconds")

        return cls(
            now=now.isoformat(timespec="seconds"),
            delivered=before(settings.delivered_days),
            originals=before(settings.originals_days),
            findings=before(settings.findings_days),
            audit=before(settings.audit_days),
            flagged=before(settings.flagged_days),
        )


class _RollBack(Exception):
    """Ends a dry run's transaction without committing it."""

    def __init__(self, report: RetentionReport) -> None:
        super().__init__("dry run")
        self.report = report


async def run_retention(
    archive: Archive,
    settings: RetentionSettings,
    now: datetime,
    *,
    dry_run: bool = False,
) -> RetentionReport:
    """Delete every record older than its retention period at `now`.

    `now` must be timezone-aware. A dry run does the same deletions in a
    transaction that it rolls back, so its counts are exactly what a real
    run at the same `now` would delete.
    """
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    cutoffs = _Cutoffs.at(settings, now.astimezone(UTC))
    try:
        async with archive._transaction() as db:
            report = await _delete_expired(db, cutoffs, dry_run)
            if dry_run:
                raise _RollBack(report)
    except _RollBack as rolled_back:
        return rolled_back.report

    scrubbed = await scrub_files(archive)
    # Callers report the counts (the CLI prints them, the scheduler logs them).
    log.debug(
        "retention deleted %d messages, %d originals, %d findings, %d audit rows",
        report.delivered,
        report.originals,
        report.findings,
        report.audit,
    )
    return RetentionReport(**{**report.as_dict(), "files_scrubbed": scrubbed})


async def _delete_expired(
    db: aiosqlite.Connection, cutoffs: _Cutoffs, dry_run: bool
) -> RetentionReport:
    params = asdict(cutoffs)
    rows = await db.execute_fetchall(_EXPIRED_MESSAGES, params)
    purged = await purge_messages(db, [int(row[0]) for row in rows])
    originals = await db.execute(_EXPIRED_ORIGINALS, params)
    findings = await db.execute(_EXPIRED_FINDINGS, params)
    audit = await _delete_expired_audit(db, params)
    notices = await _delete_expired_notices(db, cutoffs)
    return RetentionReport(
        delivered=purged.messages,
        originals=originals.rowcount,
        findings=findings.rowcount,
        audit=audit,
        decisions=purged.decisions,
        notices=purged.notices + notices,
        dry_run=dry_run,
        files_scrubbed=True,
    )


async def _delete_expired_audit(
    db: aiosqlite.Connection, params: dict[str, str]
) -> int:
    """Delete expired audit rows inside the window the audit triggers allow.

    The trigger on audit_log lets a row go only while retention_unlock
    holds a cutoff later than the row's time, and the cutoff is cleared
    again before the transaction commits.
    """
    await db.execute(
        "UPDATE retention_unlock SET audit_before = ? WHERE id = 1", (params["audit"],)
    )
    cursor = await db.execute(_EXPIRED_AUDIT, params)
    await db.execute("UPDATE retention_unlock SET audit_before = NULL WHERE id = 1")
    return cursor.rowcount


async def _delete_expired_notices(db: aiosqlite.Connection, cutoffs: _Cutoffs) -> int:
    """Delete expired notices with their delivery jobs; return how many.

    A notice about an expired notice's delivery job (a failure report, say)
    must go too. When that notice has not expired itself, the expired one
    waits for a later run, so no notice is deleted before its time.
    """
    before = datetime.fromisoformat(cutoffs.delivered).timestamp()
    rows = await db.execute_fetchall(_EXPIRED_NOTICES, (before,))
    expired = {int(row[0]) for row in rows}
    while True:
        blocked = {
            notice_id
            for notice_id in expired
            if await notices_about_jobs_of(db, {notice_id}) - expired
        }
        if not blocked:
            return await purge_notices(db, sorted(expired))
        expired -= blocked
