"""The delivery queue: leasing, retrying, parking and failing delivery jobs.

A delivery job carries either a participant's filtered message (message_id
and recipient_id are set) or a notice that the relay wrote (notice_id is
set). A notice is a failure report to a sender, a report to the
coordinator, a safeguarding alert or a rejection notice. Both kinds of job
follow the same lease, retry and give-up rules.

A destination (a smarthost, or one recipient's Maildir) that failed with a
temporary error is parked until its retry time, and every job for it waits
until then instead of trying it again on its own.

The queue shares the Archive's connection and lock, so its transactions never
interleave with the Archive's own. Every method takes `now`, in seconds since
the epoch, from the caller, so that tests control time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from archive.notices import NewNotice, queue_notice
from archive.store import Archive, Participant, Row, UnreadableOriginalError

log = logging.getLogger(__name__)

_LEASE_QUERY = """
SELECT j.id, j.message_id, j.recipient_id, j.notice_id, j.attempts,
    j.created_at, j.first_failed_at, j.warned_at,
    m.queue_id, m.delivered, m.sender_id,
    n.kind AS notice_kind, n.recipient AS notice_recipient,
    n.content AS notice_content, about.queue_id AS about_queue_id
FROM delivery_jobs j
LEFT JOIN messages m ON m.id = j.message_id
LEFT JOIN notices n ON n.id = j.notice_id
LEFT JOIN delivery_jobs a ON a.id = n.about_job_id
LEFT JOIN messages about ON about.id = COALESCE(a.message_id, n.about_message_id)
WHERE j.state = 'pending' AND j.next_attempt_at <= ? AND j.lease_until <= ?
ORDER BY j.next_attempt_at, j.id
LIMIT ?
"""

_FAILED_JOB_QUERY = """
SELECT j.id, j.state, j.notice_id, j.recipient_id, j.message_id, j.attempts,
    j.created_at, j.first_failed_at, m.queue_id, m.sender_id, m.subject,
    m.envelope_from, m.raw, m.delivered, n.kind AS notice_kind
FROM delivery_jobs j
LEFT JOIN messages m ON m.id = j.message_id
LEFT JOIN notices n ON n.id = j.notice_id
WHERE j.id = ?
"""

# A message whose jobs are all finished is held when one of its jobs went
# back to review, else failed when one failed, else delivered.
_MESSAGE_STATUS_UPDATE = """
UPDATE messages SET status = CASE
    WHEN EXISTS (SELECT 1 FROM delivery_jobs
        WHERE message_id = messages.id AND state = 'held') THEN 'held'
    WHEN EXISTS (SELECT 1 FROM delivery_jobs
        WHERE message_id = messages.id AND state = 'failed') THEN 'failed'
    ELSE 'delivered' END
WHERE id = (SELECT message_id FROM delivery_jobs WHERE id = ?)
AND NOT EXISTS (SELECT 1 FROM delivery_jobs
    WHERE message_id = messages.id AND state = 'pending')
"""


@dataclass(frozen=True)
class QueuedJob:
    """A leased delivery job: the bytes to send and the real address to send to.

    `label` names the job in logs: the message's queue id, or for a notice
    the queue id of the message it reports on and the notice kind.
    """

    id: int
    label: str
    recipient_address: str
    content: bytes
    attempts: int
    created_at: float
    first_failed_at: float | None
    warned: bool
    message_id: int | None
    sender: Participant | None
    recipient: Participant | None
    notice_id: int | None

    @property
    def is_notice(self) -> bool:
        return self.notice_id is not None


@dataclass(frozen=True)
class FailedJob:
    """The facts about one job that a failure notice is written from."""

    id: int
    label: str
    state: str
    is_notice: bool
    sender: Participant | None
    recipient: Participant | None
    subject: str
    envelope_from: str
    raw: bytes
    delivered: bytes
    attempts: int
    created_at: float
    first_failed_at: float | None


@dataclass(frozen=True)
class StoredNotice:
    id: int
    kind: str
    about_job_id: int | None
    recipient: str
    content: bytes
    job_id: int
    job_state: str
    about_message_id: int | None = None


@dataclass(frozen=True)
class JobStatus:
    id: int
    message_id: int | None
    state: str
    attempts: int
    last_error: str
    next_attempt_at: float
    lease_until: float
    created_at: float
    warned: bool


class DeliveryQueue:
    """Delivery jobs of both kinds, and the parked destinations."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    # Leasing

    async def lease(
        self, now: float, limit: int, lease_seconds: float
    ) -> list[QueuedJob]:
        """Lease up to `limit` due jobs, oldest due first, until now + lease_seconds.

        A job whose lease has run out is due again, so the jobs of a worker
        that died are taken over once their lease expires.
        """
        async with self._archive._transaction() as db:
            async with db.execute(_LEASE_QUERY, (now, now, limit)) as cursor:
                rows = list(await cursor.fetchall())
            jobs = []
            for row in rows:
                await db.execute(
                    "UPDATE delivery_jobs SET lease_until = ? WHERE id = ?",
                    (now + lease_seconds, row["id"]),
                )
                jobs.append(await _queued_job(db, row))
        return jobs

    # Destinations

    async def parked_until(self, destination: str, now: float) -> float | None:
        """Return the retry time of a parked destination, or None when it is open."""
        rows = await self._archive._fetchall(
            "SELECT next_attempt_at FROM destinations "
            "WHERE name = ? AND next_attempt_at > ?",
            (destination, now),
        )
        return float(rows[0][0]) if rows else None

    async def postpone(self, job_id: int, until: float) -> None:
        """Release a job untried until its destination's retry time."""
        async with self._archive._transaction() as db:
            await db.execute(
                "UPDATE delivery_jobs SET next_attempt_at = ?, lease_until = 0 "
                "WHERE id = ? AND state = 'pending'",
                (until, job_id),
            )

    # Outcomes

    async def mark_sent(self, job_id: int, now: float, destination: str) -> None:
        """Mark a job sent and open its destination again."""
        async with self._archive._transaction() as db:
            await db.execute(
                "UPDATE delivery_jobs SET state = 'sent', attempts = attempts + 1, "
                "last_error = '', finished_at = ?, lease_until = 0 "
                "WHERE id = ? AND state = 'pending'",
                (now, job_id),
            )
            await db.execute("DELETE FROM destinations WHERE name = ?", (destination,))
            await db.execute(_MESSAGE_STATUS_UPDATE, (job_id,))

    async def defer(
        self,
        job_id: int,
        retry_at: float,
        error: str,
        now: float,
        destination: str | None,
    ) -> None:
        """Count a failed try, and park the job until retry_at.

        The destination is parked too unless it is None (a failure that
        concerns only this job's recipient).
        """
        async with self._archive._transaction() as db:
            await db.execute(
                "UPDATE delivery_jobs SET attempts = attempts + 1, last_error = ?, "
                "next_attempt_at = ?, lease_until = 0, "
                "first_failed_at = COALESCE(first_failed_at, ?) WHERE id = ?",
                (error, retry_at, now, job_id),
            )
            if destination is None:
                return
            await db.execute(
                "INSERT INTO destinations (name, next_attempt_at, last_error) "
                "VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "next_attempt_at = excluded.next_attempt_at, "
                "last_error = excluded.last_error",
                (destination, retry_at, error),
            )

    async def fail(
        self,
        job_id: int,
        error: str,
        now: float,
        notices: Sequence[NewNotice] = (),
        *,
        attempted: bool = True,
    ) -> bool:
        """Mark a pending or sent job failed and queue its notices, all at once.

        Returns False, queueing nothing, when the job is already failed or
        held, or does not exist. At most one notice of each kind is ever
        stored per job, so a second failure report cannot notify twice.
        """
        async with self._archive._transaction() as db:
            cursor = await db.execute(
                "UPDATE delivery_jobs SET state = 'failed', last_error = ?, "
                "attempts = attempts + ?, finished_at = ?, lease_until = 0 "
                "WHERE id = ? AND state IN ('pending', 'sent')",
                (error, int(attempted), now, job_id),
            )
            if cursor.rowcount != 1:
                return False
            for notice in notices:
                await queue_notice(db, notice, now, about_job_id=job_id)
            await db.execute(_MESSAGE_STATUS_UPDATE, (job_id,))
        return True

    async def hold(self, job_id: int, reason: str, now: float) -> bool:
        """Take a pending message job out of delivery and its message back to review.

        Returns False when the job is no longer pending or carries a notice.
        """
        async with self._archive._transaction() as db:
            cursor = await db.execute(
                "UPDATE delivery_jobs SET state = 'held', last_error = ?, "
                "finished_at = ?, lease_until = 0 "
                "WHERE id = ? AND state = 'pending' AND message_id IS NOT NULL",
                (reason, now, job_id),
            )
            if cursor.rowcount != 1:
                return False
            await db.execute(
                "UPDATE messages SET status = 'held', hold_reason = ? "
                "WHERE id = (SELECT message_id FROM delivery_jobs WHERE id = ?)",
                (reason, job_id),
            )
        return True

    async def record_warning(
        self, job_id: int, now: float, notice: NewNotice | None
    ) -> bool:
        """Mark a job warned about, queueing `notice`; False when it already was."""
        async with self._archive._transaction() as db:
            cursor = await db.execute(
                "UPDATE delivery_jobs SET warned_at = ? "
                "WHERE id = ? AND warned_at IS NULL",
                (now, job_id),
            )
            if cursor.rowcount != 1:
                return False
            if notice is not None:
                await queue_notice(db, notice, now, about_job_id=job_id)
        return True

    # Reading

    async def failed_job(self, job_id: int) -> FailedJob | None:
        """Return what a failure notice about `job_id` needs, or None if no such job."""
        async with self._archive._lock:
            async with self._archive._db.execute(
                _FAILED_JOB_QUERY, (job_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            sender = await _participant(self._archive._db, row["sender_id"])
            recipient = await _participant(self._archive._db, row["recipient_id"])
        return _failed_job(row, self._original(row), sender, recipient)

    def _original(self, row: Row) -> bytes:
        """Return the failed message's original, or b"" when it cannot be read.

        The notice code reads the original only to detect an automatic
        message, so an unreadable one is logged and the notice still goes out.
        """
        if row["raw"] is None:
            return b""
        try:
            return self._archive.open_original(
                row["message_id"], row["queue_id"], row["raw"]
            )
        except UnreadableOriginalError as error:
            log.error("delivery job %d: %s", row["id"], error)
            return b""

    async def job_status(self, job_id: int) -> JobStatus | None:
        rows = await self._archive._fetchall(
            "SELECT id, message_id, state, attempts, last_error, next_attempt_at, "
            "lease_until, created_at, warned_at FROM delivery_jobs WHERE id = ?",
            (job_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return JobStatus(
            id=row["id"],
            message_id=row["message_id"],
            state=row["state"],
            attempts=row["attempts"],
            last_error=row["last_error"],
            next_attempt_at=row["next_attempt_at"],
            lease_until=row["lease_until"],
            created_at=row["created_at"],
            warned=row["warned_at"] is not None,
        )

    async def notices(
        self, about_job_id: int | None = None, *, about_message_id: int | None = None
    ) -> list[StoredNotice]:
        """Return stored notices, oldest first: all, or those about a job or message."""
        where = ""
        params: tuple[int, ...] = ()
        if about_job_id is not None:
            where, params = "WHERE n.about_job_id = ?", (about_job_id,)
        elif about_message_id is not None:
            where, params = "WHERE n.about_message_id = ?", (about_message_id,)
        rows = await self._archive._fetchall(
            "SELECT n.id, n.kind, n.about_job_id, n.about_message_id, n.recipient, "
            "n.content, j.id AS job_id, j.state FROM notices n "
            f"JOIN delivery_jobs j ON j.notice_id = n.id {where} ORDER BY n.id",
            params,
        )
        return [
            StoredNotice(
                row["id"],
                row["kind"],
                row["about_job_id"],
                row["recipient"],
                bytes(row["content"]),
                row["job_id"],
                row["state"],
                row["about_message_id"],
            )
            for row in rows
        ]

    async def count_auto_replies(
        self, first_id: int, second_id: int, since: datetime
    ) -> int:
        """Count automatic messages between two participants, either way, since then.

        Only messages that were passed on count: queued, delivered or failed.
        """
        rows = await self._archive._fetchall(
            "SELECT COUNT(DISTINCT m.id) FROM messages m "
            "JOIN message_recipients r ON r.message_id = m.id "
            "WHERE m.auto_submitted IS NOT NULL "
            "AND m.status IN ('queued', 'delivered', 'failed') "
            "AND m.received_at >= ? AND ("
            "(m.sender_id = ? AND r.participant_id = ?) OR "
            "(m.sender_id = ? AND r.participant_id = ?))",
            (
                since.isoformat(timespec="seconds"),
                first_id,
                second_id,
                second_id,
                first_id,
            ),
        )
        return int(rows[0][0])


async def _queued_job(db: aiosqlite.Connection, row: Row) -> QueuedJob:
    sender = await _participant(db, row["sender_id"])
    recipient = await _participant(db, row["recipient_id"])
    if row["notice_id"] is not None:
        label = f"{row['about_queue_id'] or '-'} {row['notice_kind']} notice"
        address = row["notice_recipient"]
        content = bytes(row["notice_content"])
    else:
        assert recipient is not None
        label, address = row["queue_id"], recipient.email
        content = bytes(row["delivered"])
    return QueuedJob(
        id=row["id"],
        label=label,
        recipient_address=address,
        content=content,
        attempts=row["attempts"],
        created_at=row["created_at"],
        first_failed_at=row["first_failed_at"],
        warned=row["warned_at"] is not None,
        message_id=row["message_id"],
        sender=sender,
        recipient=recipient,
        notice_id=row["notice_id"],
    )


def _failed_job(
    row: Row, raw: bytes, sender: Participant | None, recipient: Participant | None
) -> FailedJob:
    is_notice = row["notice_id"] is not None
    label = f"{row['notice_kind']} notice" if is_notice else row["queue_id"]
    return FailedJob(
        id=row["id"],
        label=label,
        state=row["state"],
        is_notice=is_notice,
        sender=sender,
        recipient=recipient,
        subject=row["subject"] or "",
        envelope_from=row["envelope_from"] or "",
        raw=raw,
        delivered=bytes(row["delivered"] or b""),
        attempts=row["attempts"],
        created_at=row["created_at"],
        first_failed_at=row["first_failed_at"],
    )


async def _participant(
    db: aiosqlite.Connection, participant_id: int | None
) -> Participant | None:
    if participant_id is None:
        return None
    async with db.execute(
        "SELECT id, name, email, alias, role, status FROM participants WHERE id = ?",
        (participant_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return Participant(*row) if row is not None else None
