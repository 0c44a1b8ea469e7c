"""Mail for postmaster@ the relay domain, which RFC 5321 requires a domain to accept."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay import replies
from relay.smtp import postmaster_maildir
from tests.conftest import Cast, Front, RawSmtp

REPORT = (
    b"From: abuse-desk@example.net\r\n"
    b"To: postmaster@relay.example.org\r\n"
    b"Subject: Report about your relay\r\n\r\n"
    b"Please call 07700 900123 about a message from your relay.\r\n"
)


async def session(port: int) -> RawSmtp:
    client = await RawSmtp.connect(port)
    await client.command("EHLO client.example.net")
    return client


def kept_messages(front: Front) -> list[bytes]:
    root: Path = postmaster_maildir(front.config)
    return [path.read_bytes() for path in sorted(root.glob("*/new/*"))]


@pytest.mark.parametrize(
    "recipient", ["postmaster@relay.example.org", "PostMaster@Relay.Example.org",
                  "postmaster"]
)  # fmt: skip
async def test_postmaster_mail_is_kept_unfiltered(
    front: Front, cast: Cast, recipient: str
) -> None:
    client = await session(front.port)
    try:
        assert await client.command("MAIL FROM:<abuse-desk@example.net>") == (
            replies.SENDER_OK.format()
        )
        assert await client.command(f"RCPT TO:<{recipient}>") == (
            replies.RECIPIENT_OK.format()
        )
        await client.command("DATA")
        assert await client.command(REPORT + b".") == (
            replies.POSTMASTER_ACCEPTED.format()
        )
    finally:
        await client.close()

    assert kept_messages(front) == [REPORT]
    assert await front.archive._fetchall("SELECT id FROM messages", ()) == []


async def test_postmaster_must_be_the_only_recipient(front: Front, cast: Cast) -> None:
    not_alone = replies.POSTMASTER_NOT_ALONE.format()
    assert not_alone.startswith("452 4.5.3 ")
    client = await session(front.port)
    try:
        await client.command("MAIL FROM:<sam@example.org>")
        assert await client.command(f"RCPT TO:<{cast.alex}>") == (
            replies.RECIPIENT_OK.format()
        )
        assert await client.command("RCPT TO:<postmaster@relay.example.org>") == (
            not_alone
        )
        await client.command("RSET")
        await client.command("MAIL FROM:<abuse-desk@example.net>")
        await client.command("RCPT TO:<postmaster@relay.example.org>")
        assert await client.command(f"RCPT TO:<{cast.alex}>") == not_alone
    finally:
        await client.close()


async def test_postmaster_of_another_domain_is_refused(
    front: Front, cast: Cast
) -> None:
    client = await session(front.port)
    try:
        await client.command("MAIL FROM:<abuse-desk@example.net>")
        reply = await client.command("RCPT TO:<postmaster@example.com>")
    finally:
        await client.close()
    assert reply.startswith("550 ")
