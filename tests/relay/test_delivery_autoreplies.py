"""Automatic replies between two participants are capped per day, so none loop."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from archive.store import Archive, Participant
from relay.config import Config, load_config
from relay.runner import PipelineRunner
from tests.conftest import Cast, run_cli, set_config

OUT_OF_OFFICE = "Auto-Submitted: auto-replied\r\n"


@pytest.fixture
async def archive(relay_dir: Path, cast: Cast) -> AsyncIterator[Archive]:
    opened = await Archive.open(relay_dir / "archive.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
def config(relay_dir: Path) -> Config:
    return load_config(relay_dir / "relay.toml")


async def participant(archive: Archive, email: str) -> Participant:
    found = await archive.participant_by_email(email)
    assert found is not None
    return found


async def send_and_filter(
    archive: Archive,
    config: Config,
    sender_email: str,
    recipient_email: str,
    extra_headers: str = OUT_OF_OFFICE,
) -> str:
    """Accept one message and run it through the pipeline; return its status."""
    sender = await participant(archive, sender_email)
    recipient = await participant(archive, recipient_email)
    raw = (
        f"From: {sender.name} <{sender.email}>\r\n"
        f"{extra_headers}"
        "Subject: Away from my desk\r\n"
        "\r\n"
        "I am away until Monday.\r\n"
    ).encode()
    queue_id = secrets.token_hex(10).upper()
    message_id = await archive.accept_message(
        queue_id, "127.0.0.1", sender.email, sender.id, [recipient.id], raw
    )
    runner = PipelineRunner(config, archive, asyncio.Event(), asyncio.Event())
    assert await runner.run_once()
    row = await archive.message(str(message_id))
    assert row is not None
    jobs = await archive.delivery_jobs_of(message_id)
    if row["status"] == "rejected":
        assert jobs == []
    else:
        assert len(jobs) == 1
    return str(row["status"])


async def test_third_daily_auto_reply_is_rejected(
    archive: Archive, config: Config, cast: Cast
) -> None:
    statuses = [
        await send_and_filter(archive, config, "sam@example.org", "alex@example.com")
        for _ in range(3)
    ]
    assert statuses == ["queued", "queued", "rejected"]


async def test_rejected_auto_reply_keeps_a_reason(
    archive: Archive, config: Config, cast: Cast
) -> None:
    for _ in range(2):
        await send_and_filter(archive, config, "sam@example.org", "alex@example.com")
    await send_and_filter(archive, config, "sam@example.org", "alex@example.com")
    with sqlite3.connect(config.archive_path) as db:
        queue_id, reason, automatic = db.execute(
            "SELECT queue_id, reject_reason, auto_submitted FROM messages "
            "ORDER BY id DESC"
        ).fetchone()
    expected = (
        f"Not delivered: 2 automatic messages already passed between "
        f"{cast.sam} and {cast.alex} in the last 24 hours, and the limit is 2."
    )
    assert reason == expected
    assert automatic == "auto-replied"

    # The CLI runs its own event loop, so it runs in a thread here.
    shown = await asyncio.to_thread(
        run_cli, "--config", str(config.path), "show", queue_id
    )
    assert "status: rejected\n" in shown
    assert f"rejected: {expected}\n" in shown


async def test_ping_pong_counts_both_directions(
    archive: Archive, config: Config, cast: Cast
) -> None:
    statuses = [
        await send_and_filter(archive, config, "sam@example.org", "alex@example.com"),
        await send_and_filter(archive, config, "alex@example.com", "sam@example.org"),
        await send_and_filter(archive, config, "sam@example.org", "alex@example.com"),
        await send_and_filter(archive, config, "alex@example.com", "sam@example.org"),
    ]
    assert statuses == ["queued", "queued", "rejected", "rejected"]


async def test_person_written_mail_passes_after_limit(
    archive: Archive, config: Config, cast: Cast
) -> None:
    for _ in range(3):
        await send_and_filter(archive, config, "sam@example.org", "alex@example.com")
    status = await send_and_filter(
        archive, config, "sam@example.org", "alex@example.com", extra_headers=""
    )
    assert status == "queued"


@pytest.mark.parametrize(
    "marker",
    [
        "X-Autoreply: yes\r\n",
        "Precedence: auto_reply\r\n",
        "Auto-Submitted: auto-generated\r\n",
    ],
)
async def test_other_markers_count_as_auto_replies(
    archive: Archive, config: Config, cast: Cast, marker: str
) -> None:
    statuses = [
        await send_and_filter(
            archive, config, "sam@example.org", "alex@example.com", marker
        )
        for _ in range(3)
    ]
    assert statuses == ["queued", "queued", "rejected"]


async def test_day_old_auto_replies_not_counted(
    archive: Archive, config: Config, cast: Cast
) -> None:
    for _ in range(2):
        await send_and_filter(archive, config, "sam@example.org", "alex@example.com")
    with sqlite3.connect(config.archive_path) as db:
        db.execute("UPDATE messages SET received_at = '2020-01-01T00:00:00+00:00'")
    status = await send_and_filter(
        archive, config, "sam@example.org", "alex@example.com"
    )
    assert status == "queued"


async def test_limit_of_zero_stops_every_auto_reply(
    relay_dir: Path, archive: Archive, cast: Cast
) -> None:
    set_config(relay_dir, "delivery", "max_auto_replies_per_pair_per_day", "0")
    config = load_config(relay_dir / "relay.toml")
    status = await send_and_filter(
        archive, config, "sam@example.org", "alex@example.com"
    )
    assert status == "rejected"
