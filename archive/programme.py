"""The scheduler's queries: pair activity, review counts and recorded sends.

Each prompt, wind-down notice and digest that the scheduler sends is
recorded in programme_sends under a subject unique for its kind, in the
transaction that queues its notices. The insert of that row decides whether
the send happens at all, so a restart or a second tick never sends one twice,
and a crash between the two cannot lose one.

Like the delivery queue, this module shares the Archive's connection and
lock. Times are ISO 8601 strings in UTC, as in the messages table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from archive.notices import NewNotice, queue_notice
from archive.store import Archive, Relationship

PROGRAMME_KINDS = ("prompt", "wind_down", "digest")

# Messages between members of one relationship since it started: the sender
# is a member and at least one recipient is another member. Every status
# counts, because a held message still shows that the pair is writing.
_PAIR_MESSAGES = """
FROM messages m
JOIN relationship_members rm ON rm.participant_id = m.sender_id
JOIN relationships r ON r.id = rm.relationship_id
WHERE r.status != 'ended' AND m.received_at >= r.started_at
    AND EXISTS (SELECT 1 FROM message_recipients mr
        JOIN relationship_members other
            ON other.participant_id = mr.participant_id
            AND other.relationship_id = rm.relationship_id
        WHERE mr.message_id = m.id AND mr.participant_id != m.sender_id)
"""

# Held messages without a release or rejection, and flagged messages that
# were passed on and have no decision yet: the console's review queue.
_REVIEW_COUNTS = """
SELECT
    SUM(m.status = 'held'),
    SUM(m.status = 'held' AND m.received_at >= ?),
    SUM(m.status != 'held'),
    SUM(m.status != 'held' AND m.received_at >= ?)
FROM messages m
WHERE (m.status = 'held' AND NOT EXISTS (SELECT 1 FROM decisions d
        WHERE d.message_id = m.id AND d.action IN ('release', 'reject')))
    OR (m.status IN ('queued', 'delivered', 'failed') AND m.flag IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.message_id = m.id))
"""


@dataclass(frozen=True)
class PairActivity:
    """A relationship that has not ended, and when its members last wrote.

    `last_activity` is the received_at of the latest message between the
    members, or the relationship's start when they have not written yet,
    or the start of the day it last resumed after a pause, if later.
    """

    relationship: Relationship
    last_activity: str

    @property
    def last_activity_at(self) -> datetime:
        return parse_utc(self.last_activity)


@dataclass(frozen=True)
class ReviewCounts:
    """Messages waiting in the review queue, and how many of them are new."""

    held: int
    held_new: int
    flagged: int
    flagged_new: int


def iso_utc(moment: datetime) -> str:
    """Format an aware datetime the way the archive stores times."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _latest(activity: str, resumed: str | None) -> str:
    if resumed is None or parse_utc(resumed) <= parse_utc(activity):
        return activity
    return resumed


def parse_utc(text: str) -> datetime:
    """Parse an archive time; one stored without an offset is taken as UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class ProgrammeStore:
    """The scheduler's reads and writes, on the Archive's connection."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    async def pair_activity(self) -> list[PairActivity]:
        """Return every active or paused relationship with its last activity."""
        rows = await self.archive._fetchall(
            f"SELECT rm.relationship_id, MAX(m.received_at) {_PAIR_MESSAGES} "
            "GROUP BY rm.relationship_id"
        )
        last_message = {int(row[0]): str(row[1]) for row in rows}
        resumed = await self.archive._fetchall(
            "SELECT id, resumed_on FROM relationships WHERE resumed_on IS NOT NULL"
        )
        resumed_at = {int(row[0]): f"{row[1]}T00:00:00+00:00" for row in resumed}
        pairs = []
        for relationship in await self.archive.list_relationships():
            if relationship.status not in ("active", "paused"):
                continue
            activity = last_message.get(relationship.id, relationship.started_at)
            latest = _latest(activity, resumed_at.get(relationship.id))
            pairs.append(PairActivity(relationship, latest))
        return pairs

    async def message_counts(self, since: datetime, until: datetime) -> dict[int, int]:
        """Count messages between members per relationship, received in [since, until).

        Relationships without such a message are left out.
        """
        rows = await self.archive._fetchall(
            f"SELECT rm.relationship_id, COUNT(DISTINCT m.id) {_PAIR_MESSAGES} "
            "AND m.received_at >= ? AND m.received_at < ? "
            "GROUP BY rm.relationship_id",
            (iso_utc(since), iso_utc(until)),
        )
        return {int(row[0]): int(row[1]) for row in rows}

    async def review_counts(self, since: datetime) -> ReviewCounts:
        """Count the review queue; the `_new` counts are those received since then."""
        start = iso_utc(since)
        rows = await self.archive._fetchall(_REVIEW_COUNTS, (start, start))
        values = [int(value or 0) for value in rows[0]]
        return ReviewCounts(*values)

    async def coordinator_addresses(self) -> list[str]:
        """Return the addresses of active coordinator accounts, by username."""
        rows = await self.archive._fetchall(
            "SELECT email FROM staff WHERE role = 'coordinator' "
            "AND status = 'active' AND email IS NOT NULL AND email != '' "
            "ORDER BY username"
        )
        return [str(row[0]) for row in rows]

    async def was_sent(self, kind: str, subject: str) -> bool:
        rows = await self.archive._fetchall(
            "SELECT 1 FROM programme_sends WHERE kind = ? AND subject = ?",
            (kind, subject),
        )
        return bool(rows)

    async def has_sent_any(self, kind: str) -> bool:
        """Check whether any send of `kind` is recorded."""
        rows = await self.archive._fetchall(
            "SELECT 1 FROM programme_sends WHERE kind = ? LIMIT 1", (kind,)
        )
        return bool(rows)

    async def record_send(
        self,
        kind: str,
        subject: str,
        notices: Sequence[NewNotice],
        now: datetime,
        *,
        relationship_id: int | None = None,
    ) -> bool:
        """Record a send and queue its notices in one transaction.

        Returns False, queuing nothing, when a send of this kind and subject
        is already recorded.
        """
        if kind not in PROGRAMME_KINDS:
            raise ValueError(f"unknown programme send kind {kind!r}")
        async with self.archive._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO programme_sends (kind, subject, sent_at) "
                "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (kind, subject, iso_utc(now)),
            )
            if cursor.rowcount != 1:
                return False
            for notice in notices:
                await queue_notice(
                    db,
                    notice,
                    now.timestamp(),
                    about_relationship_id=relationship_id,
                )
        return True
