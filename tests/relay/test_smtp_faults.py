"""The SMTP session under faults: disconnects, stuck checks, errors, full disks."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from archive.store import Archive
from relay import replies, smtp
from relay.config import Config
from relay.limits import required_free_bytes
from relay.sender_auth import SenderAuthenticator
from tests.conftest import Cast, Front, RawSmtp, running_front, with_smtp

# Raise with MENTOR_RELAY_DISCONNECTING_CLIENTS=1000 for a longer run.
DISCONNECTING_CLIENTS = int(os.environ.get("MENTOR_RELAY_DISCONNECTING_CLIENTS", "200"))


def message(subject: str) -> bytes:
    return (
        b"From: Sam Jones <sam@example.org>\r\n"
        b"Subject: " + subject.encode() + b"\r\n"
        b"\r\n"
        b"See you on Thursday.\r\n"
    )


async def open_transaction(port: int, alias: str) -> RawSmtp:
    """Connect and get as far as the 354 reply to DATA."""
    client = await RawSmtp.connect(port)
    assert (await client.command("EHLO client.example.net")).startswith("250")
    assert await client.command("MAIL FROM:<sam@example.org>") == (
        replies.SENDER_OK.format()
    )
    assert await client.command(f"RCPT TO:<{alias}>") == replies.RECIPIENT_OK.format()
    assert (await client.command("DATA")).startswith("354")
    return client


async def send_message(port: int, alias: str, data: bytes) -> str:
    """Send one message in a session of its own and return the reply to the dot."""
    client = await open_transaction(port, alias)
    try:
        await client.send(data + b".\r\n")
        return await client.reply()
    finally:
        await client.close()


def archive_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def message_count(path: Path) -> int:
    return int(archive_rows(path, "SELECT COUNT(*) FROM messages")[0][0])


@pytest.mark.parametrize("clients", [DISCONNECTING_CLIENTS])
async def test_disconnect_after_dot_never_half_stores(
    relay_config: Config,
    cast: Cast,
    monkeypatch: pytest.MonkeyPatch,
    clients: int,
) -> None:
    # Each client closes at a random moment just after the final dot, so the
    # session is cancelled before, during or after the slowed commit.
    original = Archive.accept_message

    async def slow_accept(self: Archive, *args: Any, **kwargs: Any) -> int:
        await asyncio.sleep(0.01)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(Archive, "accept_message", slow_accept)
    chance = random.Random(20240611)
    config = with_smtp(
        relay_config,
        max_connections_per_client=clients,
        max_messages_per_sender_per_hour=clients,
    )
    gate = asyncio.Semaphore(20)

    async def disconnecting_client(number: int, delay: float) -> None:
        async with gate:
            client = await open_transaction(config.smtp.listen.port, cast.alex)
            await client.send(message(f"Client {number}") + b".\r\n")
            await asyncio.sleep(delay)
            await client.close()

    async with running_front(config):
        await asyncio.gather(
            *(disconnecting_client(n, chance.uniform(0, 0.03)) for n in range(clients))
        )

    path = config.archive_path
    assert archive_rows(path, "PRAGMA integrity_check") == [("ok",)]
    stored = message_count(path)
    assert 0 < stored <= clients
    without_recipients = archive_rows(
        path,
        "SELECT id FROM messages WHERE id NOT IN "
        "(SELECT message_id FROM message_recipients)",
    )
    assert without_recipients == []
    without_job = archive_rows(
        path,
        "SELECT id FROM messages WHERE status = 'received' AND id NOT IN "
        "(SELECT message_id FROM pipeline_jobs)",
    )
    assert without_job == []


async def test_internal_error_answers_fixed_451(
    front: Front, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: Archive, alias: str) -> None:
        raise RuntimeError(f"lookup of {alias} failed")

    monkeypatch.setattr(Archive, "participant_by_alias", broken)
    client = await RawSmtp.connect(front.port)
    try:
        await client.command("EHLO client.example.net")
        await client.command("MAIL FROM:<sam@example.org>")
        reply = await client.command(f"RCPT TO:<{cast.alex}>")
        assert reply == replies.INTERNAL_ERROR.format()
        assert "RuntimeError" not in reply
        # The session goes on after the error.
        assert await client.command("NOOP") == "250 OK"
    finally:
        await client.close()


async def test_stuck_check_answers_451_in_time(
    front: Front, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def stuck(self: SenderAuthenticator, *args: Any) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(SenderAuthenticator, "authenticate", stuck)
    monkeypatch.setattr(smtp, "END_OF_DATA_SECONDS", 0.3)
    started = time.monotonic()
    reply = await send_message(front.port, cast.alex, message("Stuck"))
    assert reply == replies.CHECKS_TIMED_OUT.format()
    assert time.monotonic() - started < 5
    assert message_count(front.config.archive_path) == 0


async def test_low_disk_defers_mail_until_space_returns(
    relay_config: Config, cast: Cast
) -> None:
    needed = required_free_bytes(relay_config.smtp)
    free = [needed - 1]
    folders: list[Path] = []

    def free_space(folder: Path) -> int:
        folders.append(folder)
        return free[0]

    async with running_front(relay_config, free_space=free_space) as running:
        client = await RawSmtp.connect(running.port)
        try:
            await client.command("EHLO client.example.net")
            reply = await client.command("MAIL FROM:<sam@example.org>")
            assert reply == replies.LOW_DISK_SPACE.format()
            assert reply.startswith("452 4.3.1 ")

            free[0] = needed
            reply = await client.command("MAIL FROM:<sam@example.org>")
            assert reply == replies.SENDER_OK.format()
        finally:
            await client.close()
    assert set(folders) == {relay_config.archive_path.parent}


def test_required_free_space_adds_margin(
    relay_config: Config,
) -> None:
    config = with_smtp(relay_config, max_message_bytes=2000, disk_margin_bytes=500)
    assert required_free_bytes(config.smtp) == 3500


def fail_once(
    original: Callable[..., Any], matches: Callable[[tuple[Any, ...]], bool]
) -> Callable[..., Any]:
    """Wrap an aiosqlite method so its first matching call raises SQLITE_FULL."""
    failed: list[bool] = []

    async def full() -> None:
        raise sqlite3.OperationalError("database or disk is full")

    def call(*args: Any, **kwargs: Any) -> Awaitable[Any]:
        if not failed and matches(args):
            failed.append(True)
            return full()
        result: Awaitable[Any] = original(*args, **kwargs)
        return result

    return call


@pytest.mark.parametrize("step", ["insert", "commit"])
async def test_full_disk_during_commit_rolls_back_and_recovers(
    front: Front, cast: Cast, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    db = front.archive._db
    if step == "insert":
        failing = fail_once(
            db.execute, lambda args: str(args[0]).startswith("INSERT INTO pipeline")
        )
        monkeypatch.setattr(db, "execute", failing)
    else:
        monkeypatch.setattr(db, "commit", fail_once(db.commit, lambda args: True))

    reply = await send_message(front.port, cast.alex, message("First try"))
    assert reply == replies.ARCHIVE_UNAVAILABLE.format()
    path = front.config.archive_path
    assert message_count(path) == 0
    assert archive_rows(path, "SELECT COUNT(*) FROM message_recipients") == [(0,)]

    reply = await send_message(front.port, cast.alex, message("Second try"))
    assert reply.startswith("250 2.0.0 Message accepted")
    assert message_count(path) == 1
    assert archive_rows(path, "PRAGMA integrity_check") == [("ok",)]
