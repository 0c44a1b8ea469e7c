"""Legal holds: messages that retention and erasure must keep.

A hold covers one message, or every message a participant sent or
received. Releasing a hold keeps its row, with who released it and when,
so the list of holds is also their history. Triggers on messages and
message_recipients abort any delete of a held message, and the selections
in archive.retention and archive.subject skip held messages in the first
place.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.store import Archive, ArchiveError, Row

_SELECT = """
SELECT h.*, m.queue_id, p.alias FROM legal_holds h
LEFT JOIN messages m ON m.id = h.message_id
LEFT JOIN participants p ON p.id = h.participant_id
"""


class LegalHoldError(ArchiveError):
    """A legal hold that cannot be added or released, with the reason."""


@dataclass(frozen=True)
class LegalHold:
    id: int
    message_id: int | None
    participant_id: int | None
    # The message's queue id or the participant's alias, for listings.
    covers: str
    reason: str
    created_at: str
    created_by: str
    released_at: str | None
    released_by: str | None

    @property
    def active(self) -> bool:
        return self.released_at is None


async def add_legal_hold(
    archive: Archive,
    *,
    reason: str,
    actor: str,
    now: str,
    message_id: int | None = None,
    participant_id: int | None = None,
) -> LegalHold:
    """Put one message, or all of one participant's messages, under legal hold.

    Give exactly one of `message_id` and `participant_id`; `now` is an ISO
    8601 time in UTC. Raises LegalHoldError for an empty reason.
    """
    if (message_id is None) == (participant_id is None):
        raise ValueError("give exactly one of message_id and participant_id")
    if not reason.strip():
        raise LegalHoldError(
            "the reason is empty: say why the records must be kept, such as "
            '--reason "police request 2025/114"'
        )
    async with archive._transaction() as db:
        cursor = await db.execute(
            "INSERT INTO legal_holds (message_id, participant_id, reason, "
            "created_at, created_by) VALUES (?, ?, ?, ?, ?)",
            (message_id, participant_id, reason.strip(), now, actor),
        )
    assert cursor.lastrowid is not None
    hold = await legal_hold(archive, cursor.lastrowid)
    assert hold is not None
    return hold


async def legal_hold(archive: Archive, hold_id: int) -> LegalHold | None:
    row = await archive._fetchone(f"{_SELECT} WHERE h.id = ?", (hold_id,))
    return _hold(row) if row else None


async def list_legal_holds(
    archive: Archive, *, include_released: bool = False
) -> list[LegalHold]:
    """Return the active holds, or every hold, oldest first."""
    where = "" if include_released else "WHERE h.released_at IS NULL"
    rows = await archive._fetchall(f"{_SELECT} {where} ORDER BY h.id")
    return [_hold(row) for row in rows]


async def active_holds_on_participant(
    archive: Archive, participant_id: int
) -> list[LegalHold]:
    rows = await archive._fetchall(
        f"{_SELECT} WHERE h.participant_id = ? AND h.released_at IS NULL ORDER BY h.id",
        (participant_id,),
    )
    return [_hold(row) for row in rows]


async def release_legal_hold(
    archive: Archive, hold_id: int, *, actor: str, now: str
) -> LegalHold:
    """Release an active hold; raise LegalHoldError when there is none."""
    async with archive._transaction() as db:
        cursor = await db.execute(
            "UPDATE legal_holds SET released_at = ?, released_by = ? "
            "WHERE id = ? AND released_at IS NULL",
            (now, actor, hold_id),
        )
    hold = await legal_hold(archive, hold_id)
    if hold is None:
        raise LegalHoldError(
            f"there is no legal hold {hold_id}: see `mentor-relay legal-hold list`"
        )
    if cursor.rowcount != 1:
        raise LegalHoldError(
            f"legal hold {hold_id} was already released on {hold.released_at}"
        )
    return hold


def _hold(row: Row) -> LegalHold:
    if row["message_id"] is not None:
        covers = f"message {row['queue_id'] or row['message_id']}"
    else:
        covers = f"participant {row['alias']}"
    return LegalHold(
        id=row["id"],
        message_id=row["message_id"],
        participant_id=row["participant_id"],
        covers=covers,
        reason=row["reason"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        released_at=row["released_at"],
        released_by=row["released_by"],
    )
