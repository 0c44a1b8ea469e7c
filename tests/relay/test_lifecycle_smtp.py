"""Paused, ended and re-paired relationships over real SMTP, on injected dates."""

from __future__ import annotations

import asyncio
import email
import smtplib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP, default
from pathlib import Path

import pytest

from archive import lifecycle
from relay import replies
from relay.config import Config, load_config
from relay.server import Relay
from tests.conftest import (
    Cast,
    Front,
    RawSmtp,
    Sink,
    run_cli,
    running_front,
    set_config,
    with_smtp,
)

CONTACT = "your programme coordinator"
# The cast's relationship runs from 7 January to 6 July 2030.
STARTED_AT = "2030-01-07T09:00:00+00:00"
PLANNED_END = "2030-07-06"


@dataclass
class Clock:
    """The UTC date the SMTP front end applies the pairing rule on."""

    today: date

    def __call__(self) -> date:
        return self.today


@pytest.fixture
def clock() -> Clock:
    return Clock(date(2030, 3, 1))


def set_term(config: Config, relationship_id: int) -> None:
    with sqlite3.connect(config.archive_path) as db:
        db.execute(
            "UPDATE relationships SET started_at = ?, planned_end = ? WHERE id = ?",
            (STARTED_AT, PLANNED_END, relationship_id),
        )


@pytest.fixture
async def dated_front(
    relay_config: Config, cast: Cast, clock: Clock
) -> AsyncIterator[Front]:
    set_term(relay_config, cast.relationship_id)
    async with running_front(with_smtp(relay_config), today=clock) as running:
        yield running


def message(sender: str = "sam@example.org") -> bytes:
    return b"From: " + sender.encode() + b"\r\nSubject: Hello\r\n\r\nHello.\r\n"


async def rcpt_reply(front: Front, sender: str, alias: str) -> str:
    client = await RawSmtp.connect(front.port)
    try:
        await client.command("EHLO client.example.net")
        assert (await client.command(f"MAIL FROM:<{sender}>")).startswith("250")
        return await client.command(f"RCPT TO:<{alias}>")
    finally:
        await client.close()


def stored_messages(config: Config) -> int:
    with sqlite3.connect(config.archive_path) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM messages").fetchone()
    return int(count)


# A term that has run out


async def test_last_day_of_term_still_accepts(
    dated_front: Front, cast: Cast, clock: Clock
) -> None:
    clock.today = date(2030, 7, 6)
    reply = await rcpt_reply(dated_front, "sam@example.org", cast.alex)
    assert reply == replies.RECIPIENT_OK.format()


async def test_day_after_term_refuses_with_end_date(
    dated_front: Front, cast: Cast, clock: Clock
) -> None:
    # The scheduler has not closed the relationship yet: the date decides.
    clock.today = date(2030, 7, 7)
    reply = await rcpt_reply(dated_front, "sam@example.org", cast.alex)
    assert reply == (
        "550 5.7.1 Your mentoring relationship with this participant ended on "
        "2030-07-06: contact your programme coordinator to get in touch again"
    )
    reply = await rcpt_reply(dated_front, "alex@example.com", cast.sam)
    assert reply == replies.RELATIONSHIP_ENDED.format(
        ended="2030-07-06", contact=CONTACT
    )


async def test_closed_term_gives_same_end_date(
    dated_front: Front, cast: Cast, clock: Clock
) -> None:
    clock.today = date(2030, 7, 9)
    closed = await lifecycle.close_due(dated_front.archive, clock.today)
    assert closed == [cast.relationship_id]
    reply = await rcpt_reply(dated_front, "sam@example.org", cast.alex)
    assert reply == replies.RELATIONSHIP_ENDED.format(
        ended="2030-07-06", contact=CONTACT
    )


async def test_end_reply_names_coordinator_address(
    relay_dir: Path, cast: Cast, clock: Clock
) -> None:
    set_config(relay_dir, "relay", "coordinator_email", '"coordinator@example.org"')
    config = load_config(relay_dir / "relay.toml")
    set_term(config, cast.relationship_id)
    clock.today = date(2030, 7, 7)
    async with running_front(with_smtp(config), today=clock) as front:
        reply = await rcpt_reply(front, "sam@example.org", cast.alex)
    assert reply == (
        "550 5.7.1 Your mentoring relationship with this participant ended on "
        "2030-07-06: contact your programme coordinator at coordinator@example.org "
        "to get in touch again"
    )


# A paused relationship


async def test_paused_pair_is_told_resume_date(
    dated_front: Front, cast: Cast, clock: Clock
) -> None:
    await lifecycle.pause(
        dated_front.archive, cast.relationship_id, date(2030, 3, 15), "exams", clock()
    )
    clock.today = date(2030, 3, 14)
    reply = await rcpt_reply(dated_front, "alex@example.com", cast.sam)
    assert reply == (
        "550 5.7.1 Your mentoring relationship with this participant is paused: "
        "write again from 2030-03-15, or contact your programme coordinator "
        "before then"
    )
    assert stored_messages(dated_front.config) == 0


async def test_pause_ends_on_resume_date_before_scheduler(
    dated_front: Front, cast: Cast, clock: Clock
) -> None:
    await lifecycle.pause(
        dated_front.archive, cast.relationship_id, date(2030, 3, 15), "", clock()
    )
    clock.today = date(2030, 3, 15)
    reply = await rcpt_reply(dated_front, "sam@example.org", cast.alex)
    assert reply == replies.RECIPIENT_OK.format()

    resumed = await lifecycle.resume_due(dated_front.archive, clock.today)
    assert resumed == [cast.relationship_id]
    relationship = await dated_front.archive.relationship(cast.relationship_id)
    assert relationship is not None
    assert relationship.status == "active"


async def test_pause_after_rcpt_refuses_at_end_of_data(
    dated_front: Front, cast: Cast, clock: Clock
) -> None:
    client = await RawSmtp.connect(dated_front.port)
    try:
        await client.command("EHLO client.example.net")
        await client.command("MAIL FROM:<sam@example.org>")
        assert (await client.command(f"RCPT TO:<{cast.alex}>")).startswith("250")
        await lifecycle.pause(
            dated_front.archive, cast.relationship_id, date(2030, 4, 1), "", clock()
        )
        assert (await client.command("DATA")).startswith("354")
        reply = await client.command(message() + b".")
    finally:
        await client.close()
    assert reply == replies.RELATIONSHIP_PAUSED.format(
        until="2030-04-01", contact=CONTACT
    )
    assert stored_messages(dated_front.config) == 0


async def test_resumed_pair_is_accepted(
    dated_front: Front, cast: Cast, clock: Clock
) -> None:
    await lifecycle.pause(
        dated_front.archive, cast.relationship_id, date(2030, 4, 1), "", clock()
    )
    await lifecycle.resume(dated_front.archive, cast.relationship_id)
    reply = await rcpt_reply(dated_front, "sam@example.org", cast.alex)
    assert reply == replies.RECIPIENT_OK.format()


# Re-pairing a mentor


def plain_message(sender: str, recipient: str, subject: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = recipient
    mail["Subject"] = subject
    mail.set_content("Looking forward to our first chat.\n")
    return mail.as_bytes(policy=SMTP)


def send(port: int, sender: str, recipient: str, data: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail(sender, [recipient], data)


def first_rejection(port: int, sender: str, recipient: str) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo("client.example.net")
        client.mail(sender)
        code, text = client.rcpt(recipient)
    return code, text.decode()


async def test_repaired_mentor_writes_to_new_mentee_only(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    config = ["--config", str(relay.config.path)]
    await asyncio.to_thread(
        run_cli, *config, "relationship", "end", str(cast.relationship_id)
    )
    await asyncio.to_thread(run_cli, *config, "relationship", "add", cast.sam, cast.jo)
    port = relay.config.smtp.listen.port

    data = plain_message("sam@example.org", cast.jo, "Welcome, Jo")
    await asyncio.to_thread(send, port, "sam@example.org", cast.jo, data)
    (delivery,) = await sink.wait_for(1)
    delivered = email.message_from_bytes(delivery.data, policy=default)
    assert delivery.rcpt_tos == ["jo@example.com"]
    assert delivered["From"].addresses[0].addr_spec == cast.sam
    assert delivered["Subject"] == "Welcome, Jo"

    code, text = await asyncio.to_thread(
        first_rejection, port, "sam@example.org", cast.alex
    )
    assert code == 550
    assert text.startswith(
        "5.7.1 Your mentoring relationship with this participant ended on 20"
    )
    code, text = await asyncio.to_thread(
        first_rejection, port, "alex@example.com", cast.sam
    )
    assert code == 550
    assert text.startswith(
        "5.7.1 Your mentoring relationship with this participant ended on 20"
    )
    assert len(sink.deliveries) == 1
