"""Transports that hand a signed message to its next hop.

`MaildirTransport` writes into local Maildirs, which lets a new installation
watch the whole message path on one machine. `SmtpTransport` sends through a
smarthost. Both raise `TransportError`. Its `permanent` flag decides whether
the delivery worker retries or gives up and notifies people.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import secrets
import socket
import ssl
import time
from pathlib import Path
from typing import Literal, Protocol, get_args

import aiosmtplib

log = logging.getLogger(__name__)

StartTlsMode = Literal["opportunistic", "required", "off"]

# An idle connection older than this is closed and opened again. RFC 5321
# section 4.5.3.2.7 asks servers to wait at least 5 minutes for the next
# command, but some close idle clients sooner. 30 s is an estimate.
MAX_IDLE_SECONDS = 30.0

# RFC 5321 section 4.5.3.1.3 limits a path to 256 octets including the angle
# brackets, which leaves 254 for the address.
MAX_ADDRESS_LENGTH = 254

# Most file systems, ext4 and XFS among them, limit a file name to 255 bytes.
MAX_FOLDER_NAME_BYTES = 255

# Characters kept as they are in a Maildir folder name. Everything else is
# percent-encoded, "%" included, so that addresses which still differ after
# lower-casing never share a folder.
_FOLDER_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@.+-_=")


class TransportError(Exception):
    """Delivery of one message to one recipient failed.

    `permanent` is True when a retry cannot succeed: a 5xx reply to MAIL,
    RCPT or DATA, or a recipient address that cannot be delivered. `code` is
    the SMTP reply code when the server sent one. `whole_destination` is
    False when a temporary failure concerns only this recipient (a 4xx reply
    to RCPT, such as a full mailbox), so other mail to the destination need
    not wait. The text may quote the downstream server, so it is for logs
    and operators, not for participants.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        code: int | None = None,
        whole_destination: bool = True,
    ) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.code = code
        self.whole_destination = whole_destination


class Transport(Protocol):
    """The next hop for signed messages, one recipient per call."""

    async def send(self, envelope_from: str, recipient: str, message: bytes) -> None:
        """Deliver `message` to `recipient`, or raise TransportError."""
        ...

    async def close(self) -> None:
        """Release connections and other resources."""
        ...


class MaildirTransport:
    """Delivery into one Maildir per recipient, at root/<address lower-cased>/.

    Each message is written to tmp/, flushed to disk, renamed into new/ and the
    directory entry is flushed as well, so a message in new/ is complete and
    survives a crash. The file contains exactly the bytes given, CRLF line
    endings included: the DKIM signature covers those bytes, and a reader that
    checks it should see the message as it was signed.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    async def send(self, envelope_from: str, recipient: str, message: bytes) -> None:
        folder_name = maildir_folder_name(recipient)
        path = await asyncio.to_thread(self._deliver, folder_name, message)
        log.debug("wrote %s to a Maildir under %s", path.name, self.root)

    async def close(self) -> None:
        return None

    def _deliver(self, folder_name: str, message: bytes) -> Path:
        mailbox = self.root / folder_name
        file_name = _unique_file_name()
        tmp_path = mailbox / "tmp" / file_name
        new_path = mailbox / "new" / file_name
        try:
            _create_maildir(mailbox)
            _write_and_sync(tmp_path, message)
            tmp_path.rename(new_path)
            _sync_directory(new_path.parent)
        except OSError as error:
            with contextlib.suppress(OSError):
                tmp_path.unlink(missing_ok=True)
            raise TransportError(
                f"could not write the message to the Maildir under {self.root}: "
                f"{error.strerror or error}",
                permanent=False,
            ) from error
        return new_path


def maildir_folder_name(address: str) -> str:
    """Return the folder name for `address`: one safe path component.

    The address is lower-cased and every character outside letters, digits
    and "@.+-_=" is percent-encoded as UTF-8, so "/" can never reach the file
    system and the name can never be "." or "..". Raises a permanent
    TransportError when `address` is not of the form local@domain, contains
    control characters such as NUL, or is too long for a file name.
    """
    local_part, at_sign, domain = address.rpartition("@")
    has_control = any(
        ord(character) < 0x20 or character == "\x7f" for character in address
    )
    if not (local_part and at_sign and domain) or has_control:
        raise TransportError(
            "recipient is not a deliverable address of the form local@domain",
            permanent=True,
        )
    if len(address) > MAX_ADDRESS_LENGTH:
        raise TransportError(
            f"recipient address is longer than {MAX_ADDRESS_LENGTH} characters",
            permanent=True,
        )

    name = "".join(_encode_folder_character(c) for c in address.lower())
    # A leading dot would hide the folder from ls and most Maildir tools.
    if name.startswith("."):
        name = "%2E" + name[1:]
    if len(name.encode("ascii")) > MAX_FOLDER_NAME_BYTES:
        raise TransportError(
            "recipient address is too long for a Maildir folder name",
            permanent=True,
        )
    return name


def _encode_folder_character(character: str) -> str:
    if character in _FOLDER_NAME_CHARACTERS:
        return character
    return "".join(f"%{byte:02X}" for byte in character.encode("utf-8"))


def _unique_file_name() -> str:
    # The Maildir convention: time, then parts that make the name unique on
    # this host (pid and 64 random bits), then the host name with "/" and ":"
    # written as octal escapes because both have meanings in Maildir.
    now_ns = time.time_ns()
    seconds, microseconds = divmod(now_ns // 1000, 1_000_000)
    host = socket.gethostname().replace("/", r"\057").replace(":", r"\072")
    random_part = secrets.token_hex(8)
    return f"{seconds}.M{microseconds}P{os.getpid()}R{random_part}.{host}"


def _create_maildir(mailbox: Path) -> None:
    subfolders = [mailbox / name for name in ("tmp", "new", "cur")]
    if all(subfolder.is_dir() for subfolder in subfolders):
        return

    mailbox.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for subfolder in subfolders:
        subfolder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _sync_directory(mailbox)
    _sync_directory(mailbox.parent)


def _write_and_sync(path: Path, data: bytes) -> None:
    # O_EXCL makes open fail on an existing name or a planted symlink.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    descriptor = os.open(path, flags, 0o600)
    with open(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class SmtpTransport:
    """Delivery through a smarthost over SMTP, reusing one connection.

    Calls to `send` take turns on that connection. `starttls` is
    "opportunistic" (use STARTTLS when the server offers it), "required"
    (fail with a temporary error when it does not) or "off". With a
    username, the transport logs in after STARTTLS; without TLS it logs in
    only to a loopback host.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        starttls: StartTlsMode = "opportunistic",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 60.0,
        tls_context: ssl.SSLContext | None = None,
        helo_name: str | None = None,
    ) -> None:
        if starttls not in get_args(StartTlsMode):
            raise ValueError(
                f"invalid starttls mode {starttls!r}: "
                "use 'opportunistic', 'required' or 'off'"
            )
        if (username is None) != (password is None):
            raise ValueError("set both the SMTP username and password, or neither")

        self.host = host
        self.port = port
        self.starttls = starttls
        self.username = username
        self._password = password
        self.timeout = timeout
        self.tls_context = tls_context
        # socket.getfqdn(), aiosmtplib's default, may query DNS. The host
        # name alone is often not a fully qualified name, so production
        # configurations should set helo_name.
        self.helo_name = helo_name or socket.gethostname()
        self._client: aiosmtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SmtpTransport({self.host!r}, {self.port}, starttls={self.starttls!r})"

    async def send(self, envelope_from: str, recipient: str, message: bytes) -> None:
        _check_envelope_address(envelope_from)
        _check_envelope_address(recipient)

        async with self._lock:
            try:
                await self._send_reconnecting(envelope_from, recipient, message)
            except aiosmtplib.SMTPResponseException as error:
                raise self._reply_error(error) from error
            except (aiosmtplib.SMTPException, OSError) as error:
                self._drop_connection()
                raise self._connection_error(error) from error
            finally:
                self._last_used = time.monotonic()

        log.debug("sent a message via %s:%d", self.host, self.port)

    async def close(self) -> None:
        async with self._lock:
            client, self._client = self._client, None
            if client is None or not client.is_connected:
                return
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError) as error:
                log.debug("QUIT to %s:%d failed: %s", self.host, self.port, error)
                client.close()

    async def _send_reconnecting(
        self, envelope_from: str, recipient: str, message: bytes
    ) -> None:
        client, reused = await self._connected_client()
        try:
            await self._transfer(client, envelope_from, recipient, message)
        except aiosmtplib.SMTPServerDisconnected:
            if not reused:
                raise
            # The server closed the idle connection, which servers may do at
            # any time, so one fresh connection gets a second try.
            log.debug("%s:%d closed the reused connection", self.host, self.port)
            self._drop_connection()
            client, _ = await self._connected_client()
            await self._transfer(client, envelope_from, recipient, message)

    async def _connected_client(self) -> tuple[aiosmtplib.SMTP, bool]:
        """Return a connected client and whether it was reused."""
        client = self._client
        idle_seconds = time.monotonic() - self._last_used
        if client is not None and client.is_connected:
            if idle_seconds < MAX_IDLE_SECONDS:
                return client, True
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
        self._drop_connection()

        self._client = await self._connect()
        return self._client, False

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            local_hostname=self.helo_name,
            timeout=self.timeout,
            start_tls=False,
            tls_context=self.tls_context,
        )
        await client.connect()
        try:
            await client.ehlo()
            await self._start_tls(client)
            await self._login(client)
        except BaseException:
            client.close()
            raise

        log.debug("connected to %s:%d", self.host, self.port)
        return client

    async def _start_tls(self, client: aiosmtplib.SMTP) -> None:
        if self.starttls == "off":
            return
        if client.supports_extension("starttls"):
            await client.starttls()
            # RFC 3207 section 4.2: discard the extensions listed before TLS.
            await client.ehlo()
            return
        if self.starttls == "required":
            raise TransportError(
                f"{self.host}:{self.port} does not offer STARTTLS, which is "
                "required; enable it on the smarthost or set starttls to "
                "'opportunistic'",
                permanent=False,
            )
        log.debug("%s:%d does not offer STARTTLS", self.host, self.port)

    async def _login(self, client: aiosmtplib.SMTP) -> None:
        if self.username is None or self._password is None:
            return

        # AUTH PLAIN and LOGIN send the password in base64, which anyone on the
        # path can read, so the password goes out only inside TLS. A loopback
        # connection never leaves this machine.
        encrypted = client.get_transport_info("sslcontext") is not None
        if not encrypted and not _is_loopback(self.host):
            raise TransportError(
                f"not sending the SMTP password to {self.host} without TLS; "
                "enable STARTTLS on the smarthost or set starttls to 'required'",
                permanent=False,
            )
        await client.login(self.username, self._password)

    async def _transfer(
        self,
        client: aiosmtplib.SMTP,
        envelope_from: str,
        recipient: str,
        message: bytes,
    ) -> None:
        options, encoding = self._address_options(client, envelope_from, recipient)
        await client.mail(envelope_from, options=options, encoding=encoding)
        try:
            await client.rcpt(recipient, encoding=encoding)
            await client.data(message)
        except aiosmtplib.SMTPResponseException:
            await self._reset(client)
            raise

    def _address_options(
        self, client: aiosmtplib.SMTP, envelope_from: str, recipient: str
    ) -> tuple[list[str], str]:
        if envelope_from.isascii() and recipient.isascii():
            return [], "ascii"
        if not client.supports_extension("smtputf8"):
            raise TransportError(
                f"{self.host}:{self.port} does not support SMTPUTF8, which a "
                "non-ASCII address needs",
                permanent=True,
            )
        return ["SMTPUTF8"], "utf-8"

    async def _reset(self, client: aiosmtplib.SMTP) -> None:
        # RSET ends the failed transaction so the connection can carry the
        # next message. If that fails too, the next send reconnects.
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError) as error:
            log.debug("RSET to %s:%d failed: %s", self.host, self.port, error)
            self._drop_connection()

    def _drop_connection(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None

    def _reply_error(self, error: aiosmtplib.SMTPResponseException) -> TransportError:
        # Only a 5xx reply to MAIL, RCPT or DATA is about this message. A 5xx
        # reply to the greeting, EHLO or AUTH is about the relay's setup, so
        # it stays temporary and messages wait until an operator fixes it.
        about_message = isinstance(
            error,
            aiosmtplib.SMTPSenderRefused
            | aiosmtplib.SMTPRecipientRefused
            | aiosmtplib.SMTPDataError,
        )
        if not about_message:
            self._drop_connection()
        stage = _REJECTED_STAGES.get(type(error), "a command")
        # 421 closes the session whatever the command, so it is about the
        # server; any other reply to RCPT is about one mailbox.
        one_mailbox = (
            isinstance(error, aiosmtplib.SMTPRecipientRefused) and error.code != 421
        )
        return TransportError(
            f"{self.host}:{self.port} rejected {stage}: {error.code} {error.message}",
            permanent=about_message and 500 <= error.code < 600,
            code=error.code,
            whole_destination=not one_mailbox,
        )

    def _connection_error(self, error: Exception) -> TransportError:
        if isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
            reason = f"timed out after {self.timeout:g} s talking to"
        elif isinstance(error, aiosmtplib.SMTPConnectError):
            reason = "could not connect to"
        else:
            reason = "connection failed with"
        return TransportError(
            f"{reason} {self.host}:{self.port}: {error}", permanent=False
        )


_REJECTED_STAGES: dict[type[aiosmtplib.SMTPResponseException], str] = {
    aiosmtplib.SMTPSenderRefused: "the sender (MAIL)",
    aiosmtplib.SMTPRecipientRefused: "the recipient (RCPT)",
    aiosmtplib.SMTPDataError: "the message (DATA)",
    aiosmtplib.SMTPHeloError: "the greeting (EHLO)",
    aiosmtplib.SMTPAuthenticationError: "the login (AUTH)",
    aiosmtplib.SMTPConnectResponseError: "the connection",
}


def _check_envelope_address(address: str) -> None:
    # aiosmtplib parses each address as an RFC 5322 address and sends what it
    # extracts, so "a>@example.org" would go out as <a>. An address that does
    # not come back unchanged is rejected instead of sent somewhere else.
    try:
        unchanged = aiosmtplib.email.parse_address(address) == address
    except ValueError:
        unchanged = False
    if not unchanged:
        raise TransportError(
            "an envelope address contains characters that SMTP does not allow "
            "outside quotes, such as white space, angle brackets or comments",
            permanent=True,
        )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
