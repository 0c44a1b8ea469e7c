"""Originals at rest through the real relay: nothing the filters removed is
left in the archive's files, while the console still reads the original."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from archive.console import ConsoleStore
from relay.server import Relay
from tests.conftest import Cast, Sink

# Both are removed by the filters, so only the original contains them.
PHONE = "07700 900461"
MARKER = "quokka.marker.5519@example.net"
SECRETS = (PHONE.encode(), PHONE.replace(" ", "").encode(), MARKER.encode())


def message_with_secrets(cast: Cast) -> bytes:
    message = EmailMessage()
    message["From"] = "Sam Jones <sam@example.org>"
    message["To"] = cast.alex
    message["Subject"] = "Numbers for Tuesday"
    message.set_content(f"Hi Alex,\nring me on {PHONE} or write to {MARKER}.\n")
    return message.as_bytes(policy=SMTP)


def send(port: int, recipient: str, data: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail("sam@example.org", [recipient], data)


def archive_files(archive_path: Path) -> dict[str, bytes]:
    """Return the bytes of the database file and its -wal and -shm files."""
    files = {}
    for suffix in ("", "-wal", "-shm"):
        path = archive_path.with_name(archive_path.name + suffix)
        if path.exists():
            files[path.name] = path.read_bytes()
    return files


def leaked(files: dict[str, bytes]) -> list[str]:
    return [name for name, data in files.items() for s in SECRETS if s in data]


async def test_removed_details_are_nowhere_in_archive_files(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    await asyncio.to_thread(send, port, cast.alex, message_with_secrets(cast))
    (delivery,) = await sink.wait_for(1)
    assert not [s for s in SECRETS if s in delivery.data]

    files = archive_files(relay.config.archive_path)
    assert "archive.sqlite3-wal" in files
    assert leaked(files) == []

    # Moving the WAL into the database file must not reveal anything either.
    await relay.archive._fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
    assert leaked(archive_files(relay.config.archive_path)) == []

    original = await ConsoleStore(relay.archive).original(1)
    assert original is not None
    assert PHONE.encode() in original
    assert MARKER.encode() in original
