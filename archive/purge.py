"""Deleting messages for good: the code that retention and erasure share.

`purge_messages` deletes messages with everything that refers to them, in
the caller's transaction, and rebuilds the full-text index so that their
words leave the index's pages too. `scrub_files` runs after the commit: it
checkpoints the write-ahead log into the database file and truncates it,
and vacuums a file that deletions left mostly empty. The archive opens
with `secure_delete` on, so SQLite overwrites every deleted row and freed
page with zeros. Together these leave no copy of deleted text in
archive.sqlite3, its -wal or its -shm file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from archive.store import Archive

log = logging.getLogger(__name__)

# SQL conditions on a message aliased `m`. A legal hold covers one message,
# or every message a participant sent or received.
UNDER_LEGAL_HOLD = """EXISTS (SELECT 1 FROM legal_holds h
    WHERE h.released_at IS NULL AND (h.message_id = m.id
        OR h.participant_id = m.sender_id
        OR h.participant_id IN (SELECT r.participant_id
            FROM message_recipients r WHERE r.message_id = m.id)))"""

# SQL condition on a finding aliased `f`: a safeguarding rule matched. The
# safeguarding filter records its findings with kind 'safeguarding' and the
# rule's category. Other findings only say that the relay removed a contact
# detail, an attachment or a link, and they make no safeguarding record.
SAFEGUARDING_FINDING = "(f.kind = 'safeguarding' AND f.category != '')"

# The one definition of a safeguarding record, which retention keeps for
# flagged_days and erasure keeps: a message with a safeguarding finding,
# ever held for review, or with a review decision. The messages.flag column
# is not used, because it also names contact details and attachments.
SAFEGUARDING_RECORD = f"""(m.hold_reason IS NOT NULL OR m.status = 'held'
    OR EXISTS (SELECT 1 FROM findings f
        WHERE f.message_id = m.id AND {SAFEGUARDING_FINDING})
    OR EXISTS (SELECT 1 FROM decisions d WHERE d.message_id = m.id))"""

# The distinct safeguarding categories of a message aliased `m`, joined
# with ", ", or NULL when it has none.
SAFEGUARDING_CATEGORIES = f"""(SELECT group_concat(category, ', ') FROM
    (SELECT DISTINCT f.category FROM findings f
        WHERE f.message_id = m.id AND {SAFEGUARDING_FINDING}
        ORDER BY f.category))"""

# Still being filtered, or with a delivery still to try.
IN_PROGRESS = """(EXISTS (SELECT 1 FROM pipeline_jobs p WHERE p.message_id = m.id)
    OR EXISTS (SELECT 1 FROM delivery_jobs j
        WHERE j.message_id = m.id AND j.state = 'pending'))"""

# A file with more than this share of free pages is vacuumed after a purge.
VACUUM_FREE_SHARE = 0.25

_PURGING = "(SELECT message_id FROM purging_messages)"


@dataclass(frozen=True)
class PurgeCounts:
    """Rows deleted by one purge."""

    messages: int = 0
    findings: int = 0
    decisions: int = 0
    notices: int = 0


async def purge_messages(
    db: aiosqlite.Connection, message_ids: Sequence[int]
) -> PurgeCounts:
    """Delete messages and every row about them, in the caller's transaction.

    That is their findings, recipients, pipeline and delivery jobs, notices
    (with the notices about those notices' jobs), decisions and search index
    rows. Foreign keys are checked at the commit, so the deletes can run in
    any order, and the commit fails if a row still refers to a deleted
    message. The triggers on messages and message_recipients abort the
    purge of a message under legal hold.
    """
    if not message_ids:
        return PurgeCounts()
    await db.execute("PRAGMA defer_foreign_keys = ON")
    await db.executemany(
        "INSERT INTO purging_messages (message_id) VALUES (?)",
        [(message_id,) for message_id in message_ids],
    )
    job_ids, notice_ids = await _jobs_and_notices(db)
    await _delete_ids(db, "delivery_jobs", "id", job_ids)
    await _delete_ids(db, "notices", "id", notice_ids)
    findings = await _delete_purging(db, "findings")
    decisions = await _delete_purging(db, "decisions")
    await _delete_purging(db, "message_recipients")
    await _delete_purging(db, "pipeline_jobs")
    await db.execute(f"DELETE FROM message_search WHERE rowid IN {_PURGING}")
    cursor = await db.execute(f"DELETE FROM messages WHERE id IN {_PURGING}")
    messages = cursor.rowcount
    await db.execute("DELETE FROM purging_messages")

    # An FTS5 delete only marks a row as gone in the index segments. A
    # rebuild writes the index again from the remaining rows, so no deleted
    # word stays in a segment page.
    await db.execute("INSERT INTO message_search (message_search) VALUES ('rebuild')")
    return PurgeCounts(messages, findings, decisions, len(notice_ids))


async def purge_notices(db: aiosqlite.Connection, notice_ids: Sequence[int]) -> int:
    """Delete notices with their delivery jobs, in the caller's transaction.

    The caller must include every notice about one of those jobs, because
    the foreign keys are checked at the commit. Returns the notices deleted.
    """
    await db.execute("PRAGMA defer_foreign_keys = ON")
    ids = set(notice_ids)
    await _delete_ids(db, "delivery_jobs", "id", await _jobs_of_notices(db, ids))
    await _delete_ids(db, "notices", "id", ids)
    return len(ids)


async def notices_about_jobs_of(
    db: aiosqlite.Connection, notice_ids: set[int]
) -> set[int]:
    """Return the notices about the delivery jobs of the given notices."""
    return await _notices_about_jobs(db, await _jobs_of_notices(db, notice_ids))


async def _jobs_and_notices(db: aiosqlite.Connection) -> tuple[set[int], set[int]]:
    """Find the delivery jobs and notices that go with the purged messages.

    A notice is about a message or about a delivery job, and it has a
    delivery job of its own, which a further notice can be about. The loop
    follows that chain until it finds nothing new.
    """
    job_ids = set(
        await _ids(db, f"SELECT id FROM delivery_jobs WHERE message_id IN {_PURGING}")
    )
    notice_ids = set(
        await _ids(db, f"SELECT id FROM notices WHERE about_message_id IN {_PURGING}")
    )
    while True:
        found = await _notices_about_jobs(db, job_ids) - notice_ids
        notice_ids |= found
        new_jobs = await _jobs_of_notices(db, notice_ids) - job_ids
        if not found and not new_jobs:
            return job_ids, notice_ids
        job_ids |= new_jobs


async def _notices_about_jobs(db: aiosqlite.Connection, job_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(job_ids)):
        marks = ",".join("?" * len(chunk))
        query = f"SELECT id FROM notices WHERE about_job_id IN ({marks})"
        found.update(await _ids(db, query, chunk))
    return found


async def _jobs_of_notices(db: aiosqlite.Connection, notice_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(notice_ids)):
        marks = ",".join("?" * len(chunk))
        query = f"SELECT id FROM delivery_jobs WHERE notice_id IN ({marks})"
        found.update(await _ids(db, query, chunk))
    return found


async def _delete_ids(
    db: aiosqlite.Connection, table: str, column: str, ids: set[int]
) -> None:
    await db.executemany(
        f"DELETE FROM {table} WHERE {column} = ?", [(i,) for i in sorted(ids)]
    )


async def _delete_purging(db: aiosqlite.Connection, table: str) -> int:
    cursor = await db.execute(f"DELETE FROM {table} WHERE message_id IN {_PURGING}")
    return cursor.rowcount


async def _ids(
    db: aiosqlite.Connection, query: str, params: Sequence[int] = ()
) -> list[int]:
    rows = await db.execute_fetchall(query, tuple(params))
    return [int(row[0]) for row in rows]


def _chunks(values: list[int], size: int = 500) -> list[list[int]]:
    """Split ids into lists short enough for one statement's parameters."""
    return [values[i : i + size] for i in range(0, len(values), size)]


async def scrub_files(archive: Archive) -> bool:
    """Checkpoint the WAL into the database file; return whether it finished.

    Runs after the purge commits. The zeroed pages that replace deleted
    rows are in the WAL until a checkpoint copies them into the database
    file, so until then the file itself still contains the deleted rows. A
    checkpoint waits up to the busy timeout for readers of an older snapshot
    and cannot finish while one still reads after that, so this can return
    False. It logs
    nothing then, because the caller tells the person once, in its report
    or its own log line.
    """
    async with archive._lock:
        complete = await _checkpoint(archive._db)
        if await _mostly_free(archive._db):
            await archive._db.execute("VACUUM")
            complete = await _checkpoint(archive._db)
    if not complete:
        log.debug("checkpoint after a purge could not finish: a reader is busy")
    return complete


# The warning for a person when scrub_files returned False.
UNCHECKPOINTED = (
    "warning: another process is reading the archive, so the deleted data "
    "stays in the database file, and may stay in its -wal file, until a "
    "checkpoint completes"
)


async def _checkpoint(db: aiosqlite.Connection) -> bool:
    rows = list(await db.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)"))
    busy = int(rows[0][0]) if rows else 1
    return busy == 0


async def _mostly_free(db: aiosqlite.Connection) -> bool:
    free_rows = list(await db.execute_fetchall("PRAGMA freelist_count"))
    page_rows = list(await db.execute_fetchall("PRAGMA page_count"))
    free, pages = int(free_rows[0][0]), int(page_rows[0][0])
    return pages > 0 and free / pages > VACUUM_FREE_SHARE
