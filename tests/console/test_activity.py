"""Relationship activity: reply times, weekly counts, quiet pairs, CSV."""

from __future__ import annotations

from datetime import UTC, datetime

from archive.console import RelationshipMessage
from archive.store import Participant, Relationship
from console import activity

NOW = datetime(2025, 10, 15, 12, 0, tzinfo=UTC)
SAM = Participant(
    1, "Sam Jones", "sam@example.org", "=sam@relay.example.org", "mentor", "active"
)
ALEX = Participant(
    2, "Alex Smith", "alex@example.com", "alex@relay.example.org", "mentee", "active"
)


def relationship(
    status: str = "active", started: str = "2025-09-01T09:00:00+00:00"
) -> Relationship:
    ended = "2025-10-01T09:00:00+00:00" if status == "ended" else None
    return Relationship(7, status, started, ended, (ALEX, SAM))


def message(when: str, sender: int) -> RelationshipMessage:
    return RelationshipMessage(f"2025-{when}+00:00", sender)


def test_reply_time_counts_only_changes_of_sender() -> None:
    messages = [
        message("10-01T09:00:00", 1),
        message("10-01T10:00:00", 1),  # a second message, not a reply
        message("10-01T12:00:00", 2),  # reply after 2 h
        message("10-02T12:00:00", 1),  # reply after 24 h
    ]
    assert activity.reply_seconds(messages) == [7200.0, 86400.0]


def test_activity_sums_weeks_and_median() -> None:
    messages = {
        7: [
            message("10-01T09:00:00", 1),
            message("10-01T12:00:00", 2),
            message("10-14T12:00:00", 1),
        ]
    }
    (found,) = activity.activities([relationship()], messages, NOW)
    assert found.total == 3
    # Two messages two weeks before NOW, one in the last week.
    assert found.weekly == (0, 0, 0, 0, 0, 2, 0, 1)
    assert (
        found.median_reply_seconds == (10800.0 + 13 * 86400.0 - 10800.0 + 10800.0) / 2
    )
    assert found.last_contact == "2025-10-14T12:00:00+00:00"


def test_quiet_lists_silent_active_relationships() -> None:
    silent = activity.activities([relationship()], {}, NOW)
    ended = activity.activities([relationship("ended")], {}, NOW)
    assert [a.relationship.id for a in activity.quiet(silent, NOW, 14)] == [7]
    assert activity.quiet(ended, NOW, 14) == []
    recent = activity.activities(
        [relationship()], {7: [message("10-10T09:00:00", 1)]}, NOW
    )
    assert activity.quiet(recent, NOW, 14) == []
