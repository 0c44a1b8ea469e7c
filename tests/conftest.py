"""Fixtures shared by the relay tests: a relay directory, a cast, a sink.

The cast is fixed: Sam (mentor) and Alex (mentee) are paired; Jo is a mentee
with no partner. Real addresses are on example.org and example.com.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from archive.store import Archive
from relay.cli import main as cli
from relay.config import Config, HostPort, archive_cipher, load_config
from relay.server import Relay
from relay.smtp import SmtpListener, start_smtp_server

DOMAIN = "relay.example.org"
CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "eml"


def free_port() -> int:
    """Return a loopback port that is free now (aiosmtpd cannot bind port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(*args: str) -> str:
    """Run a mentor-relay command in-process and return its standard output."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = cli(list(args))
    assert status == 0, f"mentor-relay {' '.join(args)} exited with {status}"
    return output.getvalue()


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class SinkHandler:
    """Stands in for the downstream mail server; records what it accepts."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []

    async def handle_DATA(
        self, server: object, session: Session, envelope: Envelope
    ) -> str:
        self.deliveries.append(
            Delivery(
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                envelope.original_content or b"",
            )
        )
        return "250 2.0.0 stored"


class Sink:
    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = SinkHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    @property
    def deliveries(self) -> list[Delivery]:
        return self.handler.deliveries

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"sink received {len(self.deliveries)} messages, expected {count}"
                )
            await asyncio.sleep(0.02)
        return self.deliveries


@pytest.fixture
def sink() -> Iterator[Sink]:
    sink = Sink(free_port())
    sink.controller.start()
    yield sink
    sink.controller.stop()


@dataclass
class Cast:
    sam: str
    alex: str
    jo: str
    relationship_id: int


@pytest.fixture
def relay_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "relay"
    run_cli("init", str(directory), "--domain", DOMAIN)
    # Free ports keep test runs, and a relay a person is running on the
    # defaults 2525 and 8025, from competing for the listeners.
    set_config(directory, "smtp", "listen", f'"127.0.0.1:{free_port()}"')
    set_config(directory, "console", "listen", f'"127.0.0.1:{free_port()}"')
    return directory


def set_config(directory: Path, section: str, key: str, value: str) -> None:
    """Set `key = value` (value already in TOML form) under [section]."""
    path = directory / "relay.toml"
    text = path.read_text()
    # The section runs until the next line that opens a table; a "[" inside
    # a comment or a list value does not end it.
    pattern = re.compile(rf"(^\[{section}\]\n(?:(?!\[).*\n)*?)^{key} = .*$", re.M)
    if pattern.search(text):
        text = pattern.sub(lambda m: f"{m.group(1)}{key} = {value}", text, count=1)
    else:
        text = text.replace(f"[{section}]\n", f"[{section}]\n{key} = {value}\n", 1)
    path.write_text(text)


@pytest.fixture
def cast(relay_dir: Path) -> Cast:
    config = ["--config", str(relay_dir / "relay.toml")]
    sam = run_cli(
        *config,
        "participant",
        "add",
        "--name",
        "Sam Jones",
        "--email",
        "sam@example.org",
        "--role",
        "mentor",
    ).strip()
    alex = run_cli(
        *config,
        "participant",
        "add",
        "--name",
        "Alex Smith",
        "--email",
        "alex@example.com",
        "--role",
        "mentee",
    ).strip()
    jo = run_cli(
        *config,
        "participant",
        "add",
        "--name",
        "Jo Brown",
        "--email",
        "jo@example.com",
        "--role",
        "mentee",
    ).strip()
    added = json.loads(run_cli(*config, "relationship", "add", sam, alex, "--json"))
    return Cast(sam, alex, jo, added["id"])


@pytest.fixture
def relay_config(relay_dir: Path, sink: Sink) -> Config:
    set_config(relay_dir, "smtp", "listen", f'"127.0.0.1:{free_port()}"')
    set_config(relay_dir, "delivery", "transport", '"smtp"')
    set_config(relay_dir, "delivery", "smarthost", f'"127.0.0.1:{sink.port}"')
    set_config(relay_dir, "delivery", "starttls", '"off"')
    return load_config(relay_dir / "relay.toml")


@pytest.fixture
async def relay(relay_config: Config, cast: Cast) -> AsyncIterator[Relay]:
    running = await Relay.open(relay_config)
    await running.start()
    yield running
    await running.stop()


# The SMTP front end alone, and a client that sends exactly the bytes given


class RawSmtp:
    """An SMTP client on asyncio streams, for sessions smtplib will not send."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.greeting = ""

    @classmethod
    async def connect(cls, port: int) -> RawSmtp:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        client.greeting = await client.reply()
        return client

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def reply(self) -> str:
        """Read one reply; the lines of a multi-line reply are joined with LF."""
        lines: list[str] = []
        while True:
            line = await asyncio.wait_for(self.reader.readline(), timeout=10)
            if not line:
                raise ConnectionError(f"connection closed after {lines!r}")
            lines.append(line.decode().rstrip("\r\n"))
            if line[3:4] != b"-":
                return "\n".join(lines)

    async def command(self, line: str | bytes) -> str:
        data = line.encode() if isinstance(line, str) else line
        await self.send(data + b"\r\n")
        return await self.reply()

    async def closed_by_server(self) -> bool:
        """Return whether the server has closed the connection (EOF, nothing left)."""
        rest = await asyncio.wait_for(self.reader.read(), timeout=10)
        return rest == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


@dataclass
class Front:
    """A running SMTP listener with its own archive, and no runner or worker."""

    config: Config
    archive: Archive
    listener: SmtpListener

    @property
    def port(self) -> int:
        return self.config.smtp.listen.port


@contextlib.asynccontextmanager
async def running_front(config: Config, **options: Any) -> AsyncIterator[Front]:
    """Run the SMTP listener; `options` go to start_smtp_server."""
    archive = await Archive.open(config.archive_path, archive_cipher(config))
    try:
        listener = await start_smtp_server(config, archive, asyncio.Event(), **options)
        try:
            yield Front(config, archive, listener)
        finally:
            listener.close()
            await listener.wait_closed()
    finally:
        await archive.close()


def with_smtp(config: Config, **settings: Any) -> Config:
    """Return `config` with changed [smtp] settings and a new free listen port."""
    listen = HostPort("127.0.0.1", free_port())
    return replace(config, smtp=replace(config.smtp, listen=listen, **settings))


@pytest.fixture
async def front(relay_config: Config, cast: Cast) -> AsyncIterator[Front]:
    async with running_front(relay_config) as running:
        yield running
