"""The scheduler inside a real relay: it ticks at start, its mail reaches the sink.

Sam and Alex have not written since their relationship started on
5 January 2026, and the scheduler's clock returns 20 January, so the tick at
start queues a prompt to each. The delivery worker signs both and hands
them to the aiosmtpd sink that stands in for the smarthost.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import dkim
import pytest

from archive.store import Archive
from relay.config import Config
from relay.dkim import dns_txt_value
from relay.server import Relay
from tests.conftest import Cast, Delivery, Sink

NOW = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
STARTED = "2026-01-05T09:00:00+00:00"


async def backdate(config: Config, relationship_id: int) -> None:
    archive = await Archive.open(config.archive_path)
    try:
        async with archive._transaction() as db:
            await db.execute(
                "UPDATE relationships SET started_at = ?, planned_end = ? WHERE id = ?",
                (STARTED, "2026-07-04", relationship_id),
            )
    finally:
        await archive.close()


@pytest.fixture
async def scheduled_relay(relay_config: Config, cast: Cast) -> AsyncIterator[Relay]:
    await backdate(relay_config, cast.relationship_id)
    running = await Relay.open(relay_config, scheduler_clock=lambda: NOW)
    await running.start()
    yield running
    await running.stop()


def dkim_verifies(config: Config, data: bytes) -> bool:
    record = dns_txt_value(config.dkim.private_key.read_bytes()).encode()

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"relay._domainkey.relay.example.org."
        return record

    return bool(dkim.verify(data, dnsfunc=lookup))


def delivered_to(deliveries: list[Delivery], address: str) -> Delivery:
    (found,) = [d for d in deliveries if d.rcpt_tos == [address]]
    return found


def scheduler_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "programme-scheduler"]


async def test_prompts_reach_sink_signed(
    scheduled_relay: Relay, sink: Sink, cast: Cast
) -> None:
    deliveries = await sink.wait_for(2)

    assert sorted(d.rcpt_tos[0] for d in deliveries) == [
        "alex@example.com",
        "sam@example.org",
    ]
    partner_address = {
        "sam@example.org": "alex@example.com",
        "alex@example.com": "sam@example.org",
    }
    for address, partner in partner_address.items():
        delivery = delivered_to(deliveries, address)
        message = message_from_bytes(delivery.data, policy=default)
        assert isinstance(message, EmailMessage)
        assert delivery.mail_from == "<>"
        assert dkim_verifies(scheduled_relay.config, delivery.data)
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["From"] == "Mentor Relay <no-reply@relay.example.org>"
        assert message["Subject"].startswith("Time to write to ")
        assert "It has been 15 days" in message.get_content()
        assert partner.encode() not in delivery.data
    sam_text = delivered_to(deliveries, "sam@example.org").data.decode()
    assert cast.alex in sam_text


async def test_stop_ends_scheduler_task(relay_config: Config, cast: Cast) -> None:
    running = await Relay.open(relay_config, scheduler_clock=lambda: NOW)
    await running.start()
    assert len(scheduler_tasks()) == 1

    await running.stop()

    assert scheduler_tasks() == []
