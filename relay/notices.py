"""Notices the relay writes itself: failure, coordinator and rejection reports.

A failure notice to a sender follows RFC 3464: a multipart/report with
report-type=delivery-status containing a text/plain part for the reader, a
message/delivery-status part for programs, and the header block of the
undelivered copy. It names the recipient by display name and alias only.
Reply text from the downstream server never goes into a notice, because it
can quote the recipient's real address. It stays in the archive with the job.

A rejection notice informs a sender that a safeguarding officer rejected
their held message. It is plain text, names the recipients by alias only,
and gives no reason, because the officer's note is for staff.

Notices are sent with an empty envelope sender (RFC 5321 section 4.5.5) and
an Auto-Submitted field (RFC 3834), so that nothing replies to them. The
relay never sends a failure or rejection notice about a notice, a message
with an empty envelope sender, or an automatic reply (`is_automatic`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP, compat32
from email.utils import format_datetime

from archive.notices import NewNotice
from archive.queue import DeliveryQueue, FailedJob
from archive.store import Archive, Participant
from relay.compose import new_message_id
from relay.config import Config

log = logging.getLogger(__name__)

MAILER_DAEMON = "mailer-daemon"
RELAY_NAME = "Mentor Relay"

# Header fields that mark a message as written by a program, not a person.
# Microsoft Exchange and many vacation responders set X-Autoreply or
# X-Autorespond instead of Auto-Submitted; Precedence is older still.
_AUTO_REPLY_FIELDS = ("X-Autoreply", "X-Autorespond")
_PRECEDENCE_KINDS = {
    "auto_reply": "auto-replied",
    "bulk": "auto-generated",
    "junk": "auto-generated",
}


@dataclass(frozen=True)
class Failure:
    """The cause of a permanent delivery failure.

    `reason` is stored as the job's last error for operators and may quote
    the downstream server, so it never goes into a notice. `status` is an
    RFC 3463 status code, `code` the SMTP reply code when the server sent
    one, and `explanation` a sentence for the sender written by the relay.
    """

    reason: str
    status: str
    explanation: str
    code: int | None = None

    @classmethod
    def rejected(cls, reason: str, code: int | None) -> Failure:
        return cls(
            reason,
            "5.0.0",
            "The recipient's mail server refused the message.",
            code,
        )

    @classmethod
    def expired(cls, reason: str, days: float) -> Failure:
        # RFC 3463 section 3.5: X.4.7 is "delivery time expired".
        return cls(
            reason,
            "4.4.7",
            f"The relay could not reach the recipient's mail server for "
            f"{days:g} days, so it stopped trying.",
        )

    @classmethod
    def bounced(cls, status: str) -> Failure:
        return cls(
            f"returned by the recipient's mail server with status {status}",
            status,
            "The recipient's mail server accepted the message at first, then "
            "returned it as undeliverable.",
        )

    @classmethod
    def relay_error(cls, reason: str) -> Failure:
        return cls(
            reason,
            "5.3.0",
            "The relay could not prepare the message for delivery.",
        )


class FailureReporter:
    """Fails delivery jobs for good and queues the notices about them.

    The job's state change and its notices are committed together, and
    only a pending or sent job can fail. So each failed message gets at most
    one notice to its sender and one to the coordinator, even when its
    failure is reported twice, by a 5xx reply and by a later bounce.
    """

    def __init__(
        self,
        config: Config,
        queue: DeliveryQueue,
        queued: asyncio.Event,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._queue = queue
        self._queued = queued
        self._clock = clock

    async def fail(
        self, job_id: int, failure: Failure, *, attempted: bool = True
    ) -> bool:
        """Fail the job and queue its notices, or return False if it was finished.

        `attempted` is True when this failure ends a delivery attempt, which
        the job's attempt count then includes.
        """
        job = await self._queue.failed_job(job_id)
        if job is None:
            log.warning("delivery job %d not found, so it cannot fail", job_id)
            return False
        notices = self._notices(job, failure)
        now = self._clock()
        if not await self._queue.fail(
            job_id, failure.reason, now, notices, attempted=attempted
        ):
            log.info("%s was already %s: no notice sent", job.label, job.state)
            return False

        log.warning(
            "%s failed permanently with status %s: %d notices queued",
            job.label,
            failure.status,
            len(notices),
        )
        if notices:
            self._queued.set()
        return True

    def _notices(self, job: FailedJob, failure: Failure) -> list[NewNotice]:
        quiet_reason = _quiet_reason(job)
        if quiet_reason is not None:
            log.info("%s gets no failure notice, because %s", job.label, quiet_reason)
            return []

        now = datetime.fromtimestamp(self._clock(), UTC)
        domain = self._config.domain
        notices = [
            failure_notice(
                job, failure, domain=domain, contact=self._config.contact, now=now
            )
        ]
        coordinator = self._config.coordinator_email
        if coordinator:
            notices.append(
                coordinator_failure_notice(
                    job, failure, domain=domain, coordinator=coordinator, now=now
                )
            )
        return notices


def _quiet_reason(job: FailedJob) -> str | None:
    """Return why no notice may be sent about this job, or None when one may."""
    if job.is_notice or job.sender is None or job.recipient is None:
        return "it is a notice itself"
    return quiet_reason(job.envelope_from, job.raw)


def quiet_reason(envelope_from: str, raw: bytes) -> str | None:
    """Return why a received message gets no notice in reply, or None if it may."""
    if not envelope_from:
        return "it was sent with an empty envelope sender"
    if is_automatic(raw):
        return "it is an automatic message"
    return None


def failure_notice(
    job: FailedJob, failure: Failure, *, domain: str, contact: str, now: datetime
) -> NewNotice:
    """Write the RFC 3464 failure notice to the sender of a failed message job."""
    assert job.sender is not None and job.recipient is not None
    notice = _notice_headers(domain, now, "auto-replied")
    notice["To"] = Address(job.sender.name, addr_spec=job.sender.email)
    notice["Subject"] = f"Undelivered: {job.subject or '(no subject)'}"
    _set_text(notice, _failure_text(job, failure, contact))
    notice.make_mixed()
    notice.set_type("multipart/report")
    notice.set_param("report-type", "delivery-status")
    notice.attach(_delivery_status(job.recipient, failure, domain, now))
    notice.attach(_header_block(job.delivered))
    return NewNotice("failure", job.sender.email, notice.as_bytes(policy=SMTP))


def coordinator_failure_notice(
    job: FailedJob, failure: Failure, *, domain: str, coordinator: str, now: datetime
) -> NewNotice:
    """Write the plain report to the coordinator about a failed message job."""
    notice = _notice_headers(domain, now, "auto-generated")
    notice["To"] = coordinator
    notice["Subject"] = f"Delivery failed: message {job.label}"
    code = f" (SMTP reply {failure.code})" if failure.code else ""
    text = (
        f"The relay could not deliver message {job.label}.\n\n"
        f"From: {_named(job.sender)}\n"
        f"To: {_named(job.recipient)}\n"
        f"Subject: {job.subject}\n"
        f"Status: {failure.status}{code}\n"
        f"Reason: {failure.explanation}\n\n"
        "The sender has been sent a notice that names the recipient by\n"
        "alias only. The downstream server's reply is stored with the\n"
        f"delivery: run `mentor-relay show {job.label}` to read it.\n"
    )
    _set_text(notice, text)
    return NewNotice("coordinator_failure", coordinator, notice.as_bytes(policy=SMTP))


def coordinator_delay_notice(
    label: str,
    sender: Participant | None,
    recipient: Participant | None,
    *,
    failing_since: datetime,
    give_up_at: datetime,
    domain: str,
    coordinator: str,
    now: datetime,
) -> NewNotice:
    """Write the one warning to the coordinator about a job that keeps failing."""
    notice = _notice_headers(domain, now, "auto-generated")
    notice["To"] = coordinator
    notice["Subject"] = f"Delivery delayed: message {label}"
    text = (
        f"The relay has been failing to deliver message {label} since "
        f"{_when(failing_since)}.\n\n"
        f"From: {_named(sender)}\n"
        f"To: {_named(recipient)}\n\n"
        f"It keeps trying until {_when(give_up_at)}, then gives up and\n"
        "sends the sender a failure notice. This is the only warning about\n"
        f"this message. Run `mentor-relay show {label}` to read the last\n"
        "error.\n"
    )
    _set_text(notice, text)
    return NewNotice("coordinator_delay", coordinator, notice.as_bytes(policy=SMTP))


def rejection_notice(
    sender: Participant,
    recipient_aliases: Sequence[str],
    subject: str,
    received_at: datetime,
    *,
    domain: str,
    contact: str,
    now: datetime,
) -> NewNotice:
    """Write the plain notice to a sender whose held message was rejected."""
    notice = _notice_headers(domain, now, "auto-replied")
    notice["To"] = Address(sender.name, addr_spec=sender.email)
    notice["Subject"] = f"Not delivered: {subject or '(no subject)'}"
    text = (
        f"This is the {RELAY_NAME} mail system.\n\n"
        f"Your message to {', '.join(recipient_aliases)} was not delivered.\n\n"
        f"Subject: {subject or '(no subject)'}\n"
        f"Received: {_when(received_at)}\n\n"
        "The programme's staff reviewed the message and decided not to pass\n"
        "it on, so the relay will not send it. If you have questions about\n"
        f"it, contact {contact}.\n"
    )
    _set_text(notice, text)
    return NewNotice("rejection", sender.email, notice.as_bytes(policy=SMTP))


def automatic_kind(raw: bytes) -> str | None:
    """Return the Auto-Submitted kind of a message, or None for a person's message.

    An Auto-Submitted field other than "no" (RFC 3834 section 5) gives its
    own value. X-Autoreply, X-Autorespond or Precedence: auto_reply give
    "auto-replied", and Precedence: bulk or junk gives "auto-generated".
    """
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
    submitted = _first_word(headers.get("Auto-Submitted"))
    if submitted and submitted != "no":
        return submitted
    if any(headers.get(name) is not None for name in _AUTO_REPLY_FIELDS):
        return "auto-replied"
    return _PRECEDENCE_KINDS.get(_first_word(headers.get("Precedence")))


def is_automatic(raw: bytes) -> bool:
    return automatic_kind(raw) is not None


async def auto_reply_limit_reason(
    archive: Archive,
    limit: int,
    sender: Participant,
    recipients: Sequence[Participant],
    now: datetime,
) -> str | None:
    """Return why an automatic message is not passed on, or None when it may be.

    Two out-of-office responders can reply to each other without end, so at
    most `limit` automatic messages pass between two participants, in
    either direction, in any 24 hours. Past that, the message is stored
    but not delivered, to any of its recipients when one pair is over the
    limit.
    """
    queue = DeliveryQueue(archive)
    since = now - timedelta(days=1)
    for recipient in recipients:
        count = await queue.count_auto_replies(sender.id, recipient.id, since)
        if count >= limit:
            return (
                f"Not delivered: {count} automatic messages already passed "
                f"between {sender.alias} and {recipient.alias} in the last "
                f"24 hours, and the limit is {limit}."
            )
    return None


def _first_word(value: object) -> str:
    if value is None:
        return ""
    words = str(value).split(";")[0].split()
    return words[0].lower() if words else ""


def _notice_headers(domain: str, now: datetime, auto_submitted: str) -> EmailMessage:
    notice = EmailMessage(policy=SMTP)
    notice["From"] = Address(RELAY_NAME, MAILER_DAEMON, domain)
    notice["Date"] = format_datetime(now.astimezone(UTC), usegmt=True)
    notice["Message-ID"] = f"<{new_message_id(domain)}>"
    notice["Auto-Submitted"] = auto_submitted
    return notice


def _set_text(part: EmailMessage, text: str) -> None:
    encoding = "7bit" if text.isascii() else "quoted-printable"
    part.set_content(text, cte=encoding)


def _failure_text(job: FailedJob, failure: Failure, contact: str) -> str:
    return (
        f"This is the {RELAY_NAME} mail system.\n\n"
        f"Your message to {_named(job.recipient)} could not be delivered.\n\n"
        f"Subject: {job.subject or '(no subject)'}\n"
        f"Reason: {failure.explanation}\n\n"
        "The message did not reach the recipient, and the relay will not\n"
        f"try again. If you need help, contact {contact}.\n"
    )


def _delivery_status(
    recipient: Participant, failure: Failure, domain: str, now: datetime
) -> EmailMessage:
    # RFC 3464 section 2.1: one block of per-message fields, then one block
    # per recipient, each a header block of its own.
    per_message = EmailMessage(policy=SMTP)
    per_message["Reporting-MTA"] = f"dns; {domain}"
    per_recipient = EmailMessage(policy=SMTP)
    per_recipient["Original-Recipient"] = f"rfc822; {recipient.alias}"
    per_recipient["Final-Recipient"] = f"rfc822; {recipient.alias}"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = failure.status
    if failure.code is not None:
        per_recipient["Diagnostic-Code"] = f"smtp; {failure.code}"
    per_recipient["Last-Attempt-Date"] = format_datetime(
        now.astimezone(UTC), usegmt=True
    )
    part = EmailMessage(policy=SMTP)
    part["Content-Type"] = "message/delivery-status"
    part.set_payload([per_message, per_recipient])
    return part


def _header_block(delivered: bytes) -> EmailMessage:
    """Return the undelivered copy's header block as a text/rfc822-headers part.

    The relay built that block from its allowlist, so it contains aliases
    and never a real address.
    """
    block = delivered.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    part = EmailMessage(policy=SMTP)
    part.set_content(block.decode("ascii", "replace") + "\n", subtype="rfc822-headers")
    del part["MIME-Version"]
    return part


def _named(participant: Participant | None) -> str:
    if participant is None:
        return "-"
    return str(Address(participant.name, addr_spec=participant.alias))


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
