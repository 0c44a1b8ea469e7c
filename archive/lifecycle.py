"""A relationship's life: start, pause, resume, extend and end, by date.

A relationship runs from its start to its planned end, the last day of its
term (an ISO date, UTC). While it is paused, `paused_until` is the first day
the pair may write again. Every function that decides by date takes `today`
(or `now`), so the scheduler, the front ends and the tests choose the clock.
Left out, it is the current day in UTC.

The command line and the web console call these functions, so both accept
and reject the same changes with the same messages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import aiosqlite

from archive.store import Archive, ArchiveError

log = logging.getLogger(__name__)

TERM_ENDED = "term ended"
MAX_REASON_LENGTH = 200
MAX_TERM_MONTHS = 120
# The days a command or form may name. A narrow range catches typing
# mistakes such as 0202 for 2026, and keeps every date computed from these
# days (a term, a report's weeks) far from the limits of Python's date.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class LifecycleError(ArchiveError):
    """A change that the relationship's state or dates do not allow."""


class RelationshipNotFound(LifecycleError):
    """No relationship has the given id."""


@dataclass(frozen=True)
class _State:
    status: str
    started_at: str
    planned_end: date
    paused_until: date | None
    ended_at: str | None


def utc_today() -> date:
    return datetime.now(UTC).date()


def parse_day(text: str, name: str) -> date:
    """Parse a YYYY-MM-DD date given as `name`, or raise LifecycleError.

    The date must lie between FIRST_DAY and LAST_DAY.
    """
    value = text.strip()
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise LifecycleError(
            f"{name} {text!r} is not a valid date: use the form YYYY-MM-DD, "
            "such as 2025-09-30"
        ) from None
    _check_day(day, name)
    return day


def day_range_problem(day: date, name: str) -> str | None:
    """Return why `day`, given as `name`, is out of range, or None when it is not."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"{name} {day} is out of range: give a date from {FIRST_DAY} to {LAST_DAY}"


def check_months(months: int, kind: str) -> None:
    """Raise LifecycleError unless `months` is from 1 to MAX_TERM_MONTHS."""
    if not 1 <= months <= MAX_TERM_MONTHS:
        raise LifecycleError(
            f"invalid {kind} of {months} months: give 1 to {MAX_TERM_MONTHS}"
        )


def add_months(day: date, months: int) -> date:
    """Return `day` moved on by whole months.

    A day past the end of the target month carries into the next month, so
    31 August plus six months is 3 March. SQLite's date(day, '+N months')
    does the same, and every planned end in the archive, migrated or new,
    follows this one rule.
    """
    month_index = day.year * 12 + day.month - 1 + months
    first = date(month_index // 12, month_index % 12 + 1, 1)
    return first + timedelta(days=day.day - 1)


def clean_reason(text: str) -> str:
    """Return a pause or end reason on one line, or raise LifecycleError."""
    reason = " ".join(text.split())
    if len(reason) > MAX_REASON_LENGTH or not reason.isprintable():
        raise LifecycleError(
            f"invalid reason: give at most {MAX_REASON_LENGTH} printable characters"
        )
    return reason


# Starting


async def start(
    archive: Archive,
    member_ids: Sequence[int],
    *,
    start_day: date | None = None,
    planned_end: date | None = None,
    term_months: int = 6,
    today: date | None = None,
) -> int:
    """Start a relationship and return its id.

    It starts on `start_day` (default today, which may not be in the future)
    and ends on `planned_end`, or `term_months` after the start. Raises
    LifecycleError when the planned end is before the start or has passed,
    and ArchiveError when two of the members already share a relationship.
    """
    today = today or utc_today()
    begins = start_day or today
    if begins > today:
        raise LifecycleError(
            f"start date {begins} is in the future: pair them on that day, or "
            "leave the start date out"
        )
    check_months(term_months, "term")
    _check_day(begins, "start date")
    ends = planned_end or add_months(begins, term_months)
    _check_day(ends, "planned end")
    if ends < begins:
        raise LifecycleError(
            f"end date {ends} is before the start date {begins}: give a later end"
        )
    if ends < today:
        raise LifecycleError(
            f"the planned end {ends} has passed: give a later end date or a "
            "later start date"
        )
    relationship_id = await archive.add_relationship(
        member_ids,
        start=None if start_day is None else begins,
        planned_end=ends,
    )
    log.info("relationship %d started, planned end %s", relationship_id, ends)
    return relationship_id


# Pausing and resuming


async def pause(
    archive: Archive,
    relationship_id: int,
    until: date,
    reason: str = "",
    today: date | None = None,
) -> None:
    """Pause a relationship until `until`, the first day the pair may write again.

    Pausing a paused relationship moves its resume date. Raises
    LifecycleError for an ended relationship, for a date that is not after
    today, and for a date after the planned end.
    """
    today = today or utc_today()
    reason = clean_reason(reason)
    async with archive._transaction() as db:
        state = await _state(db, relationship_id)
        _check_running(relationship_id, state, today, "paused")
        if until <= today:
            raise LifecycleError(
                f"resume date {until} is not after today ({today}): give a later date"
            )
        if until > state.planned_end:
            raise LifecycleError(
                f"resume date {until} is after the planned end "
                f"{state.planned_end}: extend relationship {relationship_id} "
                "first, or end it"
            )
        await db.execute(
            "UPDATE relationships SET status = 'paused', paused_until = ?, "
            "pause_reason = ? WHERE id = ?",
            (until.isoformat(), reason, relationship_id),
        )
    log.info("relationship %d paused until %s", relationship_id, until)


async def resume(
    archive: Archive, relationship_id: int, today: date | None = None
) -> None:
    """Make a paused relationship active again before its resume date."""
    today = today or utc_today()
    async with archive._transaction() as db:
        state = await _state(db, relationship_id)
        if state.status != "paused":
            raise LifecycleError(
                f"relationship {relationship_id} is {state.status}, not paused: "
                "only a paused relationship can be resumed"
            )
        await _set_active(db, relationship_id, today)
    log.info("relationship %d resumed", relationship_id)


# Extending and ending


async def extend(
    archive: Archive,
    relationship_id: int,
    new_end: date,
    today: date | None = None,
) -> None:
    """Move the planned end of an active or paused relationship later.

    Raises LifecycleError for an ended relationship, for a date before today
    and for a date that is not after the current planned end.
    """
    today = today or utc_today()
    async with archive._transaction() as db:
        state = await _state(db, relationship_id)
        if state.status == "ended":
            raise LifecycleError(_ended_text(relationship_id, state, "extended"))
        _check_day(new_end, "end date")
        if new_end < today:
            raise LifecycleError(
                f"end date {new_end} is before today ({today}): give today or "
                "a later date"
            )
        if new_end <= state.planned_end:
            raise LifecycleError(
                f"end date {new_end} is not after the planned end "
                f"{state.planned_end}: give a later date, or end the "
                "relationship instead"
            )
        await db.execute(
            "UPDATE relationships SET planned_end = ? WHERE id = ?",
            (new_end.isoformat(), relationship_id),
        )
    log.info("relationship %d extended to %s", relationship_id, new_end)


async def extend_by_months(
    archive: Archive,
    relationship_id: int,
    months: int,
    today: date | None = None,
) -> date:
    """Move the planned end `months` later, and return the new planned end."""
    check_months(months, "extension")
    found = await archive.relationship(relationship_id)
    if found is None:
        raise _not_found(relationship_id)
    planned_end = date.fromisoformat(found.planned_end)
    if planned_end > LAST_DAY:
        # Moving such a day on by months could pass year 9999, which no
        # Python date can hold.
        raise LifecycleError(
            f"relationship {relationship_id} has a planned end of {planned_end}, "
            f"after {LAST_DAY}, so it cannot be extended: end it with "
            f"`mentor-relay relationship end {relationship_id}` when the pair stops"
        )
    new_end = add_months(planned_end, months)
    await extend(archive, relationship_id, new_end, today)
    return new_end


async def end(
    archive: Archive,
    relationship_id: int,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """End an active or paused relationship at `now` (UTC, default the present).

    `now` is a time of day and not just a date, because activity reports
    count the messages sent up to the moment a relationship ended.
    """
    now = now or datetime.now(UTC)
    reason = clean_reason(reason)
    async with archive._transaction() as db:
        state = await _state(db, relationship_id)
        if state.status == "ended":
            raise LifecycleError(
                f"there is no active relationship {relationship_id}: it ended on "
                f"{(state.ended_at or '')[:10]}, see `mentor-relay relationship list`"
            )
        await _set_ended(db, relationship_id, now.isoformat(timespec="seconds"), reason)
    log.info("relationship %d ended", relationship_id)


# The scheduler's daily work


async def close_due(archive: Archive, today: date) -> list[int]:
    """End every active or paused relationship whose planned end is before today.

    Each one ends at the last second of its planned end day, whenever the
    scheduler gets to it, so its end date is the one its members were told.
    The reason is "term ended". Returns the ids, in order.
    """
    async with archive._transaction() as db:
        rows = await db.execute_fetchall(
            "SELECT id, planned_end FROM relationships "
            "WHERE status IN ('active', 'paused') AND planned_end < ? ORDER BY id",
            (today.isoformat(),),
        )
        for relationship_id, planned_end in rows:
            ended_at = f"{planned_end}T23:59:59+00:00"
            await _set_ended(db, relationship_id, ended_at, TERM_ENDED)
    closed = [int(row[0]) for row in rows]
    if closed:
        log.info("%d relationships closed at the end of their term", len(closed))
    return closed


async def resume_due(archive: Archive, today: date) -> list[int]:
    """Make active every paused relationship whose resume date is today or earlier.

    Returns the ids, in order.
    """
    async with archive._transaction() as db:
        rows = await db.execute_fetchall(
            "SELECT id FROM relationships "
            "WHERE status = 'paused' AND paused_until <= ? ORDER BY id",
            (today.isoformat(),),
        )
        for (relationship_id,) in rows:
            await _set_active(db, relationship_id, today)
    resumed = [int(row[0]) for row in rows]
    if resumed:
        log.info("%d paused relationships resumed", len(resumed))
    return resumed


# Helpers: each runs inside the caller's transaction


async def _state(db: aiosqlite.Connection, relationship_id: int) -> _State:
    async with db.execute(
        "SELECT status, started_at, planned_end, paused_until, ended_at "
        "FROM relationships WHERE id = ?",
        (relationship_id,),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise _not_found(relationship_id)
    status, started_at, planned_end, paused_until, ended_at = row
    return _State(
        status,
        started_at,
        date.fromisoformat(planned_end),
        date.fromisoformat(paused_until) if paused_until else None,
        ended_at,
    )


def _check_running(
    relationship_id: int, state: _State, today: date, change: str
) -> None:
    if state.status == "ended":
        raise LifecycleError(_ended_text(relationship_id, state, change))
    if state.planned_end < today:
        raise LifecycleError(
            f"relationship {relationship_id} reached its planned end on "
            f"{state.planned_end}, so it cannot be {change}: extend it first"
        )


async def _set_active(
    db: aiosqlite.Connection, relationship_id: int, today: date
) -> None:
    # Mail flows again from the resume date even when the scheduler only
    # gets to it later, so the earlier of the two days is recorded.
    await db.execute(
        "UPDATE relationships SET status = 'active', "
        "resumed_on = MIN(paused_until, ?), paused_until = NULL, "
        "pause_reason = '' WHERE id = ?",
        (today.isoformat(), relationship_id),
    )


async def _set_ended(
    db: aiosqlite.Connection, relationship_id: int, ended_at: str, reason: str
) -> None:
    await db.execute(
        "UPDATE relationships SET status = 'ended', paused_until = NULL, "
        "ended_at = ?, end_reason = ? WHERE id = ?",
        (ended_at, reason, relationship_id),
    )


def _check_day(day: date, name: str) -> None:
    if problem := day_range_problem(day, name):
        raise LifecycleError(problem)


def _ended_text(relationship_id: int, state: _State, change: str) -> str:
    ended = (state.ended_at or "")[:10]
    return (
        f"relationship {relationship_id} ended on {ended}, so it cannot be "
        f"{change}: pair the members again with `mentor-relay relationship add`"
    )


def _not_found(relationship_id: int) -> RelationshipNotFound:
    return RelationshipNotFound(
        f"there is no relationship {relationship_id}: see `mentor-relay "
        "relationship list`"
    )
