"""The pipeline runner: filters received messages and queues their delivery.

Each received message has a pipeline job. The runner leases the job and runs
the filters in a child process, so SMTP sessions never wait on content work.
It then commits the delivered copy, the findings, the safeguarding alerts
and the delivery jobs (or the hold) in one transaction that also deletes the
job. A job whose runner died runs again when its lease expires, or at once
when the relay restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from archive.junctions import previous_message_tail
from archive.store import (
    Archive,
    FilterOutcome,
    PipelineWork,
    StoredFinding,
    UnreadableOriginalError,
)
from archive.subject import html_to_text
from console.alerts import alert_notices
from filters.base import FilterContext, Finding
from filters.pipeline import CleanMessage, clean_message
from filters.safeguarding import load_rules
from relay.compose import (
    Identity,
    InboundHeaders,
    compose,
    new_message_id,
    read_inbound_headers,
)
from relay.config import Config
from relay.filter_process import FilterTimeout
from relay.notices import auto_reply_limit_reason, automatic_kind

log = logging.getLogger(__name__)

LEASE_SECONDS = 300.0

# Findings that put a message in front of a safeguarding officer, by the
# label the review shows. Safeguarding findings carry their own category.
FLAGGED_KINDS = {
    "phone": "contact details",
    "email": "contact details",
    "postcode": "contact details",
    "street_address": "contact details",
    "off_platform": "off-platform contact",
    "profanity": "offensive language",
    "attachment": "attachment",
    "forwarded": "forwarded message",
    "split_detail": "split contact details",
}
IDLE_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class _Filtered:
    clean: CleanMessage
    inbound: InboundHeaders


def filter_context(config: Config) -> FilterContext:
    return FilterContext(
        relay_domain=config.domain,
        default_region=config.filters.default_region,
        extra_offensive_words=config.filters.extra_offensive_words,
        allowed_offensive_words=config.filters.allowed_offensive_words,
        safeguarding_rules=load_rules(config.filters.safeguarding_rules),
        safeguarding_model=config.filters.safeguarding_model,
    )


class Filterer(Protocol):
    async def warm_up(self, context: FilterContext) -> None: ...

    async def clean(self, raw: bytes, context: FilterContext) -> CleanMessage: ...

    def close(self) -> None: ...


class InlineFilterer:
    """Runs the filters in a worker thread, with no time limit; for tests."""

    async def warm_up(self, context: FilterContext) -> None:
        pass

    async def clean(self, raw: bytes, context: FilterContext) -> CleanMessage:
        return await asyncio.to_thread(clean_message, raw, context)

    def close(self) -> None:
        pass


def default_workers() -> int:
    """Return the number of filter processes: one per core, from one to four."""
    return max(1, min(os.cpu_count() or 1, 4))


class PipelineRunner:
    """Runs received messages through the filters, one job per worker at a time."""

    def __init__(
        self,
        config: Config,
        archive: Archive,
        received: asyncio.Event,
        queued: asyncio.Event,
        filterer_factory: Callable[[], Filterer] | None = None,
        workers: int = 1,
    ) -> None:
        self._config = config
        self._archive = archive
        self._received = received
        self._queued = queued
        self._context = filter_context(config)
        self._workers = workers
        self._new_filterer = filterer_factory or InlineFilterer
        self._filterers: list[Filterer] = []
        self._warm_up_turn = asyncio.Lock()

    async def _job_context(self, work: PipelineWork) -> FilterContext:
        """Return the filter context with the end of the sender's recent messages."""
        tail = await previous_message_tail(self._archive, work.message_id)
        return replace(self._context, previous_tail=tail)

    def _filterer(self) -> Filterer:
        filterer = self._new_filterer()
        self._filterers.append(filterer)
        return filterer

    def close(self) -> None:
        for filterer in self._filterers:
            filterer.close()
        self._filterers.clear()

    async def run(self) -> None:
        """Process jobs with every worker until cancelled."""
        await asyncio.gather(
            *(self._work(self._filterer()) for _ in range(self._workers))
        )

    async def _work(self, filterer: Filterer) -> None:
        """Process jobs until cancelled, sleeping while there are none."""
        # Loading the filters takes seconds; doing it before the first job
        # arrives keeps that wait off the first message after a start. The
        # workers load one at a time, so the first is ready as soon as it
        # would be alone and takes jobs while the others load.
        try:
            async with self._warm_up_turn:
                await filterer.warm_up(self._context)
        except Exception:
            log.exception("filter warm-up failed; the first job starts them")
        while True:
            try:
                if await self.run_once(filterer):
                    continue
            except Exception:
                log.exception("pipeline step failed; retrying shortly")
                await asyncio.sleep(1.0)
                continue
            self._received.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._received.wait(), IDLE_POLL_SECONDS)

    async def run_once(self, filterer: Filterer | None = None) -> bool:
        """Process one job; False when none is waiting."""
        work = await self._archive.lease_pipeline_job(LEASE_SECONDS)
        if work is None:
            return False
        filterer = filterer or self._filterer()
        try:
            if work.unreadable_reason is not None:
                raise UnreadableOriginalError(work.unreadable_reason)
            context = await self._job_context(work)
            clean = await filterer.clean(work.raw, context)
            filtered = _Filtered(clean, read_inbound_headers(work.raw))
            outcome = await self._outcome(work, filtered)
        except FilterTimeout as error:
            log.warning("%s held for review: %s", work.queue_id, error)
            reason = f"The {error}, so it was not delivered."
            outcome = _failed_outcome(work, reason, kind="filter_timeout")
        except UnreadableOriginalError as error:
            log.error("%s held for review: %s", work.queue_id, error)
            outcome = _failed_outcome(work, str(error), kind="unreadable_original")
        except Exception as error:
            # A bug in a filter must not loop the job for ever or deliver the
            # raw message: hold it, so a person looks at it.
            log.error("%s filter failed: %s", work.queue_id, type(error).__name__)
            outcome = _failed_outcome(work)
        await self._archive.record_filtered(outcome, [r.id for r in work.recipients])
        if outcome.notices:
            log.info(
                "%s flagged with high severity: %d safeguarding alerts queued",
                work.queue_id,
                len(outcome.notices),
            )
            self._queued.set()
        if outcome.reject_reason:
            log.info("%s not delivered: automatic reply limit reached", work.queue_id)
        elif outcome.hold_reason:
            log.info(
                "%s held for review: %d findings", work.queue_id, len(outcome.findings)
            )
        else:
            log.info(
                "%s filtered: %d findings, %d deliveries queued",
                work.queue_id,
                len(outcome.findings),
                len(work.recipients),
            )
            self._queued.set()
        return True

    async def _outcome(self, work: PipelineWork, filtered: _Filtered) -> FilterOutcome:
        clean, inbound = filtered.clean, filtered.inbound
        identity = Identity(
            sender=work.sender,
            recipients=work.recipients,
            message_id=new_message_id(self._config.domain),
            in_reply_to=await self._relay_ids(inbound.in_reply_to),
            references=await self._relay_ids(inbound.references),
            auto_submitted=inbound.auto_submitted,
        )
        delivered = compose(clean.content, clean.subject, identity)
        if clean.hold_reasons:
            # The filters could not finish, so the content is a placeholder
            # that must never be delivered, even by a release in the console.
            delivered = b""
        automatic = inbound.auto_submitted or automatic_kind(work.raw)
        findings = [_stored(f) for f in clean.findings]
        return FilterOutcome(
            message_id=work.message_id,
            relay_message_id=identity.message_id,
            original_message_id=inbound.message_id,
            subject=clean.subject,
            body_text=searchable_text(clean),
            delivered=delivered,
            findings=findings,
            hold_reason=_joined(work.auth_hold_reason, self._hold_reason(clean)),
            flag=flag_for(clean.findings),
            auto_submitted=automatic,
            reject_reason=await self._auto_reply_limit_reason(work, automatic),
            notices=alert_notices(
                self._config, work.message_id, work.queue_id, findings
            ),
        )

    async def _auto_reply_limit_reason(
        self, work: PipelineWork, automatic: str | None
    ) -> str | None:
        if automatic is None:
            return None
        return await auto_reply_limit_reason(
            self._archive,
            self._config.delivery.max_auto_replies_per_pair_per_day,
            work.sender,
            work.recipients,
            datetime.now(UTC),
        )

    async def _relay_ids(self, message_ids: tuple[str, ...]) -> tuple[str, ...]:
        """Map referenced ids to the relay's own; ids the relay never issued go.

        A sender's client refers to the relay's id of the message it answers,
        or to its own id of a message it sent; either maps to the relay's id.
        Unknown ids are dropped, because they name other hosts and mailboxes.
        """
        known = await self._archive.referenced_messages(message_ids)
        mapped: list[str] = []
        for message_id in message_ids:
            entry = known.get(message_id)
            if entry is not None and entry[0] not in mapped:
                mapped.append(entry[0])
        return tuple(mapped)

    def _hold_reason(self, clean: CleanMessage) -> str | None:
        if clean.hold_reasons:
            return " ".join(clean.hold_reasons)
        flagged = [f for f in clean.findings if f.severity == "high"]
        if flagged and self._config.filters.hold_flagged:
            return "Flagged for a safeguarding review: " + ", ".join(
                sorted({f.category for f in flagged})
            )
        return None


def _joined(*reasons: str | None) -> str | None:
    """Join the hold reasons that are set, or return None when none is."""
    present = [reason for reason in reasons if reason]
    return " ".join(present) if present else None


def flag_for(findings: tuple[Finding, ...]) -> str | None:
    """Return the labels of flagged findings, joined, or None when none is."""
    labels = []
    for finding in findings:
        label = finding.category or FLAGGED_KINDS.get(finding.kind)
        if label and label not in labels:
            labels.append(label)
    return ", ".join(labels) if labels else None


def searchable_text(clean: CleanMessage) -> str:
    """Return the delivered text parts joined, for the full-text index.

    The text/plain parts are used when there are any. A message sent as
    HTML alone is indexed by the visible text of its HTML parts, so that
    search and the split-detail check see it too.
    """
    plain = _part_texts(clean, "text/plain")
    if plain:
        return "\n".join(plain)
    return "\n".join(html_to_text(markup) for markup in _part_texts(clean, "text/html"))


def _part_texts(clean: CleanMessage, content_type: str) -> list[str]:
    texts: list[str] = []
    for part in clean.content.walk():
        if part.get_content_type() == content_type:
            try:
                texts.append(part.get_content())
            except (LookupError, ValueError):
                continue
    return texts


def _failed_outcome(
    work: PipelineWork, reason: str | None = None, kind: str = "internal_error"
) -> FilterOutcome:
    return FilterOutcome(
        message_id=work.message_id,
        relay_message_id=new_message_id(work.sender.alias.rpartition("@")[2]),
        original_message_id=None,
        subject="",
        body_text="",
        delivered=b"",
        findings=[StoredFinding(kind, "message", 1)],
        hold_reason=reason
        or "The relay could not filter this message, so it was not delivered.",
    )


def _stored(finding: Finding) -> StoredFinding:
    return StoredFinding(
        finding.kind,
        finding.where,
        finding.count,
        finding.detail,
        finding.category,
        finding.severity,
        finding.matched,
    )
