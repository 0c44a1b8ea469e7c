"""Notices in the delivery queue: their kinds, and the insert that queues one.

A notice is mail that the relay writes itself. It is about one delivery job
(a failure or delay report) or about one message (a safeguarding alert to an
officer, or a rejection notice to the message's sender). Each notice gets a
delivery job of its own, inserted in the caller's transaction, so a notice is
queued exactly when the change it reports is committed.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

# Notices about a delivery job, and notices about a message.
JOB_NOTICE_KINDS = ("failure", "coordinator_failure", "coordinator_delay")
MESSAGE_NOTICE_KINDS = ("safeguarding_alert", "rejection")
NOTICE_KINDS = JOB_NOTICE_KINDS + MESSAGE_NOTICE_KINDS


@dataclass(frozen=True)
class NewNotice:
    """A notice to queue: its kind, its recipient's real address, its bytes."""

    kind: str
    recipient: str
    content: bytes


async def queue_notice(
    db: aiosqlite.Connection,
    notice: NewNotice,
    now: float,
    *,
    about_job_id: int | None = None,
    about_message_id: int | None = None,
    about_relationship_id: int | None = None,
) -> bool:
    """Insert a notice and its due delivery job in the caller's open transaction.

    Give `about_job_id` for a job notice kind, `about_message_id` for a
    message notice kind and `about_relationship_id` for a prompt or
    wind-down notice. The notices table rejects any other combination.
    Returns False, inserting nothing, when the same notice is already
    stored: one per job and kind, or one per message, kind and recipient
    address (compared without regard to case).
    """
    cursor = await db.execute(
        "INSERT INTO notices (kind, about_job_id, about_message_id, "
        "about_relationship_id, recipient, content, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            notice.kind,
            about_job_id,
            about_message_id,
            about_relationship_id,
            notice.recipient,
            notice.content,
            now,
        ),
    )
    if cursor.rowcount != 1:
        return False
    await db.execute(
        "INSERT INTO delivery_jobs (notice_id, next_attempt_at, created_at) "
        "VALUES (?, ?, ?)",
        (cursor.lastrowid, now, now),
    )
    return True
