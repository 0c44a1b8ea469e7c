"""Notices: the RFC 3464 failure report, coordinator reports, automatic mail."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.policy import default

import pytest

from archive.queue import FailedJob
from archive.store import Participant
from relay.notices import (
    Failure,
    automatic_kind,
    coordinator_delay_notice,
    coordinator_failure_notice,
    failure_notice,
    is_automatic,
)

DOMAIN = "relay.example.org"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SAM = Participant(
    1, "Sam Jones", "sam@example.org", "sam.k7q2@relay.example.org", "mentor", "active"
)
ALEX = Participant(
    2,
    "Alex Smith",
    "alex@example.com",
    "alex.m3x9@relay.example.org",
    "mentee",
    "active",
)
DELIVERED = (
    b"From: Sam Jones <sam.k7q2@relay.example.org>\r\n"
    b"To: Alex Smith <alex.m3x9@relay.example.org>\r\n"
    b"Subject: Revision plan\r\n"
    b"Message-ID: <abc@relay.example.org>\r\n"
    b"\r\n"
    b"See you on Tuesday.\r\n"
)


def failed_job(subject: str = "Revision plan") -> FailedJob:
    return FailedJob(
        id=7,
        label="Q7",
        state="pending",
        is_notice=False,
        sender=SAM,
        recipient=ALEX,
        subject=subject,
        envelope_from="sam@example.org",
        raw=b"From: sam@example.org\r\n\r\nhi\r\n",
        delivered=DELIVERED,
        attempts=1,
        created_at=0.0,
        first_failed_at=None,
    )


def rejection() -> Failure:
    return Failure.rejected(
        "mx.example.com rejected the recipient (RCPT): 550 5.1.1 <alex@example.com>"
        " unknown; call 07700 900123",
        550,
    )


def parse(content: bytes) -> EmailMessage:
    return email.message_from_bytes(content, policy=default)


def status_blocks(report: EmailMessage) -> list[Message]:
    """Return the header blocks of a report's message/delivery-status part."""
    status_part = list(report.iter_parts())[1]
    blocks = status_part.get_payload()
    assert isinstance(blocks, list)
    return [block for block in blocks if isinstance(block, Message)]


def test_failure_notice_is_a_delivery_status_report() -> None:
    notice = failure_notice(
        failed_job(), rejection(), domain=DOMAIN, contact="the team", now=NOW
    )
    message = parse(notice.content)

    assert notice.kind == "failure"
    assert notice.recipient == "sam@example.org"
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == [
        "text/plain",
        "message/delivery-status",
        "text/rfc822-headers",
    ]
    assert message["From"] == "Mentor Relay <mailer-daemon@relay.example.org>"
    assert message["To"] == "Sam Jones <sam@example.org>"
    assert message["Subject"] == "Undelivered: Revision plan"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Message-ID"].endswith("@relay.example.org>")
    assert message["Date"].datetime == NOW


def test_failure_notice_status_fields() -> None:
    notice = failure_notice(
        failed_job(), rejection(), domain=DOMAIN, contact="the team", now=NOW
    )
    per_message, per_recipient = status_blocks(parse(notice.content))

    assert per_message["Reporting-MTA"] == "dns; relay.example.org"
    assert per_recipient["Final-Recipient"] == "rfc822; alex.m3x9@relay.example.org"
    assert per_recipient["Original-Recipient"] == "rfc822; alex.m3x9@relay.example.org"
    assert per_recipient["Action"] == "failed"
    assert per_recipient["Status"] == "5.0.0"
    assert per_recipient["Diagnostic-Code"] == "smtp; 550"


def test_failure_notice_names_alias_never_real_address() -> None:
    notice = failure_notice(
        failed_job(), rejection(), domain=DOMAIN, contact="the team", now=NOW
    )
    text_part = parse(notice.content).get_body(("plain",))
    assert text_part is not None
    text = text_part.get_content()

    assert "Your message to Alex Smith <alex.m3x9@relay.example.org>" in text
    assert "The recipient's mail server refused the message." in text
    assert "contact the team" in text
    for leaked in (b"alex@example.com", b"mx.example.com", b"07700", b"900123"):
        assert leaked not in notice.content


def test_failure_notice_quotes_allowlisted_headers() -> None:
    notice = failure_notice(
        failed_job(), rejection(), domain=DOMAIN, contact="the team", now=NOW
    )
    headers_part = list(parse(notice.content).iter_parts())[2]
    quoted = headers_part.get_content()
    assert "To: Alex Smith <alex.m3x9@relay.example.org>" in quoted
    assert "Subject: Revision plan" in quoted
    assert "See you on Tuesday" not in quoted


def test_expired_failure_says_relay_stopped_trying() -> None:
    failure = Failure.expired("451 timeout", 5)
    notice = failure_notice(
        failed_job(), failure, domain=DOMAIN, contact="the team", now=NOW
    )
    message = parse(notice.content)
    per_recipient = status_blocks(message)[1]
    assert per_recipient["Status"] == "4.4.7"
    assert per_recipient["Diagnostic-Code"] is None
    body = message.get_body(("plain",))
    assert body is not None
    assert "for 5 days, so it stopped trying" in body.get_content()


def test_non_ascii_subject_survives_notice() -> None:
    notice = failure_notice(
        failed_job("Café plans für Montag"),
        rejection(),
        domain=DOMAIN,
        contact="the team",
        now=NOW,
    )
    assert notice.content.isascii()
    message = parse(notice.content)
    assert message["Subject"] == "Undelivered: Café plans für Montag"
    body = message.get_body(("plain",))
    assert body is not None
    assert "Subject: Café plans für Montag" in body.get_content()


def test_coordinator_failure_notice_is_plain_text() -> None:
    notice = coordinator_failure_notice(
        failed_job(),
        rejection(),
        domain=DOMAIN,
        coordinator="coordinator@example.org",
        now=NOW,
    )
    message = parse(notice.content)
    assert notice.kind == "coordinator_failure"
    assert notice.recipient == "coordinator@example.org"
    assert message.get_content_type() == "text/plain"
    assert message["Subject"] == "Delivery failed: message Q7"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_content()
    assert "From: Sam Jones <sam.k7q2@relay.example.org>" in text
    assert "To: Alex Smith <alex.m3x9@relay.example.org>" in text
    assert "Status: 5.0.0 (SMTP reply 550)" in text
    assert "mentor-relay show Q7" in text
    assert b"alex@example.com" not in notice.content


def test_coordinator_delay_notice_gives_dates() -> None:
    notice = coordinator_delay_notice(
        "Q7",
        SAM,
        ALEX,
        failing_since=datetime(2026, 3, 2, 5, 0, tzinfo=UTC),
        give_up_at=datetime(2026, 3, 7, 4, 0, tzinfo=UTC),
        domain=DOMAIN,
        coordinator="coordinator@example.org",
        now=NOW,
    )
    message = parse(notice.content)
    assert notice.kind == "coordinator_delay"
    assert message["Subject"] == "Delivery delayed: message Q7"
    text = message.get_content()
    assert "since 2026-03-02 05:00 UTC" in text
    assert "until 2026-03-07 04:00 UTC" in text


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (b"Auto-Submitted: auto-replied\r\n", "auto-replied"),
        (b"Auto-Submitted: Auto-Generated; owner=x\r\n", "auto-generated"),
        (b"Auto-Submitted: no\r\n", None),
        (b"X-Autoreply: yes\r\n", "auto-replied"),
        (b"X-Autorespond: Out of office\r\n", "auto-replied"),
        (b"Precedence: auto_reply\r\n", "auto-replied"),
        (b"Precedence: bulk\r\n", "auto-generated"),
        (b"Precedence: junk\r\n", "auto-generated"),
        (b"Precedence: list\r\n", None),
        (b"", None),
    ],
)
def test_automatic_kind_reads_markers(headers: bytes, expected: str | None) -> None:
    raw = (
        b"From: sam@example.org\r\n" + headers + b"Subject: Away\r\n\r\nBack soon.\r\n"
    )
    assert automatic_kind(raw) == expected
    assert is_automatic(raw) is (expected is not None)


def test_marker_in_body_is_not_a_header() -> None:
    raw = b"From: sam@example.org\r\n\r\nAuto-Submitted: auto-replied\r\n"
    assert automatic_kind(raw) is None
