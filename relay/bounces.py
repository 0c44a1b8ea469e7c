"""Bounce addresses (VERP) that tie a returned message to its delivery job.

Every outbound message carries an envelope sender such as
`bounces+42.k3j9x0qz2m@relay.example.org`: the job id and an HMAC over it,
so a bounce names the job it belongs to and a forged bounce for a job
that does not exist, or for someone else's job, is recognised. The key is
derived from the relay's DKIM private key, so there is no second secret to
manage; rotating the DKIM key invalidates older bounce addresses.

`BounceProcessor` handles what arrives at a valid bounce address: a delivery
status notification (RFC 3464), an older bounce without one, or an
out-of-office reply sent to the envelope sender.
"""

from __future__ import annotations

import asyncio
import base64
import email
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32

from archive.queue import DeliveryQueue
from archive.store import Archive
from relay.config import Config, ConfigError
from relay.notices import Failure, FailureReporter, automatic_kind

log = logging.getLogger(__name__)

BOUNCE_LOCAL_PREFIX = "bounces"
_TOKEN_BYTES = 10  # 80 bits of HMAC-SHA256, base32 without padding


def bounce_key(private_key_pem: bytes) -> bytes:
    """Derive the bounce-token key from the relay's DKIM private key."""
    return hashlib.sha256(b"mentor-relay bounce token\0" + private_key_pem).digest()


def load_bounce_key(config: Config) -> bytes:
    """Derive the bounce-token key from the DKIM private key file.

    Raises ConfigError naming dkim.private_key when the file cannot be read.
    """
    path = config.dkim.private_key
    try:
        return bounce_key(path.read_bytes())
    except OSError as error:
        raise ConfigError(
            f"{config.path}: dkim.private_key = {str(path)!r} cannot be read "
            f"({error.strerror}): point it at the key `mentor-relay init` wrote"
        ) from None


def _token(job_id: int, key: bytes) -> str:
    digest = hmac.new(key, str(job_id).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:_TOKEN_BYTES]).decode().lower()


def make_bounce_address(job_id: int, domain: str, key: bytes) -> str:
    return f"{BOUNCE_LOCAL_PREFIX}+{job_id}.{_token(job_id, key)}@{domain}"


def parse_bounce_address(address: str, domain: str, key: bytes) -> int | None:
    """Return the job id of a valid bounce address of this relay, else None."""
    local, _, address_domain = address.lower().rpartition("@")
    prefix, plus, tagged = local.partition("+")
    if address_domain != domain.lower() or prefix != BOUNCE_LOCAL_PREFIX or not plus:
        return None
    job_text, _, token = tagged.partition(".")
    if not job_text.isdigit() or len(job_text) > 18:
        return None
    job_id = int(job_text)
    if not hmac.compare_digest(token, _token(job_id, key)):
        return None
    return job_id


# RFC 3463 section 2: class.subject.detail, where a permanent failure has
# class 5.
_PERMANENT_STATUS = re.compile(r"5\.\d{1,3}\.\d{1,3}")
DEFAULT_BOUNCE_STATUS = "5.0.0"


@dataclass(frozen=True)
class BounceReport:
    """The delivery outcome that a message to a bounce address reports.

    `failed` is True for a permanent failure. `status` is the RFC 3463 code
    the message gives, or 5.0.0. `summary` describes the message in words.
    """

    failed: bool
    status: str
    summary: str


def read_bounce(raw: bytes) -> BounceReport:
    """Read a message sent to a bounce address.

    A delivery status notification counts as a failure only when one of its
    recipients has Action: failed, because "delayed", "delivered", "relayed"
    and "expanded" reports mean that the message is still on its way. Without a
    delivery-status part, an automatic reply (an out-of-office message) is
    not a failure, and anything else is taken as a bounce in an older
    format, such as qmail's.
    """
    message = email.message_from_bytes(raw, policy=compat32)
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            return _read_delivery_status(part)
    if automatic_kind(raw) == "auto-replied":
        return BounceReport(False, "", "an automatic reply")
    return BounceReport(True, DEFAULT_BOUNCE_STATUS, "a bounce without a report")


def _read_delivery_status(part: Message) -> BounceReport:
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return BounceReport(True, DEFAULT_BOUNCE_STATUS, "an unreadable report")
    actions: list[str] = []
    for block in blocks:
        if not isinstance(block, Message):
            continue
        action = str(block.get("Action", "")).strip().lower()
        if not action:
            continue
        actions.append(action)
        if action == "failed":
            status = str(block.get("Status", "")).strip().split(" ")[0]
            if not _PERMANENT_STATUS.fullmatch(status):
                status = DEFAULT_BOUNCE_STATUS
            return BounceReport(True, status, "a failure report")
    return BounceReport(False, "", "a report of " + (", ".join(actions) or "nothing"))


class BounceProcessor:
    """Fails the delivery job named by a bounce address and notifies its sender.

    The SMTP front end calls it with the job id from a valid bounce address
    and the raw message. A job that already failed, for example after a 5xx
    reply, is left alone, so its sender never gets a second notice.
    """

    def __init__(
        self,
        config: Config,
        archive: Archive,
        queued: asyncio.Event,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._failures = FailureReporter(config, DeliveryQueue(archive), queued, clock)

    async def __call__(self, job_id: int, raw: bytes) -> None:
        report = read_bounce(raw)
        if not report.failed:
            log.info("bounce for delivery job %d ignored: %s", job_id, report.summary)
            return
        log.info("bounce for delivery job %d: %s", job_id, report.summary)
        failure = Failure.bounced(report.status)
        await self._failures.fail(job_id, failure, attempted=False)
