"""Bounces: reading what comes back to a bounce address, and failing its job."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from relay.bounces import (
    BounceProcessor,
    bounce_key,
    make_bounce_address,
    parse_bounce_address,
    read_bounce,
)
from relay.server import Relay
from tests.conftest import Cast, Sink
from tests.relay.test_delivery import (
    COORDINATOR,
    Setup,
    fake,
    open_setup,
    permanent,
    queue_message,
)

KEY = bounce_key(b"test key")


def delivery_report(action: str, status: str, recipient: str) -> bytes:
    """Return a bounce in RFC 3464 form from a downstream server."""
    return (
        "From: MAILER-DAEMON@mx.example.com\r\n"
        "To: bounces+1.x@relay.example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        f"Your message to {recipient} could not be delivered.\r\n"
        "--b1\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: user unknown\r\n"
        "\r\n"
        "--b1--\r\n"
    ).encode()


OUT_OF_OFFICE = (
    b"From: Alex Smith <alex@example.com>\r\n"
    b"Subject: Out of office\r\n"
    b"Auto-Submitted: auto-replied\r\n"
    b"\r\n"
    b"I am away until Monday.\r\n"
)
OLD_STYLE_BOUNCE = (
    b"From: MAILER-DAEMON@mx.example.com\r\n"
    b"Subject: failure notice\r\n"
    b"\r\n"
    b"Sorry, I couldn't deliver your message to <alex@example.com>.\r\n"
)


# Reading bounces


def test_failed_report_is_a_failure() -> None:
    report = read_bounce(delivery_report("failed", "5.1.1", "alex@example.com"))
    assert report.failed
    assert report.status == "5.1.1"


def test_delayed_report_is_not_a_failure() -> None:
    report = read_bounce(delivery_report("delayed", "4.4.7", "alex@example.com"))
    assert not report.failed
    assert report.summary == "a report of delayed"


def test_failed_report_with_odd_status_gets_default() -> None:
    report = read_bounce(delivery_report("failed", "4.4.1 (timeout)", "a@example.com"))
    assert report.failed
    assert report.status == "5.0.0"


def test_out_of_office_reply_is_not_a_failure() -> None:
    report = read_bounce(OUT_OF_OFFICE)
    assert not report.failed
    assert report.summary == "an automatic reply"


def test_bounce_without_report_is_a_failure() -> None:
    report = read_bounce(OLD_STYLE_BOUNCE)
    assert report.failed
    assert report.status == "5.0.0"


def test_bounce_address_round_trips() -> None:
    address = make_bounce_address(42, "relay.example.org", KEY)
    assert parse_bounce_address(address, "relay.example.org", KEY) == 42
    assert parse_bounce_address(address.upper(), "relay.example.org", KEY) == 42
    forged = address.replace("+42.", "+43.")
    assert parse_bounce_address(forged, "relay.example.org", KEY) is None
    assert parse_bounce_address(address, "other.example.org", KEY) is None


# Processing bounces


@pytest.fixture
async def setup(relay_dir: Path, cast: Cast) -> AsyncIterator[Setup]:
    opened = await open_setup(relay_dir)
    yield opened
    await opened.archive.close()


def processor(setup: Setup) -> BounceProcessor:
    return BounceProcessor(setup.config, setup.archive, asyncio.Event(), setup.clock)


async def sent_job(setup: Setup, headers: Sequence[tuple[str, str]] = ()) -> int:
    (job_id,) = await queue_message(
        setup.archive, setup.sam, [setup.alex], headers=headers
    )
    assert await setup.worker.run_once()
    assert (await setup.status(job_id)).state == "sent"
    return job_id


async def test_bounce_fails_sent_job_with_one_notice(setup: Setup) -> None:
    job_id = await sent_job(setup)
    bounce = delivery_report("failed", "5.1.1", "alex@example.com")

    await processor(setup)(job_id, bounce)

    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("failed", 1)
    message = await setup.archive.message(str(status.message_id))
    assert message is not None
    assert message["status"] == "failed"
    notices = await setup.notices(job_id)
    assert [(n.kind, n.recipient) for n in notices] == [
        ("failure", "sam@example.org"),
        ("coordinator_failure", COORDINATOR),
    ]
    for notice in notices:
        assert b"alex@example.com" not in notice.content
        assert b"mx.example.com" not in notice.content
    assert b"Status: 5.1.1" in notices[0].content


async def test_second_bounce_sends_no_second_notice(setup: Setup) -> None:
    job_id = await sent_job(setup)
    bounce = delivery_report("failed", "5.1.1", "alex@example.com")
    await processor(setup)(job_id, bounce)
    await processor(setup)(job_id, bounce)
    assert len(await setup.notices(job_id)) == 2
    assert len(await setup.notices()) == 2


async def test_bounce_after_rejection_sends_no_second_notice(setup: Setup) -> None:
    fake(setup).errors = [permanent("550 5.1.1 unknown")]
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.worker.run_once()
    assert len(await setup.notices(job_id)) == 2

    await processor(setup)(job_id, OLD_STYLE_BOUNCE)
    assert len(await setup.notices()) == 2
    assert (await setup.status(job_id)).last_error == "550 5.1.1 unknown"


async def test_bounce_of_pending_job_fails_it(setup: Setup) -> None:
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    await processor(setup)(job_id, OLD_STYLE_BOUNCE)
    status = await setup.status(job_id)
    assert (status.state, status.attempts) == ("failed", 0)
    assert [n.kind for n in await setup.notices(job_id)] == [
        "failure",
        "coordinator_failure",
    ]
    assert await setup.worker.run_once()
    assert sorted(fake(setup).tries) == [COORDINATOR, "sam@example.org"]


async def test_delayed_report_leaves_job_sent(setup: Setup) -> None:
    job_id = await sent_job(setup)
    await processor(setup)(
        job_id, delivery_report("delayed", "4.4.7", "alex@example.com")
    )
    assert (await setup.status(job_id)).state == "sent"
    assert await setup.notices() == []


async def test_out_of_office_to_bounce_address_is_ignored(setup: Setup) -> None:
    job_id = await sent_job(setup)
    await processor(setup)(job_id, OUT_OF_OFFICE)
    assert (await setup.status(job_id)).state == "sent"
    assert await setup.notices() == []


async def test_bounce_of_automatic_message_sends_no_notice(setup: Setup) -> None:
    job_id = await sent_job(setup, headers=(("Auto-Submitted", "auto-replied"),))
    await processor(setup)(job_id, OLD_STYLE_BOUNCE)
    assert (await setup.status(job_id)).state == "failed"
    assert await setup.notices() == []


async def test_bounce_of_notice_sends_no_notice(setup: Setup) -> None:
    fake(setup).errors = [permanent("550 5.1.1 unknown")]
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.worker.run_once()
    assert await setup.worker.run_once()
    notice_job = (await setup.notices(job_id))[0].job_id

    await processor(setup)(notice_job, OLD_STYLE_BOUNCE)
    assert (await setup.status(notice_job)).state == "failed"
    assert len(await setup.notices()) == 2


async def test_bounce_for_unknown_job_changes_nothing(setup: Setup) -> None:
    job_id = await sent_job(setup)
    await processor(setup)(job_id + 1000, OLD_STYLE_BOUNCE)
    assert (await setup.status(job_id)).state == "sent"
    assert await setup.notices() == []


# Over SMTP: a bounce sent back to the relay reaches the processor


def send(port: int, sender: str, recipient: str, data: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail(sender, [recipient], data)


async def test_bounce_over_smtp_notifies_sender(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    message = (
        f"From: Sam Jones <sam@example.org>\r\nTo: {cast.alex}\r\n"
        "Subject: Revision plan\r\n\r\nSee you on Tuesday.\r\n"
    ).encode()
    await asyncio.to_thread(send, port, "sam@example.org", cast.alex, message)
    (delivered,) = await sink.wait_for(1)
    key = bounce_key(relay.config.dkim.private_key.read_bytes())
    job_id = parse_bounce_address(delivered.mail_from, "relay.example.org", key)
    assert job_id is not None

    bounce = delivery_report("failed", "5.1.1", "alex@example.com")
    await asyncio.to_thread(send, port, "", delivered.mail_from, bounce)
    _, notice = await sink.wait_for(2)

    assert notice.rcpt_tos == ["sam@example.org"]
    assert notice.mail_from == "<>"
    assert b"alex@example.com" not in notice.data
    assert cast.alex.encode() in notice.data
    assert b"Status: 5.1.1" in notice.data
    await asyncio.sleep(0.2)
    assert len(sink.deliveries) == 2
