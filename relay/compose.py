"""Build the delivered message: an allowlisted header block over clean content.

Nothing from the sender's header block crosses unless it is on the list
below, so a header nobody thought of (X-Originating-IP, a client's tracking
header) can never leak the sender's address or location.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP, compat32
from email.utils import format_datetime

from archive.store import Participant

# Content headers copied from the filtered MIME entity; the identity headers
# are written by `compose` itself.
CONTENT_HEADERS = ("MIME-Version", "Content-Type", "Content-Transfer-Encoding")
AUTO_SUBMITTED_VALUES = ("auto-generated", "auto-replied", "auto-notified")

_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250}@[^<>\s]{1,250})>")


@dataclass(frozen=True)
class InboundHeaders:
    """The few sender headers the relay reads to thread and mark replies."""

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    auto_submitted: str | None


def read_inbound_headers(raw: bytes) -> InboundHeaders:
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
    message_ids = _message_ids(headers.get("Message-ID"))
    auto = str(headers.get("Auto-Submitted", "")).strip().lower().split(";")[0]
    return InboundHeaders(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=_message_ids(headers.get("In-Reply-To")),
        references=_message_ids(headers.get("References")),
        auto_submitted=auto if auto in AUTO_SUBMITTED_VALUES else None,
    )


def _message_ids(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(_MESSAGE_ID.findall(str(value)))[:50]


def new_message_id(domain: str) -> str:
    return f"{secrets.token_hex(12)}@{domain}"


@dataclass(frozen=True)
class Identity:
    """The relay-side identity of one delivered message."""

    sender: Participant
    recipients: Sequence[Participant]
    message_id: str
    in_reply_to: Sequence[str]
    references: Sequence[str]
    auto_submitted: str | None


def compose(content: EmailMessage, subject: str, identity: Identity) -> bytes:
    """Return the message to deliver: allowlisted headers, then the content."""
    message = EmailMessage(policy=SMTP)
    message["From"] = _address(identity.sender)
    message["To"] = [_address(r) for r in identity.recipients]
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC), usegmt=True)
    message["Message-ID"] = f"<{identity.message_id}>"
    if identity.in_reply_to:
        message["In-Reply-To"] = " ".join(f"<{i}>" for i in identity.in_reply_to)
    if identity.references:
        message["References"] = " ".join(f"<{i}>" for i in identity.references)
    if identity.auto_submitted:
        message["Auto-Submitted"] = identity.auto_submitted

    for name in CONTENT_HEADERS:
        value = content.get(name)
        if value is not None:
            message[name] = value
    if message.get("MIME-Version") is None:
        message["MIME-Version"] = "1.0"
    message.set_payload(content.get_payload())
    return message.as_bytes(policy=SMTP)


def _address(participant: Participant) -> Address:
    local, _, domain = participant.alias.partition("@")
    return Address(participant.name, local, domain)
