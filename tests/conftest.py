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
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from relay.cli import main as cli
from relay.config import Config, load_config
from relay.server import Relay

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
    return directory


def set_config(directory: Path, section: str, key: str, value: str) -> None:
    """Set `key = value` (value already in TOML form) under [section]."""
    path = directory / "relay.toml"
    text = path.read_text()
    pattern = re.compile(rf"(\[{section}\][^\[]*?)^{key} = .*$", re.M)
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
