"""The delivery worker: signs queued messages and hands them to the transport.

A job is leased before it is tried, so two workers never send it twice and
a job whose worker died is tried again once its lease expires. Temporary
failures are retried with doubling backoff and jitter until the give-up age.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import cast

from archive.store import Archive, DeliveryJob
from relay.config import Config, DeliverySettings
from relay.dkim import DkimSigner
from relay.transports import (
    MaildirTransport,
    SmtpTransport,
    StartTlsMode,
    Transport,
    TransportError,
)

log = logging.getLogger(__name__)

LEASE_SECONDS = 600.0
BATCH_SIZE = 20
IDLE_POLL_SECONDS = 5.0


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


def retry_delay(attempts: int, settings: DeliverySettings) -> float:
    """Return the wait before the next try: doubling from the base, with jitter."""
    delay = settings.retry_base_seconds * float(2 ** min(attempts, 20))
    delay = min(delay, settings.retry_max_seconds)
    return delay * random.uniform(0.9, 1.1)


class DeliveryWorker:
    def __init__(
        self,
        config: Config,
        archive: Archive,
        transport: Transport,
        signer: DkimSigner,
        queued: asyncio.Event,
    ) -> None:
        self._config = config
        self._archive = archive
        self._transport = transport
        self._signer = signer
        self._queued = queued
        self.envelope_from = f"bounces@{config.domain}"

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
            with contextlib.suppress(TimeoutError):
                idle = await self._idle_wait()
                await asyncio.wait_for(self._queued.wait(), idle)

    async def _idle_wait(self) -> float:
        due = await self._archive.next_delivery_due()
        if due is None:
            return IDLE_POLL_SECONDS
        return min(max(due - time.time(), 0.05), IDLE_POLL_SECONDS)

    async def run_once(self) -> bool:
        """Try every due job once; False when none was due."""
        jobs = await self._archive.lease_delivery_jobs(BATCH_SIZE, LEASE_SECONDS)
        if not jobs:
            return False
        await asyncio.gather(*(self._deliver(job) for job in jobs))
        return True

    async def _deliver(self, job: DeliveryJob) -> None:
        try:
            signed = self._signer.sign(job.delivered)
        except ValueError as error:
            # The relay composed these bytes itself, so this is a relay bug;
            # the job fails for a person to look at instead of looping.
            log.error("%s cannot be signed: %s", job.queue_id, error)
            await self._archive.finish_delivery_job(job.id, "failed", "signing failed")
            return
        try:
            await self._transport.send(self.envelope_from, job.recipient.email, signed)
        except TransportError as error:
            await self._failed(job, error)
            return
        await self._archive.finish_delivery_job(job.id, "sent")
        log.info("%s delivered to %s", job.queue_id, job.recipient.alias)

    async def _failed(self, job: DeliveryJob, error: TransportError) -> None:
        reason = str(error)[:500]
        settings = self._config.delivery
        age = time.time() - job.created_at
        if error.permanent or age >= settings.give_up_seconds:
            await self._archive.finish_delivery_job(job.id, "failed", reason)
            log.warning(
                "%s bounced for %s: %s", job.queue_id, job.recipient.alias, error.code
            )
            return
        delay = retry_delay(job.attempts, settings)
        await self._archive.defer_delivery_job(job.id, time.time() + delay, reason)
        log.info(
            "%s deferred for %s: retry in %.0f s",
            job.queue_id,
            job.recipient.alias,
            delay,
        )
