"""Fixtures for the console tests: staff accounts, stored messages, clients.

The cast is the relay tests' one (Sam, mentor, paired with Alex, mentee; Jo
unpaired). Staff: Casey (coordinator), Morgan (safeguarding officer) and
Robin (admin), each with the password PASSWORD.
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from archive.store import Archive, FilterOutcome, Participant, StoredFinding
from console.app import create_app
from relay.config import Config, load_config
from tests.conftest import Cast, free_port, run_cli, set_config

PASSWORD = "correct horse battery staple"
STAFF = {"casey": "coordinator", "morgan": "safeguarding", "robin": "admin"}
HOSTILE_SUBJECT = "<script>alert('subject')</script>"
HOSTILE_TEXT = "Look <img src=x onerror=alert('text')> here"
HOSTILE_HTML = (
    "<p>Hi</p><img src=x onerror=\"alert('html')\">"
    "<script>alert('html script')</script>"
    "<a href=\"javascript:alert('link')\">click</a>"
    '<iframe src="https://example.com/"></iframe>'
)


@dataclass(frozen=True)
class Stored:
    """Ids of the seeded messages."""

    delivered: int
    held: int
    hostile: int


@dataclass(frozen=True)
class ConsoleSite:
    config: Config
    cast: Cast
    messages: Stored


def add_staff(
    config_path: Path, username: str, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    run_cli(
        "--config", str(config_path), "staff", "add", username,
        "--role", role, "--password-stdin",
    )  # fmt: skip


def email_message(
    sender: str, recipient: str, subject: str, text: str, html: str | None = None
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


async def store_message(
    archive: Archive,
    sender: Participant,
    recipient: Participant,
    subject: str,
    text: str,
    *,
    html: str | None = None,
    findings: tuple[StoredFinding, ...] = (),
    hold_reason: str | None = None,
    flag: str | None = None,
) -> int:
    """Store a message as the SMTP front end and the pipeline runner would."""
    raw = email_message(sender.email, recipient.alias, subject, text, html)
    message_id = await archive.accept_message(
        secrets.token_hex(6), "127.0.0.1", sender.email, sender.id, [recipient.id], raw
    )
    relay_id = f"{secrets.token_hex(8)}@relay.example.org"
    outcome = FilterOutcome(
        message_id=message_id,
        relay_message_id=relay_id,
        original_message_id=None,
        subject=subject,
        body_text=text,
        delivered=email_message(sender.alias, recipient.alias, subject, text, html),
        findings=findings,
        hold_reason=hold_reason,
        flag=flag,
    )
    await archive.record_filtered(outcome, [recipient.id])
    return message_id


SELF_HARM = StoredFinding(
    "safeguarding", "body", 1, category="self-harm", severity="high",
    matched="hurt myself",
)  # fmt: skip


async def seed(config: Config) -> Stored:
    archive = await Archive.open(config.archive_path)
    try:
        sam = await archive.participant_by_email("sam@example.org")
        alex = await archive.participant_by_email("alex@example.com")
        assert sam is not None and alex is not None
        delivered = await store_message(
            archive, sam, alex, "Reading list for the autumn",
            "Try the library on Tuesday, it has the history books.",
        )  # fmt: skip
        held = await store_message(
            archive, alex, sam, "Feeling low",
            "Some days I want to hurt myself and nobody notices.",
            findings=(SELF_HARM,),
            hold_reason="Flagged for a safeguarding review: self-harm",
            flag="self-harm",
        )  # fmt: skip
        hostile = await store_message(
            archive, sam, alex, HOSTILE_SUBJECT, HOSTILE_TEXT, html=HOSTILE_HTML
        )
    finally:
        await archive.close()
    return Stored(delivered, held, hostile)


@pytest.fixture
def site(relay_dir: Path, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> ConsoleSite:
    set_config(relay_dir, "console", "listen", f'"127.0.0.1:{free_port()}"')
    config_path = relay_dir / "relay.toml"
    for username, role in STAFF.items():
        add_staff(config_path, username, role, monkeypatch)
    config = load_config(config_path)
    return ConsoleSite(config, cast, asyncio.run(seed(config)))


def console_client(config: Config) -> TestClient:
    """Return a test client that sends the console's listen address as Host.

    The console rejects any other Host with 400, TestClient's default
    "testserver" included.
    """
    return TestClient(
        create_app(config),
        base_url=f"http://{config.console.listen}",
        follow_redirects=False,
    )


@pytest.fixture
def client(site: ConsoleSite) -> Iterator[TestClient]:
    with console_client(site.config) as test_client:
        yield test_client


def form_token(page: str) -> str:
    """Return the hidden CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in and return the session's CSRF token."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": form_token(form.text),
            "next": "/",
        },
    )
    assert response.status_code == 303, response.text
    return form_token(client.get("/").text)
