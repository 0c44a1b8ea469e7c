"""The programme's evaluation report: activity, reply times and flags per pair.

The figures come from the messages that members of a relationship sent each
other while it ran, rejected ones excepted, placed in time by received_at in
UTC (see archive.report). A relationship has two sides, its mentors and its
mentees. A reply is a message from one side after the last message from the
other side, and its reply time is the gap between the two.

`load_report` reads the archive and returns a `Report`; everything else here
is a pure function of the rows it read. relay.report_output writes a Report
as a table, JSON or CSV.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from archive.crypto import KeyFileError, load_key
from archive.lifecycle import day_range_problem
from archive.report import CountedMessage, counted_messages
from archive.store import Archive, Participant, Relationship

SIDES = ("mentor", "mentee")
STATUSES = ("active", "paused", "ended")
PSEUDONYM_PREFIX = "P-"
# Eight hex digits are 32 bits: two of 2,000 participants share a code with
# a probability of about 0.05 %.
PSEUDONYM_HEX_DIGITS = 8
HOUR = 3600.0
DAY_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DAY = 86400.0
# A longer period gives a CSV with hundreds of week columns, too wide for a
# spreadsheet to be useful. 3653 days are 10 years with their leap days.
MAX_PERIOD = timedelta(days=3653)
MAX_PERIOD_TEXT = "10 years"

Pseudonyms = Callable[[int], str]


class ReportError(Exception):
    """An unusable report option or key file, with a message naming the fix."""


@dataclass(frozen=True)
class Period:
    """The span a report covers, from `start` (included) to `end` (excluded)."""

    start: datetime
    end: datetime

    def weeks(self) -> tuple[str, ...]:
        """Return the ISO weeks the period touches, such as "2026-W02", in order."""
        if self.end <= self.start:
            return ()
        last = self.end - timedelta(microseconds=1)
        monday = self.start.date() - timedelta(days=self.start.weekday())
        weeks = []
        while monday <= last.date():
            weeks.append(iso_week(monday))
            monday += timedelta(days=7)
        return tuple(weeks)


@dataclass(frozen=True)
class Member:
    """A member as a report names them: name and alias, or a pseudonym only."""

    role: str
    name: str
    alias: str
    pseudonym: str = ""

    @property
    def label(self) -> str:
        return self.pseudonym or f"{self.name} <{self.alias}>"


@dataclass(frozen=True)
class SideReport:
    """The messages that the mentors, or the mentees, of one relationship sent."""

    role: str
    members: tuple[Member, ...]
    # Messages sent in each of the report's weeks, in the order of Report.weeks.
    weekly: tuple[int, ...]
    sent: int
    held: int
    # The median time this side took to reply, or None when it never replied.
    median_reply_hours: float | None
    # Messages with a safeguarding flag of each category.
    flags: dict[str, int]


@dataclass(frozen=True)
class RelationshipReport:
    id: int
    status: str
    started: str
    planned_end: str
    ended: str | None
    sides: tuple[SideReport, ...]
    median_reply_hours: float | None
    # The longest gap between consecutive messages; for a relationship still
    # running at the end of the period, also the gap from its last message
    # (or from its start, when it has none) to the end of the period.
    longest_gap_days: float | None

    @property
    def members(self) -> tuple[Member, ...]:
        return tuple(member for side in self.sides for member in side.members)

    @property
    def sent(self) -> int:
        return sum(side.sent for side in self.sides)

    @property
    def held(self) -> int:
        return sum(side.held for side in self.sides)

    @property
    def flags(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for side in self.sides:
            total.update(side.flags)
        return dict(sorted(total.items()))


@dataclass(frozen=True)
class Totals:
    """The programme's figures over the relationships in the report."""

    # Relationships by their status today, whatever the period.
    relationships: dict[str, int]
    messages: int
    held: int
    # Messages with at least one safeguarding flag.
    flagged: int
    flags: dict[str, int]
    # The median of the relationships' median reply times.
    median_reply_hours: float | None


@dataclass(frozen=True)
class Report:
    period: Period
    weeks: tuple[str, ...]
    relationships: tuple[RelationshipReport, ...]
    totals: Totals
    pseudonymised: bool

    @property
    def categories(self) -> tuple[str, ...]:
        """Return every flag category in the report, sorted."""
        return tuple(sorted(self.totals.flags))


# Reading the archive


async def load_report(
    archive: Archive,
    now: datetime,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    key: bytes | None = None,
) -> Report:
    """Build the report of the archive's relationships; pseudonymised with a key.

    Days are UTC days, both included. Without `date_from`, the period starts
    when the first relationship started. Without `date_to`, it ends with the
    second of `now`, and it never ends later than that.
    """
    relationships = await archive.list_relationships()
    period = report_period(relationships, now, date_from, date_to)
    messages = await counted_messages(archive, _iso(period.start), _iso(period.end))
    pseudonyms = pseudonymiser(key) if key is not None else None
    return build_report(relationships, messages, period, pseudonyms)


def report_period(
    relationships: Sequence[Relationship],
    now: datetime,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Period:
    """Return the period of a report from the days asked for (UTC, both included)."""
    if date_from and date_to and date_from > date_to:
        raise ReportError(
            f"the first day, {date_from}, is after the last day, {date_to}: "
            "swap the two days"
        )
    if date_from and _midnight(date_from) > now:
        raise ReportError(
            f"the first day, {date_from}, is in the future: give a day up to today"
        )
    # The archive stores whole seconds, so a message received in the second
    # of `now` is counted by ending at the next whole second.
    latest = now.replace(microsecond=0) + timedelta(seconds=1)
    end = latest
    if date_to:
        end = min(_midnight(date_to + timedelta(days=1)), latest)
    if date_from:
        start = _midnight(date_from)
    else:
        starts = [parse_time(r.started_at) for r in relationships]
        start = min([*starts, end])
    period = Period(min(start, end), end)
    _check_length(period)
    return period


def _check_length(period: Period) -> None:
    if period.end - period.start <= MAX_PERIOD:
        return
    first = period.start.date()
    last = (period.end - timedelta(microseconds=1)).date()
    raise ReportError(
        f"the period from {first} to {last} is longer than {MAX_PERIOD_TEXT}: "
        f"give a first and a last day at most {MAX_PERIOD_TEXT} apart"
    )


def parse_day(value: str | None, option: str) -> date | None:
    """Read the YYYY-MM-DD day given for `option`, or return None without one."""
    if value is None or value == "":
        return None
    problem = f"{option} {value!r} is not a day: use YYYY-MM-DD, such as 2026-09-01"
    # date.fromisoformat also takes forms such as "20260901" and "2026-W36-1".
    if not DAY_FORMAT.fullmatch(value):
        raise ReportError(problem)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ReportError(problem) from None
    if out_of_range := day_range_problem(day, option):
        raise ReportError(out_of_range)
    return day


# Pseudonyms


def read_key(path: Path) -> bytes:
    """Read the archive key that pseudonyms are computed with."""
    try:
        return load_key(path)
    except KeyFileError as error:
        raise ReportError(f"cannot make pseudonyms: {error}") from None


def pseudonym(key: bytes, participant_id: int) -> str:
    """Return a participant's code: HMAC-SHA256 of the decimal id, keyed by `key`.

    The same key gives the same code in every report, and without the key
    the code cannot be computed from a participant's id.
    """
    digest = hmac.new(key, str(participant_id).encode("ascii"), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:PSEUDONYM_HEX_DIGITS].upper()


def pseudonymiser(key: bytes) -> Pseudonyms:
    return lambda participant_id: pseudonym(key, participant_id)


# Building the report


def build_report(
    relationships: Sequence[Relationship],
    messages: Sequence[CountedMessage],
    period: Period,
    pseudonyms: Pseudonyms | None = None,
) -> Report:
    """Sum up each relationship that ran during the period, and the programme.

    `messages` are ordered by received_at within each relationship, as
    archive.report.counted_messages returns them.
    """
    weeks = period.weeks()
    grouped: dict[int, list[CountedMessage]] = {}
    for message in messages:
        if period.start <= parse_time(message.received_at) < period.end:
            grouped.setdefault(message.relationship_id, []).append(message)

    shown = [r for r in relationships if _ran_during(r, period)]
    reports = tuple(
        _relationship_report(r, grouped.get(r.id, []), period, weeks, pseudonyms)
        for r in shown
    )
    counted = [m for r in shown for m in grouped.get(r.id, [])]
    return Report(
        period=period,
        weeks=weeks,
        relationships=reports,
        totals=_totals(reports, counted),
        pseudonymised=pseudonyms is not None,
    )


def _ran_during(relationship: Relationship, period: Period) -> bool:
    if parse_time(relationship.started_at) >= period.end:
        return False
    ended = relationship.ended_at
    return ended is None or parse_time(ended) >= period.start


def _relationship_report(
    relationship: Relationship,
    messages: Sequence[CountedMessage],
    period: Period,
    weeks: tuple[str, ...],
    pseudonyms: Pseudonyms | None,
) -> RelationshipReport:
    roles = {member.id: member.role for member in relationship.members}
    replies = reply_times(messages, roles)
    sides = tuple(
        _side_report(role, relationship, messages, roles, replies, weeks, pseudonyms)
        for role in SIDES
    )
    return RelationshipReport(
        id=relationship.id,
        status=relationship.status,
        started=relationship.started_at,
        planned_end=relationship.planned_end,
        ended=relationship.ended_at,
        sides=sides,
        median_reply_hours=_median_hours([seconds for _, seconds in replies]),
        longest_gap_days=longest_gap_days(relationship, messages, period),
    )


def _side_report(
    role: str,
    relationship: Relationship,
    messages: Sequence[CountedMessage],
    roles: dict[int, str],
    replies: Sequence[tuple[str, float]],
    weeks: tuple[str, ...],
    pseudonyms: Pseudonyms | None,
) -> SideReport:
    sent = [m for m in messages if roles.get(m.sender_id) == role]
    column = {week: index for index, week in enumerate(weeks)}
    weekly = [0] * len(weeks)
    for message in sent:
        weekly[column[iso_week(parse_time(message.received_at))]] += 1
    flags = Counter(category for m in sent for category in m.categories)
    return SideReport(
        role=role,
        members=tuple(
            _member(p, pseudonyms) for p in relationship.members if p.role == role
        ),
        weekly=tuple(weekly),
        sent=len(sent),
        held=sum(m.held for m in sent),
        median_reply_hours=_median_hours([s for r, s in replies if r == role]),
        flags=dict(sorted(flags.items())),
    )


def _member(participant: Participant, pseudonyms: Pseudonyms | None) -> Member:
    if pseudonyms is None:
        return Member(participant.role, participant.name, participant.alias)
    return Member(participant.role, "", "", pseudonyms(participant.id))


def reply_times(
    messages: Sequence[CountedMessage], roles: dict[int, str]
) -> list[tuple[str, float]]:
    """Return (side of the reply, reply time in seconds) for each reply."""
    replies = []
    for before, after in itertools.pairwise(messages):
        side = roles.get(after.sender_id, "")
        if side != roles.get(before.sender_id, ""):
            gap = parse_time(after.received_at) - parse_time(before.received_at)
            replies.append((side, gap.total_seconds()))
    return replies


def longest_gap_days(
    relationship: Relationship, messages: Sequence[CountedMessage], period: Period
) -> float | None:
    """Return the longest quiet span of a relationship in the period, in days.

    The spans are those between consecutive messages. A relationship that
    had not ended by the end of the period also has the span from its last
    message, or from its start in the period when it sent none, to the end
    of the period. None for an ended one with fewer than two messages.
    """
    times = [parse_time(m.received_at) for m in messages]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    ended = relationship.ended_at
    if ended is None or parse_time(ended) >= period.end:
        since = (
            times[-1]
            if times
            else max(parse_time(relationship.started_at), period.start)
        )
        gaps.append(period.end - since)
    return max(gaps).total_seconds() / DAY if gaps else None


def _totals(
    reports: Sequence[RelationshipReport], messages: Sequence[CountedMessage]
) -> Totals:
    # A message between members of two relationships counts in both, but
    # once in the programme's totals.
    unique = {m.message_id: m for m in messages}.values()
    flags = Counter(category for m in unique for category in m.categories)
    statuses = Counter(r.status for r in reports)
    medians = [
        r.median_reply_hours for r in reports if r.median_reply_hours is not None
    ]
    return Totals(
        relationships={status: statuses[status] for status in STATUSES},
        messages=len(unique),
        held=sum(m.held for m in unique),
        flagged=sum(bool(m.categories) for m in unique),
        flags=dict(sorted(flags.items())),
        median_reply_hours=statistics.median(medians) if medians else None,
    )


def _median_hours(seconds: Sequence[float]) -> float | None:
    return statistics.median(seconds) / HOUR if seconds else None


# Times


def iso_week(moment: date) -> str:
    """Return the ISO 8601 week of a day or time, such as "2026-W02"."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def parse_time(value: str) -> datetime:
    """Read an ISO 8601 time from the archive; one without an offset is UTC."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
