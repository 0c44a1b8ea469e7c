"""End to end over real SMTP: client -> relay -> filters -> archive -> sink."""

from __future__ import annotations

import asyncio
import base64
import email
import json
import smtplib
from email.message import EmailMessage, Message
from email.policy import SMTP, default
from pathlib import Path
from typing import Any

import dkim

from archive.store import Archive
from relay.bounces import bounce_key, parse_bounce_address
from relay.config import archive_cipher
from relay.dkim import dns_txt_value
from relay.server import Relay
from tests.conftest import Cast, Sink, run_cli

ALLOWED_HEADERS = {
    "DKIM-Signature",
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
}
REMOVED_VALUES = (
    "07700",
    "900123",
    "sam.private@example.net",
    "example.net",
    "SW1A",
    "shit",
    "tracker.example.com",
    "sam@example.org",
    "alex@example.com",
    "Secret plan",
    "%PDF",
    "192.0.2.7",
)


def mentor_message(cast: Cast) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Sam Jones <sam@example.org>"
    message["To"] = cast.alex
    message["Subject"] = "Plans for next week"
    message["Message-ID"] = "<original-1@mail.example.org>"
    message["X-Originating-IP"] = "[192.0.2.7]"
    message["Reply-To"] = "sam.private@example.net"
    message.set_content(
        "Hi Alex,\n"
        "Call me on 07700 900123 or write to sam.private@example.net.\n"
        "I live near SW1A 1AA. This homework is shit.\n"
    )
    message.add_alternative(
        "<p>Call me on 07700 900123</p>"
        '<img src="https://tracker.example.com/pixel.png" alt="">',
        subtype="html",
    )
    message.add_attachment(
        b"%PDF-1.4 Secret plan",
        maintype="application",
        subtype="pdf",
        filename="plan.pdf",
    )
    return message


def send(port: int, sender: str, recipients: list[str], data: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail(sender, recipients, data)


def decoded_parts(message: Message) -> list[str]:
    texts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return texts


def public_key_dns(relay: Relay) -> object:
    record = dns_txt_value(relay.config.dkim.private_key.read_bytes()).encode()

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"relay._domainkey.relay.example.org."
        return record

    return lookup


async def test_mentor_message_reaches_mentee_filtered(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    raw = mentor_message(cast).as_bytes(policy=SMTP)
    port = relay.config.smtp.listen.port
    await asyncio.to_thread(send, port, "sam@example.org", [cast.alex], raw)

    (delivery,) = await sink.wait_for(1)
    assert delivery.rcpt_tos == ["alex@example.com"]
    key = bounce_key(relay.config.dkim.private_key.read_bytes())
    assert parse_bounce_address(delivery.mail_from, "relay.example.org", key) == 1
    delivered = email.message_from_bytes(delivery.data, policy=default)

    assert set(delivered.keys()) == ALLOWED_HEADERS
    assert delivered["From"] == f"Sam Jones <{cast.sam}>"
    assert delivered["To"] == f"Alex Smith <{cast.alex}>"
    assert delivered["Subject"] == "Plans for next week"

    everything = "\n".join(decoded_parts(delivered)) + delivery.data.decode("ascii")
    for value in REMOVED_VALUES:
        assert value not in everything, value
    plain = delivered.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert "[phone number removed]" in text
    assert "[email address removed]" in text
    assert "[postcode removed]" in text
    assert "plan.pdf" in text
    content_types = {part.get_content_type() for part in delivered.walk()}
    assert content_types <= {"multipart/alternative", "text/plain", "text/html"}

    assert dkim.verify(delivery.data, dnsfunc=public_key_dns(relay))


async def settled_row(archive: Archive, message_id: str, timeout: float = 10.0) -> Any:
    """The archive row once the delivery outcome is written.

    The sink has the bytes a moment before the relay records that the downstream
    server accepted them, so the status is read again until it leaves "queued".
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        row = await archive.message(message_id)
        assert row is not None
        if row["status"] != "queued" or asyncio.get_running_loop().time() > deadline:
            return row
        await asyncio.sleep(0.05)


async def test_archive_keeps_original_copy_and_findings(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    raw = mentor_message(cast).as_bytes(policy=SMTP)
    port = relay.config.smtp.listen.port
    await asyncio.to_thread(send, port, "sam@example.org", [cast.alex], raw)
    await sink.wait_for(1)

    archive = await Archive.open(
        relay.config.archive_path, archive_cipher(relay.config)
    )
    try:
        row = await settled_row(archive, "1")
        assert bytes(row["raw"]).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
        assert b"07700 900123" not in bytes(row["delivered"])
        assert row["status"] == "delivered"
        kinds = {f.kind for f in await archive.findings(1)}
    finally:
        await archive.close()
    assert {"phone", "email", "postcode", "profanity", "attachment"} <= kinds


async def send_disclosure(relay: Relay, sink: Sink, cast: Cast) -> None:
    """Send a message that raises a high self-harm flag, and wait for it."""
    message = EmailMessage()
    message["From"] = "Alex <alex@example.com>"
    message["To"] = cast.sam
    message["Subject"] = "this week"
    message.set_content("Some nights I want to kill myself.\n")
    port = relay.config.smtp.listen.port
    await asyncio.to_thread(
        send, port, "alex@example.com", [cast.sam], message.as_bytes(policy=SMTP)
    )
    await sink.wait_for(1)


async def test_show_names_safeguarding_category_and_match(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    await send_disclosure(relay, sink, cast)

    output = await asyncio.to_thread(
        run_cli, "--config", str(relay.config.path), "show", "1"
    )

    findings = output.split("findings:\n", 1)[1].split("delivered copy:")[0]
    assert findings.splitlines() == [
        '  safeguarding x1 in text/plain: self-harm, high severity, matched "kill '
        'myself"'
    ]


async def test_review_list_shows_flagged_message(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    await send_disclosure(relay, sink, cast)
    archive = await Archive.open(
        relay.config.archive_path, archive_cipher(relay.config)
    )
    try:
        row = await settled_row(archive, "1")
    finally:
        await archive.close()

    output = await asyncio.to_thread(
        run_cli, "--config", str(relay.config.path), "review", "list", "--json"
    )

    assert json.loads(output) == [
        {
            "id": 1,
            "queue_id": row["queue_id"],
            "received_at": row["received_at"],
            "status": "delivered",
            "hold_reason": None,
            "severity": "high",
            "categories": ["self-harm"],
            "escalated": False,
            "sender": cast.alex,
            "subject": "this week",
        }
    ]


def test_review_list_says_when_queue_is_empty(relay_dir: Path, cast: Cast) -> None:
    output = run_cli("--config", str(relay_dir / "relay.toml"), "review", "list")

    assert output == "nothing waits for review\n"


async def test_reply_reaches_mentor_and_threads(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    raw = mentor_message(cast).as_bytes(policy=SMTP)
    await asyncio.to_thread(send, port, "sam@example.org", [cast.alex], raw)
    (first,) = await sink.wait_for(1)
    first_id = email.message_from_bytes(first.data, policy=default)["Message-ID"]

    reply = EmailMessage()
    reply["From"] = "Alex <alex@example.com>"
    reply["To"] = cast.sam
    reply["Subject"] = "Re: Plans for next week"
    reply["In-Reply-To"] = first_id
    reply["References"] = f"<unknown-id@mail.example.com> {first_id}"
    reply.set_content("Thanks Sam, see you in the session.\n")
    await asyncio.to_thread(
        send, port, "alex@example.com", [cast.sam], reply.as_bytes(policy=SMTP)
    )

    second = (await sink.wait_for(2))[1]
    assert second.rcpt_tos == ["sam@example.org"]
    delivered = email.message_from_bytes(second.data, policy=default)
    assert delivered["In-Reply-To"] == first_id
    assert delivered["References"] == first_id
    assert delivered["From"] == f"Alex Smith <{cast.alex}>"


async def test_mentor_own_message_id_maps_to_relay_id(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    # A mentor following up on their own sent message refers to the id their
    # client gave it; the delivered copy must refer to the relay's id instead.
    port = relay.config.smtp.listen.port
    await asyncio.to_thread(
        send,
        port,
        "sam@example.org",
        [cast.alex],
        mentor_message(cast).as_bytes(policy=SMTP),
    )
    (first,) = await sink.wait_for(1)
    first_id = email.message_from_bytes(first.data, policy=default)["Message-ID"]

    follow_up = EmailMessage()
    follow_up["From"] = "sam@example.org"
    follow_up["To"] = cast.alex
    follow_up["Subject"] = "One more thing"
    follow_up["In-Reply-To"] = "<original-1@mail.example.org>"
    follow_up.set_content("Bring your notes.\n")
    await asyncio.to_thread(
        send, port, "sam@example.org", [cast.alex], follow_up.as_bytes(policy=SMTP)
    )
    second = (await sink.wait_for(2))[1]
    delivered = email.message_from_bytes(second.data, policy=default)
    assert delivered["In-Reply-To"] == first_id


def refusal(port: int, sender: str, recipient: str, data: bytes) -> tuple[int, str]:
    """Send and return the first refusal (code, text) the relay gives."""
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo("client.example.net")
        code, text = client.mail(sender)
        if code != 250:
            return code, text.decode()
        code, text = client.rcpt(recipient)
        if code != 250:
            return code, text.decode()
        code, text = client.data(data)
        return code, text.decode()


def plain_message(sender: str, recipient: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = "Hello"
    message.set_content("Hello there.\n")
    return message.as_bytes(policy=SMTP)


async def test_unregistered_sender_is_refused(relay: Relay, cast: Cast) -> None:
    port = relay.config.smtp.listen.port
    data = plain_message("stranger@example.net", cast.alex)
    code, text = await asyncio.to_thread(
        refusal, port, "stranger@example.net", cast.alex, data
    )
    assert code == 550
    assert text.startswith("5.7.1 This address is not registered")


async def test_unpaired_participant_is_refused_at_rcpt(
    relay: Relay, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    data = plain_message("jo@example.com", cast.sam)
    code, text = await asyncio.to_thread(
        refusal, port, "jo@example.com", cast.sam, data
    )
    assert code == 550
    assert text.startswith("5.1.1 No such alias, or you may not write to it")


async def test_ended_relationship_is_refused_with_date(
    relay: Relay, cast: Cast
) -> None:
    config = str(relay.config.path)
    await asyncio.to_thread(
        run_cli, "--config", config, "relationship", "end", str(cast.relationship_id)
    )
    port = relay.config.smtp.listen.port
    data = plain_message("sam@example.org", cast.alex)
    code, text = await asyncio.to_thread(
        refusal, port, "sam@example.org", cast.alex, data
    )
    assert code == 550
    assert "5.7.1 Your mentoring relationship with this participant ended on 20" in text


async def test_unknown_alias_is_refused(relay: Relay, cast: Cast) -> None:
    port = relay.config.smtp.listen.port
    data = plain_message("sam@example.org", "nobody.abcdefgh@relay.example.org")
    code, text = await asyncio.to_thread(
        refusal, port, "sam@example.org", "nobody.abcdefgh@relay.example.org", data
    )
    assert code == 550
    assert text.startswith("5.1.1 No such alias, or you may not write to it")


async def test_other_domain_is_not_relayed(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    data = plain_message("sam@example.org", "alex@example.com")
    code, text = await asyncio.to_thread(
        refusal, port, "sam@example.org", "alex@example.com", data
    )
    assert code == 550
    assert text.startswith("5.1.1")
    assert sink.deliveries == []


async def test_ehlo_advertises_size_8bitmime_smtputf8(relay: Relay) -> None:
    def features() -> dict[str, str]:
        with smtplib.SMTP("127.0.0.1", relay.config.smtp.listen.port) as client:
            client.ehlo("client.example.net")
            return dict(client.esmtp_features)

    found = await asyncio.to_thread(features)
    assert found["size"] == str(relay.config.smtp.max_message_bytes)
    assert "8bitmime" in found
    assert "smtputf8" in found


async def test_oversized_message_is_refused_at_mail(relay: Relay, cast: Cast) -> None:
    limit = relay.config.smtp.max_message_bytes

    def mail_with_size() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", relay.config.smtp.listen.port) as client:
            client.ehlo("client.example.net")
            return client.mail("sam@example.org", [f"SIZE={limit + 1}"])

    code, _ = await asyncio.to_thread(mail_with_size)
    assert code == 552


async def test_base64_subject_and_latin1_body_are_filtered(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    body = "Ring me on 07700 900123, café at noon.\r\n".encode("iso-8859-1")
    raw = (
        b"From: sam@example.org\r\nTo: " + cast.alex.encode() + b"\r\n"
        b"Subject: =?utf-8?b?"
        + base64.b64encode(b"Call 07700 900123")
        + b"?=\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )
    port = relay.config.smtp.listen.port
    await asyncio.to_thread(send, port, "sam@example.org", [cast.alex], raw)
    (delivery,) = await sink.wait_for(1)
    delivered = email.message_from_bytes(delivery.data, policy=default)
    assert delivered["Subject"] == "Call [phone number removed]"
    assert delivered.get_content().replace("\r\n", "\n") == (
        "Ring me on [phone number removed], café at noon.\n"
    )
