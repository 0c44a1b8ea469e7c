"""Who is sending and to whom: From parsing, alias replies, suspensions, bounces."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from archive.store import Archive
from relay import replies
from relay.bounces import bounce_key, make_bounce_address
from relay.config import Config
from relay.smtp import header_from_address
from tests.conftest import Cast, Front, RawSmtp, running_front

GOOD_FROM = [
    (b"From: sam@example.org", "sam@example.org"),
    (b"From: <sam@example.org>", "sam@example.org"),
    (b"From: Sam Jones <Sam@Example.org>", "sam@example.org"),
    (b'From: "Jones, Sam" <sam@example.org>', "sam@example.org"),
    (b"From: Sam J. Jones <sam@example.org>", "sam@example.org"),
    (b"from: sam@example.org", "sam@example.org"),
    (b"From: sam@example.org (Sam Jones)", "sam@example.org"),
    (b'From: "sam@example.org" <sam@example.org>', "sam@example.org"),
    (b"From: =?utf-8?q?Sam_J=C3=B6nes?= <sam@example.org>", "sam@example.org"),
    (b"From: Sam Jones\r\n <sam@example.org>", "sam@example.org"),
]

HOSTILE_FROM = [
    b"Subject: no From field at all",
    b"From: sam@example.org\r\nFrom: jo@example.com",
    b"From: sam@example.org\r\nFROM: jo@example.com",
    b"From : sam@example.org",
    b"From sam@example.org Mon Jun 10 09:00:00 2024\r\nFrom: sam@example.org",
    b"From: sam@example.org, jo@example.com",
    b"From: Sam <sam@example.org>, Jo <jo@example.com>",
    b"From: <sam@example.org> <jo@example.com>",
    b"From: jo@example.com <sam@example.org>",
    b"From: Friends: sam@example.org, jo@example.com;",
    b"From: Friends: sam@example.org;",
    b"From: sam@example.org (jo@example.com)",
    b"From: Sam (jo@example.com) <sam@example.org>",
    b"From: Sam <sam@example.org> (Jo)",
    b'From: "jo@example.com" <sam@example.org>',
    b'From: "Sam <jo@example.com>" <sam@example.org>',
    b'From: "sam\\"@example.org" <jo@example.com>',
    b'From: "sam@example.org"@example.com',
    b'From: <"jo@example.com"@example.org>',
    b"From: <=?utf-8?q?sam?=@example.org>",
    b"From: =?utf-8?q?sam=40example=2Eorg?=",
    b"From: =?utf-8?q?jo=40example=2Ecom?= <sam@example.org>",
    b"From: =?utf-8?q?Sam_=3Cjo=40example=2Ecom=3E?= <sam@example.org>",
    b"From: <@a.example:sam@example.org>",
    b"From: sam@example.org@example.com",
    b"From: <sam@example.org",
    b"From: Sam \\<sam@example.org>",
    b"From: sam@example.org\x00",
    b"From: ",
]


@pytest.mark.parametrize(("field", "address"), GOOD_FROM)
def test_plain_from_gives_its_address(field: bytes, address: str) -> None:
    raw = field + b"\r\nSubject: Hello\r\n\r\nBody\r\n"
    assert header_from_address(raw) == address


@pytest.mark.parametrize("fields", HOSTILE_FROM)
def test_ambiguous_from_gives_no_address(fields: bytes) -> None:
    raw = fields + b"\r\nSubject: Hello\r\n\r\nBody\r\n"
    assert header_from_address(raw) is None


def test_from_in_the_body_is_not_read() -> None:
    raw = b"From: sam@example.org\r\n\r\nFrom: jo@example.com\r\n"
    assert header_from_address(raw) == "sam@example.org"


def test_from_with_bare_line_feeds_is_read() -> None:
    raw = b"Subject: Hi\nFrom: Sam\n <sam@example.org>\n\nBody\n"
    assert header_from_address(raw) == "sam@example.org"


def message(sender: str = "sam@example.org", subject: str = "Hello") -> bytes:
    return (
        b"From: " + sender.encode() + b"\r\n"
        b"Subject: " + subject.encode() + b"\r\n\r\nHello.\r\n"
    )


async def session(port: int) -> RawSmtp:
    client = await RawSmtp.connect(port)
    await client.command("EHLO client.example.net")
    return client


def set_status(config: Config, email: str, status: str) -> None:
    with sqlite3.connect(config.archive_path) as db:
        db.execute(
            "UPDATE participants SET status = ? WHERE email = ?", (status, email)
        )


def record_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every Archive read the SMTP session makes."""
    calls: list[str] = []
    for name in ("participant_by_alias", "participant_by_email", "pairing"):
        original = getattr(Archive, name)
        monkeypatch.setattr(Archive, name, recording(name, original, calls))
    return calls


def recording(
    name: str, original: Callable[..., Any], calls: list[str]
) -> Callable[..., Any]:
    async def call(self: Archive, *args: Any) -> Any:
        calls.append(name)
        return await original(self, *args)

    return call


async def rcpt_reply(port: int, sender: str, alias: str) -> str:
    client = await session(port)
    try:
        assert (await client.command(f"MAIL FROM:<{sender}>")).startswith("250")
        return await client.command(f"RCPT TO:<{alias}>")
    finally:
        await client.close()


async def test_unknown_and_forbidden_aliases_look_the_same(
    front: Front, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jo is not paired with Sam, and Alex is suspended: neither reply nor
    # archive work may tell these apart from an alias that does not exist.
    calls = record_calls(monkeypatch)
    unknown = "sam.zzzzzzzz@relay.example.org"
    cases = {}
    for label, sender, alias in (
        ("unknown", "jo@example.com", unknown),
        ("not paired", "jo@example.com", cast.sam),
    ):
        calls.clear()
        cases[label] = (await rcpt_reply(front.port, sender, alias), list(calls))
    set_status(front.config, "alex@example.com", "suspended")
    calls.clear()
    reply = await rcpt_reply(front.port, "sam@example.org", cast.alex)
    cases["suspended"] = (reply, list(calls))

    expected = replies.NO_SUCH_ALIAS.format(contact=front.config.contact)
    assert expected.startswith("550 5.1.1 No such alias, or you may not write to it")
    for label, (reply, archive_calls) in cases.items():
        assert reply == expected, label
        assert archive_calls == cases["unknown"][1], label
    assert cases["unknown"][1] == [
        "participant_by_email",
        "participant_by_alias",
        "pairing",
    ]


async def test_ended_relationship_keeps_its_own_reply(front: Front, cast: Cast) -> None:
    await front.archive.end_relationship(cast.relationship_id)
    relationship = await front.archive.relationship(cast.relationship_id)
    assert relationship is not None and relationship.ended_at is not None
    reply = await rcpt_reply(front.port, "sam@example.org", cast.alex)
    assert reply == replies.RELATIONSHIP_ENDED.format(
        ended=relationship.ended_at[:10], contact=front.config.contact
    )


async def test_suspension_applies_to_next_transaction(front: Front, cast: Cast) -> None:
    client = await session(front.port)
    try:
        await client.command("MAIL FROM:<sam@example.org>")
        await client.command(f"RCPT TO:<{cast.alex}>")
        await client.command("DATA")
        assert (await client.command(message() + b".")).startswith("250 2.0.0 ")

        set_status(front.config, "alex@example.com", "suspended")
        assert await client.command("RSET") == "250 OK"
        await client.command("MAIL FROM:<sam@example.org>")
        reply = await client.command(f"RCPT TO:<{cast.alex}>")
        assert reply == replies.NO_SUCH_ALIAS.format(contact=front.config.contact)

        set_status(front.config, "alex@example.com", "active")
        set_status(front.config, "sam@example.org", "suspended")
        assert await client.command("RSET") == "250 OK"
        await client.command("MAIL FROM:<sam@example.org>")
        reply = await client.command(f"RCPT TO:<{cast.alex}>")
        assert reply == replies.SENDER_SUSPENDED.format(contact=front.config.contact)
    finally:
        await client.close()


async def test_ended_relationship_applies_to_next_transaction(
    front: Front, cast: Cast
) -> None:
    client = await session(front.port)
    try:
        await client.command("MAIL FROM:<sam@example.org>")
        assert (await client.command(f"RCPT TO:<{cast.alex}>")).startswith("250")
        await front.archive.end_relationship(cast.relationship_id)
        # Ended between RCPT and the dot: the check after DATA refuses it.
        await client.command("DATA")
        reply = await client.command(message() + b".")
        assert reply.startswith("550 5.7.1 Your mentoring relationship")

        assert await client.command("RSET") == "250 OK"
        await client.command("MAIL FROM:<sam@example.org>")
        reply = await client.command(f"RCPT TO:<{cast.alex}>")
        assert reply.startswith("550 5.7.1 Your mentoring relationship")
    finally:
        await client.close()
    with sqlite3.connect(front.config.archive_path) as db:
        assert db.execute("SELECT COUNT(*) FROM messages").fetchone() == (0,)


async def test_stranger_envelope_learns_nothing_at_rcpt(
    front: Front, cast: Cast
) -> None:
    # With an unregistered envelope sender the From header decides, so RCPT
    # takes any alias of the relay's domain and the check follows the dot.
    expected = replies.NO_SUCH_ALIAS.format(contact=front.config.contact)
    for alias in (cast.sam, "sam.zzzzzzzz@relay.example.org"):
        client = await session(front.port)
        try:
            await client.command("MAIL FROM:<stranger@example.net>")
            reply = await client.command(f"RCPT TO:<{alias}>")
            assert reply == replies.RECIPIENT_OK.format()
            await client.command("DATA")
            reply = await client.command(message("jo@example.com") + b".")
            assert reply == expected, alias
        finally:
            await client.close()


async def test_null_sender_is_identified_by_from(front: Front, cast: Cast) -> None:
    client = await session(front.port)
    try:
        assert await client.command("MAIL FROM:<>") == replies.SENDER_OK.format()
        await client.command(f"RCPT TO:<{cast.alex}>")
        await client.command("DATA")
        reply = await client.command(message("Sam Jones <sam@example.org>") + b".")
        assert reply.startswith("250 2.0.0 Message accepted")
    finally:
        await client.close()
    with sqlite3.connect(front.config.archive_path) as db:
        row = db.execute(
            "SELECT p.email FROM messages m JOIN participants p ON p.id = m.sender_id"
        ).fetchone()
    assert row == ("sam@example.org",)


@pytest.mark.parametrize(
    "from_value",
    [
        "sam@example.org, jo@example.com",
        '"jo@example.com" <sam@example.org>',
        "=?utf-8?q?jo=40example=2Ecom?= <sam@example.org>",
        "Sam <sam@example.org> (or jo@example.com)",
    ],
)
async def test_ambiguous_from_gets_its_own_refusal(
    front: Front, cast: Cast, from_value: str
) -> None:
    client = await session(front.port)
    try:
        await client.command("MAIL FROM:<sam@example.org>")
        await client.command(f"RCPT TO:<{cast.alex}>")
        await client.command("DATA")
        data = message(from_value)
        assert await client.command(data + b".") == (
            "550 5.7.1 The From header must show exactly one address, and no "
            "other address in its display name: send from your usual mail "
            "program with your registered address"
        )
    finally:
        await client.close()


@pytest.mark.parametrize(
    "from_value",
    ['"Sam @ home" <sam@example.org>', "=?utf-8?q?Sam_=40_home?= <sam@example.org>"],
)
async def test_at_sign_in_display_name_is_no_address(
    front: Front, cast: Cast, from_value: str
) -> None:
    client = await session(front.port)
    try:
        await client.command("MAIL FROM:<sam@example.org>")
        await client.command(f"RCPT TO:<{cast.alex}>")
        await client.command("DATA")
        reply = await client.command(message(from_value) + b".")
        assert reply.startswith("250 2.0.0 Message accepted"), reply
    finally:
        await client.close()


# Bounces


def bounce_address(config: Config, job_id: int) -> str:
    key = bounce_key(config.dkim.private_key.read_bytes())
    return make_bounce_address(job_id, config.domain, key)


BOUNCE = (
    b"From: MAILER-DAEMON@mx.example.com\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n\r\n"
    b"The mailbox is full.\r\n"
)


async def test_bounce_from_null_sender_reaches_bounce_handler(
    relay_config: Config, cast: Cast
) -> None:
    received: list[tuple[int, bytes]] = []

    async def handle_bounce(job_id: int, raw: bytes) -> None:
        received.append((job_id, raw))

    async with running_front(relay_config, bounce_handler=handle_bounce) as front:
        client = await session(front.port)
        try:
            await client.command("MAIL FROM:<>")
            reply = await client.command(
                f"RCPT TO:<{bounce_address(front.config, 42)}>"
            )
            assert reply == replies.RECIPIENT_OK.format()
            await client.command("DATA")
            assert await client.command(BOUNCE + b".") == (
                replies.BOUNCE_ACCEPTED.format()
            )
        finally:
            await client.close()
    assert received == [(42, BOUNCE)]


async def test_bounce_address_must_be_only_recipient(front: Front, cast: Cast) -> None:
    bounce = bounce_address(front.config, 7)
    not_alone = replies.BOUNCE_NOT_ALONE.format()
    assert not_alone.startswith("452 4.5.3 ")
    client = await session(front.port)
    try:
        await client.command("MAIL FROM:<sam@example.org>")
        await client.command(f"RCPT TO:<{cast.alex}>")
        assert await client.command(f"RCPT TO:<{bounce}>") == not_alone

        await client.command("RSET")
        await client.command("MAIL FROM:<>")
        assert await client.command(f"RCPT TO:<{bounce}>") == (
            replies.RECIPIENT_OK.format()
        )
        assert await client.command(f"RCPT TO:<{cast.alex}>") == not_alone
        assert await client.command(f"RCPT TO:<{bounce}>") == not_alone
    finally:
        await client.close()


@pytest.mark.parametrize(
    "address",
    [
        "bounces+42.aaaaaaaaaaaaaaaa@relay.example.org",
        "bounces+43.{token}@relay.example.org",
        "bounces+42.{token}@example.org",
        "bounces@relay.example.org",
    ],
)
async def test_forged_bounce_address_is_no_such_alias(
    front: Front, cast: Cast, address: str
) -> None:
    token = bounce_address(front.config, 42).split("@")[0].split(".")[-1]
    reply = await rcpt_reply(front.port, "sam@example.org", address.format(token=token))
    assert reply == replies.NO_SUCH_ALIAS.format(contact=front.config.contact)


async def test_failing_bounce_handler_answers_451(
    relay_config: Config, cast: Cast
) -> None:
    async def broken(job_id: int, raw: bytes) -> None:
        raise ValueError("cannot parse")

    async with running_front(relay_config, bounce_handler=broken) as front:
        client = await session(front.port)
        try:
            await client.command("MAIL FROM:<>")
            await client.command(f"RCPT TO:<{bounce_address(front.config, 5)}>")
            await client.command("DATA")
            reply = await client.command(BOUNCE + b".")
            assert reply == replies.INTERNAL_ERROR.format()
        finally:
            await client.close()
