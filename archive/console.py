"""The web console's queries: staff, sessions, audit log, review and reports.

The console shares the Archive's connection and lock, as the delivery queue
does, so its transactions never interleave with the Archive's own. Times in
the messages table are ISO 8601 strings in UTC; session times are seconds
since the epoch.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiosqlite

from archive.notices import NewNotice, queue_notice
from archive.store import (
    Archive,
    ArchiveError,
    Participant,
    Row,
    StoredFinding,
    now_iso,
    queue_deliveries,
)

STAFF_ROLES = ("coordinator", "safeguarding", "admin")
DECISION_ACTIONS = ("release", "reject", "escalate", "note")

# Statuses of a message whose filtered copy was passed on to its recipients.
# Coordinators see only these; held and rejected copies stay with the
# safeguarding officers.
PASSED_ON = ("queued", "delivered", "failed")

_PASSED_ON_SQL = "('queued', 'delivered', 'failed')"

# Markers around matched words in search snippets. They are control
# characters, so they cannot come from a subject or body and survive HTML
# escaping unchanged.
SNIPPET_START = "\x02"
SNIPPET_END = "\x03"

_SUMMARY_COLUMNS = (
    "m.id, m.queue_id, m.received_at, m.status, m.subject, m.flag, "
    "m.hold_reason, s.name AS sender_name, s.alias AS sender_alias"
)

# Finding severities from most to least urgent; "" is a finding with none.
SEVERITIES = ("high", "medium", "low", "")

# The rank of a message's most urgent finding: 3 high, 2 medium, 1 low, 0 none.
_SEVERITY_RANK_SQL = """COALESCE((SELECT MAX(CASE f.severity
        WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)
    FROM findings f WHERE f.message_id = m.id), 0)"""

# Held messages come first, because they wait for a decision, while passed-on
# ones have reached their recipients already. Within each group the most
# severe come first, so a routine redaction cannot bury a disclosure, and
# then the oldest.
_REVIEW_QUERY = f"""
SELECT {_SUMMARY_COLUMNS}, m.body_text,
    EXISTS (SELECT 1 FROM decisions d WHERE d.message_id = m.id
        AND d.action = 'escalate') AS escalated,
    {_SEVERITY_RANK_SQL} AS severity_rank
FROM messages m JOIN participants s ON s.id = m.sender_id
WHERE (m.status = 'held' AND NOT EXISTS (SELECT 1 FROM decisions d
        WHERE d.message_id = m.id AND d.action IN ('release', 'reject')))
    OR (m.status IN {_PASSED_ON_SQL} AND m.flag IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.message_id = m.id))
ORDER BY m.status != 'held', severity_rank DESC, m.received_at, m.id
"""

# Messages between members of a relationship while it ran: the sender is a
# member and at least one recipient is another member.
_RELATIONSHIP_MESSAGES_QUERY = """
SELECT rm.relationship_id, m.received_at, m.sender_id
FROM messages m
JOIN relationship_members rm ON rm.participant_id = m.sender_id
JOIN relationships r ON r.id = rm.relationship_id
WHERE m.received_at >= r.started_at
    AND (r.ended_at IS NULL OR m.received_at <= r.ended_at)
    AND EXISTS (SELECT 1 FROM message_recipients mr
        JOIN relationship_members other
            ON other.participant_id = mr.participant_id
            AND other.relationship_id = rm.relationship_id
        WHERE mr.message_id = m.id AND mr.participant_id != m.sender_id)
ORDER BY rm.relationship_id, m.received_at, m.id
"""


class DuplicateStaffError(ArchiveError):
    """A staff account with that username already exists."""


class UnknownStaffError(ArchiveError):
    """No staff account has the username given."""


class DecisionError(ArchiveError):
    """A review decision that cannot be recorded, with the reason."""


@dataclass(frozen=True)
class StaffMember:
    id: int
    username: str
    role: str
    status: str


@dataclass(frozen=True)
class StaffAccount:
    """A staff account as `mentor-relay staff list` shows it."""

    member: StaffMember
    created_at: str
    open_sessions: int


@dataclass(frozen=True)
class StaffLogin:
    """A staff account with its stored password hash, for signing in."""

    member: StaffMember
    password_hash: str


@dataclass(frozen=True)
class StaffSession:
    member: StaffMember
    csrf_token: str
    expires_at: float


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    username: str
    action: str
    message_id: int | None
    detail: str


@dataclass(frozen=True)
class Decision:
    id: int
    message_id: int
    username: str
    action: str
    note: str
    decided_at: str


@dataclass(frozen=True)
class MessageSummary:
    id: int
    queue_id: str
    received_at: str
    status: str
    subject: str
    flag: str | None
    hold_reason: str | None
    sender_name: str
    sender_alias: str

    @property
    def passed_on(self) -> bool:
        return self.status in PASSED_ON


@dataclass(frozen=True)
class ReviewItem:
    message: MessageSummary
    body_text: str
    findings: tuple[StoredFinding, ...]
    escalated: bool

    @property
    def severity(self) -> str:
        """The highest severity among the findings, "" when none has one."""
        found = {f.severity for f in self.findings}
        return next((s for s in SEVERITIES if s in found), "")


@dataclass(frozen=True)
class MessageDetail:
    summary: MessageSummary
    sender: Participant
    recipients: tuple[Participant, ...]
    body_text: str
    delivered: bytes
    reject_reason: str | None
    auth_results: str | None
    findings: tuple[StoredFinding, ...]
    decisions: tuple[Decision, ...]


@dataclass(frozen=True)
class SearchFilters:
    """An archive search: text and filters, all optional, and the page wanted.

    Dates are "YYYY-MM-DD" strings in UTC, both ends included. `flagged` is
    True for flagged messages only, False for unflagged only, None for both.
    """

    text: str = ""
    participant_id: int | None = None
    relationship_id: int | None = None
    date_from: str | None = None
    date_to: str | None = None
    flagged: bool | None = None
    status: str | None = None
    passed_on_only: bool = False
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class SearchHit:
    message: MessageSummary
    snippet: str


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    total: int


@dataclass(frozen=True)
class RelationshipMessage:
    received_at: str
    sender_id: int


class ConsoleStore:
    """The console's reads and writes, on the Archive's connection."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    # Staff accounts

    async def add_staff(
        self, username: str, password_hash: str, role: str, *, actor: str = ""
    ) -> StaffMember:
        """Add an active account; with an `actor`, also write an audit row."""
        async with self.archive._transaction() as db:
            try:
                cursor = await db.execute(
                    "INSERT INTO staff (username, password_hash, role, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (username, password_hash, role, now_iso()),
                )
            except sqlite3.IntegrityError:
                raise DuplicateStaffError(
                    f"a staff account {username!r} already exists: pick another "
                    "username"
                ) from None
            if actor:
                detail = f"{username} as {role}"
                await _insert_audit(db, None, "staff_add", None, detail, actor)
        assert cursor.lastrowid is not None
        return StaffMember(cursor.lastrowid, username, role, "active")

    async def staff_accounts(self, now: float) -> list[StaffAccount]:
        """Return every account by username, with its unexpired session count."""
        rows = await self.archive._fetchall(
            "SELECT t.*, (SELECT COUNT(*) FROM staff_sessions s "
            "WHERE s.staff_id = t.id AND s.expires_at > ?) AS open_sessions "
            "FROM staff t ORDER BY t.username",
            (now,),
        )
        return [
            StaffAccount(_staff(row), row["created_at"], int(row["open_sessions"]))
            for row in rows
        ]

    async def set_staff_status(
        self, username: str, status: str, actor: str
    ) -> tuple[StaffMember, int]:
        """Set an account's status; return it and the number of sessions ended.

        Disabling ends every session of the account in the same transaction,
        so its open pages stop working at their next request. A change writes
        an audit row; setting the status the account already has does not.
        Raises UnknownStaffError for an unknown username, and ArchiveError
        for the last active admin, since disabling it would leave nobody who
        can manage staff from the console.
        """
        if status not in ("active", "disabled"):
            raise ValueError(f"unknown staff status {status!r}")
        action = "staff_disable" if status == "disabled" else "staff_enable"
        async with self.archive._transaction() as db:
            member = await _staff_by_username(db, username)
            if status == "disabled" and member.status == "active":
                await _check_not_last_admin(db, member)
            ended = 0
            if status == "disabled":
                ended = await _end_sessions(db, member.id)
            if member.status != status:
                await db.execute(
                    "UPDATE staff SET status = ? WHERE id = ?", (status, member.id)
                )
                await _insert_audit(db, None, action, None, member.username, actor)
        return replace(member, status=status), ended

    async def reset_staff_password(
        self, username: str, password_hash: str, actor: str
    ) -> tuple[StaffMember, int]:
        """Replace an account's password hash and end all its sessions.

        Returns the account and the number of sessions ended, and writes an
        audit row. Raises UnknownStaffError for an unknown username.
        """
        async with self.archive._transaction() as db:
            member = await _staff_by_username(db, username)
            await db.execute(
                "UPDATE staff SET password_hash = ? WHERE id = ?",
                (password_hash, member.id),
            )
            ended = await _end_sessions(db, member.id)
            await _insert_audit(
                db, None, "staff_password", None, member.username, actor
            )
        return member, ended

    async def staff_login(self, username: str) -> StaffLogin | None:
        row = await self.archive._fetchone(
            "SELECT * FROM staff WHERE username = ?", (username,)
        )
        if row is None:
            return None
        return StaffLogin(_staff(row), row["password_hash"])

    async def set_password_hash(self, staff_id: int, password_hash: str) -> None:
        async with self.archive._transaction() as db:
            await db.execute(
                "UPDATE staff SET password_hash = ? WHERE id = ?",
                (password_hash, staff_id),
            )

    async def list_staff(self) -> list[StaffMember]:
        rows = await self.archive._fetchall("SELECT * FROM staff ORDER BY username")
        return [_staff(row) for row in rows]

    # Sessions

    async def create_session(
        self,
        token_hash: str,
        staff_id: int,
        csrf_token: str,
        now: float,
        expires_at: float,
    ) -> None:
        """Store a new session and drop every expired one."""
        async with self.archive._transaction() as db:
            await db.execute("DELETE FROM staff_sessions WHERE expires_at <= ?", (now,))
            await db.execute(
                "INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                (token_hash, staff_id, csrf_token, now, expires_at),
            )

    async def session(self, token_hash: str, now: float) -> StaffSession | None:
        """Return the unexpired session of an active account, or None."""
        row = await self.archive._fetchone(
            "SELECT s.csrf_token, s.expires_at, t.* FROM staff_sessions s "
            "JOIN staff t ON t.id = s.staff_id "
            "WHERE s.token_hash = ? AND s.expires_at > ? AND t.status = 'active'",
            (token_hash, now),
        )
        if row is None:
            return None
        return StaffSession(_staff(row), row["csrf_token"], row["expires_at"])

    async def delete_session(self, token_hash: str) -> None:
        async with self.archive._transaction() as db:
            await db.execute(
                "DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,)
            )

    # Audit log

    async def record_audit(
        self,
        member: StaffMember | None,
        action: str,
        message_id: int | None = None,
        detail: str = "",
        *,
        username: str | None = None,
    ) -> None:
        """Append one audit row; `username` names the actor when `member` is None."""
        async with self.archive._transaction() as db:
            await _insert_audit(db, member, action, message_id, detail, username)

    async def audit_entries(self, limit: int, offset: int = 0) -> list[AuditEntry]:
        """Return audit rows, newest first."""
        rows = await self.archive._fetchall(
            "SELECT id, at, username, action, message_id, detail FROM audit_log "
            "ORDER BY id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [AuditEntry(*row) for row in rows]

    async def count_audit_entries(self) -> int:
        row = await self.archive._fetchone("SELECT COUNT(*) FROM audit_log")
        return int(row[0]) if row else 0

    # Messages

    async def count_messages_since(self, since: str) -> int:
        row = await self.archive._fetchone(
            "SELECT COUNT(*) FROM messages WHERE received_at >= ?", (since,)
        )
        return int(row[0]) if row else 0

    async def review_queue(self) -> list[ReviewItem]:
        """Return held messages without an outcome and flagged ones never reviewed.

        Held messages come before passed-on ones, then the most severe
        finding first (high, medium, low, none), then the oldest first. A
        held message leaves the queue when it is released or rejected. A
        flagged message that was passed on leaves it at its first decision,
        a note or an escalation.
        """
        rows = await self.archive._fetchall(_REVIEW_QUERY)
        findings = await self._findings_of([row["id"] for row in rows])
        return [
            ReviewItem(
                _summary(row),
                row["body_text"] or "",
                tuple(findings.get(row["id"], ())),
                bool(row["escalated"]),
            )
            for row in rows
        ]

    async def message_detail(self, message_id: int) -> MessageDetail | None:
        row = await self.archive._fetchone(
            f"SELECT {_SUMMARY_COLUMNS}, m.sender_id, m.body_text, m.delivered, "
            "m.reject_reason, m.auth_results FROM messages m "
            "JOIN participants s ON s.id = m.sender_id WHERE m.id = ?",
            (message_id,),
        )
        if row is None:
            return None
        (sender,) = await self.archive.participants_by_id([row["sender_id"]])
        recipient_rows = await self.archive._fetchall(
            "SELECT participant_id FROM message_recipients WHERE message_id = ?",
            (message_id,),
        )
        recipients = await self.archive.participants_by_id(
            [r[0] for r in recipient_rows]
        )
        return MessageDetail(
            summary=_summary(row),
            sender=sender,
            recipients=tuple(recipients),
            body_text=row["body_text"] or "",
            delivered=bytes(row["delivered"] or b""),
            reject_reason=row["reject_reason"],
            auth_results=row["auth_results"],
            findings=tuple(await self.archive.findings(message_id)),
            decisions=tuple(await self.decisions(message_id)),
        )

    async def original(self, message_id: int) -> bytes | None:
        """Return the raw message as received, or None when there is none.

        Raises UnreadableOriginalError when the original cannot be decrypted.
        """
        row = await self.archive._fetchone(
            "SELECT queue_id, raw FROM messages WHERE id = ?", (message_id,)
        )
        if row is None:
            return None
        return self.archive.open_original(message_id, row["queue_id"], row["raw"])

    async def thread(self, message_id: int, limit: int = 200) -> list[MessageSummary]:
        """Return the conversation among a message's sender and recipients.

        That is every message that one of these people sent to another of
        them, oldest first.
        """
        rows = await self.archive._fetchall(
            f"""
            WITH people AS (
                SELECT sender_id AS id FROM messages WHERE id = ?
                UNION SELECT participant_id FROM message_recipients
                    WHERE message_id = ?
            )
            SELECT {_SUMMARY_COLUMNS} FROM messages m
            JOIN participants s ON s.id = m.sender_id
            WHERE m.sender_id IN (SELECT id FROM people)
                AND EXISTS (SELECT 1 FROM message_recipients mr
                    WHERE mr.message_id = m.id
                    AND mr.participant_id IN (SELECT id FROM people)
                    AND mr.participant_id != m.sender_id)
            ORDER BY m.received_at, m.id LIMIT ?
            """,
            (message_id, message_id, limit),
        )
        return [_summary(row) for row in rows]

    async def decisions(self, message_id: int) -> list[Decision]:
        rows = await self.archive._fetchall(
            "SELECT d.id, d.message_id, t.username, d.action, d.note, d.decided_at "
            "FROM decisions d JOIN staff t ON t.id = d.staff_id "
            "WHERE d.message_id = ? ORDER BY d.id",
            (message_id,),
        )
        return [Decision(*row) for row in rows]

    async def search(self, filters: SearchFilters) -> SearchPage:
        """Search the filtered copies, best match first (newest first without text)."""
        where, params = _search_conditions(filters)
        if where is None:
            return SearchPage((), 0)
        joins = "JOIN participants s ON s.id = m.sender_id"
        if filters.text:
            joins += " JOIN message_search ON message_search.rowid = m.id"
        count_row = await self.archive._fetchone(
            f"SELECT COUNT(*) FROM messages m {joins} WHERE {where}", params
        )
        snippet = "substr(COALESCE(m.body_text, ''), 1, 160)"
        order = "m.received_at DESC, m.id DESC"
        if filters.text:
            snippet = (
                f"snippet(message_search, 1, '{SNIPPET_START}', '{SNIPPET_END}', "
                "'...', 16)"
            )
            order = "rank"
        rows = await self.archive._fetchall(
            f"SELECT {_SUMMARY_COLUMNS}, {snippet} AS snippet FROM messages m "
            f"{joins} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, filters.per_page, (filters.page - 1) * filters.per_page],
        )
        hits = tuple(SearchHit(_summary(row), row["snippet"] or "") for row in rows)
        return SearchPage(hits, int(count_row[0]) if count_row else 0)

    # Review decisions

    async def release(
        self, message_id: int, member: StaffMember, note: str, now: float
    ) -> None:
        """Release a held message: queue its delivery jobs, as the runner would.

        Jobs that the delivery queue put back to review (state "held") are
        made due again; recipients without a job get a new one.
        """
        async with self.archive._transaction() as db:
            row = await _held_message(db, message_id, "released")
            if not row["delivered"]:
                raise DecisionError(
                    f"message {message_id} has no filtered copy, because the "
                    "filters could not finish it, so it cannot be released: "
                    "reject it instead"
                )
            await _insert_decision(db, message_id, member, "release", note)
            await _requeue(db, message_id, now)
            await db.execute(
                "UPDATE messages SET status = 'queued' WHERE id = ?", (message_id,)
            )
            await _insert_audit(db, member, "release", message_id, note)

    async def reject(
        self,
        message_id: int,
        member: StaffMember,
        note: str,
        reason: str,
        notices: Sequence[NewNotice] = (),
    ) -> None:
        """Reject a held message: it is never delivered, and the reason is kept.

        `notices` about the message, such as the notice to its sender, are
        queued in the same transaction, so they go out exactly when the
        rejection is recorded.
        """
        now = time.time()
        async with self.archive._transaction() as db:
            await _held_message(db, message_id, "rejected")
            await _insert_decision(db, message_id, member, "reject", note)
            await db.execute(
                "UPDATE messages SET status = 'rejected', reject_reason = ? "
                "WHERE id = ?",
                (reason, message_id),
            )
            for notice in notices:
                await queue_notice(db, notice, now, about_message_id=message_id)
            await _insert_audit(db, member, "reject", message_id, note)

    async def add_decision(
        self, message_id: int, member: StaffMember, action: str, note: str
    ) -> None:
        """Record an escalation or a note on any message."""
        if action not in ("escalate", "note"):
            raise DecisionError(f"{action!r} is not an escalation or a note")
        async with self.archive._transaction() as db:
            async with db.execute(
                "SELECT 1 FROM messages WHERE id = ?", (message_id,)
            ) as cursor:
                if await cursor.fetchone() is None:
                    raise DecisionError(f"there is no message {message_id}")
            await _insert_decision(db, message_id, member, action, note)
            await _insert_audit(db, member, action, message_id, note)

    # Relationships and reports

    async def relationship_messages(self) -> dict[int, list[RelationshipMessage]]:
        """Return, per relationship, the messages its members sent each other."""
        rows = await self.archive._fetchall(_RELATIONSHIP_MESSAGES_QUERY)
        grouped: dict[int, list[RelationshipMessage]] = {}
        for row in rows:
            grouped.setdefault(row[0], []).append(RelationshipMessage(row[1], row[2]))
        return grouped

    async def relationship_ids_of(self, participant_id: int) -> list[int]:
        rows = await self.archive._fetchall(
            "SELECT relationship_id FROM relationship_members "
            "WHERE participant_id = ? ORDER BY relationship_id",
            (participant_id,),
        )
        return [row[0] for row in rows]

    async def _findings_of(
        self, message_ids: Sequence[int]
    ) -> dict[int, list[StoredFinding]]:
        if not message_ids:
            return {}
        marks = ",".join("?" * len(message_ids))
        rows = await self.archive._fetchall(
            "SELECT message_id, kind, location, count, detail, category, severity, "
            f"matched FROM findings WHERE message_id IN ({marks}) ORDER BY id",
            message_ids,
        )
        found: dict[int, list[StoredFinding]] = {}
        for row in rows:
            found.setdefault(row[0], []).append(StoredFinding(*tuple(row)[1:]))
        return found


def _search_conditions(filters: SearchFilters) -> tuple[str | None, list[Any]]:
    """Build the WHERE clause of a search; None when the text has no words."""
    conditions = ["1 = 1"]
    params: list[Any] = []
    if filters.text:
        query = _fts_phrase_query(filters.text)
        if not query:
            return None, []
        conditions.append("message_search MATCH ?")
        params.append(query)
    if filters.participant_id is not None:
        conditions.append(
            "(m.sender_id = ? OR EXISTS (SELECT 1 FROM message_recipients mr "
            "WHERE mr.message_id = m.id AND mr.participant_id = ?))"
        )
        params += [filters.participant_id, filters.participant_id]
    if filters.relationship_id is not None:
        conditions.append(
            "m.sender_id IN (SELECT participant_id FROM relationship_members "
            "WHERE relationship_id = ?) AND EXISTS (SELECT 1 FROM "
            "message_recipients mr JOIN relationship_members rm "
            "ON rm.participant_id = mr.participant_id WHERE mr.message_id = m.id "
            "AND rm.relationship_id = ? AND mr.participant_id != m.sender_id)"
        )
        params += [filters.relationship_id, filters.relationship_id]
    conditions += _date_and_state_conditions(filters, params)
    return " AND ".join(conditions), params


def _date_and_state_conditions(filters: SearchFilters, params: list[Any]) -> list[str]:
    conditions = []
    if filters.date_from:
        conditions.append("m.received_at >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        # received_at is "YYYY-MM-DDTHH:MM:SS+00:00", so every time on the
        # last day sorts before the day followed by "U".
        conditions.append("m.received_at < ?")
        params.append(filters.date_to + "U")
    if filters.flagged is not None:
        conditions.append("m.flag IS NOT NULL" if filters.flagged else "m.flag IS NULL")
    if filters.status:
        conditions.append("m.status = ?")
        params.append(filters.status)
    if filters.passed_on_only:
        conditions.append(f"m.status IN {_PASSED_ON_SQL}")
    return conditions


def _fts_phrase_query(text: str) -> str:
    """Quote each word so that FTS5 operators in user input are taken literally."""
    words = [word.replace('"', '""') for word in text.split()]
    return " ".join(f'"{word}"' for word in words if word)


async def _held_message(db: aiosqlite.Connection, message_id: int, verb: str) -> Row:
    async with db.execute(
        "SELECT status, delivered FROM messages WHERE id = ?", (message_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise DecisionError(f"there is no message {message_id}")
    if row["status"] != "held":
        raise DecisionError(
            f"message {message_id} is {row['status']}, not held, so it cannot be {verb}"
        )
    return row


async def _insert_decision(
    db: aiosqlite.Connection,
    message_id: int,
    member: StaffMember,
    action: str,
    note: str,
) -> None:
    try:
        await db.execute(
            "INSERT INTO decisions (message_id, staff_id, action, note, decided_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (message_id, member.id, action, note, now_iso()),
        )
    except sqlite3.IntegrityError:
        raise DecisionError(
            f"message {message_id} already has a release or rejection, and "
            "decisions are final"
        ) from None


async def _requeue(db: aiosqlite.Connection, message_id: int, now: float) -> None:
    await db.execute(
        "UPDATE delivery_jobs SET state = 'pending', next_attempt_at = ?, "
        "lease_until = 0, finished_at = NULL WHERE message_id = ? AND state = 'held'",
        (now, message_id),
    )
    async with db.execute(
        "SELECT participant_id FROM message_recipients r WHERE message_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM delivery_jobs j WHERE j.message_id = "
        "r.message_id AND j.recipient_id = r.participant_id) ORDER BY participant_id",
        (message_id,),
    ) as cursor:
        without_job = [row[0] for row in await cursor.fetchall()]
    await queue_deliveries(db, message_id, without_job, now)


async def _insert_audit(
    db: aiosqlite.Connection,
    member: StaffMember | None,
    action: str,
    message_id: int | None,
    detail: str,
    username: str | None = None,
) -> None:
    await db.execute(
        "INSERT INTO audit_log (at, staff_id, username, action, message_id, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            now_iso(),
            member.id if member else None,
            member.username if member else (username or ""),
            action,
            message_id,
            detail,
        ),
    )


async def _staff_by_username(db: aiosqlite.Connection, username: str) -> StaffMember:
    async with db.execute(
        "SELECT * FROM staff WHERE username = ?", (username,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise UnknownStaffError(
            f"there is no staff account {username!r}: see `mentor-relay staff list`"
        )
    return _staff(row)


async def _check_not_last_admin(db: aiosqlite.Connection, member: StaffMember) -> None:
    if member.role != "admin":
        return
    async with db.execute(
        "SELECT COUNT(*) FROM staff WHERE role = 'admin' AND status = 'active' "
        "AND id != ?",
        (member.id,),
    ) as cursor:
        row = await cursor.fetchone()
    if row is not None and row[0] == 0:
        raise ArchiveError(
            f"{member.username} is the last active admin account: add or enable "
            "another admin with `mentor-relay staff add` or `staff enable` first"
        )


async def _end_sessions(db: aiosqlite.Connection, staff_id: int) -> int:
    """Delete an account's sessions; return how many were still unexpired."""
    async with db.execute(
        "SELECT COUNT(*) FROM staff_sessions WHERE staff_id = ? AND expires_at > ?",
        (staff_id, time.time()),
    ) as cursor:
        row = await cursor.fetchone()
    await db.execute("DELETE FROM staff_sessions WHERE staff_id = ?", (staff_id,))
    return int(row[0]) if row else 0


def _staff(row: Row) -> StaffMember:
    return StaffMember(row["id"], row["username"], row["role"], row["status"])


def _summary(row: Row) -> MessageSummary:
    return MessageSummary(
        id=row["id"],
        queue_id=row["queue_id"],
        received_at=row["received_at"],
        status=row["status"],
        subject=row["subject"] or "",
        flag=row["flag"],
        hold_reason=row["hold_reason"],
        sender_name=row["sender_name"],
        sender_alias=row["sender_alias"],
    )
