"""The evaluation report's query: which messages each relationship counts.

A relationship counts a message when the sender is a member, at least one
recipient is another member, the message arrived while the relationship ran
(from started_at to ended_at), and it was not rejected. Times are the ISO
8601 UTC strings of the messages table, so comparing them as text orders
them in time.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.purge import SAFEGUARDING_FINDING
from archive.store import Archive

_COUNTED_MESSAGES_QUERY = f"""
SELECT rm.relationship_id, m.id, m.sender_id, m.received_at,
    m.hold_reason IS NOT NULL AS held,
    (SELECT group_concat(DISTINCT f.category) FROM findings f
        WHERE f.message_id = m.id AND {SAFEGUARDING_FINDING}) AS categories
FROM messages m
JOIN relationship_members rm ON rm.participant_id = m.sender_id
JOIN relationships r ON r.id = rm.relationship_id
WHERE m.status != 'rejected'
    AND m.received_at >= ? AND m.received_at < ?
    AND m.received_at >= r.started_at
    AND (r.ended_at IS NULL OR m.received_at <= r.ended_at)
    AND EXISTS (SELECT 1 FROM message_recipients mr
        JOIN relationship_members other
            ON other.participant_id = mr.participant_id
            AND other.relationship_id = rm.relationship_id
        WHERE mr.message_id = m.id AND mr.participant_id != m.sender_id)
ORDER BY rm.relationship_id, m.received_at, m.id
"""


@dataclass(frozen=True)
class CountedMessage:
    """A message as the report counts it, for one relationship."""

    relationship_id: int
    message_id: int
    sender_id: int
    received_at: str
    # True when the relay held the message for a review, whether it was
    # released since or still waits.
    held: bool
    # The distinct categories of the message's safeguarding findings.
    categories: tuple[str, ...]


async def counted_messages(
    archive: Archive, start: str, end: str
) -> list[CountedMessage]:
    """Return the counted messages received from `start` up to `end` (excluded).

    The result is ordered by relationship, then by received_at. A message
    between members of two relationships is returned once for each.
    """
    rows = await archive._fetchall(_COUNTED_MESSAGES_QUERY, (start, end))
    return [
        CountedMessage(
            relationship_id=row[0],
            message_id=row[1],
            sender_id=row[2],
            received_at=row[3],
            held=bool(row[4]),
            categories=tuple(sorted(row[5].split(","))) if row[5] else (),
        )
        for row in rows
    ]
