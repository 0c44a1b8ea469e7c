"""How each relationship is getting on: message counts, reply times, quiet pairs.

A reply is a message whose sender differs from the sender of the message
before it in the same relationship; its reply time is the gap between the
two. Counts cover the messages members sent each other while the
relationship ran, whatever became of them (delivered, held or rejected).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from archive.console import RelationshipMessage
from archive.store import Relationship
from console.render import parse_time

WEEK = timedelta(days=7)
WEEKS_SHOWN = 8


@dataclass(frozen=True)
class Activity:
    relationship: Relationship
    total: int
    # Messages in each of the last WEEKS_SHOWN weeks, oldest first.
    weekly: tuple[int, ...]
    per_week: float
    median_reply_seconds: float | None
    last_contact: str | None

    def quiet_since(self) -> str:
        """Return the last contact, or the start when the pair never wrote."""
        return self.last_contact or self.relationship.started_at


def activities(
    relationships: Sequence[Relationship],
    messages: dict[int, list[RelationshipMessage]],
    now: datetime,
) -> list[Activity]:
    return [_activity(r, messages.get(r.id, []), now) for r in relationships]


def _activity(
    relationship: Relationship, messages: list[RelationshipMessage], now: datetime
) -> Activity:
    times = [parse_time(m.received_at) for m in messages]
    end = parse_time(relationship.ended_at) if relationship.ended_at else now
    weeks_running = (end - parse_time(relationship.started_at)) / WEEK
    replies = reply_seconds(messages)
    return Activity(
        relationship=relationship,
        total=len(messages),
        weekly=_weekly_counts(times, now),
        per_week=len(messages) / max(weeks_running, 1.0),
        median_reply_seconds=statistics.median(replies) if replies else None,
        last_contact=messages[-1].received_at if messages else None,
    )


def reply_seconds(messages: Sequence[RelationshipMessage]) -> list[float]:
    """Return the reply time of each reply, in seconds; messages oldest first."""
    gaps: list[float] = []
    for before, after in itertools.pairwise(messages):
        if after.sender_id != before.sender_id:
            gap = parse_time(after.received_at) - parse_time(before.received_at)
            gaps.append(gap.total_seconds())
    return gaps


def _weekly_counts(times: Sequence[datetime], now: datetime) -> tuple[int, ...]:
    counts = [0] * WEEKS_SHOWN
    for moment in times:
        weeks_ago = int((now - moment) / WEEK)
        if 0 <= weeks_ago < WEEKS_SHOWN:
            counts[WEEKS_SHOWN - 1 - weeks_ago] += 1
    return tuple(counts)


def quiet(found: Sequence[Activity], now: datetime, days: int) -> list[Activity]:
    """Return active relationships silent for over `days` days, quietest first."""
    cutoff = now - timedelta(days=days)
    silent = [
        a
        for a in found
        if a.relationship.status == "active" and parse_time(a.quiet_since()) < cutoff
    ]
    return sorted(silent, key=lambda a: a.quiet_since())
