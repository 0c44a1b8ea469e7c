"""End to end: safeguarding alerts to officers and rejection notices to senders.

Alex (mentee) writes to Sam (mentor) about self-harm. Each officer address
in [console] safeguarding_alerts gets one alert, naming the console link
and the category and nothing of the message or its participants. When an
officer rejects the held message in the console, Alex gets one notice.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
from collections.abc import AsyncIterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from pathlib import Path

import dkim
import pytest
from starlette.testclient import TestClient

from archive.queue import DeliveryQueue
from console.app import create_app
from relay.config import Config, load_config
from relay.dkim import dns_txt_value
from relay.server import Relay
from tests.conftest import Cast, Delivery, Sink, set_config
from tests.console.conftest import add_staff, log_in

OFFICERS = ("dsl@example.org", "deputy.dsl@example.com")
SUBJECT = "Feeling low"
TEXT = "Some days I want to hurt myself and nobody notices.\n"
# Words of the message, and the participants' names and real addresses,
# none of which may appear in an alert.
KEPT_OUT_OF_ALERTS = (
    "Feeling",
    "hurt myself",
    "nobody notices",
    "Alex",
    "Sam",
    "alex@example.com",
    "sam@example.org",
)
# Seconds to keep watching the sink for a second copy that must not come.
QUIET_SECONDS = 1.5


@pytest.fixture
def relay_config(relay_config: Config, relay_dir: Path) -> Config:
    officers = ", ".join(f'"{address}"' for address in OFFICERS)
    set_config(relay_dir, "console", "safeguarding_alerts", f"[{officers}]")
    return load_config(relay_dir / "relay.toml")


@pytest.fixture
def holding_config(relay_config: Config, relay_dir: Path) -> Config:
    set_config(relay_dir, "filters", "hold_flagged", "true")
    return load_config(relay_dir / "relay.toml")


def mentee_message(cast: Cast) -> bytes:
    message = EmailMessage()
    message["From"] = "Alex Smith <alex@example.com>"
    message["To"] = cast.sam
    message["Subject"] = SUBJECT
    message.set_content(TEXT)
    return message.as_bytes(policy=SMTP)


def send(port: int, sender: str, recipient: str, data: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail(sender, [recipient], data)


async def send_mentee_message(relay: Relay, cast: Cast) -> None:
    port = relay.config.smtp.listen.port
    data = mentee_message(cast)
    await asyncio.to_thread(send, port, "alex@example.com", cast.sam, data)


def dkim_verifies(relay: Relay, data: bytes) -> bool:
    record = dns_txt_value(relay.config.dkim.private_key.read_bytes()).encode()

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"relay._domainkey.relay.example.org."
        return record

    return bool(dkim.verify(data, dnsfunc=lookup))


def to(deliveries: list[Delivery], address: str) -> list[Delivery]:
    return [d for d in deliveries if d.rcpt_tos == [address]]


async def settled(sink: Sink, count: int) -> list[Delivery]:
    """Wait for `count` deliveries, then a little longer for any extra one."""
    await sink.wait_for(count)
    await asyncio.sleep(QUIET_SECONDS)
    return list(sink.deliveries)


async def only_message_id(relay: Relay) -> int:
    row = await relay.archive.message("1")
    assert row is not None
    return int(row["id"])


async def test_high_flag_alerts_each_officer_once(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    await send_mentee_message(relay, cast)

    # The flagged message is still delivered to Sam, because hold_flagged
    # is off, and each officer gets one alert beside it.
    deliveries = await settled(sink, 3)
    assert len(deliveries) == 3
    assert len(to(deliveries, "sam@example.org")) == 1
    for officer in OFFICERS:
        assert len(to(deliveries, officer)) == 1, officer


async def test_alert_names_link_and_category_only(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    await send_mentee_message(relay, cast)
    await sink.wait_for(3)
    message_id = await only_message_id(relay)
    link = f"{relay.config.console.base_url}/messages/{message_id}/original"

    for officer in OFFICERS:
        (alert,) = to(sink.deliveries, officer)
        parsed = message_from_bytes(alert.data, policy=default)
        body = parsed.get_body().get_content()  # type: ignore[union-attr]
        assert parsed["Subject"] == "Safeguarding flag: self-harm"
        assert parsed["To"] == officer
        assert parsed["Auto-Submitted"] == "auto-generated"
        assert link in body
        assert "self-harm" in body
        assert alert.mail_from == "<>"
        assert dkim_verifies(relay, alert.data)
        # The signature's base64 is random and can spell a short name by
        # chance, so only the fields and body it signs are searched.
        text = re.sub(
            r"^DKIM-Signature:.*?\r\n(?=\S)",
            "",
            alert.data.decode("ascii"),
            flags=re.DOTALL,
        )
        assert "DKIM-Signature" not in text
        for value in (*KEPT_OUT_OF_ALERTS, cast.alex, cast.sam):
            assert value not in text, value


async def test_unflagged_message_sends_no_alert(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    message = EmailMessage()
    message["From"] = "Alex Smith <alex@example.com>"
    message["To"] = cast.sam
    message["Subject"] = "Homework"
    message.set_content("I finished the essay on the Tudors.\n")
    port = relay.config.smtp.listen.port
    data = message.as_bytes(policy=SMTP)
    await asyncio.to_thread(send, port, "alex@example.com", cast.sam, data)

    deliveries = await settled(sink, 1)
    assert [d.rcpt_tos for d in deliveries] == [["sam@example.org"]]


async def test_alerts_are_queued_with_the_message(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    await send_mentee_message(relay, cast)
    await sink.wait_for(3)
    message_id = await only_message_id(relay)

    notices = await DeliveryQueue(relay.archive).notices(about_message_id=message_id)
    assert [n.kind for n in notices] == ["safeguarding_alert"] * 2
    assert sorted(n.recipient for n in notices) == sorted(OFFICERS)
    assert all(n.about_job_id is None for n in notices)


def reject_in_console(
    config: Config, message_id: int, monkeypatch: pytest.MonkeyPatch
) -> int:
    """Sign in as a safeguarding officer, reject the message, return the status."""
    add_staff(config.path, "morgan", "safeguarding", monkeypatch)
    with TestClient(
        create_app(config),
        base_url=f"http://{config.console.listen}",
        follow_redirects=False,
    ) as client:
        token = log_in(client, "morgan")
        response = client.post(
            f"/messages/{message_id}/decisions",
            data={"action": "reject", "note": "Called Alex.", "csrf_token": token},
        )
    status: int = response.status_code
    return status


@pytest.fixture
async def holding_relay(holding_config: Config, cast: Cast) -> AsyncIterator[Relay]:
    running = await Relay.open(holding_config)
    await running.start()
    yield running
    await running.stop()


async def test_rejection_sends_sender_one_notice(
    holding_relay: Relay, sink: Sink, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    await send_mentee_message(holding_relay, cast)
    await sink.wait_for(2)  # the two alerts, because the message is held
    message_id = await only_message_id(holding_relay)

    # The console runs the CLI and its own event loop, so it gets a thread.
    status = await asyncio.to_thread(
        reject_in_console, holding_relay.config, message_id, monkeypatch
    )
    assert status == 303

    # The console does not wake this relay's worker; it finds the notice
    # by polling, within IDLE_POLL_SECONDS.
    deliveries = await settled(sink, 3)
    assert len(deliveries) == 3
    assert to(deliveries, "sam@example.org") == []
    (notice,) = to(deliveries, "alex@example.com")
    parsed = message_from_bytes(notice.data, policy=default)
    body = parsed.get_body().get_content()  # type: ignore[union-attr]
    assert parsed["Subject"] == f"Not delivered: {SUBJECT}"
    assert parsed["To"] == "Alex Smith <alex@example.com>"
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert f"Your message to {cast.sam} was not delivered." in body
    assert "your programme coordinator" in body
    assert notice.mail_from == "<>"
    assert dkim_verifies(holding_relay, notice.data)


async def test_rejection_notice_names_alias_only(
    holding_relay: Relay, sink: Sink, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    await send_mentee_message(holding_relay, cast)
    await sink.wait_for(2)
    message_id = await only_message_id(holding_relay)
    await asyncio.to_thread(
        reject_in_console, holding_relay.config, message_id, monkeypatch
    )

    await sink.wait_for(3)
    (notice,) = to(sink.deliveries, "alex@example.com")
    text = notice.data.decode("ascii")
    assert cast.sam in text
    for value in ("sam@example.org", "Sam Jones", "Called Alex.", "hurt myself"):
        assert value not in text, value
