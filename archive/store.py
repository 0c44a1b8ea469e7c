"""The archive: the one module that speaks SQL.

One aiosqlite connection in WAL mode with synchronous=FULL, so a committed
transaction survives a crash or power loss. Every write runs inside
`_transaction()`, which holds an asyncio lock for its whole span: statements
of two tasks sharing the connection never interleave inside one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import (
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from archive.crypto import Cipher, DecryptionError, is_sealed
from archive.notices import NewNotice, queue_notice
from archive.schema import MIGRATIONS

Row = sqlite3.Row

log = logging.getLogger(__name__)


class ArchiveError(Exception):
    """A request the archive cannot carry out, with a reason for the user."""


class DuplicateError(ArchiveError):
    """A participant with that address is already registered."""


class UnreadableOriginalError(ArchiveError):
    """A message's stored original could not be decrypted."""


@dataclass(frozen=True)
class Participant:
    id: int
    name: str
    email: str
    alias: str
    role: str
    status: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name


@dataclass(frozen=True)
class Relationship:
    id: int
    status: str
    started_at: str
    ended_at: str | None
    members: tuple[Participant, ...]
    # ISO dates: the last day of the planned term, and while paused, the day
    # the pair may write again.
    planned_end: str = ""
    paused_until: str | None = None
    pause_reason: str = ""
    end_reason: str = ""


@dataclass(frozen=True)
class Pairing:
    """The relationship that decides whether two participants may write."""

    relationship_id: int
    status: str
    # ISO dates, as in Relationship; ended_at is an ISO timestamp.
    planned_end: str
    paused_until: str | None
    ended_at: str | None


@dataclass(frozen=True)
class StoredFinding:
    kind: str
    location: str
    count: int
    detail: str = ""
    category: str = ""
    severity: str = ""
    matched: str = ""


@dataclass(frozen=True)
class PipelineWork:
    """A received message leased to the pipeline runner."""

    message_id: int
    queue_id: str
    raw: bytes
    sender: Participant
    recipients: tuple[Participant, ...]
    # Set when sender authentication failed under auth.policy "hold".
    auth_hold_reason: str | None = None
    # Set, with `raw` empty, when the original could not be decrypted: the
    # runner holds the message for review with this reason.
    unreadable_reason: str | None = None


@dataclass(frozen=True)
class FilterOutcome:
    """The pipeline runner's result for one message, committed in one transaction."""

    message_id: int
    relay_message_id: str
    original_message_id: str | None
    subject: str
    body_text: str
    delivered: bytes
    findings: Sequence[StoredFinding]
    hold_reason: str | None
    flag: str | None = None
    # The message's Auto-Submitted value (or "auto-replied" for other
    # out-of-office markers), counted against the pair's daily limit.
    auto_submitted: str | None = None
    # Set when the message is stored but never delivered (status "rejected").
    reject_reason: str | None = None
    # Notices about the message, such as safeguarding alerts, queued with it.
    notices: Sequence[NewNotice] = ()


@dataclass(frozen=True)
class DeliveryJob:
    id: int
    message_id: int
    queue_id: str
    recipient: Participant
    attempts: int
    created_at: float
    delivered: bytes


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Archive:
    """Participants, relationships, messages, findings and jobs in SQLite."""

    def __init__(
        self, connection: aiosqlite.Connection, cipher: Cipher | None = None
    ) -> None:
        self._db = connection
        self._lock = asyncio.Lock()
        self._cipher = cipher

    @classmethod
    async def open(cls, path: Path, cipher: Cipher | None = None) -> Archive:
        """Open (creating if needed) the archive at `path` and migrate it.

        With a `cipher`, originals are encrypted when stored and decrypted
        when read. Without one they are stored in plaintext, and reading an
        encrypted original raises UnreadableOriginalError.
        """
        _create_private(path)
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.OperationalError as error:
            raise ArchiveError(f"cannot open archive {path}: {error}") from None
        connection.row_factory = sqlite3.Row
        archive = cls(connection, cipher)
        try:
            await archive._configure()
            await archive._migrate()
        except BaseException:
            await connection.close()
            raise
        return archive

    async def close(self) -> None:
        await self._db.close()

    async def _configure(self) -> None:
        # secure_delete makes SQLite overwrite deleted rows and freed pages
        # with zeros, so text that retention or erasure deletes leaves the
        # file instead of lingering in free space.
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=5000",
            "PRAGMA secure_delete=ON",
        ):
            await self._db.execute(pragma)

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise ArchiveError(
                f"the archive has schema version {version}, newer than this "
                f"relay's {len(MIGRATIONS)}: upgrade mentor-relay"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits first, so the version bump rides in the
            # same script to keep schema and version together.
            await self._db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};\nCOMMIT;"
            )

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                # A COMMIT that fails (disk full, I/O error) can leave the
                # transaction open; the rollback below ends it, or the next
                # BEGIN would fail for as long as the process runs.
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise

    async def _fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        # One trip to aiosqlite's thread instead of three (execute, fetch,
        # close): reads run on every SMTP command, so this sets accept speed.
        async with self._lock:
            return list(await self._db.execute_fetchall(sql, tuple(params)))

    async def _fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    async def schema_version(self) -> int:
        row = await self._fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    # Participants

    async def add_participants(
        self, entries: Sequence[tuple[str, str, str, str]]
    ) -> list[Participant]:
        """Register (name, email, role, alias) entries, all or none."""
        added: list[Participant] = []
        async with self._transaction() as db:
            for name, email, role, alias in entries:
                try:
                    cursor = await db.execute(
                        "INSERT INTO participants (name, email, alias, role, "
                        "created_at) VALUES (?, ?, ?, ?, ?)",
                        (name, email, alias, role, now_iso()),
                    )
                except sqlite3.IntegrityError:
                    raise DuplicateError(
                        f"{email} is already registered: use `mentor-relay "
                        "participant list` to find its alias"
                    ) from None
                row_id = cursor.lastrowid
                assert row_id is not None
                added.append(Participant(row_id, name, email, alias, role, "active"))
        return added

    async def list_participants(self) -> list[Participant]:
        rows = await self._fetchall("SELECT * FROM participants ORDER BY id")
        return [_participant(row) for row in rows]

    async def participant_by_email(self, email: str) -> Participant | None:
        row = await self._fetchone(
            "SELECT * FROM participants WHERE email = ?", (email,)
        )
        return _participant(row) if row else None

    async def participant_by_alias(self, alias: str) -> Participant | None:
        row = await self._fetchone(
            "SELECT * FROM participants WHERE alias = ?", (alias,)
        )
        return _participant(row) if row else None

    async def participants_by_id(self, ids: Iterable[int]) -> list[Participant]:
        id_list = list(ids)
        marks = ",".join("?" * len(id_list))
        rows = await self._fetchall(
            f"SELECT * FROM participants WHERE id IN ({marks}) ORDER BY id", id_list
        )
        return [_participant(row) for row in rows]

    # Relationships

    async def add_relationship(
        self,
        participant_ids: Sequence[int],
        term_months: int = 6,
        *,
        start: date | None = None,
        planned_end: date | None = None,
    ) -> int:
        """Start a relationship, unless two of its members already share one.

        Ending a relationship must stop mail between its members, which a
        second active relationship of the same two people would undo. It
        starts now, or at midnight UTC of `start`; its planned end is
        `planned_end`, or `term_months` after the start. The dates are not
        checked here: archive.lifecycle.start checks them.
        """
        started = now_iso() if start is None else f"{start.isoformat()}T00:00:00+00:00"
        ends = None if planned_end is None else planned_end.isoformat()
        async with self._transaction() as db:
            await _check_not_paired(db, participant_ids)
            cursor = await db.execute(
                "INSERT INTO relationships (started_at, planned_end) "
                "VALUES (?, COALESCE(?, date(?, ?)))",
                (started, ends, started, f"+{term_months} months"),
            )
            relationship_id = cursor.lastrowid
            assert relationship_id is not None
            await db.executemany(
                "INSERT INTO relationship_members VALUES (?, ?)",
                [(relationship_id, pid) for pid in participant_ids],
            )
        return relationship_id

    async def end_relationship(self, relationship_id: int) -> bool:
        """End an active or paused relationship; False when there is none."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE relationships SET status = 'ended', ended_at = ?, "
                "paused_until = NULL WHERE id = ? AND status != 'ended'",
                (now_iso(), relationship_id),
            )
            return cursor.rowcount == 1

    async def relationship(self, relationship_id: int) -> Relationship | None:
        found = await self._relationships("WHERE r.id = ?", (relationship_id,))
        return found[0] if found else None

    async def list_relationships(self) -> list[Relationship]:
        return await self._relationships("", ())

    async def _relationships(
        self, where: str, params: tuple[Any, ...]
    ) -> list[Relationship]:
        rows = await self._fetchall(
            "SELECT r.id AS rid, r.status AS rstatus, r.started_at, r.ended_at, "
            "r.planned_end, r.paused_until, r.pause_reason, r.end_reason, p.* "
            "FROM relationships r JOIN relationship_members m "
            "ON m.relationship_id = r.id "
            "JOIN participants p ON p.id = m.participant_id "
            f"{where} ORDER BY r.id, p.role, p.id",
            params,
        )
        grouped: dict[int, list[Row]] = {}
        for row in rows:
            grouped.setdefault(row["rid"], []).append(row)
        return [
            Relationship(
                rid,
                members[0]["rstatus"],
                members[0]["started_at"],
                members[0]["ended_at"],
                tuple(_participant(row) for row in members),
                members[0]["planned_end"],
                members[0]["paused_until"],
                members[0]["pause_reason"],
                members[0]["end_reason"],
            )
            for rid, members in grouped.items()
        ]

    async def pairing(self, first: int, second: int) -> Pairing | None:
        """Return the most relevant relationship of two people, or None.

        An active or paused relationship wins over ended ones (two people
        share at most one that has not ended); among ended ones, the latest.
        None when they were never paired.
        """
        row = await self._fetchone(
            "SELECT r.id, r.status, r.planned_end, r.paused_until, r.ended_at "
            "FROM relationships r "
            "JOIN relationship_members a ON a.relationship_id = r.id "
            "JOIN relationship_members b ON b.relationship_id = r.id "
            "WHERE a.participant_id = ? AND b.participant_id = ? "
            "ORDER BY r.status != 'ended' DESC, r.ended_at DESC LIMIT 1",
            (first, second),
        )
        return Pairing(*row) if row else None

    # Accepting

    async def accept_message(
        self,
        queue_id: str,
        client_address: str,
        envelope_from: str,
        sender_id: int,
        recipient_ids: Sequence[int],
        raw: bytes,
        *,
        auth_results: str | None = None,
        auth_hold_reason: str | None = None,
    ) -> int:
        """Store a received message and its pipeline job in one transaction."""
        stored = self._seal_original(queue_id, raw)
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO messages (queue_id, received_at, client_address, "
                "envelope_from, sender_id, raw, auth_results, auth_hold_reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    queue_id,
                    now_iso(),
                    client_address,
                    envelope_from,
                    sender_id,
                    stored,
                    auth_results,
                    auth_hold_reason,
                ),
            )
            message_id = cursor.lastrowid
            assert message_id is not None
            await db.executemany(
                "INSERT INTO message_recipients VALUES (?, ?)",
                [(message_id, rid) for rid in recipient_ids],
            )
            await db.execute(
                "INSERT INTO pipeline_jobs (message_id) VALUES (?)", (message_id,)
            )
        return message_id

    # Pipeline

    async def lease_pipeline_job(self, lease_seconds: float) -> PipelineWork | None:
        """Lease the oldest received message whose job is not leased by another."""
        now = time.time()
        async with self._transaction() as db:
            async with db.execute(
                "SELECT j.message_id, m.queue_id, m.raw, m.sender_id, "
                "m.auth_hold_reason "
                "FROM pipeline_jobs j JOIN messages m ON m.id = j.message_id "
                "WHERE j.lease_until <= ? ORDER BY j.message_id LIMIT 1",
                (now,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            await db.execute(
                "UPDATE pipeline_jobs SET lease_until = ?, attempts = attempts + 1 "
                "WHERE message_id = ?",
                (now + lease_seconds, row["message_id"]),
            )
            sender = await _participant_in(db, row["sender_id"])
            async with db.execute(
                "SELECT p.* FROM message_recipients r JOIN participants p "
                "ON p.id = r.participant_id WHERE r.message_id = ? ORDER BY p.id",
                (row["message_id"],),
            ) as cursor:
                recipients = tuple(_participant(r) for r in await cursor.fetchall())
        raw, unreadable_reason = b"", None
        try:
            raw = self.open_original(row["message_id"], row["queue_id"], row["raw"])
        except UnreadableOriginalError as error:
            unreadable_reason = f"{error}, so it was not delivered."
        return PipelineWork(
            row["message_id"],
            row["queue_id"],
            raw,
            sender,
            recipients,
            auth_hold_reason=row["auth_hold_reason"],
            unreadable_reason=unreadable_reason,
        )

    async def referenced_messages(
        self, message_ids: Sequence[str]
    ) -> dict[str, tuple[str, int, str | None]]:
        """Map Message-IDs, relay or original, to (relay id, sender id, original id)."""
        if not message_ids:
            return {}
        marks = ",".join("?" * len(message_ids))
        rows = await self._fetchall(
            "SELECT relay_message_id, original_message_id, sender_id FROM messages "
            f"WHERE relay_message_id IS NOT NULL AND (relay_message_id IN ({marks}) "
            f"OR original_message_id IN ({marks}))",
            [*message_ids, *message_ids],
        )
        found: dict[str, tuple[str, int, str | None]] = {}
        for row in rows:
            entry = (row[0], row[2], row[1])
            found[row[0]] = entry
            if row[1]:
                found.setdefault(row[1], entry)
        return found

    async def record_filtered(
        self, outcome: FilterOutcome, recipient_ids: Sequence[int]
    ) -> None:
        """Commit the clean copy, findings, notices and delivery jobs (or the hold).

        All of it is one transaction, which also deletes the pipeline job, so
        a crash can neither lose a notice nor queue it twice.
        """
        status = "held" if outcome.hold_reason else "queued"
        if outcome.reject_reason:
            status = "rejected"
        now = time.time()
        async with self._transaction() as db:
            await db.execute(
                "UPDATE messages SET auto_submitted = ?, reject_reason = ? "
                "WHERE id = ?",
                (outcome.auto_submitted, outcome.reject_reason, outcome.message_id),
            )
            await db.execute(
                "UPDATE messages SET status = ?, subject = ?, body_text = ?, "
                "delivered = ?, relay_message_id = ?, original_message_id = ?, "
                "hold_reason = ?, flag = ?, filtered_at = ? WHERE id = ?",
                (
                    status,
                    outcome.subject,
                    outcome.body_text,
                    outcome.delivered,
                    outcome.relay_message_id,
                    outcome.original_message_id,
                    outcome.hold_reason,
                    outcome.flag,
                    now_iso(),
                    outcome.message_id,
                ),
            )
            await db.executemany(
                "INSERT INTO findings (message_id, kind, location, count, detail, "
                "category, severity, matched) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        outcome.message_id,
                        f.kind,
                        f.location,
                        f.count,
                        f.detail,
                        f.category,
                        f.severity,
                        f.matched,
                    )
                    for f in outcome.findings
                ],
            )
            await db.execute(
                "INSERT INTO message_search (rowid, subject, body) VALUES (?, ?, ?)",
                (outcome.message_id, outcome.subject, outcome.body_text),
            )
            if status == "queued":
                await queue_deliveries(db, outcome.message_id, recipient_ids, now)
            for notice in outcome.notices:
                await queue_notice(db, notice, now, about_message_id=outcome.message_id)
            await db.execute(
                "DELETE FROM pipeline_jobs WHERE message_id = ?",
                (outcome.message_id,),
            )

    async def release_leases(self) -> None:
        """Make every leased job due again; for a relay starting up.

        Only one relay process uses an SQLite archive, so at start-up any
        lease left in the file belongs to a process that died.
        """
        async with self._transaction() as db:
            await db.execute("UPDATE pipeline_jobs SET lease_until = 0")
            await db.execute("UPDATE delivery_jobs SET lease_until = 0")

    # Delivery

    async def lease_delivery_jobs(
        self, limit: int, lease_seconds: float
    ) -> list[DeliveryJob]:
        now = time.time()
        async with self._transaction() as db:
            async with db.execute(
                "SELECT j.id, j.message_id, j.recipient_id, j.attempts, j.created_at, "
                "m.queue_id, m.delivered FROM delivery_jobs j "
                "JOIN messages m ON m.id = j.message_id "
                "WHERE j.state = 'pending' AND j.next_attempt_at <= ? "
                "AND j.lease_until <= ? ORDER BY j.next_attempt_at LIMIT ?",
                (now, now, limit),
            ) as cursor:
                rows = list(await cursor.fetchall())
            jobs = []
            for row in rows:
                await db.execute(
                    "UPDATE delivery_jobs SET lease_until = ? WHERE id = ?",
                    (now + lease_seconds, row["id"]),
                )
                recipient = await _participant_in(db, row["recipient_id"])
                jobs.append(
                    DeliveryJob(
                        row["id"],
                        row["message_id"],
                        row["queue_id"],
                        recipient,
                        row["attempts"],
                        row["created_at"],
                        bytes(row["delivered"]),
                    )
                )
        return jobs

    async def next_delivery_due(self) -> float | None:
        row = await self._fetchone(
            "SELECT MIN(MAX(next_attempt_at, lease_until)) FROM delivery_jobs "
            "WHERE state = 'pending'"
        )
        return float(row[0]) if row and row[0] is not None else None

    async def finish_delivery_job(
        self, job_id: int, state: str, error: str = ""
    ) -> None:
        """Mark a job sent or failed, and the message once all its jobs are done."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE delivery_jobs SET state = ?, last_error = ?, "
                "attempts = attempts + 1, finished_at = ?, lease_until = 0 "
                "WHERE id = ?",
                (state, error, time.time(), job_id),
            )
            await db.execute(
                "UPDATE messages SET status = CASE WHEN EXISTS (SELECT 1 FROM "
                "delivery_jobs WHERE message_id = messages.id AND state = 'failed') "
                "THEN 'failed' ELSE 'delivered' END WHERE id = (SELECT message_id "
                "FROM delivery_jobs WHERE id = ?) AND NOT EXISTS (SELECT 1 FROM "
                "delivery_jobs WHERE message_id = messages.id AND state = 'pending')",
                (job_id,),
            )

    async def defer_delivery_job(
        self, job_id: int, next_attempt_at: float, error: str
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE delivery_jobs SET attempts = attempts + 1, last_error = ?, "
                "next_attempt_at = ?, lease_until = 0 WHERE id = ?",
                (error, next_attempt_at, job_id),
            )

    # Reading the archive

    async def search(self, text: str, limit: int = 50) -> list[Row]:
        """Full-text search over delivered subjects and bodies, best match first."""
        query = _fts_query(text)
        if not query:
            return []
        return await self._fetchall(
            "SELECT m.id, m.queue_id, m.received_at, m.status, m.subject, "
            "snippet(message_search, 1, '[', ']', '...', 12) AS snippet "
            "FROM message_search JOIN messages m ON m.id = message_search.rowid "
            "WHERE message_search MATCH ? ORDER BY rank LIMIT ?",
            (query, limit),
        )

    async def message(self, ident: str) -> MessageRow | None:
        """Find a message by queue id, numeric id or relay Message-ID.

        Its "raw" column is the plaintext original, decrypted when read.
        """
        where, value = "queue_id = ?", ident
        if ident.isdigit():
            where, value = "id = ?", ident
        elif ident.startswith("<") or "@" in ident:
            where, value = "relay_message_id = ?", ident.strip("<>")
        row = await self._fetchone(
            "SELECT m.*, p.alias AS sender_alias FROM messages m "
            f"JOIN participants p ON p.id = m.sender_id WHERE m.{where}",
            (value,),
        )
        return MessageRow(row, self.open_original) if row else None

    async def findings(self, message_id: int) -> list[StoredFinding]:
        rows = await self._fetchall(
            "SELECT kind, location, count, detail, category, severity, matched "
            "FROM findings WHERE message_id = ? ORDER BY id",
            (message_id,),
        )
        return [StoredFinding(*row) for row in rows]

    async def delivery_jobs_of(self, message_id: int) -> list[Row]:
        return await self._fetchall(
            "SELECT j.id, j.state, j.attempts, j.last_error, p.alias "
            "FROM delivery_jobs j JOIN participants p ON p.id = j.recipient_id "
            "WHERE j.message_id = ? ORDER BY j.id",
            (message_id,),
        )

    async def message_recipient_aliases(self, message_id: int) -> list[str]:
        rows = await self._fetchall(
            "SELECT p.alias FROM message_recipients r JOIN participants p "
            "ON p.id = r.participant_id WHERE r.message_id = ? ORDER BY p.id",
            (message_id,),
        )
        return [row[0] for row in rows]

    # Participant status (suspend and restore)

    async def set_participant_status(self, participant_id: int, status: str) -> bool:
        """Set a participant "active" or "suspended"; False when it already was.

        The delivery worker checks the status again before each delivery, so
        a suspension also stops mail that is already queued.
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE participants SET status = ? WHERE id = ? AND status != ?",
                (status, participant_id, status),
            )
            return cursor.rowcount == 1

    # SMTP limits

    async def count_messages_from_sender(self, sender_id: int, since: str) -> int:
        """Count the messages a participant sent at or after `since` (ISO 8601, UTC)."""
        row = await self._fetchone(
            "SELECT COUNT(*) FROM messages WHERE sender_id = ? AND received_at >= ?",
            (sender_id, since),
        )
        return int(row[0]) if row else 0

    # Originals encrypted at rest (archive/crypto.py)

    def open_original(self, message_id: int, queue_id: str, stored: bytes) -> bytes:
        """Return the plaintext of a stored original, decrypting a sealed one.

        An original stored before encryption was enabled is returned as it
        is. Raises UnreadableOriginalError, naming the message, when a sealed
        original cannot be decrypted with this archive's key or there is none.
        """
        stored = bytes(stored)
        if not is_sealed(stored):
            return stored
        if self._cipher is None:
            raise UnreadableOriginalError(
                f"The original of message {message_id} ({queue_id}) is "
                "encrypted, but the archive was opened without its key"
            )
        try:
            return self._cipher.open(stored, original_context(queue_id))
        except DecryptionError as error:
            raise UnreadableOriginalError(
                f"The original of message {message_id} ({queue_id}) cannot be "
                f"decrypted: {error}"
            ) from None

    def _seal_original(self, queue_id: str, raw: bytes) -> bytes:
        if self._cipher is None:
            return raw
        return self._cipher.seal(raw, original_context(queue_id))

    async def seal_plaintext_originals(self, batch_size: int = 100) -> int:
        """Encrypt every original stored in plaintext; return how many there were.

        Each batch is one short transaction, so a running relay only waits
        for one batch at a time. Raises ArchiveError without a key. The
        overwritten plaintext stays in the write-ahead log until the
        checkpoint at the end succeeds (see `_checkpoint_after_sealing`).
        """
        if self._cipher is None:
            raise ArchiveError("cannot encrypt originals: the archive has no key")
        sealed, after_id = 0, 0
        while True:
            async with self._transaction() as db:
                rows = await db.execute_fetchall(
                    "SELECT id, queue_id, raw FROM messages WHERE id > ? "
                    "AND original_removed_at IS NULL ORDER BY id LIMIT ?",
                    (after_id, batch_size),
                )
                updates = [
                    (self._seal_original(row[1], bytes(row[2])), row[0])
                    for row in rows
                    if not is_sealed(bytes(row[2]))
                ]
                await db.executemany(
                    "UPDATE messages SET raw = ? WHERE id = ?", updates
                )
            if not rows:
                await self._checkpoint_after_sealing()
                return sealed
            sealed += len(updates)
            after_id = list(rows)[-1][0]

    async def _checkpoint_after_sealing(self) -> None:
        """Copy the WAL into the database file and empty it.

        The checkpoint cannot finish while another connection reads, such
        as a running relay's; SQLite then checkpoints again later.
        """
        rows = await self._fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
        if rows and int(rows[0][0]) != 0:
            log.warning(
                "the write-ahead log could not be emptied because another "
                "connection is reading: the plaintext originals stay in the "
                "-wal file until a later checkpoint overwrites them"
            )

    # Staff addresses, where the scheduler sends digests and wind-down notices

    async def set_staff_email(
        self, username: str, email: str | None, actor: str
    ) -> bool:
        """Set (or with None, clear) an account's address, with an audit row.

        Returns False, changing nothing, when no account has that username.
        The audit row names the account, not the address.
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE staff SET email = ? WHERE username = ?", (email, username)
            )
            if cursor.rowcount != 1:
                return False
            await db.execute(
                "INSERT INTO audit_log (at, username, action, detail) "
                "VALUES (?, ?, 'staff_email', ?)",
                (now_iso(), actor, username),
            )
        return True

    async def staff_emails(self) -> dict[str, str | None]:
        """Return each account's address by username; None when it has none."""
        rows = await self._fetchall("SELECT username, email FROM staff")
        return {str(row[0]): row[1] or None for row in rows}


class MessageRow(Mapping[str, Any]):
    """A row of `messages` whose "raw" is the plaintext original.

    The original is decrypted only when "raw" is read, so a caller that
    never reads it works even when it cannot be decrypted.
    """

    def __init__(self, row: Row, open_original: _OriginalOpener) -> None:
        self._row = row
        self._open_original = open_original

    def __getitem__(self, key: str) -> Any:
        if key == "raw":
            row = self._row
            return self._open_original(row["id"], row["queue_id"], row["raw"])
        return self._row[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._row.keys())

    def __len__(self) -> int:
        return len(self._row)


_OriginalOpener = Callable[[int, str, bytes], bytes]


def original_context(queue_id: str) -> bytes:
    """Return the associated data that binds a sealed original to its message."""
    return b"messages.raw:" + queue_id.encode()


async def queue_deliveries(
    db: aiosqlite.Connection, message_id: int, recipient_ids: Sequence[int], now: float
) -> None:
    """Insert a due delivery job per recipient; the caller holds the transaction.

    The pipeline runner queues a filtered message this way, and the console
    does the same when a safeguarding officer releases a held one.
    """
    await db.executemany(
        "INSERT INTO delivery_jobs (message_id, recipient_id, "
        "next_attempt_at, created_at) VALUES (?, ?, ?, ?)",
        [(message_id, rid, now, now) for rid in recipient_ids],
    )


async def _participant_in(db: aiosqlite.Connection, participant_id: int) -> Participant:
    async with db.execute(
        "SELECT * FROM participants WHERE id = ?", (participant_id,)
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return _participant(row)


def _participant(row: Row) -> Participant:
    return Participant(
        row["id"], row["name"], row["email"], row["alias"], row["role"], row["status"]
    )


def _fts_query(text: str) -> str:
    """Quote each word so that FTS5 operators in user input are taken literally."""
    words = [word.replace('"', '""') for word in text.split()]
    return " ".join(f'"{word}"' for word in words if word)


def _create_private(path: Path) -> None:
    """Create an empty archive file readable by its owner only, if it is missing.

    The archive holds originals, real addresses and staff password hashes.
    SQLite gives the -wal and -shm files the mode of the database file, so
    they are private too.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as error:
        raise ArchiveError(f"cannot create archive {path}: {error.strerror}") from None
    os.close(descriptor)


async def _check_not_paired(
    db: aiosqlite.Connection, participant_ids: Sequence[int]
) -> None:
    # A paused relationship still pairs its members, because it becomes
    # active again by itself on its resume date.
    marks = ",".join("?" * len(participant_ids))
    async with db.execute(
        "SELECT a.relationship_id FROM relationship_members a "
        "JOIN relationship_members b ON b.relationship_id = a.relationship_id "
        "JOIN relationships r ON r.id = a.relationship_id "
        f"WHERE r.status != 'ended' AND a.participant_id IN ({marks}) "
        f"AND b.participant_id IN ({marks}) "
        "AND a.participant_id < b.participant_id LIMIT 1",
        [*participant_ids, *participant_ids],
    ) as cursor:
        row = await cursor.fetchone()
    if row is not None:
        raise ArchiveError(
            f"two of these participants are already paired in relationship "
            f"{row[0]}: end it first with `mentor-relay relationship end "
            f"{row[0]}`, or add the others to a new relationship"
        )
