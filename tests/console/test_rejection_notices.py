"""Rejecting a held message in the console queues one plain notice to its sender."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from email import message_from_bytes, policy

import pytest
from starlette.testclient import TestClient

from archive.queue import DeliveryQueue, StoredNotice
from archive.store import Archive, FilterOutcome
from tests.console.conftest import ConsoleSite, email_message, log_in

NOTE = "Spoke to Alex's school; not for Sam."


def notices_about(site: ConsoleSite, message_id: int) -> list[StoredNotice]:
    async def run() -> list[StoredNotice]:
        archive = await Archive.open(site.config.archive_path)
        try:
            return await DeliveryQueue(archive).notices(about_message_id=message_id)
        finally:
            await archive.close()

    return asyncio.run(run())


@dataclass(frozen=True)
class Officer:
    """A console client signed in as Morgan, the safeguarding officer."""

    client: TestClient
    token: str

    def decide(self, message_id: int, action: str, note: str = "") -> int:
        response = self.client.post(
            f"/messages/{message_id}/decisions",
            data={"action": action, "note": note, "csrf_token": self.token},
        )
        status: int = response.status_code
        return status


@pytest.fixture
def officer(client: TestClient) -> Officer:
    return Officer(client, log_in(client, "morgan"))


def store_held(site: ConsoleSite, envelope_from: str, extra: dict[str, str]) -> int:
    """Store a held message from Alex to Sam with extra header fields."""

    async def run() -> int:
        archive = await Archive.open(site.config.archive_path)
        try:
            alex = await archive.participant_by_email("alex@example.com")
            sam = await archive.participant_by_email("sam@example.org")
            assert alex is not None and sam is not None
            raw = email_message(alex.email, sam.alias, "Away", "Back on Monday.")
            headers = "".join(f"{name}: {value}\n" for name, value in extra.items())
            raw = headers.encode() + raw
            message_id = await archive.accept_message(
                secrets.token_hex(6), "127.0.0.1", envelope_from, alex.id,
                [sam.id], raw,
            )  # fmt: skip
            outcome = FilterOutcome(
                message_id=message_id,
                relay_message_id=f"{secrets.token_hex(8)}@relay.example.org",
                original_message_id=None,
                subject="Away",
                body_text="Back on Monday.",
                delivered=raw,
                findings=(),
                hold_reason="Held for a test.",
            )
            await archive.record_filtered(outcome, [sam.id])
            return message_id
        finally:
            await archive.close()

    return asyncio.run(run())


def test_reject_queues_one_notice_to_sender(
    officer: Officer, site: ConsoleSite
) -> None:
    assert officer.decide(site.messages.held, "reject", NOTE) == 303

    notices = notices_about(site, site.messages.held)
    assert [n.kind for n in notices] == ["rejection"]
    assert notices[0].recipient == "alex@example.com"
    assert notices[0].about_job_id is None
    assert notices[0].job_state == "pending"


def test_rejection_notice_names_alias_only(officer: Officer, site: ConsoleSite) -> None:
    officer.decide(site.messages.held, "reject", NOTE)

    (notice,) = notices_about(site, site.messages.held)
    parsed = message_from_bytes(notice.content, policy=policy.default)
    body = parsed.get_body().get_content()  # type: ignore[union-attr]
    assert parsed["To"] == "Alex Smith <alex@example.com>"
    assert parsed["Subject"] == "Not delivered: Feeling low"
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert f"Your message to {site.cast.sam} was not delivered." in body
    text = notice.content.decode("ascii")
    for value in ("sam@example.org", "Sam Jones", NOTE, "hurt myself"):
        assert value not in text, value


def test_second_reject_queues_no_second_notice(
    officer: Officer, site: ConsoleSite
) -> None:
    assert officer.decide(site.messages.held, "reject", NOTE) == 303
    assert officer.decide(site.messages.held, "reject", NOTE) == 409

    assert len(notices_about(site, site.messages.held)) == 1


def test_release_queues_no_notice(officer: Officer, site: ConsoleSite) -> None:
    assert officer.decide(site.messages.held, "release") == 303

    assert notices_about(site, site.messages.held) == []


def test_automatic_message_gets_no_notice(officer: Officer, site: ConsoleSite) -> None:
    held = store_held(site, "alex@example.com", {"Auto-Submitted": "auto-replied"})

    assert officer.decide(held, "reject") == 303
    assert notices_about(site, held) == []


def test_null_sender_message_gets_no_notice(
    officer: Officer, site: ConsoleSite
) -> None:
    held = store_held(site, "", {})

    assert officer.decide(held, "reject") == 303
    assert notices_about(site, held) == []
