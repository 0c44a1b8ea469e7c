"""The delivery worker: retries, parked destinations, leases, give-up, warnings.

Time is a fake clock handed to the worker, so hours and days pass in one
line. The transport is a fake that records each try and raises the errors
it is given. The helpers here are shared by the other test_delivery files.
"""

from __future__ import annotations

import asyncio
import email
import logging
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from archive.queue import DeliveryQueue, JobStatus, StoredNotice
from archive.schema import MIGRATIONS
from archive.store import Archive, FilterOutcome, Participant
from relay.bounces import bounce_key, parse_bounce_address
from relay.compose import Identity, compose, new_message_id
from relay.config import Config, load_config
from relay.delivery import DeliveryWorker, retry_delay
from relay.dkim import DkimSigner
from relay.notices import Failure
from relay.transports import Transport, TransportError
from tests.conftest import DOMAIN, Cast, set_config

HOUR = 3600.0
DAY = 86400.0
COORDINATOR = "coordinator@example.org"


class Clock:
    """A clock that moves only when the test advances it.

    It starts a minute ahead of real time, because the archive stamps new
    delivery jobs with the real time and they must be due at once.
    """

    def __init__(self) -> None:
        self.now = time.time() + 60

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class NoJitter(random.Random):
    """Random numbers whose jitter factor is always exactly 1."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


@dataclass
class Sent:
    envelope_from: str
    recipient: str
    data: bytes


@dataclass
class FakeTransport:
    """Records every try; raises the queued errors first, one per try."""

    errors: list[TransportError] = field(default_factory=list)
    always_fail: TransportError | None = None
    tries: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    async def send(self, envelope_from: str, recipient: str, message: bytes) -> None:
        self.tries.append(recipient)
        if self.errors:
            raise self.errors.pop(0)
        if self.always_fail is not None:
            raise self.always_fail
        self.sent.append(Sent(envelope_from, recipient, message))

    async def close(self) -> None:
        return None


def temporary(text: str = "451 4.3.0 try again later") -> TransportError:
    return TransportError(text, permanent=False, code=451)


def permanent(text: str, code: int = 550) -> TransportError:
    return TransportError(text, permanent=True, code=code)


@dataclass
class Setup:
    """A relay directory's config and archive, a worker, its clock and transport."""

    config: Config
    archive: Archive
    queue: DeliveryQueue
    clock: Clock
    transport: Transport
    worker: DeliveryWorker
    sam: Participant
    alex: Participant
    jo: Participant

    def new_worker(self, lease_seconds: float = 600.0) -> DeliveryWorker:
        return make_worker(
            self.config, self.archive, self.transport, self.clock, lease_seconds
        )

    async def status(self, job_id: int) -> JobStatus:
        status = await self.queue.job_status(job_id)
        assert status is not None
        return status

    async def notices(self, job_id: int | None = None) -> list[StoredNotice]:
        return await self.queue.notices(job_id)


def make_worker(
    config: Config,
    archive: Archive,
    transport: Transport,
    clock: Clock,
    lease_seconds: float = 600.0,
) -> DeliveryWorker:
    signer = DkimSigner(
        config.domain, config.dkim.selector, config.dkim.private_key.read_bytes()
    )
    return DeliveryWorker(
        config,
        archive,
        transport,
        signer,
        asyncio.Event(),
        clock=clock,
        lease_seconds=lease_seconds,
        rng=NoJitter(),
    )


async def open_setup(
    relay_dir: Path, transport: Transport | None = None, coordinator: bool = True
) -> Setup:
    if coordinator:
        set_config(relay_dir, "relay", "coordinator_email", f'"{COORDINATOR}"')
    config = load_config(relay_dir / "relay.toml")
    archive = await Archive.open(config.archive_path)
    clock = Clock()
    transport = transport if transport is not None else FakeTransport()
    sam = await archive.participant_by_email("sam@example.org")
    alex = await archive.participant_by_email("alex@example.com")
    jo = await archive.participant_by_email("jo@example.com")
    assert sam is not None and alex is not None and jo is not None
    return Setup(
        config,
        archive,
        DeliveryQueue(archive),
        clock,
        transport,
        make_worker(config, archive, transport, clock),
        sam,
        alex,
        jo,
    )


async def queue_message(
    archive: Archive,
    sender: Participant,
    recipients: Sequence[Participant],
    *,
    subject: str = "Revision plan",
    envelope_from: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> list[int]:
    """Store a message as accepted and filtered; return its delivery job ids."""
    raw = f"From: {sender.name} <{sender.email}>\r\nSubject: {subject}\r\n"
    raw += "".join(f"{name}: {value}\r\n" for name, value in headers)
    raw += "\r\nSee you on Tuesday.\r\n"
    queue_id = new_message_id(DOMAIN).split("@")[0][:20].upper()
    message_id = await archive.accept_message(
        queue_id,
        "127.0.0.1",
        sender.email if envelope_from is None else envelope_from,
        sender.id,
        [r.id for r in recipients],
        raw.encode(),
    )
    await archive.record_filtered(
        filtered_outcome(message_id, sender, recipients, subject),
        [r.id for r in recipients],
    )
    return [job["id"] for job in await archive.delivery_jobs_of(message_id)]


def filtered_outcome(
    message_id: int,
    sender: Participant,
    recipients: Sequence[Participant],
    subject: str,
) -> FilterOutcome:
    content = EmailMessage()
    content.set_content("See you on Tuesday.\n")
    identity = Identity(
        sender=sender,
        recipients=recipients,
        message_id=new_message_id(DOMAIN),
        in_reply_to=(),
        references=(),
        auto_submitted=None,
    )
    return FilterOutcome(
        message_id=message_id,
        relay_message_id=identity.message_id,
        original_message_id=None,
        subject=subject,
        body_text="See you on Tuesday.",
        delivered=compose(content, subject, identity),
        findings=[],
        hold_reason=None,
    )


def parsed(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=default)


@pytest.fixture
async def setup(relay_dir: Path, cast: Cast) -> AsyncIterator[Setup]:
    opened = await open_setup(relay_dir)
    yield opened
    await opened.archive.close()


def fake(setup: Setup) -> FakeTransport:
    assert isinstance(setup.transport, FakeTransport)
    return setup.transport


# Backoff


def test_retry_delay_doubles_up_to_the_maximum(relay_dir: Path) -> None:
    settings = load_config(relay_dir / "relay.toml").delivery
    delays = [retry_delay(n, settings, NoJitter()) for n in range(7)]
    assert delays == [300.0, 600.0, 1200.0, 2400.0, 3600.0, 3600.0, 3600.0]


def test_retry_delay_jitter_stays_within_ten_percent(relay_dir: Path) -> None:
    settings = load_config(relay_dir / "relay.toml").delivery
    rng = random.Random(7)
    delays = {retry_delay(0, settings, rng) for _ in range(200)}
    assert min(delays) >= 270.0
    assert max(delays) <= 330.0
    assert len(delays) > 100


# Retries


async def test_temporary_failure_is_retried_after_backoff(setup: Setup) -> None:
    fake(setup).errors = [temporary(), temporary()]
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    start = setup.clock.now

    assert await setup.worker.run_once()
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("pending", 1)
    assert status.next_attempt_at == start + 300
    assert status.last_error == "451 4.3.0 try again later"

    setup.clock.advance(299)
    assert not await setup.worker.run_once()
    setup.clock.advance(1)
    assert await setup.worker.run_once()
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("pending", 2)
    assert status.next_attempt_at == setup.clock.now + 600

    setup.clock.advance(600)
    assert await setup.worker.run_once()
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("sent", 3)
    assert len(fake(setup).sent) == 1
    assert await setup.notices() == []


async def test_failing_destination_parks_its_other_jobs(setup: Setup) -> None:
    # Two messages to Alex share Alex's destination: after the first fails,
    # the second waits for the same retry time without a try of its own.
    await setup.archive.add_relationship([setup.sam.id, setup.jo.id])
    fake(setup).errors = [temporary()]
    (first,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    (second,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    (to_jo,) = await queue_message(setup.archive, setup.sam, [setup.jo])

    assert await setup.worker.run_once()
    assert fake(setup).tries == ["alex@example.com", "jo@example.com"]
    first_status = await setup.status(first)
    second_status = await setup.status(second)
    assert (first_status.state, first_status.attempts) == ("pending", 1)
    assert (second_status.state, second_status.attempts) == ("pending", 0)
    assert second_status.next_attempt_at == first_status.next_attempt_at
    assert (await setup.status(to_jo)).state == "sent"

    setup.clock.advance(300)
    assert await setup.worker.run_once()
    assert (await setup.status(first)).state == "sent"
    assert (await setup.status(second)).state == "sent"
    assert fake(setup).tries.count("alex@example.com") == 3


async def test_job_gives_up_after_give_up_age(setup: Setup) -> None:
    fake(setup).always_fail = temporary("451 4.4.1 <alex@example.com> no answer")
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])

    tries = 0
    while (await setup.status(job_id)).state == "pending":
        setup.clock.now = (await setup.status(job_id)).next_attempt_at
        assert await setup.worker.run_once()
        tries += 1
        assert tries < 200
    status = await setup.status(job_id)
    assert status.state == "failed"
    assert setup.clock.now - status.created_at == pytest.approx(5 * DAY)
    kinds = [notice.kind for notice in await setup.notices(job_id)]
    assert kinds == ["coordinator_delay", "failure", "coordinator_failure"]

    failure = parsed((await setup.notices(job_id))[1].content)
    text = failure.get_body(("plain",))
    assert text is not None
    assert "stopped trying" in text.get_content()
    assert b"alex@example.com" not in (await setup.notices(job_id))[1].content


async def test_coordinator_is_warned_once_about_slow_job(setup: Setup) -> None:
    fake(setup).always_fail = temporary()
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])

    for _ in range(8):
        assert await setup.worker.run_once()
        setup.clock.now = (await setup.status(job_id)).next_attempt_at
    notices = await setup.notices(job_id)
    assert [notice.kind for notice in notices] == ["coordinator_delay"]
    assert notices[0].recipient == COORDINATOR
    warning = parsed(notices[0].content)
    message = await setup.archive.message(str((await setup.status(job_id)).message_id))
    assert message is not None
    assert warning["Subject"] == f"Delivery delayed: message {message['queue_id']}"
    text = warning.get_body(("plain",))
    assert text is not None
    assert f"To: Alex Smith <{setup.alex.alias}>" in text.get_content()
    assert "alex@example.com" not in text.get_content()
    assert warning["Auto-Submitted"] == "auto-generated"
    assert (await setup.status(job_id)).warned


async def test_warning_is_not_sent_before_warn_age(setup: Setup) -> None:
    fake(setup).always_fail = temporary()
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    # Retries at +0, +5, +15, +35, +75 and +155 minutes: under 4 hours of failing.
    for _ in range(6):
        assert await setup.worker.run_once()
        setup.clock.now = (await setup.status(job_id)).next_attempt_at
    assert await setup.notices(job_id) == []
    assert not (await setup.status(job_id)).warned


async def test_warning_without_coordinator_is_logged_once(
    relay_dir: Path, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    setup = await open_setup(relay_dir, coordinator=False)
    try:
        fake(setup).always_fail = temporary()
        (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
        with caplog.at_level(logging.WARNING, logger="relay.delivery"):
            for _ in range(10):
                assert await setup.worker.run_once()
                setup.clock.now = (await setup.status(job_id)).next_attempt_at
        warnings = [r for r in caplog.records if "has been failing" in r.message]
        assert len(warnings) == 1
        assert await setup.notices() == []
    finally:
        await setup.archive.close()


# Leases


class StallingTransport:
    """Accepts a send and never finishes it, like a worker that hangs or dies."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def send(self, envelope_from: str, recipient: str, message: bytes) -> None:
        self.started.set()
        await asyncio.Event().wait()

    async def close(self) -> None:
        return None


async def test_killed_worker_job_returns_after_lease(setup: Setup) -> None:
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    stalling = StallingTransport()
    doomed = make_worker(setup.config, setup.archive, stalling, setup.clock, 60)
    task = asyncio.create_task(doomed.run_once())
    await asyncio.wait_for(stalling.started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await setup.status(job_id)).lease_until == setup.clock.now + 60

    successor = setup.new_worker()
    setup.clock.advance(59)
    assert not await successor.run_once()
    setup.clock.advance(1)
    assert await successor.run_once()
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("sent", 1)
    assert [sent.recipient for sent in fake(setup).sent] == ["alex@example.com"]


async def test_leased_job_is_not_leased_twice(setup: Setup) -> None:
    await queue_message(setup.archive, setup.sam, [setup.alex])
    first = await setup.queue.lease(setup.clock.now, 10, 600)
    second = await setup.queue.lease(setup.clock.now, 10, 600)
    assert len(first) == 1
    assert second == []


async def test_restart_releases_leases(setup: Setup) -> None:
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    await setup.queue.lease(setup.clock.now, 10, 600)
    await setup.archive.release_leases()
    assert await setup.worker.run_once()
    assert (await setup.status(job_id)).state == "sent"


# Permanent failures and notices


async def test_permanent_failure_sends_exactly_one_notice(setup: Setup) -> None:
    fake(setup).errors = [
        permanent("127.0.0.1:25 rejected the recipient (RCPT): 550 <alex@example.com>")
    ]
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])

    assert await setup.worker.run_once()
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("failed", 1)
    assert "alex@example.com" in status.last_error
    row = await setup.archive.message(str(status.message_id))
    assert row is not None
    assert row["status"] == "failed"

    notices = await setup.notices(job_id)
    assert [(n.kind, n.recipient) for n in notices] == [
        ("failure", "sam@example.org"),
        ("coordinator_failure", COORDINATOR),
    ]
    for notice in notices:
        assert b"alex@example.com" not in notice.content
        assert setup.alex.alias.encode() in notice.content

    # The notices go through the queue: signed, with an empty envelope sender.
    assert await setup.worker.run_once()
    assert sorted(sent.recipient for sent in fake(setup).sent) == [
        COORDINATOR,
        "sam@example.org",
    ]
    for sent in fake(setup).sent:
        assert sent.envelope_from == ""
        assert sent.data.startswith(b"DKIM-Signature: ")
    assert not await setup.worker.run_once()
    assert len(await setup.notices()) == 2


async def test_failed_job_cannot_fail_twice(setup: Setup) -> None:
    fake(setup).errors = [permanent("550 no such user")]
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.worker.run_once()
    assert not await setup.worker.failures.fail(job_id, Failure.bounced("5.1.1"))
    assert len(await setup.notices(job_id)) == 2


async def test_failed_notice_gets_no_notice(setup: Setup) -> None:
    fake(setup).errors = [permanent("550 no such user")]
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.worker.run_once()
    fake(setup).always_fail = permanent("550 mailbox gone")

    assert await setup.worker.run_once()
    notices = await setup.notices()
    assert len(notices) == 2
    assert [notice.job_state for notice in notices] == ["failed", "failed"]
    assert all(notice.about_job_id == job_id for notice in notices)


async def test_notice_gives_up_silently(setup: Setup) -> None:
    fake(setup).errors = [permanent("550 no such user")]
    await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.worker.run_once()
    fake(setup).always_fail = temporary()

    for _ in range(1000):
        due = await setup.archive.next_delivery_due()
        if due is None:
            break
        setup.clock.now = max(due, setup.clock.now)
        await setup.worker.run_once()
    else:
        raise AssertionError("the notices were still queued after 1000 runs")
    notices = await setup.notices()
    assert [notice.job_state for notice in notices] == ["failed", "failed"]
    assert len(notices) == 2


@pytest.mark.parametrize(
    ("envelope_from", "headers"),
    [
        ("", ()),
        ("sam@example.org", (("Auto-Submitted", "auto-replied"),)),
        ("sam@example.org", (("Auto-Submitted", "auto-generated; owner=x"),)),
        ("sam@example.org", (("X-Autoreply", "yes"),)),
        ("sam@example.org", (("X-Autorespond", "Out of office"),)),
        ("sam@example.org", (("Precedence", "auto_reply"),)),
        ("sam@example.org", (("Precedence", "bulk"),)),
    ],
    ids=[
        "null-sender",
        "auto-replied",
        "auto-generated",
        "x-autoreply",
        "x-autorespond",
        "precedence-auto-reply",
        "precedence-bulk",
    ],
)
async def test_automatic_message_failure_sends_no_notice(
    setup: Setup, envelope_from: str, headers: tuple[tuple[str, str], ...]
) -> None:
    fake(setup).errors = [permanent("550 no such user")]
    (job_id,) = await queue_message(
        setup.archive,
        setup.sam,
        [setup.alex],
        envelope_from=envelope_from,
        headers=headers,
    )
    assert await setup.worker.run_once()
    assert (await setup.status(job_id)).state == "failed"
    assert await setup.notices() == []
    assert not await setup.worker.run_once()


async def test_auto_submitted_no_still_gets_a_notice(setup: Setup) -> None:
    fake(setup).errors = [permanent("550 no such user")]
    (job_id,) = await queue_message(
        setup.archive, setup.sam, [setup.alex], headers=(("Auto-Submitted", "no"),)
    )
    assert await setup.worker.run_once()
    assert [n.kind for n in await setup.notices(job_id)] == [
        "failure",
        "coordinator_failure",
    ]


async def test_failure_without_coordinator_notifies_sender_only(
    relay_dir: Path, cast: Cast
) -> None:
    setup = await open_setup(relay_dir, coordinator=False)
    try:
        fake(setup).errors = [permanent("550 no such user")]
        (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
        assert await setup.worker.run_once()
        notices = await setup.notices(job_id)
        assert [(n.kind, n.recipient) for n in notices] == [
            ("failure", "sam@example.org")
        ]
    finally:
        await setup.archive.close()


# Envelope sender


async def test_message_goes_out_with_its_bounce_address(setup: Setup) -> None:
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.worker.run_once()
    (sent,) = fake(setup).sent
    key = bounce_key(setup.config.dkim.private_key.read_bytes())
    assert parse_bounce_address(sent.envelope_from, DOMAIN, key) == job_id
    assert sent.envelope_from.startswith(f"bounces+{job_id}.")
    assert sent.recipient == "alex@example.com"


# Schema


async def test_migration_keeps_queued_jobs(tmp_path: Path) -> None:
    # An archive written before notices existed has delivery jobs that must
    # survive the rebuild of their table with the same ids and state.
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
        db.execute(
            "INSERT INTO participants VALUES (1, 'Sam Jones', 'sam@example.org', "
            "'sam.k7q2@relay.example.org', 'mentor', 'active', 'x'), "
            "(2, 'Alex Smith', 'alex@example.com', 'alex.m3x9@relay.example.org', "
            "'mentee', 'active', 'x')"
        )
        db.execute(
            "INSERT INTO messages (id, queue_id, received_at, client_address, "
            "envelope_from, sender_id, raw, delivered) VALUES "
            "(1, 'OLD1', 'x', '127.0.0.1', 'sam@example.org', 1, x'00', x'41')"
        )
        db.execute(
            "INSERT INTO delivery_jobs (id, message_id, recipient_id, attempts, "
            "next_attempt_at, created_at, last_error) "
            "VALUES (5, 1, 2, 3, 0, 0, '451 later')"
        )

    archive = await Archive.open(path)
    try:
        assert await archive.schema_version() == len(MIGRATIONS)
        (job,) = await DeliveryQueue(archive).lease(time.time(), 10, 60)
    finally:
        await archive.close()
    assert (job.id, job.label, job.attempts) == (5, "OLD1", 3)
    assert job.recipient_address == "alex@example.com"
    assert job.content == b"A"
    assert not job.is_notice
