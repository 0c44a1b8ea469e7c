"""The scheduler inside `serve`: term ends, prompts, notices, digests, retention.

Every [programme] scheduler_interval_seconds, and once at start, one tick
does all work that is due at the time the clock returns, in this order:

1. resume paused relationships whose resume date has come, and end those
   past their planned end (`archive.lifecycle`);
2. a wind-down notice to each member of an active relationship whose last
   day is within wind_down_days, and to the coordinators, unless a member
   is suspended;
3. a prompt to both members of an active pair that has not written for more
   than prompt_after_quiet_days;
4. the weekly digest to each coordinator, once on digest_weekday, or on
   the first tick after it when the relay was down that day;
5. `retention run`, once a day when [retention] scheduled is true.

Every send is recorded in programme_sends with the notices it queues, so
running a tick again, or many times, sends nothing twice. Each step runs on
its own, so one that fails is logged and the others still run. Days and
weeks are counted in UTC.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from archive import lifecycle, retention
from archive.programme import PairActivity, ProgrammeStore
from archive.purge import UNCHECKPOINTED
from archive.store import Archive, Participant
from relay.config import Config
from relay.programme_mail import (
    Digest,
    EndingPair,
    PairCount,
    ProgrammeMail,
    QuietPair,
)
from relay.report import iso_week

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TickReport:
    """The outcome of one tick: relationship ids and the number of sends queued."""

    resumed: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    wind_downs: int = 0
    prompts: int = 0
    digests: int = 0
    retention_ran: bool = False
    # Names of the steps that raised.
    failed: list[str] = field(default_factory=list)


class Scheduler:
    """Runs the programme's timed work; `clock` returns an aware UTC datetime."""

    def __init__(
        self,
        config: Config,
        archive: Archive,
        mail: ProgrammeMail,
        queued: asyncio.Event,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._config = config
        self._archive = archive
        self._store = ProgrammeStore(archive)
        self._mail = mail
        self._queued = queued
        self._clock = clock
        self._retention_day: date | None = None
        self._failures: dict[str, int] = {}

    async def run(self) -> None:
        """Tick now and then every scheduler_interval_seconds, until cancelled."""
        interval = self._config.programme.scheduler_interval_seconds
        log.info("programme scheduler started: a tick every %g seconds", interval)
        try:
            while True:
                await self._tick_logged()
                await asyncio.sleep(interval)
        finally:
            log.info("programme scheduler stopped")

    async def _tick_logged(self) -> None:
        # Each step already logs its own failure; this catches the rest (a
        # clock that raises, or a naive time), so the loop goes on.
        try:
            await self.tick(self._clock())
        except Exception:
            log.exception("scheduler tick failed")

    async def tick(self, now: datetime) -> TickReport:
        """Do all work due at `now`; safe to call any number of times."""
        if now.tzinfo is None:
            raise ValueError("the scheduler's time must be timezone-aware")
        now = now.astimezone(UTC)
        report = TickReport()
        steps: Sequence[tuple[str, Callable[[datetime, TickReport], Awaitable[None]]]]
        steps = (
            ("relationship dates", self._relationship_dates),
            ("wind-down notices", self._wind_down),
            ("prompts", self._prompts),
            ("weekly digest", self._digest),
            ("retention", self._run_retention),
        )
        for name, step in steps:
            await self._run_step(name, step, now, report)
        if report.wind_downs or report.prompts or report.digests:
            self._queued.set()
        return report

    async def _run_step(
        self,
        name: str,
        step: Callable[[datetime, TickReport], Awaitable[None]],
        now: datetime,
        report: TickReport,
    ) -> None:
        try:
            await step(now, report)
        except Exception as error:
            report.failed.append(name)
            count = self._failures.get(name, 0) + 1
            self._failures[name] = count
            # The traceback goes to the log once per run of failures; the
            # repeats every interval get one line each.
            if count == 1:
                log.exception("scheduler step %s failed", name)
            else:
                log.error(
                    "scheduler step %s failed again (%d ticks in a row): %s",
                    name,
                    count,
                    type(error).__name__,
                )
            return
        if self._failures.pop(name, 0):
            log.info("scheduler step %s succeeded again", name)

    # Steps

    async def _relationship_dates(self, now: datetime, report: TickReport) -> None:
        today = now.date()
        report.resumed = await lifecycle.resume_due(self._archive, today)
        report.closed = await lifecycle.close_due(self._archive, today)

    async def _wind_down(self, now: datetime, report: TickReport) -> None:
        window = self._config.programme.wind_down_days
        coordinators = await self._coordinator_addresses()
        for relationship in await self._archive.list_relationships():
            planned_end = date.fromisoformat(relationship.planned_end)
            days_left = (planned_end - now.date()).days
            if relationship.status != "active" or not 0 <= days_left <= window:
                continue
            # A suspended member (an erased one, say) gets no notice, and the
            # partner's notice would name them, so the pair gets none. The
            # coordinators' notice says that each member was sent one, so it
            # is left out too, and the digest still lists the ending pair.
            if any(m.status != "active" for m in relationship.members):
                continue
            notices = [
                self._mail.wind_down(member, partners, planned_end, now)
                for member, partners in _reachable_members(relationship.members)
            ]
            notices += [
                self._mail.wind_down_coordinator(
                    address, relationship.id, relationship.members, planned_end, now
                )
                for address in coordinators
            ]
            subject = f"{relationship.id}:{relationship.planned_end}"
            if await self._store.record_send(
                "wind_down", subject, notices, now, relationship_id=relationship.id
            ):
                report.wind_downs += 1
                log.info(
                    "relationship %d: wind-down notice queued to %d recipients",
                    relationship.id,
                    len(notices),
                )

    async def _prompts(self, now: datetime, report: TickReport) -> None:
        for pair in await self._store.pair_activity():
            days_quiet = self._days_quiet(pair, now)
            if days_quiet is None:
                continue
            relationship = pair.relationship
            members = relationship.members
            # A suspended member can neither send nor receive, so a prompt
            # would ask the other to write into a refusal.
            if any(m.status != "active" for m in members):
                continue
            notices = [
                self._mail.prompt(member, partners, days_quiet, now)
                for member, partners in _reachable_members(members)
            ]
            subject = f"{relationship.id}:{pair.last_activity}"
            if await self._store.record_send(
                "prompt", subject, notices, now, relationship_id=relationship.id
            ):
                report.prompts += 1
                log.info(
                    "relationship %d: prompt queued after %d quiet days",
                    relationship.id,
                    days_quiet,
                )

    def _days_quiet(self, pair: PairActivity, now: datetime) -> int | None:
        """Return the whole days since an active pair last wrote, if too many."""
        if pair.relationship.status != "active":
            return None
        quiet = now - pair.last_activity_at
        if quiet <= timedelta(days=self._config.programme.prompt_after_quiet_days):
            return None
        return quiet.days

    async def _digest(self, now: datetime, report: TickReport) -> None:
        # The digest is due on digest_weekday (UTC). A relay that was down
        # all that day sends it on its next tick within six days. A relay
        # that has never sent a digest waits for the digest day itself, so
        # its first tick does not send last week's.
        today = now.date()
        behind = (today.weekday() - self._config.programme.digest_weekday) % 7
        if behind and not await self._store.has_sent_any("digest"):
            return
        week = iso_week(today - timedelta(days=behind))
        due = [
            address
            for address in await self._coordinator_addresses()
            if not await self._store.was_sent("digest", f"{address}:{week}")
        ]
        if not due:
            return
        digest = await self._gather_digest(now, week)
        for address in due:
            notice = self._mail.digest(address, digest, now)
            if await self._store.record_send(
                "digest", f"{address}:{week}", [notice], now
            ):
                report.digests += 1
        log.info("weekly digest %s queued to %d recipients", week, report.digests)

    async def _run_retention(self, now: datetime, report: TickReport) -> None:
        settings = self._config.retention
        if not settings.scheduled or self._retention_day == now.date():
            return
        result = await retention.run_retention(self._archive, settings, now)
        self._retention_day = now.date()
        report.retention_ran = True
        log.info(
            "retention run deleted %d messages, %d originals, %d findings, "
            "%d audit rows, %d decisions and %d notices",
            result.delivered,
            result.originals,
            result.findings,
            result.audit,
            result.decisions,
            result.notices,
        )
        if not result.files_scrubbed:
            log.warning("retention run: %s", UNCHECKPOINTED.removeprefix("warning: "))

    # Helpers

    async def _coordinator_addresses(self) -> list[str]:
        """Return each coordinator's address once, compared without case."""
        addresses = await self._store.coordinator_addresses()
        if self._config.coordinator_email:
            addresses.append(self._config.coordinator_email)
        unique: dict[str, str] = {}
        for address in addresses:
            unique.setdefault(address.lower(), address.lower())
        return list(unique.values())

    async def _gather_digest(self, now: datetime, week: str) -> Digest:
        since = now - timedelta(days=7)
        window = self._config.programme.wind_down_days
        pairs = await self._store.pair_activity()
        counts = await self._store.message_counts(since, now)
        review = await self._store.review_counts(since)

        quiet: list[QuietPair] = []
        ending: list[EndingPair] = []
        for pair in pairs:
            relationship = pair.relationship
            aliases = tuple(m.alias for m in relationship.members)
            days_quiet = self._days_quiet(pair, now)
            if days_quiet is not None:
                quiet.append(QuietPair(relationship.id, aliases, days_quiet))
            planned_end = date.fromisoformat(relationship.planned_end)
            if 0 <= (planned_end - now.date()).days <= window:
                paused = relationship.status == "paused"
                ending.append(
                    EndingPair(
                        relationship.id, aliases, relationship.planned_end, paused
                    )
                )
        return Digest(
            week=week,
            held=review.held,
            held_new=review.held_new,
            flagged=review.flagged,
            flagged_new=review.flagged_new,
            quiet=quiet,
            ending=ending,
            counts=[
                PairCount(
                    p.relationship.id,
                    tuple(m.alias for m in p.relationship.members),
                    counts.get(p.relationship.id, 0),
                )
                for p in pairs
            ],
        )


def _reachable_members(
    members: Sequence[Participant],
) -> list[tuple[Participant, list[Participant]]]:
    """Pair each active member with the other members, for their own mail."""
    return [
        (member, [other for other in members if other.id != member.id])
        for member in members
        if member.status == "active"
    ]
