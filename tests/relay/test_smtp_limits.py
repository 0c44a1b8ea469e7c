"""SMTP limits, each answered with its own code: lines, sizes, counts, rates."""

from __future__ import annotations

import sqlite3

import pytest

from relay import replies
from relay.config import Config
from tests.conftest import Cast, Front, RawSmtp, running_front, with_smtp


def message(subject: str = "Hello", *, padding_fields: int = 0) -> bytes:
    padding = b"X-Padding: " + b"p" * 68 + b"\r\n"  # 80 bytes a field
    padding *= padding_fields
    return (
        b"From: Sam Jones <sam@example.org>\r\n"
        b"Subject: " + subject.encode() + b"\r\n" + padding + b"\r\n"
        b"See you on Thursday.\r\n"
    )


async def session(port: int) -> RawSmtp:
    client = await RawSmtp.connect(port)
    assert (await client.command("EHLO client.example.net")).startswith("250")
    return client


async def transaction(
    client: RawSmtp, alias: str, data: bytes, sender: str = "sam@example.org"
) -> str:
    """Run MAIL, RCPT and DATA; return the first reply that is not positive."""
    reply = await client.command(f"MAIL FROM:<{sender}>")
    if not reply.startswith("250"):
        return reply
    reply = await client.command(f"RCPT TO:<{alias}>")
    if not reply.startswith("250"):
        return reply
    reply = await client.command("DATA")
    if not reply.startswith("354"):
        return reply
    return await client.command(data + b".")


async def test_command_line_limit_is_512_bytes(front: Front) -> None:
    client = await session(front.port)
    try:
        longest = "NOOP " + "x" * 507
        assert len(longest) == 512
        assert await client.command(longest) == "250 OK"
        too_long = await client.command(longest + "x")
        assert too_long == replies.COMMAND_LINE_TOO_LONG.format()
        assert too_long.startswith("500 5.5.2 ")
    finally:
        await client.close()


async def test_repeated_ehlo_keeps_mail_line_limit(front: Front) -> None:
    # aiosmtpd 1.4.6 lets MAIL grow by 36 bytes at every EHLO; the relay
    # keeps it at 512 plus the room for SIZE and SMTPUTF8 parameters.
    client = await session(front.port)
    try:
        for _ in range(20):
            await client.command("EHLO client.example.net")
        line = "MAIL FROM:<" + "a" * 560 + "@example.org>"
        assert await client.command(line) == replies.COMMAND_LINE_TOO_LONG.format()
    finally:
        await client.close()


async def test_data_line_over_998_characters_is_refused(
    front: Front, cast: Cast
) -> None:
    client = await session(front.port)
    try:
        fits = message() + b"y" * 998 + b"\r\n"
        reply = await transaction(client, cast.alex, fits)
        assert reply.startswith("250 2.0.0 Message accepted")

        too_long = message() + b"y" * 1000 + b"\r\n"
        reply = await transaction(client, cast.alex, too_long)
        assert reply == replies.DATA_LINE_TOO_LONG.format()
        assert reply.startswith("500 5.6.0 ")
    finally:
        await client.close()


async def test_bare_lf_message_of_short_lines_is_accepted(
    front: Front, cast: Cast
) -> None:
    lines = b"".join(b"line %02d " % n + b"z" * 52 + b"\n" for n in range(20))
    bare_lf = message().replace(b"\r\n", b"\n") + lines
    assert len(bare_lf) > 1000
    client = await session(front.port)
    try:
        # The final dot still needs CRLF, as every client sends it.
        reply = await transaction(client, cast.alex, bare_lf + b"\r\n")
    finally:
        await client.close()
    assert reply.startswith("250 2.0.0 Message accepted")


async def test_bare_lf_line_over_998_characters_is_refused(
    front: Front, cast: Cast
) -> None:
    too_long = message().replace(b"\r\n", b"\n") + b"y" * 1000 + b"\n"
    client = await session(front.port)
    try:
        reply = await transaction(client, cast.alex, too_long + b"\r\n")
    finally:
        await client.close()
    assert reply == replies.DATA_LINE_TOO_LONG.format()


async def test_size_over_limit_is_refused_at_mail(
    relay_config: Config, cast: Cast
) -> None:
    config = with_smtp(relay_config, max_message_bytes=2048)
    async with running_front(config) as front:
        client = await session(front.port)
        try:
            reply = await client.command("MAIL FROM:<sam@example.org> SIZE=2049")
            assert reply == replies.MESSAGE_TOO_BIG.format(limit=2048)
            assert reply.startswith("552 5.3.4 ")
            reply = await client.command("MAIL FROM:<sam@example.org> SIZE=2048")
            assert reply == replies.SENDER_OK.format()
        finally:
            await client.close()


async def test_data_over_limit_is_refused_after_dot(
    relay_config: Config, cast: Cast
) -> None:
    config = with_smtp(relay_config, max_message_bytes=2048)
    async with running_front(config) as front:
        client = await session(front.port)
        try:
            data = message() + b"z" * 70 + b"\r\n" + (b"w" * 70 + b"\r\n") * 30
            reply = await transaction(client, cast.alex, data)
            assert reply == replies.MESSAGE_TOO_BIG.format(limit=2048)
        finally:
            await client.close()
        assert await message_count(front) == 0


async def test_recipients_past_the_limit_get_452(
    relay_config: Config, cast: Cast
) -> None:
    config = with_smtp(relay_config, max_recipients=1)
    async with running_front(config) as front:
        client = await session(front.port)
        try:
            await client.command("MAIL FROM:<sam@example.org>")
            assert await client.command(f"RCPT TO:<{cast.alex}>") == (
                replies.RECIPIENT_OK.format()
            )
            reply = await client.command(f"RCPT TO:<{cast.jo}>")
            assert reply == replies.TOO_MANY_RECIPIENTS.format(limit=1)
            assert reply.startswith("452 4.5.3 ")
        finally:
            await client.close()


async def test_header_block_over_limit_is_refused(
    relay_config: Config, cast: Cast
) -> None:
    config = with_smtp(relay_config, max_header_bytes=1024)
    async with running_front(config) as front:
        client = await session(front.port)
        try:
            reply = await transaction(client, cast.alex, message(padding_fields=11))
            assert reply.startswith("250 2.0.0 ")
            reply = await transaction(client, cast.alex, message(padding_fields=13))
            assert reply == replies.HEADER_TOO_BIG.format(limit=1024)
            assert reply.startswith("552 5.3.4 ")
        finally:
            await client.close()
        assert await message_count(front) == 1


async def test_connections_past_the_limit_get_421(
    relay_config: Config, cast: Cast
) -> None:
    config = with_smtp(relay_config, max_connections_per_client=2)
    async with running_front(config) as front:
        first = await RawSmtp.connect(front.port)
        second = await RawSmtp.connect(front.port)
        third = await RawSmtp.connect(front.port)
        try:
            assert first.greeting.startswith("220 ")
            assert second.greeting.startswith("220 ")
            assert third.greeting == replies.TOO_MANY_CONNECTIONS.format()
            assert third.greeting.startswith("421 4.7.0 ")
            assert await third.closed_by_server()

            await first.command("QUIT")
            assert await first.closed_by_server()
            fourth = await RawSmtp.connect(front.port)
            assert fourth.greeting.startswith("220 ")
            await fourth.close()
        finally:
            for client in (first, second, third):
                await client.close()


async def test_sender_over_hourly_limit_is_deferred_across_restart(
    relay_config: Config, cast: Cast
) -> None:
    config = with_smtp(relay_config, max_messages_per_sender_per_hour=2)
    limited = replies.SENDER_RATE_LIMITED.format(limit=2)
    async with running_front(config) as front:
        client = await session(front.port)
        try:
            for number in range(2):
                reply = await transaction(client, cast.alex, message(f"No. {number}"))
                assert reply.startswith("250 2.0.0 ")
            assert await client.command("MAIL FROM:<sam@example.org>") == limited
            assert limited.startswith("450 4.7.1 ")
        finally:
            await client.close()

    restarted = with_smtp(config)
    async with running_front(restarted) as front:
        client = await session(front.port)
        try:
            assert await client.command("MAIL FROM:<sam@example.org>") == limited
            with sqlite3.connect(config.archive_path) as db:
                db.execute(
                    "UPDATE messages SET received_at = '2000-01-01T00:00:00+00:00'"
                )
            reply = await client.command("MAIL FROM:<sam@example.org>")
            assert reply == replies.SENDER_OK.format()
        finally:
            await client.close()


async def test_hourly_limit_applies_to_from_identity_after_dot(
    relay_config: Config, cast: Cast
) -> None:
    # A null envelope sender (an auto-reply) is identified by its From header,
    # so its count is checked after the dot instead of at MAIL.
    config = with_smtp(relay_config, max_messages_per_sender_per_hour=1)
    async with running_front(config) as front:
        client = await session(front.port)
        try:
            reply = await transaction(client, cast.alex, message("First"))
            assert reply.startswith("250 2.0.0 ")
            assert await client.command("MAIL FROM:<>") == replies.SENDER_OK.format()
            await client.command(f"RCPT TO:<{cast.alex}>")
            await client.command("DATA")
            reply = await client.command(message("Second") + b".")
            assert reply == replies.SENDER_RATE_LIMITED.format(limit=1)
        finally:
            await client.close()


@pytest.mark.parametrize(
    "argument", ["sam@example.org", "<sam@example.org>", "nobody", "<>", ""]
)
async def test_vrfy_reveals_nothing(front: Front, cast: Cast, argument: str) -> None:
    client = await session(front.port)
    try:
        reply = await client.command(f"VRFY {argument}".strip())
        assert reply == replies.VRFY_NOT_OFFERED.format()
        assert reply.startswith("252 ")
        alias_reply = await client.command(f"VRFY <{cast.alex}>")
        assert alias_reply == reply
    finally:
        await client.close()


async def test_expn_is_not_offered(front: Front, cast: Cast) -> None:
    client = await session(front.port)
    try:
        reply = await client.command(f"EXPN {cast.alex}")
        assert reply == replies.EXPN_NOT_OFFERED.format()
        assert reply.startswith("502 ")
    finally:
        await client.close()


async def test_too_many_refused_recipients_end_session(
    relay_config: Config, cast: Cast
) -> None:
    config = with_smtp(relay_config, max_refused_recipients=3)
    async with running_front(config) as front:
        client = await session(front.port)
        try:
            await client.command("MAIL FROM:<sam@example.org>")
            for number in range(3):
                reply = await client.command(
                    f"RCPT TO:<guess{number}.abcdefgh@relay.example.org>"
                )
                assert reply.startswith("550 5.1.1 ")
            reply = await client.command(f"RCPT TO:<{cast.alex}>")
            assert reply == replies.TOO_MANY_REFUSALS.format()
            assert reply.startswith("421 4.7.0 ")
            assert await client.closed_by_server()
        finally:
            await client.close()


async def message_count(front: Front) -> int:
    with sqlite3.connect(front.config.archive_path) as db:
        return int(db.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
