"""Crafted sessions: SMTP smuggling, bare line endings and hostile addresses."""

from __future__ import annotations

import asyncio
import re
import smtplib
import sqlite3

import pytest

from relay import replies
from relay.limits import normalise_line_endings, normalise_message_data
from relay.server import Relay
from tests.conftest import Cast, Front, RawSmtp, Sink

BARE_CR_OR_LF = re.compile(rb"\r(?!\n)|(?<!\r)\n")

# Each of these ends a message for some mail server; only CRLF.CRLF may.
FALSE_ENDINGS = [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n"]


def stored_messages(front: Front) -> list[bytes]:
    with sqlite3.connect(front.config.archive_path) as db:
        rows = db.execute(
            "SELECT id, queue_id, raw FROM messages ORDER BY id"
        ).fetchall()
    # The archive stores originals encrypted; open_original decrypts them.
    return [front.archive.open_original(*row) for row in rows]


async def replies_until_closed(client: RawSmtp) -> list[str]:
    found: list[str] = []
    while True:
        try:
            found.append(await client.reply())
        except ConnectionError:
            return found


@pytest.mark.parametrize("ending", FALSE_ENDINGS, ids=repr)
async def test_smuggled_transaction_stays_inside_message(
    front: Front, cast: Cast, ending: bytes
) -> None:
    smuggled = (
        b"MAIL FROM:<jo@example.com>\r\n"
        b"RCPT TO:<" + cast.sam.encode() + b">\r\n"
        b"DATA\r\n"
        b"From: jo@example.com\r\n\r\nSmuggled\r\n"
    )
    data = (
        b"From: Sam Jones <sam@example.org>\r\nSubject: Plans\r\n\r\nHello"
        + ending
        + smuggled
        + b".\r\nQUIT\r\n"
    )
    client = await RawSmtp.connect(front.port)
    try:
        await client.command("EHLO client.example.net")
        await client.command("MAIL FROM:<sam@example.org>")
        await client.command(f"RCPT TO:<{cast.alex}>")
        assert (await client.command("DATA")).startswith("354")
        await client.send(data)
        after_data = await replies_until_closed(client)
    finally:
        await client.close()

    assert len(after_data) == 2
    assert after_data[0].startswith("250 2.0.0 Message accepted")
    assert after_data[1] == "221 Bye"
    (raw,) = stored_messages(front)
    assert b"MAIL FROM:<jo@example.com>\r\n" in raw
    assert b"Smuggled" in raw
    assert BARE_CR_OR_LF.search(raw) is None


async def test_bare_line_endings_are_stored_as_crlf(front: Front, cast: Cast) -> None:
    client = await RawSmtp.connect(front.port)
    try:
        await client.command("EHLO client.example.net")
        await client.command("MAIL FROM:<sam@example.org>")
        await client.command(f"RCPT TO:<{cast.alex}>")
        await client.command("DATA")
        body = b"From: sam@example.org\nSubject: Mixed\r\r\nOne\rTwo\nThree\r\n"
        reply = await client.command(body + b".")
        assert reply.startswith("250 2.0.0 ")
    finally:
        await client.close()
    (raw,) = stored_messages(front)
    assert raw == (
        b"From: sam@example.org\r\nSubject: Mixed\r\n\r\nOne\r\nTwo\r\nThree\r\n"
    )


async def test_dots_doubled_after_bare_lf_are_taken_back(
    front: Front, cast: Cast
) -> None:
    # smtplib doubles a leading dot after every "\n", even when the lines
    # end in a bare LF that aiosmtpd does not read as a line end.
    raw = (
        b"From: Sam Jones <sam@example.org>\nSubject: Dots\n\n"
        b".htaccess starts a line\n.\nin 36=\n.9 seconds\n"
    )

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", front.port) as client:
            client.sendmail("sam@example.org", [cast.alex], raw)

    await asyncio.to_thread(send)
    (stored,) = stored_messages(front)
    assert stored == (
        b"From: Sam Jones <sam@example.org>\r\nSubject: Dots\r\n\r\n"
        # smtplib ends the bare-LF data with its own CRLF.
        b".htaccess starts a line\r\n.\r\nin 36=\r\n.9 seconds\r\n\r\n"
    )


def test_single_dot_after_bare_lf_stays() -> None:
    # A client that did not double the dot keeps it.
    assert normalise_message_data(b"a\n.htaccess\n...\r\n") == (
        b"a\r\n.htaccess\r\n..\r\n"
    )


def test_normalise_line_endings_keeps_crlf() -> None:
    assert normalise_line_endings(b"a\r\nb\nc\rd\r\r\n") == (
        b"a\r\nb\r\nc\r\nd\r\n\r\n"
    )


HOSTILE_SENDERS = [
    b"<sam@example.org\rX>",
    b"<sam@exam\x00ple.org>",
    b"<@a.example,@b.example:sam@example.org>",
    b"<sam@example.org@example.com>",
    b'<"sam"@example.org>',
    b'<"sam@example.org"@example.net>',
    b"<" + b"s" * 65 + b"@example.org>",
    b"<sam@" + b"e" * 64 + b".example.org>",
    b"<sam@" + b"e" * 60 + (b"." + b"e" * 60) * 4 + b".org>",
    b"<sam@[192.0.2.1]>",
    b"<=?utf-8?q?sam?=@example.org>",
    b"sam@example.org(comment)",
]


def hostile_recipients(alias: str) -> list[tuple[bytes, int]]:
    local = alias.split("@")[0].encode()
    return [
        (b"<" + local + b"\r@relay.example.org>", 501),
        (b"<" + local + b"@relay.exa\x00mple.org>", 501),
        (b"<@a.example,@b.example:" + alias.encode() + b">", 501),
        (b"<" + alias.encode() + b"@example.com>", 501),
        (b'<"' + local + b'"@relay.example.org>', 501),
        (b"<" + b"a" * 65 + b"@relay.example.org>", 501),
        (b"<" + local + b"@" + b"r" * 64 + b".example.org>", 501),
        (b"<" + local + b"%example.com@relay.example.org>", 550),
        (b"<alex%example.com@relay.example.org>", 550),
        (b"<example.com!" + local + b"@relay.example.org>", 550),
        (b"<postmaster@example.com>", 550),
    ]


async def test_hostile_addresses_store_and_relay_nothing(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    for sender in HOSTILE_SENDERS:
        client = await RawSmtp.connect(port)
        try:
            await client.command("EHLO client.example.net")
            reply = await client.command(b"MAIL FROM:" + sender)
            assert reply == replies.BAD_SENDER_SYNTAX.format(), sender
            reply = await client.command(f"RCPT TO:<{cast.alex}>")
            assert reply.startswith("503 "), sender
        finally:
            await client.close()

    for recipient, code in hostile_recipients(cast.alex):
        client = await RawSmtp.connect(port)
        try:
            await client.command("EHLO client.example.net")
            await client.command("MAIL FROM:<sam@example.org>")
            reply = await client.command(b"RCPT TO:" + recipient)
            expected = {
                501: replies.BAD_RECIPIENT_SYNTAX.format(),
                550: replies.NO_SUCH_ALIAS.format(contact=relay.config.contact),
            }[code]
            assert reply == expected, recipient
            assert (await client.command("DATA")).startswith("503 "), recipient
        finally:
            await client.close()

    await asyncio.sleep(0.5)
    assert sink.deliveries == []
    with sqlite3.connect(relay.config.archive_path) as db:
        assert db.execute("SELECT COUNT(*) FROM messages").fetchone() == (0,)


async def test_line_feed_inside_address_is_refused(front: Front, cast: Cast) -> None:
    # aiosmtpd ends a command line at LF, so the rest arrives as a command of
    # its own; neither part may start a transaction.
    client = await RawSmtp.connect(front.port)
    try:
        await client.command("EHLO client.example.net")
        reply = await client.command(b"MAIL FROM:<sam@exa\nmple.org>")
        assert reply == replies.BAD_SENDER_SYNTAX.format()
        assert (await client.reply()).startswith("500 ")
        assert (await client.command(f"RCPT TO:<{cast.alex}>")).startswith("503 ")
    finally:
        await client.close()
    assert stored_messages(front) == []
