"""The delivery worker: signs queued messages and notices, hands them to the transport.

A job is leased before it is tried, so two workers never send it at once,
and a job whose worker died is tried again once its lease expires. Before a
participant's message goes out, the worker checks again that sender and
recipient may still write to each other, and holds the message for review
when they may not.

Temporary failures are retried with doubling backoff and jitter. The whole
destination (the smarthost, or one recipient's Maildir) is parked until the
retry time, so the other jobs for it wait too instead of each trying it. A
job that keeps failing past the warning age is reported to the coordinator
once; past the give-up age, or on a permanent failure, it fails and its
sender gets one notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import cast

from archive.queue import DeliveryQueue, QueuedJob
from archive.store import Archive
from relay import bounces
from relay.config import Config, DeliverySettings
from relay.dkim import DkimSigner
from relay.notices import Failure, FailureReporter, coordinator_delay_notice
from relay.policy import refusal_for
from relay.transports import (
    MaildirTransport,
    SmtpTransport,
    StartTlsMode,
    Transport,
    TransportError,
    maildir_folder_name,
)

log = logging.getLogger(__name__)

LEASE_SECONDS = 600.0
BATCH_SIZE = 20
IDLE_POLL_SECONDS = 5.0
MAX_ERROR_LENGTH = 500

Clock = Callable[[], float]


def make_transport(config: Config) -> Transport:
    settings = config.delivery
    if settings.transport == "smtp":
        return SmtpTransport(
            settings.smarthost.host,
            settings.smarthost.port,
            starttls=cast(StartTlsMode, settings.starttls),
            username=settings.username,
            password=settings.password,
            helo_name=config.smtp.hostname,
        )
    return MaildirTransport(settings.maildir)


def retry_delay(
    attempts: int, settings: DeliverySettings, rng: random.Random | None = None
) -> float:
    """Return the wait in seconds after `attempts` failed tries, with 10% jitter.

    The wait doubles from retry_base_seconds up to retry_max_seconds. The
    jitter spreads the retries of jobs that failed together.
    """
    delay = settings.retry_base_seconds * float(2 ** min(attempts, 20))
    delay = min(delay, settings.retry_max_seconds)
    return delay * (rng or random).uniform(0.9, 1.1)


def destination_of(transport: Transport, recipient: str) -> str:
    """Return the name of the next hop that `transport` uses for `recipient`.

    Every message through a smarthost shares one destination; with Maildir
    delivery each recipient's folder is its own. Other transports are taken
    to deliver each recipient separately.
    """
    if isinstance(transport, SmtpTransport):
        return f"smtp:{transport.host}:{transport.port}"
    if isinstance(transport, MaildirTransport):
        try:
            return f"maildir:{maildir_folder_name(recipient)}"
        except TransportError:
            return f"maildir:{recipient.lower()}"
    return f"recipient:{recipient.lower()}"


class DeliveryWorker:
    """Delivers due jobs; `clock` gives the time in seconds since the epoch."""

    def __init__(
        self,
        config: Config,
        archive: Archive,
        transport: Transport,
        signer: DkimSigner,
        queued: asyncio.Event,
        *,
        clock: Clock = time.time,
        lease_seconds: float = LEASE_SECONDS,
        bounce_key: bytes | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._archive = archive
        self._transport = transport
        self._signer = signer
        self._queued = queued
        self._clock = clock
        self._lease_seconds = lease_seconds
        self._bounce_key = bounce_key or bounces.load_bounce_key(config)
        self._rng = rng or random.Random()
        self._queue = DeliveryQueue(archive)
        self.failures = FailureReporter(config, self._queue, queued, clock)

    async def run(self) -> None:
        """Deliver due jobs until cancelled, sleeping until the next is due."""
        while True:
            try:
                if await self.run_once():
                    continue
            except Exception:
                log.exception("delivery step failed; retrying shortly")
                await asyncio.sleep(1.0)
                continue
            self._queued.clear()
            timeout = await self._idle_wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queued.wait(), timeout)

    async def _idle_wait(self) -> float:
        due = await self._archive.next_delivery_due()
        if due is None:
            return IDLE_POLL_SECONDS
        return min(max(due - self._clock(), 0.05), IDLE_POLL_SECONDS)

    async def run_once(self) -> bool:
        """Try every due job once; False when none was due.

        Destinations are served in parallel, and the jobs of one destination
        one after another, so that a failing destination is tried once per run.
        """
        now = self._clock()
        jobs = await self._queue.lease(now, BATCH_SIZE, self._lease_seconds)
        if not jobs:
            return False

        groups: dict[str, list[QueuedJob]] = {}
        for job in jobs:
            destination = destination_of(self._transport, job.recipient_address)
            groups.setdefault(destination, []).append(job)
        await asyncio.gather(
            *(self._deliver_group(name, group) for name, group in groups.items())
        )
        return True

    async def _deliver_group(self, destination: str, jobs: list[QueuedJob]) -> None:
        for job in jobs:
            parked_until = await self._queue.parked_until(destination, self._clock())
            if parked_until is None:
                await self._deliver(job, destination)
            else:
                await self._wait_for_destination(job, parked_until)

    async def _wait_for_destination(self, job: QueuedJob, parked_until: float) -> None:
        if self._expired(job, self._clock()):
            failure = Failure.expired(
                "gave up while the destination was failing", self._give_up_days
            )
            await self.failures.fail(job.id, failure, attempted=False)
            return
        await self._queue.postpone(job.id, parked_until)
        log.debug("%s waits for its destination until %.0f", job.label, parked_until)

    async def _deliver(self, job: QueuedJob, destination: str) -> None:
        if not job.is_notice and await self._held_by_policy(job):
            return
        try:
            signed = self._signer.sign(job.content)
        except ValueError as error:
            # The relay composed these bytes itself, so this is a relay bug;
            # the job fails for a person to look at instead of looping.
            log.error("%s cannot be signed: %s", job.label, error)
            failure = Failure.relay_error(f"signing failed: {error}")
            await self.failures.fail(job.id, failure, attempted=False)
            return

        try:
            await self._transport.send(
                self._envelope_from(job), job.recipient_address, signed
            )
        except TransportError as error:
            await self._failed(job, destination, error)
            return
        await self._queue.mark_sent(job.id, self._clock(), destination)
        log.info("%s delivered to %s", job.label, _recipient_name(job))

    def _envelope_from(self, job: QueuedJob) -> str:
        # Notices go out with an empty envelope sender, so that nothing
        # bounces a notice (RFC 5321 section 4.5.5). A participant's message
        # carries a bounce address that names its job.
        if job.is_notice:
            return ""
        return bounces.make_bounce_address(
            job.id, self._config.domain, self._bounce_key
        )

    async def _held_by_policy(self, job: QueuedJob) -> bool:
        """Hold a message whose sender and recipient may no longer write.

        A message accepted before its relationship was paused waits until
        the pause ends instead, since the pair may write again then.
        """
        assert job.sender is not None and job.recipient is not None
        today = _utc(self._clock()).date()
        if await self._waits_for_pause(job, today):
            return True
        refusal = await refusal_for(
            self._archive, job.sender, job.recipient, self._config.contact, today
        )
        if refusal is None:
            return False
        reason = f"Held before delivery, because {_refusal_cause(job)}."
        if await self._queue.hold(job.id, reason, self._clock()):
            log.info("%s held for review before delivery", job.label)
        return True

    async def _waits_for_pause(self, job: QueuedJob, today: date) -> bool:
        assert job.sender is not None and job.recipient is not None
        if job.sender.status != "active" or job.recipient.status != "active":
            return False
        pairing = await self._archive.pairing(job.sender.id, job.recipient.id)
        if pairing is None or pairing.status == "ended" or not pairing.paused_until:
            return False
        resumes = date.fromisoformat(pairing.paused_until)
        if resumes <= today or date.fromisoformat(pairing.planned_end) < resumes:
            return False
        resume_at = datetime.combine(resumes, datetime.min.time(), UTC).timestamp()
        await self._queue.postpone(job.id, resume_at)
        log.info("%s waits for its relationship to resume on %s", job.label, resumes)
        return True

    async def _failed(
        self, job: QueuedJob, destination: str, error: TransportError
    ) -> None:
        now = self._clock()
        reason = str(error)[:MAX_ERROR_LENGTH]
        if error.permanent:
            code = error.code if error.code and 500 <= error.code < 600 else None
            await self.failures.fail(job.id, Failure.rejected(reason, code))
            return
        if self._expired(job, now):
            failure = Failure.expired(reason, self._give_up_days)
            await self.failures.fail(job.id, failure)
            return

        # A failure of the server parks the whole destination; a 4xx reply
        # about one mailbox delays only this job.
        retry_at = self._retry_at(job, now)
        parked = destination if error.whole_destination else None
        await self._queue.defer(job.id, retry_at, reason, now, parked)
        log.info("%s deferred: retry in %.0f s", job.label, retry_at - now)
        await self._warn_if_slow(job, now)

    def _retry_at(self, job: QueuedJob, now: float) -> float:
        settings = self._config.delivery
        delay = retry_delay(job.attempts, settings, self._rng)
        # The last try falls at the give-up age, not up to an hour after it.
        return min(now + delay, job.created_at + settings.give_up_seconds)

    def _expired(self, job: QueuedJob, now: float) -> bool:
        return now - job.created_at >= self._config.delivery.give_up_seconds

    @property
    def _give_up_days(self) -> float:
        return round(self._config.delivery.give_up_seconds / 86400, 1)

    async def _warn_if_slow(self, job: QueuedJob, now: float) -> None:
        """Warn once when a job has been failing for longer than warn_after_seconds."""
        settings = self._config.delivery
        failing_since = job.first_failed_at
        if job.warned or failing_since is None:
            return
        if now - failing_since < settings.warn_after_seconds:
            return

        coordinator = self._config.coordinator_email
        notice = None
        if coordinator and not job.is_notice:
            notice = coordinator_delay_notice(
                job.label,
                job.sender,
                job.recipient,
                failing_since=_utc(failing_since),
                give_up_at=_utc(job.created_at + settings.give_up_seconds),
                domain=self._config.domain,
                coordinator=coordinator,
                now=_utc(now),
            )
        if not await self._queue.record_warning(job.id, now, notice):
            return
        hours = (now - failing_since) / 3600
        if notice is None:
            log.warning("%s has been failing for %.1f hours", job.label, hours)
            return
        log.warning(
            "%s has been failing for %.1f hours; coordinator notified",
            job.label,
            hours,
        )
        self._queued.set()


def _refusal_cause(job: QueuedJob) -> str:
    """Return, for a reviewer, why the policy now refuses a queued message.

    The SMTP reply from `refusal_for` is worded for the sender and can leave
    out what the reviewer needs to know.
    """
    assert job.sender is not None and job.recipient is not None
    if job.sender.status != "active":
        return f"the sender {job.sender.alias} is {job.sender.status}"
    if job.recipient.status != "active":
        return f"the recipient {job.recipient.alias} is {job.recipient.status}"
    return "the sender and recipient are no longer in an active relationship"


def _recipient_name(job: QueuedJob) -> str:
    return job.recipient.alias if job.recipient else "its recipient"


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
