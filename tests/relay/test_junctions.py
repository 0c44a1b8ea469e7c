"""End to end over real SMTP: a phone number split over two messages."""

from __future__ import annotations

import asyncio
import email
import smtplib
from email.message import EmailMessage
from email.policy import SMTP, default

from archive.junctions import previous_message_tail
from relay.server import Relay
from tests.conftest import Cast, Sink

PREVIOUS_PHONE = (
    "The start of this message continues a phone number begun at the end "
    "of the sender's earlier messages to the same recipient."
)
REST_AFTER_REMOVAL = (
    "This message may continue a phone number already removed from the "
    "sender's earlier messages."
)
LONE_START = (
    "The start of a mobile number was given alone, and the rest may follow in "
    "another message."
)
SPREAD_PHONE = (
    "Pieces of a phone number were spread over this message or the sender's "
    "earlier messages."
)


def from_sam(cast: Cast, subject: str, text: str, html: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "Sam Jones <sam@example.org>"
    message["To"] = cast.alex
    message["Subject"] = subject
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes(policy=SMTP)


def send(port: int, cast: Cast, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail("sam@example.org", [cast.alex], raw)


def delivered_texts(data: bytes) -> dict[str, str]:
    """Return the decoded text of each leaf part, with "\n" line breaks."""
    message = email.message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return {
        part.get_content_type(): str(part.get_content()).replace("\r\n", "\n")
        for part in message.walk()
        if not part.is_multipart()
    }


async def test_number_split_over_two_messages_is_removed(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    first = from_sam(cast, "Plans", "See you Tuesday at 07700\n")
    await asyncio.to_thread(send, port, cast, first)
    await sink.wait_for(1)
    second = from_sam(
        cast, "Plans again", "900123\nText me first\n", "<p>900123</p><p>Text me</p>"
    )
    await asyncio.to_thread(send, port, cast, second)
    deliveries = await sink.wait_for(2)

    assert delivered_texts(deliveries[0].data) == {
        "text/plain": "See you Tuesday at 07700\n"
    }
    texts = delivered_texts(deliveries[1].data)
    assert texts == {
        "text/plain": "[phone number removed]\nText me first\n",
        "text/html": "<p>[phone number removed]</p><p>Text me</p>\n",
    }
    for text in texts.values():
        assert "900" not in text
        assert "123" not in text

    findings = await relay.archive.findings(2)
    split = [f for f in findings if f.kind == "split_detail"]
    assert [(f.location, f.detail, f.severity) for f in split] == [
        ("message", PREVIOUS_PHONE, "medium")
    ]
    row = await relay.archive.message("2")
    assert row is not None
    assert row["flag"] == "split contact details, contact details"


async def test_split_after_html_only_message_removed(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    # Some clients send HTML alone; its visible text is the tail the next
    # message is joined to.
    port = relay.config.smtp.listen.port
    first = (
        f"From: Sam Jones <sam@example.org>\r\nTo: {cast.alex}\r\n"
        "Subject: Plans\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
        "<p>See you Tuesday at <b>07700</b></p>\r\n"
    ).encode()
    await asyncio.to_thread(send, port, cast, first)
    await sink.wait_for(1)
    second = from_sam(cast, "Plans again", "900123 text me first\n")
    await asyncio.to_thread(send, port, cast, second)
    deliveries = await sink.wait_for(2)

    assert delivered_texts(deliveries[1].data) == {
        "text/plain": "[phone number removed] text me first\n"
    }
    findings = await relay.archive.findings(2)
    assert [f.detail for f in findings if f.kind == "split_detail"] == [PREVIOUS_PHONE]


async def send_bodies(relay: Relay, sink: Sink, cast: Cast, bodies: list[str]) -> None:
    port = relay.config.smtp.listen.port
    for count, body in enumerate(bodies, start=1):
        await asyncio.to_thread(send, port, cast, from_sam(cast, "Hi", body))
        await sink.wait_for(count)


async def split_details(relay: Relay, count: int) -> list[list[str]]:
    details = []
    for number in range(1, count + 1):
        findings = await relay.archive.findings(number)
        details.append([f.detail for f in findings if f.kind == "split_detail"])
    return details


async def test_lone_start_then_rest_are_removed(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    bodies = ["my number starts 07700, rest later\n", "bit 2: 900123\n"]
    await send_bodies(relay, sink, cast, bodies)

    deliveries = await sink.wait_for(2)
    texts = [delivered_texts(delivery.data)["text/plain"] for delivery in deliveries]
    assert texts == [
        "my number starts [phone number removed], rest later\n",
        "bit 2: [phone number removed]\n",
    ]
    assert await split_details(relay, 2) == [[LONE_START], [REST_AFTER_REMOVAL]]


async def test_start_after_earlier_rest_is_removed(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    # The earlier rest cannot be taken back, so the start goes and the split
    # is flagged.
    bodies = ["the end of my mobile is 900456\n", "and it starts 07700\n"]
    await send_bodies(relay, sink, cast, bodies)

    deliveries = await sink.wait_for(2)
    texts = [delivered_texts(delivery.data)["text/plain"] for delivery in deliveries]
    assert texts == [
        "the end of my mobile is 900456\n",
        "and it starts [phone number removed]\n",
    ]
    assert await split_details(relay, 2) == [[], [SPREAD_PHONE]]


async def test_previous_tail_is_empty_for_first_message(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    await asyncio.to_thread(
        send, port, cast, from_sam(cast, "Hi", "my number is 07700\n")
    )
    await sink.wait_for(1)

    assert await previous_message_tail(relay.archive, 1) == ""


async def test_previous_tail_reads_end_of_last_message(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    await asyncio.to_thread(
        send, port, cast, from_sam(cast, "One", "a" * 400 + " 07700\n")
    )
    await sink.wait_for(1)
    await asyncio.to_thread(send, port, cast, from_sam(cast, "Two", "Hello\n"))
    await sink.wait_for(2)

    assert await previous_message_tail(relay.archive, 2) == "a" * 293 + " 07700"
    assert await previous_message_tail(relay.archive, 2, window_hours=0) == ""


async def test_previous_tail_joins_last_four_messages_oldest_first(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    for number, text in enumerate(["one", "two", "three", "four", "five", "six"]):
        raw = from_sam(cast, f"Note {number}", f"{text}\n")
        await asyncio.to_thread(send, port, cast, raw)
        await sink.wait_for(number + 1)

    assert await previous_message_tail(relay.archive, 6) == "two\nthree\nfour\nfive"
    assert await previous_message_tail(relay.archive, 6, messages=1) == "five"
    assert await previous_message_tail(relay.archive, 6, chars=8) == "our\nfive"


async def test_address_given_over_four_messages_loses_postcode(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    # Each message alone holds nothing the filters remove. The last one
    # completes the postcode begun in the one before.
    port = relay.config.smtp.listen.port
    parts = ["house number 14", "acacia avenue", "LS6", "2AB"]
    for number, text in enumerate(parts):
        raw = from_sam(cast, f"Part {number}", f"{text}\n")
        await asyncio.to_thread(send, port, cast, raw)
        await sink.wait_for(number + 1)
    deliveries = await sink.wait_for(4)

    assert delivered_texts(deliveries[3].data) == {"text/plain": "[postcode removed]\n"}
    findings = await relay.archive.findings(4)
    assert [f.detail for f in findings if f.kind == "split_detail"] == [
        "The start of this message continues a postcode begun at the end "
        "of the sender's earlier messages to the same recipient."
    ]


async def test_reversed_postcode_over_messages_removed(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    # The inward code comes first and the outward code starts the next
    # message, so only the reverse reading of the junction finds them.
    await send_bodies(relay, sink, cast, ["2AB\n", "LS6\nsee you soon\n"])

    deliveries = await sink.wait_for(2)
    texts = [delivered_texts(delivery.data)["text/plain"] for delivery in deliveries]
    assert texts == ["2AB\n", "[postcode removed]\nsee you soon\n"]
    assert await split_details(relay, 2) == [
        [],
        [
            "The start of this message continues a postcode begun at the end "
            "of the sender's earlier messages to the same recipient."
        ],
    ]


async def test_time_after_inward_shape_stays(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    await send_bodies(relay, sink, cast, ["Room 2AB\n", "see you at 6\n"])

    deliveries = await sink.wait_for(2)
    texts = [delivered_texts(delivery.data)["text/plain"] for delivery in deliveries]
    assert texts == ["Room 2AB\n", "see you at 6\n"]
    assert await split_details(relay, 2) == [[], []]


SPREAD_POSTCODE = (
    "The two halves of a postcode were given apart in this message or the "
    "earlier messages of the conversation."
)


async def test_uncued_postcode_halves_over_messages_removed(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    bodies = ["the bus is the LS6 one\n", "and the rest is 2AB\n"]
    await send_bodies(relay, sink, cast, bodies)

    deliveries = await sink.wait_for(2)
    texts = [delivered_texts(delivery.data)["text/plain"] for delivery in deliveries]
    assert texts == ["the bus is the LS6 one\n", "and the rest is [postcode removed]\n"]
    assert await split_details(relay, 2) == [[], [SPREAD_POSTCODE]]


def from_alex(cast: Cast, text: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Alex Smith <alex@example.com>"
    message["To"] = cast.sam
    message["Subject"] = "Hi"
    message.set_content(text)
    return message.as_bytes(policy=SMTP)


def send_from_alex(port: int, cast: Cast, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail("alex@example.com", [cast.sam], raw)


async def test_half_after_partner_question_removed(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    # Alex asks with the outward code, and Sam's reply gives the inward code.
    port = relay.config.smtp.listen.port
    question = from_alex(cast, "which bit of Leeds, LS6?\n")
    await asyncio.to_thread(send_from_alex, port, cast, question)
    await sink.wait_for(1)
    reply = from_sam(cast, "Re: Hi", "yep and then 2AB\n")
    await asyncio.to_thread(send, port, cast, reply)
    deliveries = await sink.wait_for(2)

    texts = [delivered_texts(delivery.data)["text/plain"] for delivery in deliveries]
    assert texts == ["which bit of Leeds, LS6?\n", "yep and then [postcode removed]\n"]
    assert await split_details(relay, 2) == [[], [SPREAD_POSTCODE]]
    assert await previous_message_tail(relay.archive, 2) == "which bit of Leeds, LS6?"
    assert await previous_message_tail(relay.archive, 2, partner_messages=0) == ""


async def test_previous_tail_adds_partner_latest_message(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    port = relay.config.smtp.listen.port
    sent = [("sam", "one"), ("alex", "two"), ("alex", "three"), ("sam", "four")]
    for number, (sender, text) in enumerate(sent, start=1):
        if sender == "sam":
            await asyncio.to_thread(send, port, cast, from_sam(cast, "Hi", f"{text}\n"))
        else:
            await asyncio.to_thread(send_from_alex, port, cast, from_alex(cast, text))
        await sink.wait_for(number)

    assert await previous_message_tail(relay.archive, 4) == "one\nthree"
    # Alex's own "two" and Sam's latest message to Alex.
    assert await previous_message_tail(relay.archive, 3) == "one\ntwo"


async def test_spelled_postcode_after_outward_code_removed(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    bodies = ["mine is LS6\n", "then 2 Alpha Bravo\n"]
    await send_bodies(relay, sink, cast, bodies)

    deliveries = await sink.wait_for(2)
    texts = [delivered_texts(delivery.data)["text/plain"] for delivery in deliveries]
    assert texts == ["mine is LS6\n", "then [postcode removed]\n"]
    assert await split_details(relay, 2) == [
        [],
        [
            "A postcode was spelled out with words for its letters, such as"
            ' "L for Leeds" or "Lima".'
        ],
    ]


async def test_labelled_half_after_outward_code_stays(
    relay: Relay, sink: Sink, cast: Cast
) -> None:
    bodies = ["the LS6 bus\n", "Rooms 2AB, 3DE and 4FG are free\n"]
    await send_bodies(relay, sink, cast, bodies)

    deliveries = await sink.wait_for(2)
    texts = [delivered_texts(delivery.data)["text/plain"] for delivery in deliveries]
    assert texts == ["the LS6 bus\n", "Rooms 2AB, 3DE and 4FG are free\n"]
    assert await split_details(relay, 2) == [[], []]
