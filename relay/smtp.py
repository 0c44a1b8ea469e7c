"""The SMTP front end: decides who may send, stores the message, answers 250.

The session does no content work. Policy runs at RCPT where the envelope
sender is a participant, and again at the end of DATA with the sender taken
from the From header, because that is the identity the recipient sees. The
raw bytes and a pipeline job are committed before the 250 reply: a relay
that has answered 250 owns the message (RFC 5321 section 6.1).

Sender authentication runs inside the session too (SPF at MAIL FROM, DKIM
and DMARC alignment at the end of DATA, each DNS lookup with a time budget),
so a forged sender is refused in the session instead of accepted and bounced.

`RelaySMTP` adapts aiosmtpd 1.4.6 to a hostile network: a connection limit
per client address, strict MAIL and RCPT paths, replies with enhanced status
codes in place of aiosmtpd's own texts, and 421 always closing the session.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import secrets
import sqlite3
import ssl
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from functools import partial
from pathlib import Path
from typing import Any, AnyStr, TypeVar

from aiosmtpd.smtp import SMTP, Envelope, Session, TLSSetupException, syntax

from archive.lifecycle import utc_today
from archive.store import Archive, Participant
from relay import replies
from relay.addresses import is_plain_address, normalise_address
from relay.bounces import load_bounce_key, parse_bounce_address
from relay.config import Config, ConfigError, SmtpSettings
from relay.limits import (
    ConnectionTracker,
    FreeSpace,
    free_disk_bytes,
    has_room_for_message,
    header_block_size,
    normalise_line_endings,
    normalise_message_data,
    required_free_bytes,
    sender_over_hourly_limit,
)
from relay.policy import refusal_for
from relay.sender_auth import (
    AuthOutcome,
    NoResolver,
    Resolver,
    SenderAuthenticator,
    SpfResult,
)
from relay.transports import MaildirTransport, TransportError

log = logging.getLogger(__name__)

# Time for everything between the final dot and the reply: checks, sender
# authentication and the commit. aiosmtpd's idle timer keeps running during
# DATA and the handler, so this must stay well below IDLE_TIMEOUT_SECONDS.
END_OF_DATA_SECONDS = 30.0
IDLE_TIMEOUT_SECONDS = 300.0

NULL_SENDER = "<>"  # how aiosmtpd passes MAIL FROM:<> to the handler

BounceHandler = Callable[[int, bytes], Awaitable[None]]
T = TypeVar("T")

# Stands in for an unknown or suspended recipient, so that relay.policy runs
# the same pairing lookup as for a real one and refuses with the same reply.
# SQLite row ids start at 1, so id 0 is never paired with anyone.
_NO_RECIPIENT = Participant(0, "", "", "", "mentee", "active")

_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


# RFC 5322 section 2.1.1: a line is at most 998 characters before its CRLF.
MAX_LINE_LENGTH = 998


def postmaster_maildir(config: Config) -> Path:
    """Return the Maildir root that keeps mail for postmaster@ the relay domain."""
    return config.path.parent / "postmaster"


async def log_bounce(job_id: int, raw: bytes) -> None:
    """Log a received bounce: the default bounce handler, which keeps nothing."""
    log.info("bounce received for delivery job %d: %d bytes", job_id, len(raw))


@dataclass
class _Transaction:
    """The facts the relay has gathered about one mail transaction so far."""

    envelope_sender: Participant | None = None
    aliases: list[str] = field(default_factory=list)
    spf: SpfResult | None = None
    bounce_job: int | None = None
    postmaster: bool = False


@dataclass
class _ConnectionState:
    refused_recipients: int = 0


class RelayHandler:
    """aiosmtpd handler: limits and RCPT policy, then a durable store before 250."""

    def __init__(
        self,
        config: Config,
        archive: Archive,
        received: asyncio.Event,
        resolver: Resolver | None = None,
        *,
        bounce_key: bytes | None = None,
        bounce_handler: BounceHandler = log_bounce,
        free_space: FreeSpace = free_disk_bytes,
        today: Callable[[], date] = utc_today,
    ) -> None:
        self._config = config
        self._archive = archive
        self._received = received
        self._auth = SenderAuthenticator(config.auth, resolver or NoResolver())
        self._bounce_key = bounce_key
        self._bounce_handler = bounce_handler
        self._free_space = free_space
        self._today = today
        self._low_on_disk = False
        self._unfinished: set[asyncio.Future[Any]] = set()
        self._transactions: weakref.WeakKeyDictionary[Envelope, _Transaction] = (
            weakref.WeakKeyDictionary()
        )
        self._connections: weakref.WeakKeyDictionary[SMTP, _ConnectionState] = (
            weakref.WeakKeyDictionary()
        )

    def _transaction(self, envelope: Envelope) -> _Transaction:
        return self._transactions.setdefault(envelope, _Transaction())

    def _connection(self, server: SMTP) -> _ConnectionState:
        return self._connections.setdefault(server, _ConnectionState())

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        # The relay takes no logins, so the AUTH line aiosmtpd adds after
        # STARTTLS would only invite failing attempts.
        session.host_name = hostname
        return [line for line in responses if not line[4:].startswith("AUTH")]

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        transaction = _Transaction()
        self._transactions[envelope] = transaction
        if not await self._disk_has_room():
            return replies.LOW_DISK_SPACE.format()
        if address != NULL_SENDER:
            refusal, sender = await self._check_envelope_sender(address)
            if refusal is not None:
                return refusal
            transaction.envelope_sender = sender
        spf_identity = "" if address == NULL_SENDER else address
        transaction.spf = await self._auth.check_spf(
            client_address(session), spf_identity, session.host_name or ""
        )
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return replies.SENDER_OK.format()

    async def _check_envelope_sender(
        self, address: str
    ) -> tuple[str | None, Participant | None]:
        try:
            sender = normalise_address(address)
        except ValueError:
            return replies.BAD_SENDER_SYNTAX.format(), None
        participant = await self._archive.participant_by_email(sender)
        if participant is not None and await self._over_hourly_limit(participant):
            return self._rate_limited(), None
        return None, participant

    async def _disk_has_room(self) -> bool:
        folder = self._config.archive_path.parent
        room = await has_room_for_message(folder, self._config.smtp, self._free_space)
        if room == self._low_on_disk:
            # Log the change only, not every MAIL FROM while space is short.
            self._low_on_disk = not room
            needed = required_free_bytes(self._config.smtp)
            if room:
                log.info("disk space for the archive is back: accepting mail")
            else:
                log.warning(
                    "less than %d bytes free for the archive in %s: deferring mail",
                    needed,
                    folder,
                )
        return room

    async def _over_hourly_limit(self, sender: Participant) -> bool:
        limit = self._config.smtp.max_messages_per_sender_per_hour
        over = await sender_over_hourly_limit(self._archive, sender.id, limit)
        if over:
            log.info(
                "participant %d sent %d messages this hour: deferred", sender.id, limit
            )
        return over

    def _rate_limited(self) -> str:
        limit = self._config.smtp.max_messages_per_sender_per_hour
        return replies.SENDER_RATE_LIMITED.format(limit=limit)

    def _no_such_alias(self) -> str:
        return replies.NO_SUCH_ALIAS.format(contact=self._config.contact)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        connection = self._connection(server)
        limit = self._config.smtp.max_refused_recipients
        if connection.refused_recipients >= limit:
            log.info("closing a session after %d refused recipients", limit)
            return replies.TOO_MANY_REFUSALS.format()

        reply = await self._check_recipient(self._transaction(envelope), address)
        if reply.startswith("5"):
            connection.refused_recipients += 1
        elif reply.startswith("2"):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return reply

    async def _check_recipient(self, transaction: _Transaction, address: str) -> str:
        if address.lower() == "postmaster":
            address = f"postmaster@{self._config.domain}"
        try:
            alias = normalise_address(address)
        except ValueError:
            return replies.BAD_RECIPIENT_SYNTAX.format()
        if transaction.bounce_job is not None:
            return replies.BOUNCE_NOT_ALONE.format()
        if transaction.postmaster:
            return replies.POSTMASTER_NOT_ALONE.format()
        if alias == f"postmaster@{self._config.domain}":
            return self._add_postmaster(transaction)
        job_id = self._bounce_job(alias)
        if job_id is not None:
            return self._add_bounce(transaction, job_id)
        if len(transaction.aliases) >= self._config.smtp.max_recipients:
            limit = self._config.smtp.max_recipients
            return replies.TOO_MANY_RECIPIENTS.format(limit=limit)
        if alias.rpartition("@")[2] != self._config.domain:
            return self._no_such_alias()

        # Without a participant as envelope sender the identity comes from
        # the From header, so the alias is checked after DATA, where an
        # unknown alias gets the same reply as at RCPT.
        if transaction.envelope_sender is not None:
            refusal, _ = await self._check_alias(transaction.envelope_sender, alias)
            if refusal is not None:
                return refusal
        if alias not in transaction.aliases:
            transaction.aliases.append(alias)
        return replies.RECIPIENT_OK.format()

    async def _check_alias(
        self, sender: Participant, alias: str
    ) -> tuple[str | None, Participant | None]:
        """Return (refusal, None) or (None, recipient) for `sender` writing to `alias`.

        An unknown alias, a suspended recipient and an unpaired one take the
        same path through relay.policy, with the same archive queries.
        """
        recipient = await self._archive.participant_by_alias(alias)
        target = _NO_RECIPIENT
        if recipient is not None and recipient.status == "active":
            target = recipient
        refusal = await refusal_for(
            self._archive,
            sender,
            target,
            self._config.contact,
            self._today(),
            coordinator_email=self._config.coordinator_email,
        )
        if refusal is not None or recipient is None:
            return refusal or self._no_such_alias(), None
        return None, recipient

    def _bounce_job(self, alias: str) -> int | None:
        if self._bounce_key is None:
            return None
        return parse_bounce_address(alias, self._config.domain, self._bounce_key)

    def _add_bounce(self, transaction: _Transaction, job_id: int) -> str:
        # A bounce is handled apart from participants' mail, so it must be the
        # only recipient; 452 makes the client send the others separately.
        if transaction.aliases:
            return replies.BOUNCE_NOT_ALONE.format()
        transaction.bounce_job = job_id
        return replies.RECIPIENT_OK.format()

    def _add_postmaster(self, transaction: _Transaction) -> str:
        # RFC 5321 section 4.5.1 requires a domain to accept mail for its
        # postmaster. That mail is for the operator, not a participant, so it
        # skips the filters and must be the only recipient.
        if transaction.aliases:
            return replies.POSTMASTER_NOT_ALONE.format()
        transaction.postmaster = True
        return replies.RECIPIENT_OK.format()

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        try:
            async with asyncio.timeout(END_OF_DATA_SECONDS):
                return await self._end_of_data(session, envelope)
        except TimeoutError:
            # A commit already under way still ends (see _run_to_end), so the
            # client's retry may store the message a second time: a duplicate
            # is the price of never losing a message.
            log.warning(
                "end-of-DATA work timed out after %.0f s: replied 451",
                END_OF_DATA_SECONDS,
            )
            return replies.CHECKS_TIMED_OUT.format()

    async def _end_of_data(self, session: Session, envelope: Envelope) -> str:
        transaction = self._transaction(envelope)
        raw = normalise_message_data(envelope.original_content or b"")
        problem = self._size_problem(raw)
        if problem is not None:
            return problem
        if transaction.bounce_job is not None:
            return await self._pass_bounce(transaction.bounce_job, raw)
        if transaction.postmaster:
            return await self._keep_for_postmaster(raw)

        from_address = _from_address_of_crlf(raw)
        if from_address is None:
            return replies.UNREADABLE_FROM.format()
        sender = await self._identify_sender(from_address, transaction)
        if sender is None:
            return replies.UNKNOWN_SENDER.format()
        # The participant's own domain must authenticate the message, whether
        # the relay identified them by the From header or the envelope.
        auth = await self._auth.authenticate(
            client_address(session),
            transaction.spf,
            raw,
            sender.email.rpartition("@")[2],
        )
        if auth.reply is not None:
            return auth.reply
        refusal, recipients = await self._check_message_policy(sender, transaction)
        if refusal is not None:
            return refusal
        return await self._store(session, envelope, sender, recipients, raw, auth)

    def _size_problem(self, raw: bytes) -> str | None:
        # Adding CR to bare LF can take a message that fitted past the limit.
        settings = self._config.smtp
        if len(raw) > settings.max_message_bytes:
            return replies.MESSAGE_TOO_BIG.format(limit=settings.max_message_bytes)
        if header_block_size(raw) > settings.max_header_bytes:
            return replies.HEADER_TOO_BIG.format(limit=settings.max_header_bytes)
        if max(map(len, raw.split(b"\r\n"))) > MAX_LINE_LENGTH:
            return replies.DATA_LINE_TOO_LONG.format()
        return None

    async def _identify_sender(
        self, from_address: str, transaction: _Transaction
    ) -> Participant | None:
        participant = await self._archive.participant_by_email(from_address)
        return participant or transaction.envelope_sender

    async def _check_message_policy(
        self, sender: Participant, transaction: _Transaction
    ) -> tuple[str | None, list[Participant]]:
        """Check the sender's hourly limit and every alias against the sender.

        This runs again after DATA because the sender may differ from the
        envelope's, and because a suspension or an ended relationship takes
        effect on the next transaction.
        """
        envelope_sender = transaction.envelope_sender
        checked_at_mail = (
            envelope_sender is not None and envelope_sender.id == sender.id
        )
        if not checked_at_mail and await self._over_hourly_limit(sender):
            return self._rate_limited(), []
        recipients: list[Participant] = []
        for alias in transaction.aliases:
            refusal, recipient = await self._check_alias(sender, alias)
            if recipient is None:
                return refusal, []
            if all(r.id != recipient.id for r in recipients):
                recipients.append(recipient)
        return None, recipients

    async def _store(
        self,
        session: Session,
        envelope: Envelope,
        sender: Participant,
        recipients: list[Participant],
        raw: bytes,
        auth: AuthOutcome,
    ) -> str:
        queue_id = new_queue_id()
        commit = self._archive.accept_message(
            queue_id,
            client_address(session),
            envelope.mail_from or "",
            sender.id,
            [r.id for r in recipients],
            raw,
            auth_results=auth.results,
            auth_hold_reason=auth.hold_reason,
        )
        try:
            await self._run_to_end(commit, f"{queue_id} not stored")
        except sqlite3.Error:
            return replies.ARCHIVE_UNAVAILABLE.format()
        log.info(
            "%s accepted: %d bytes for %d recipients",
            queue_id,
            len(raw),
            len(recipients),
        )
        self._received.set()
        return replies.ACCEPTED.format(queue_id=queue_id)

    async def _pass_bounce(self, job_id: int, raw: bytes) -> str:
        work = self._bounce_handler(job_id, raw)
        await self._run_to_end(work, f"bounce for delivery job {job_id} failed")
        return replies.BOUNCE_ACCEPTED.format()

    async def _keep_for_postmaster(self, raw: bytes) -> str:
        mailbox = MaildirTransport(postmaster_maildir(self._config))
        work = mailbox.send("", f"postmaster@{self._config.domain}", raw)
        try:
            await self._run_to_end(work, "keeping a message for the postmaster failed")
        except TransportError:
            return replies.ARCHIVE_UNAVAILABLE.format()
        log.info("kept a message of %d bytes for the postmaster", len(raw))
        return replies.POSTMASTER_ACCEPTED.format()

    async def _run_to_end(self, work: Awaitable[T], failure: str) -> T:
        """Await `work` in a task of its own that cancelling the session cannot stop.

        aiosmtpd cancels the handler when the client disconnects, and the
        end-of-DATA timeout cancels it too. The task still runs to its end,
        so a commit is either whole or absent. `failure` starts the line
        logged if the task raises.
        """
        task: asyncio.Future[T] = asyncio.ensure_future(work)
        self._unfinished.add(task)
        task.add_done_callback(partial(self._log_failure, failure))
        return await asyncio.shield(task)

    def _log_failure(self, failure: str, task: asyncio.Future[Any]) -> None:
        self._unfinished.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        if isinstance(error, sqlite3.Error):
            log.error("%s: archive error: %s", failure, error)
        else:
            log.error("%s: %s", failure, type(error).__name__)

    async def wait_for_unfinished(self) -> None:
        """Wait for the commits and bounces that disconnected clients left running."""
        if self._unfinished:
            await asyncio.wait(set(self._unfinished))

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException):
            log.info("TLS handshake failed: %s", error.__cause__)
            return replies.INTERNAL_ERROR.format()
        # The exception text may quote an address, so it goes to debug only.
        log.error("internal error in SMTP session: %s", type(error).__name__)
        log.debug("internal error in SMTP session", exc_info=error)
        return replies.INTERNAL_ERROR.format()


class RelaySMTP(SMTP):
    """aiosmtpd's SMTP session with the relay's limits and replies.

    Parts of this rely on aiosmtpd 1.4.6 internals, each marked where it
    happens: `_handle_client` for a reply at connect, because aiosmtpd has
    no connect hook, and the texts of its built-in replies.
    """

    def __init__(
        self,
        handler: RelayHandler,
        connections: ConnectionTracker,
        settings: SmtpSettings,
        *,
        tls_context: ssl.SSLContext | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        # aiosmtpd reads DATA up to each CRLF and refuses a "line" longer than
        # this, so a message with bare LF endings would be one long line.
        # The relay allows a whole message here and checks the 998-character
        # limit itself once line endings are normalised (_size_problem).
        self.line_length_limit = settings.max_message_bytes + 2
        super().__init__(
            handler,
            data_size_limit=settings.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=settings.hostname,
            ident="Mentor Relay ESMTP",
            tls_context=tls_context,
            timeout=IDLE_TIMEOUT_SECONDS,
            loop=loop,
        )
        # aiosmtpd keeps this dict on the class, clears it for every new
        # connection and adds to MAIL's entry at every EHLO; one dict per
        # connection, cleared at EHLO, keeps each session's limits its own.
        self.command_size_limits = collections.defaultdict(
            lambda: SMTP.command_size_limit
        )
        self._tracker = connections
        self._first_transport: asyncio.BaseTransport | None = None
        self._client = ""
        self._admitted = True
        self._replacements = builtin_reply_replacements(settings)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self._first_transport is None
        super().connection_made(transport)
        # After STARTTLS aiosmtpd calls this again with the TLS transport;
        # only the first call is a new connection.
        if first:
            self._first_transport = transport
            self._client = _peer_host(transport)
            self._admitted = self._tracker.open(self._client, transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._first_transport is not None:
            self._tracker.close(self._client, self._first_transport)
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        if not self._admitted:
            count = self._tracker.count(self._client)
            log.info("refused a connection: %d already open from its address", count)
            await self.push(replies.TOO_MANY_CONNECTIONS.format())
            return
        await super()._handle_client()

    async def push(self, status: AnyStr) -> None:
        reply = status.decode("utf-8") if isinstance(status, bytes) else str(status)
        reply = self._replacements.get(reply, reply)
        await super().push(reply)
        # A 421 reply means the server is closing the channel (RFC 5321
        # section 4.2.3), so no client may keep talking after one.
        if reply.startswith("421") and self.transport is not None:
            self.transport.close()

    @syntax("EHLO hostname")
    async def smtp_EHLO(self, hostname: str) -> None:
        self.command_size_limits.clear()
        await super().smtp_EHLO(hostname)

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        if arg is not None and not path_is_plain(arg, "FROM:", null_allowed=True):
            await self.push(replies.BAD_SENDER_SYNTAX.format())
            return
        await super().smtp_MAIL(arg)

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:
        if arg is not None and not path_is_plain(arg, "TO:", null_allowed=False):
            await self.push(replies.BAD_RECIPIENT_SYNTAX.format())
            return
        await super().smtp_RCPT(arg)

    @syntax("VRFY <address>")
    async def smtp_VRFY(self, arg: str) -> None:
        # One fixed reply for every argument, so VRFY reveals nothing.
        await self.push(replies.VRFY_NOT_OFFERED.format())

    async def smtp_EXPN(self, arg: str) -> None:
        await self.push(replies.EXPN_NOT_OFFERED.format())


def builtin_reply_replacements(settings: SmtpSettings) -> dict[str, str]:
    """Map replies aiosmtpd 1.4.6 writes itself to the relay's own.

    aiosmtpd sends these without enhanced status codes (RFC 3463) and with
    texts that do not say what to do next.
    """
    too_big = replies.MESSAGE_TOO_BIG.format(limit=settings.max_message_bytes)
    line_too_long = replies.DATA_LINE_TOO_LONG.format()
    return {
        "500 Command line too long": replies.COMMAND_LINE_TOO_LONG.format(),
        "500 Line too long (see RFC5321 4.5.3.1.6)": line_too_long,
        "552 Error: Too much mail data": too_big,
        "552 Error: message size exceeds fixed maximum message size": too_big,
    }


def path_is_plain(arg: str, keyword: str, *, null_allowed: bool) -> bool:
    """Return whether the path in a MAIL or RCPT argument is a plain address.

    aiosmtpd drops a source route (`<@a.example:user@b.example>`) and takes
    quoted local parts before the handler receives the address, so the relay
    checks the argument as sent. Control characters anywhere (CR, LF, NUL)
    make it invalid. An argument without `keyword` is left to aiosmtpd,
    which answers with its syntax reply.
    """
    if _CONTROL_CHARACTER.search(arg):
        return False
    if arg[: len(keyword)].upper() != keyword:
        return True
    path = arg[len(keyword) :].strip()
    if path.startswith("<"):
        address, closed, _ = path[1:].partition(">")
        if not closed:
            return False
        if not address:
            return null_allowed
    else:
        address = path.split(" ", 1)[0]
    if keyword == "TO:" and address.lower() == "postmaster":
        # RFC 5321 lets a client name the postmaster without a domain.
        return True
    return is_plain_address(address) and "=?" not in address


def header_from_address(raw: bytes) -> str | None:
    """Return the single plain address in the From header, else None.

    None unless the header block has exactly one From field holding exactly
    one plain address, so that an ambiguous identity never matches a
    participant: two From fields, a From_ line, several addresses, group
    syntax, a quoted local part, an encoded word in the address, or a
    display name or comment that shows a different address all give None.
    """
    return _from_address_of_crlf(normalise_line_endings(raw))


def _from_address_of_crlf(raw: bytes) -> str | None:
    """Do the work of `header_from_address` on a message with CRLF line endings."""
    fields = _from_fields(raw)
    if len(fields) != 1 or fields[0] is None:
        return None
    return _single_address(fields[0])


def _from_fields(raw: bytes) -> list[str | None]:
    """Return the unfolded value of each From field; None for a malformed one.

    "From x" (an mbox From_ line) and "From : x" count as malformed From
    fields, because some programs read them as the sender.
    """
    header = raw[: header_block_size(raw)].decode("utf-8", "replace")
    unfolded = re.sub(r"\r\n(?=[ \t])", "", header)
    fields: list[str | None] = []
    for line in unfolded.split("\r\n"):
        name, colon, value = line.partition(":")
        if colon and name.lower() == "from":
            fields.append(value)
        elif name.strip().lower() == "from" or line[:5].lower() == "from ":
            fields.append(None)
    return fields


# Display name, then <address>. The name is one quoted string without
# escapes, or words without RFC 5322 specials (dots and encoded words pass).
_NAME_AND_ADDRESS = re.compile(
    r'\s*(?P<name>"[^"\\]*"|[^"<>@,;:\\()\[\]]*?)\s*<(?P<address>[^<>]*)>\s*'
)
# A bare address, then at most one comment without nested parentheses.
_BARE_ADDRESS = re.compile(
    r'\s*(?P<address>[^\s<>()",;:\\]+)\s*(?:\((?P<name>[^()\\]*)\))?\s*'
)


def _single_address(value: str) -> str | None:
    if _CONTROL_CHARACTER.search(value.replace("\t", " ")):
        return None
    match = _NAME_AND_ADDRESS.fullmatch(value) or _BARE_ADDRESS.fullmatch(value)
    if match is None or "=?" in match["address"]:
        return None
    try:
        address = normalise_address(match["address"])
    except ValueError:
        return None
    if not _name_shows_only(match["name"] or "", address):
        return None
    return address


def _name_shows_only(name: str, address: str) -> bool:
    """Return False when a display name or comment shows an address but `address`.

    Some mail clients put the sender's own address in the display name, so
    that one is allowed.
    """
    try:
        decoded = str(make_header(decode_header(name.strip('"'))))
    except (HeaderParseError, LookupError, ValueError):
        return False
    if "<" not in decoded and ">" not in decoded and not _SHOWN_ADDRESS.search(decoded):
        return True
    return decoded.strip().strip("\"'").lower() == address


# Text around an "@" with no space on either side reads as an address
# ("sam@example.net"), while "Sam @ home" does not.
_SHOWN_ADDRESS = re.compile(r"[^\s@<>]@[^\s@<>]")


def client_address(session: Session) -> str:
    """Return the client's IP address as text."""
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) else str(peer)


def _peer_host(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) else str(peer)


def new_queue_id() -> str:
    """Return a random queue id for the reply and the logs (80 random bits)."""
    return secrets.token_hex(10).upper()


class SmtpListener:
    """The listening socket and its open sessions, stopped together.

    `close` stops accepting and closes every open session; `wait_closed`
    then waits for the commits those sessions left running.
    """

    def __init__(
        self,
        server: asyncio.Server,
        handler: RelayHandler,
        connections: ConnectionTracker,
    ) -> None:
        self.server = server
        self.handler = handler
        self._connections = connections

    def close(self) -> None:
        self.server.close()
        self._connections.close_all()

    async def wait_closed(self) -> None:
        await self.handler.wait_for_unfinished()
        await self.server.wait_closed()


async def start_smtp_server(
    config: Config,
    archive: Archive,
    received: asyncio.Event,
    resolver: Resolver | None = None,
    *,
    bounce_handler: BounceHandler = log_bounce,
    free_space: FreeSpace = free_disk_bytes,
    today: Callable[[], date] = utc_today,
) -> SmtpListener:
    """Listen for SMTP on the configured address inside the running loop.

    `resolver` answers the DNS queries of sender authentication; without
    one, every checked message gets 451 4.4.3. `bounce_handler` receives
    each message sent to a valid bounce address, with its delivery job id,
    before the 250 reply. `free_space` returns the free bytes of a folder.
    `today` returns the UTC date that the pairing rule applies.
    Raises ConfigError for an unusable TLS certificate, key or DKIM key.
    """
    tls_context = load_tls_context(config)
    handler = RelayHandler(
        config,
        archive,
        received,
        resolver,
        bounce_key=load_bounce_key(config),
        bounce_handler=bounce_handler,
        free_space=free_space,
        today=today,
    )
    connections = ConnectionTracker(config.smtp.max_connections_per_client)
    loop = asyncio.get_running_loop()

    def protocol() -> RelaySMTP:
        return RelaySMTP(
            handler, connections, config.smtp, tls_context=tls_context, loop=loop
        )

    listen = config.smtp.listen
    server = await loop.create_server(protocol, host=listen.host, port=listen.port)
    return SmtpListener(server, handler, connections)


def load_tls_context(config: Config) -> ssl.SSLContext | None:
    """Build the STARTTLS context, or return None when no certificate is set."""
    certificate, key = config.smtp.tls_certificate, config.smtp.tls_key
    if certificate is None and key is None:
        return None
    if certificate is None or key is None:
        missing = "smtp.tls_certificate" if certificate is None else "smtp.tls_key"
        raise ConfigError(
            f"{config.path}: {missing} is missing: set both smtp.tls_certificate "
            "and smtp.tls_key to offer STARTTLS, or neither"
        )
    _check_readable(config, "smtp.tls_certificate", certificate)
    _check_readable(config, "smtp.tls_key", key)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certificate, key)
    except ssl.SSLError as error:
        raise ConfigError(
            f"{config.path}: smtp.tls_certificate = {str(certificate)!r} and "
            f"smtp.tls_key = {str(key)!r} are not a PEM certificate and its "
            f"private key ({error.reason}): point them at a matching pair"
        ) from None
    return context


def _check_readable(config: Config, key: str, path: Path) -> None:
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise ConfigError(
            f"{config.path}: {key} = {str(path)!r} cannot be read "
            f"({error.strerror}): check the path and the file's permissions"
        ) from None
