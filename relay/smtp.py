"""The SMTP front end: decides who may send, stores the message, answers 250.

The session does no content work. Policy runs at RCPT where the envelope
sender is a participant, and again at the end of DATA with the sender taken
from the From header, because that is the identity the recipient sees. The
raw bytes and a pipeline job are committed before the 250 reply.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
import weakref
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from aiosmtpd.smtp import SMTP, Envelope, Session

from archive.store import Archive, Participant
from relay import replies
from relay.addresses import normalise_address
from relay.config import Config
from relay.policy import refusal_for

log = logging.getLogger(__name__)


@dataclass
class _Transaction:
    """What the relay learned about one mail transaction so far."""

    envelope_sender: Participant | None = None
    recipients: list[Participant] = field(default_factory=list)


class RelayHandler:
    """aiosmtpd handler: RCPT policy, then a durable store before 250."""

    def __init__(
        self, config: Config, archive: Archive, received: asyncio.Event
    ) -> None:
        self._config = config
        self._archive = archive
        self._received = received
        self._transactions: weakref.WeakKeyDictionary[Envelope, _Transaction] = (
            weakref.WeakKeyDictionary()
        )

    def _transaction(self, envelope: Envelope) -> _Transaction:
        return self._transactions.setdefault(envelope, _Transaction())

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        transaction = self._transaction(envelope)
        transaction.envelope_sender = None
        transaction.recipients.clear()
        if address:
            try:
                sender = normalise_address(address)
            except ValueError:
                return replies.BAD_SENDER_SYNTAX.format()
            transaction.envelope_sender = await self._archive.participant_by_email(
                sender
            )
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return replies.SENDER_OK.format()

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        transaction = self._transaction(envelope)
        try:
            alias = normalise_address(address)
        except ValueError:
            return replies.BAD_RECIPIENT_SYNTAX.format()
        if alias.rpartition("@")[2] != self._config.domain:
            return replies.UNKNOWN_ALIAS.format()
        recipient = await self._archive.participant_by_alias(alias)
        if recipient is None:
            return replies.UNKNOWN_ALIAS.format()
        if len(transaction.recipients) >= self._config.smtp.max_recipients:
            limit = self._config.smtp.max_recipients
            return replies.TOO_MANY_RECIPIENTS.format(limit=limit)

        if transaction.envelope_sender is not None:
            refusal = await refusal_for(
                self._archive,
                transaction.envelope_sender,
                recipient,
                self._config.contact,
            )
            if refusal:
                return refusal
        if all(r.id != recipient.id for r in transaction.recipients):
            transaction.recipients.append(recipient)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return replies.RECIPIENT_OK.format()

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        transaction = self._transaction(envelope)
        raw = envelope.original_content or b""
        sender = await self._identify_sender(raw, transaction)
        if sender is None:
            return replies.UNKNOWN_SENDER.format()
        for recipient in transaction.recipients:
            refusal = await refusal_for(
                self._archive, sender, recipient, self._config.contact
            )
            if refusal:
                return refusal

        queue_id = new_queue_id()
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        store = self._archive.accept_message(
            queue_id,
            peer,
            envelope.mail_from or "",
            sender.id,
            [r.id for r in transaction.recipients],
            raw,
        )
        try:
            # Shielded: a client that disconnects now cancels this handler,
            # but the commit runs to its end, so the message is either fully
            # stored or absent.
            await asyncio.shield(store)
        except sqlite3.Error as error:
            log.error("%s not stored: archive error %s", queue_id, error)
            return replies.ARCHIVE_UNAVAILABLE.format()
        log.info(
            "%s accepted: %d bytes for %d recipients",
            queue_id,
            len(raw),
            len(transaction.recipients),
        )
        self._received.set()
        return replies.ACCEPTED.format(queue_id=queue_id)

    async def _identify_sender(
        self, raw: bytes, transaction: _Transaction
    ) -> Participant | None:
        from_address = header_from_address(raw)
        if from_address is not None:
            participant = await self._archive.participant_by_email(from_address)
            if participant is not None:
                return participant
        return transaction.envelope_sender

    async def handle_exception(self, error: Exception) -> str:
        log.error("internal error in SMTP session: %s", type(error).__name__)
        return replies.ARCHIVE_UNAVAILABLE.format()


def header_from_address(raw: bytes) -> str | None:
    """Return the single plain address in the From header, else None.

    Two From fields, several addresses or an address that is not a plain one
    all give None, so that an ambiguous identity never matches a participant.
    """
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
    fields = headers.get_all("From") or []
    if len(fields) != 1:
        return None
    pairs = getaddresses([str(fields[0])])
    if len(pairs) != 1:
        return None
    try:
        return normalise_address(pairs[0][1])
    except ValueError:
        return None


def new_queue_id() -> str:
    """Return a random queue id for the reply and the logs (80 random bits)."""
    return secrets.token_hex(10).upper()


async def start_smtp_server(
    config: Config, archive: Archive, received: asyncio.Event
) -> asyncio.Server:
    """Listen for SMTP on the configured address inside the running loop."""
    handler = RelayHandler(config, archive, received)
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=config.smtp.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=config.smtp.hostname,
            ident="Mentor Relay ESMTP",
            timeout=300,
            loop=loop,
        )

    listen = config.smtp.listen
    return await loop.create_server(protocol, host=listen.host, port=listen.port)
