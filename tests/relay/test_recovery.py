"""Work the relay had accepted survives a crash, a restart and a dead smarthost."""

from __future__ import annotations

import asyncio
import email
from email.policy import default
from pathlib import Path

from archive.store import Archive
from relay.config import Config, load_config
from relay.server import Relay
from tests.conftest import Cast, Sink, free_port, set_config

MESSAGE = (
    b"From: Sam Jones <sam@example.org>\r\n"
    b"Subject: Revision plan\r\n"
    b"\r\n"
    b"Text me on 07700 900789.\r\n"
)


async def accept_and_crash(config: Config) -> int:
    """Store a message and lease its pipeline job, as a relay that then died."""
    archive = await Archive.open(config.archive_path)
    try:
        sam = await archive.participant_by_email("sam@example.org")
        alex = await archive.participant_by_email("alex@example.com")
        assert sam is not None and alex is not None
        message_id = await archive.accept_message(
            "CRASHED", "127.0.0.1", "sam@example.org", sam.id, [alex.id], MESSAGE
        )
        assert await archive.lease_pipeline_job(3600) is not None
    finally:
        await archive.close()
    return message_id


async def test_job_leased_before_crash_runs_after_restart(
    relay_config: Config, cast: Cast, sink: Sink
) -> None:
    await accept_and_crash(relay_config)

    relay = await Relay.open(relay_config)
    await relay.start()
    try:
        (delivery,) = await sink.wait_for(1)
    finally:
        await relay.stop()
    delivered = email.message_from_bytes(delivery.data, policy=default)
    assert delivered["Subject"] == "Revision plan"
    assert b"900789" not in delivery.data
    assert delivery.rcpt_tos == ["alex@example.com"]


async def test_pending_delivery_survives_restart(
    relay_dir: Path, cast: Cast, sink: Sink
) -> None:
    # The smarthost is a closed port at first, so the job is deferred; the
    # second relay, pointed at a live sink, delivers it.
    set_config(relay_dir, "smtp", "listen", f'"127.0.0.1:{free_port()}"')
    set_config(relay_dir, "delivery", "transport", '"smtp"')
    set_config(relay_dir, "delivery", "starttls", '"off"')
    set_config(relay_dir, "delivery", "retry_base_seconds", "0.2")
    set_config(relay_dir, "delivery", "smarthost", f'"127.0.0.1:{free_port()}"')
    config = load_config(relay_dir / "relay.toml")
    message_id = await accept_and_crash(config)

    relay = await Relay.open(config)
    await relay.start()
    try:
        await wait_for_attempt(relay.archive, message_id)
    finally:
        await relay.stop()

    set_config(relay_dir, "delivery", "smarthost", f'"127.0.0.1:{sink.port}"')
    relay = await Relay.open(load_config(relay_dir / "relay.toml"))
    await relay.start()
    try:
        (delivery,) = await sink.wait_for(1)
        row = await relay.archive.message(str(message_id))
        assert row is not None
    finally:
        await relay.stop()
    assert b"Revision plan" in delivery.data


async def wait_for_attempt(archive: Archive, message_id: int) -> None:
    for _ in range(200):
        jobs = await archive.delivery_jobs_of(message_id)
        if jobs and jobs[0]["attempts"] >= 1:
            assert jobs[0]["state"] == "pending"
            assert jobs[0]["last_error"]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the delivery was never tried")


async def test_flag_names_what_was_removed(
    relay_config: Config, cast: Cast, sink: Sink
) -> None:
    message_id = await accept_and_crash(relay_config)
    relay = await Relay.open(relay_config)
    await relay.start()
    try:
        await sink.wait_for(1)
        row = await relay.archive.message(str(message_id))
    finally:
        await relay.stop()
    assert row is not None
    # "Text me on 07700 900789." is also a request to leave the platform.
    assert row["flag"] == "leaving-platform, contact details"
