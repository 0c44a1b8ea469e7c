"""Delivery through a real SMTP connection to a downstream server that misbehaves.

The downstream server is aiosmtpd on 127.0.0.1 with a mode that makes it
refuse, defer or reject at one stage, drop the connection after the final
dot, or stall. For each mode the test states the outcome: a retry, a failure
with exactly one notice to the sender, or a duplicate instead of a loss.
"""

from __future__ import annotations

import asyncio
import email
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from relay.transports import SmtpTransport
from tests.conftest import Cast, free_port
from tests.relay.test_delivery import (
    COORDINATOR,
    Setup,
    make_worker,
    open_setup,
    queue_message,
)

TIMEOUT = 0.5
REAL_ADDRESS = "alex@example.com"

# SMTP replies per mode and stage. Every text quotes the recipient's real
# address, as real servers often do, to show that no notice repeats it.
REPLIES = {
    "mail-4xx": ("MAIL", f"451 4.3.0 <{REAL_ADDRESS}> sender deferred"),
    "mail-5xx": ("MAIL", f"550 5.7.1 <{REAL_ADDRESS}> sender rejected"),
    "rcpt-4xx": ("RCPT", f"450 4.2.1 <{REAL_ADDRESS}>: mailbox busy"),
    "rcpt-5xx": ("RCPT", f"550 5.1.1 <{REAL_ADDRESS}>: user unknown"),
    "data-4xx": ("DATA", f"451 4.3.0 <{REAL_ADDRESS}> try again later"),
    "data-5xx": ("DATA", f"554 5.6.0 <{REAL_ADDRESS}> message refused"),
}
GREETINGS = {
    "greeting-4xx": b"421 4.3.2 mx.example.com busy, try later\r\n",
    "greeting-5xx": b"554 5.3.2 mx.example.com not accepting mail\r\n",
}


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class DownstreamHandler:
    """aiosmtpd handler whose replies depend on `mode`."""

    mode: str = "accept"
    received: list[Received] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    stalled: asyncio.Event = field(default_factory=asyncio.Event)

    def _reply(self, stage: str) -> str | None:
        configured = REPLIES.get(self.mode)
        if configured is not None and configured[0] == stage:
            return configured[1]
        return None

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        reply = self._reply("MAIL")
        if reply is not None:
            return reply
        envelope.mail_from = address
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self._reply("RCPT")
        if reply is not None:
            return reply
        if self.mode == "rcpt-4xx-one-mailbox" and address == REAL_ADDRESS:
            return REPLIES["rcpt-4xx"][1]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        reply = self._reply("DATA")
        if reply is not None:
            return reply
        if self.mode == "stall":
            self.stalled.set()
            await self.release.wait()
        self.received.append(
            Received(
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                envelope.original_content or b"",
            )
        )
        if self.mode == "drop-after-dot":
            # The message is stored, but the reply never reaches the client.
            assert isinstance(server.transport, asyncio.Transport)
            server.transport.abort()
        return "250 2.0.0 stored"


class GreetingOnly(asyncio.Protocol):
    """Sends one greeting reply and hangs up, as an overloaded server does."""

    def __init__(self, greeting: bytes, connections: list[int]) -> None:
        self._greeting = greeting
        connections.append(1)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(self._greeting)
        transport.close()


class Downstream:
    """The fake next hop: aiosmtpd, or a greeting-only server for greeting modes."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = DownstreamHandler()
        self.connections: list[int] = []
        self._server: asyncio.Server | None = None

    @property
    def mode(self) -> str:
        return self.handler.mode

    @mode.setter
    def mode(self, value: str) -> None:
        self.handler.mode = value

    def _protocol(self) -> asyncio.Protocol:
        greeting = GREETINGS.get(self.mode)
        if greeting is not None:
            return GreetingOnly(greeting, self.connections)
        self.connections.append(1)
        return SMTP(self.handler, hostname="mx.example.com", decode_data=False)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, host="127.0.0.1", port=self.port
        )

    async def stop(self) -> None:
        self.handler.release.set()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def downstream() -> AsyncIterator[Downstream]:
    server = Downstream()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def setup(
    relay_dir: Path, cast: Cast, downstream: Downstream
) -> AsyncIterator[Setup]:
    transport = SmtpTransport(
        "127.0.0.1",
        downstream.port,
        starttls="off",
        timeout=TIMEOUT,
        helo_name="relay.example.org",
    )
    opened = await open_setup(relay_dir, transport)
    yield opened
    await transport.close()
    await opened.archive.close()


def notice_text(content: bytes) -> str:
    notice = email.message_from_bytes(content, policy=default)
    body = notice.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def assert_deferred(setup: Setup, job_id: int, expected_error: str) -> None:
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("pending", 1)
    assert expected_error in status.last_error
    assert status.next_attempt_at == setup.clock.now + 300
    assert await setup.notices() == []


async def assert_failed_with_one_notice(setup: Setup, job_id: int) -> None:
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("failed", 1)
    notices = await setup.notices(job_id)
    assert [(n.kind, n.recipient) for n in notices] == [
        ("failure", "sam@example.org"),
        ("coordinator_failure", COORDINATOR),
    ]
    text = notice_text(notices[0].content)
    assert f"Your message to Alex Smith <{setup.alex.alias}>" in text
    assert "The recipient's mail server refused the message." in text
    for notice in notices:
        assert REAL_ADDRESS.encode() not in notice.content
        assert b"mx.example.com" not in notice.content


TEMPORARY_MODES = {
    "greeting-4xx": "421",
    # A 5xx greeting is about the relay's setup, not this message, so the
    # message waits for an operator instead of failing.
    "greeting-5xx": "554",
    "mail-4xx": "451",
    "rcpt-4xx": "450",
    "data-4xx": "451",
    "stall": "timed out",
}


@pytest.mark.parametrize("mode", list(TEMPORARY_MODES))
async def test_temporary_downstream_failure_is_retried(
    setup: Setup, downstream: Downstream, mode: str
) -> None:
    downstream.mode = mode
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])

    assert await setup.worker.run_once()
    await assert_deferred(setup, job_id, TEMPORARY_MODES[mode])
    assert downstream.handler.received == []

    downstream.mode = "accept"
    downstream.handler.release.set()
    setup.clock.advance(300)
    assert await setup.worker.run_once()
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("sent", 2)
    (received,) = downstream.handler.received
    assert received.rcpt_tos == [REAL_ADDRESS]


async def test_refused_connection_is_retried(relay_dir: Path, cast: Cast) -> None:
    transport = SmtpTransport("127.0.0.1", free_port(), starttls="off", timeout=TIMEOUT)
    setup = await open_setup(relay_dir, transport)
    try:
        (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
        assert await setup.worker.run_once()
        await assert_deferred(setup, job_id, "could not connect")
    finally:
        await transport.close()
        await setup.archive.close()


@pytest.mark.parametrize("mode", ["mail-5xx", "rcpt-5xx", "data-5xx"])
async def test_permanent_rejection_fails_with_one_notice(
    setup: Setup, downstream: Downstream, mode: str
) -> None:
    downstream.mode = mode
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])

    assert await setup.worker.run_once()
    await assert_failed_with_one_notice(setup, job_id)
    assert REPLIES[mode][1].split()[0] in (await setup.status(job_id)).last_error
    assert downstream.handler.received == []


async def test_notices_reach_downstream_with_null_sender(
    setup: Setup, downstream: Downstream
) -> None:
    downstream.mode = "rcpt-5xx"
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.worker.run_once()

    downstream.mode = "accept"
    assert await setup.worker.run_once()
    received = sorted(downstream.handler.received, key=lambda r: r.rcpt_tos)
    assert [r.rcpt_tos for r in received] == [[COORDINATOR], ["sam@example.org"]]
    for message in received:
        assert message.mail_from == "<>"
        assert message.data.startswith(b"DKIM-Signature: ")
        assert REAL_ADDRESS.encode() not in message.data
    assert [n.job_state for n in await setup.notices(job_id)] == ["sent", "sent"]
    assert not await setup.worker.run_once()


async def test_drop_after_dot_gives_duplicate_not_loss(
    setup: Setup, downstream: Downstream
) -> None:
    # The server stored the message but the relay never received the 250
    # reply, so the relay sends it again. A duplicate is acceptable, a loss
    # is not.
    downstream.mode = "drop-after-dot"
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])

    assert await setup.worker.run_once()
    await assert_deferred(setup, job_id, "")
    assert len(downstream.handler.received) == 1

    downstream.mode = "accept"
    setup.clock.advance(300)
    assert await setup.worker.run_once()
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("sent", 2)
    first, second = downstream.handler.received
    assert first.rcpt_tos == second.rcpt_tos == [REAL_ADDRESS]
    first_id = email.message_from_bytes(first.data)["Message-ID"]
    assert first_id == email.message_from_bytes(second.data)["Message-ID"]
    assert await setup.notices() == []


async def test_failing_smarthost_is_tried_once_for_all_jobs(
    setup: Setup, downstream: Downstream
) -> None:
    await setup.archive.add_relationship([setup.sam.id, setup.jo.id])
    downstream.mode = "greeting-4xx"
    (to_alex,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    (to_jo,) = await queue_message(setup.archive, setup.sam, [setup.jo])

    assert await setup.worker.run_once()
    assert len(downstream.connections) == 1
    alex_status = await setup.status(to_alex)
    jo_status = await setup.status(to_jo)
    assert (alex_status.attempts, jo_status.attempts) == (1, 0)
    assert jo_status.next_attempt_at == alex_status.next_attempt_at

    setup.clock.advance(299)
    assert not await setup.worker.run_once()
    downstream.mode = "accept"
    setup.clock.advance(1)
    assert await setup.worker.run_once()
    assert (await setup.status(to_alex)).state == "sent"
    assert (await setup.status(to_jo)).state == "sent"
    assert len(downstream.handler.received) == 2


async def test_busy_mailbox_delays_only_its_own_job(
    setup: Setup, downstream: Downstream
) -> None:
    await setup.archive.add_relationship([setup.sam.id, setup.jo.id])
    downstream.mode = "rcpt-4xx-one-mailbox"
    (to_alex,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    (to_jo,) = await queue_message(setup.archive, setup.sam, [setup.jo])

    assert await setup.worker.run_once()

    await assert_deferred(setup, to_alex, "450")
    assert (await setup.status(to_jo)).state == "sent"
    assert [r.rcpt_tos for r in downstream.handler.received] == [[setup.jo.email]]
    assert await setup.archive._fetchall("SELECT name FROM destinations", ()) == []


async def test_stalled_worker_job_is_sent_after_lease(
    setup: Setup, downstream: Downstream
) -> None:
    # A stalled delivery whose worker is gone is sent by the next worker
    # once the lease expires, so the downstream server receives it once.
    downstream.mode = "stall"
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    # The worker is killed while the server stalls in DATA. The short
    # timeout keeps the QUIT when closing the connection afterwards quick.
    stalled_transport = SmtpTransport(
        "127.0.0.1", downstream.port, starttls="off", timeout=1.0
    )
    doomed = make_worker(
        setup.config, setup.archive, stalled_transport, setup.clock, 60
    )
    task = asyncio.create_task(doomed.run_once())
    await asyncio.wait_for(downstream.handler.stalled.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await stalled_transport.close()

    downstream.mode = "accept"
    setup.clock.advance(61)
    assert await setup.worker.run_once()
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("sent", 1)
    assert len(downstream.handler.received) == 1
