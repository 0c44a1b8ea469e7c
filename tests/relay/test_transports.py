"""Tests for relay.transports against a real aiosmtpd sink and a real disk."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from relay import transports
from relay.transports import (
    MaildirTransport,
    SmtpTransport,
    TransportError,
    maildir_folder_name,
)

SENDER = "bounces@relay.example.org"
RECIPIENT = "priya.shah@example.com"

MESSAGE = (
    b"From: Sam Okafor <sam.k7q2@relay.example.org>\r\n"
    b"To: Priya Shah <priya.m3x8@relay.example.org>\r\n"
    b"Subject: Thursday\r\n"
    b"\r\n"
    b"Hi Priya,\r\n"
    b".a line that starts with a dot\r\n"
    b"See you on Thursday.\r\n"
)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    peer: Any
    tls: bool
    login: bytes | None


@dataclass
class SinkHandler:
    """An aiosmtpd handler that stores messages and can reject recipients."""

    rcpt_reply: str = "250 OK"
    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login if session.authenticated else None
        self.messages.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                content=envelope.original_content,
                peer=session.peer,
                tls=session.ssl is not None,
                login=login,
            )
        )
        return "250 2.0.0 queued"


@dataclass
class Sink:
    port: int
    handler: SinkHandler
    logins: list[bytes]


def free_port() -> int:
    # aiosmtpd's Controller cannot bind port 0, so a free port is found first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_sink(**smtp_options: Any) -> Iterator[Sink]:
    handler = SinkHandler()
    logins: list[bytes] = []

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append(auth_data.login)
        accepted = auth_data.password == b"correct horse"
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)

    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        server_hostname="sink.example.org",
        authenticator=authenticate,
        **smtp_options,
    )
    controller.start()
    try:
        yield Sink(port, handler, logins)
    finally:
        controller.stop()


@pytest.fixture
def sink() -> Iterator[Sink]:
    yield from start_sink(auth_require_tls=False)


@dataclass
class Certificate:
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and contexts that use it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sink.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    loopback = x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([loopback]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path = folder / "sink.pem"
    key_path = folder / "sink.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    client_context = ssl.create_default_context(cafile=str(cert_path))
    return Certificate(server_context, client_context)


@pytest.fixture
def tls_sink(certificate: Certificate) -> Iterator[Sink]:
    yield from start_sink(tls_context=certificate.server_context, require_starttls=True)


@pytest.fixture
async def smtp(sink: Sink) -> AsyncIterator[SmtpTransport]:
    transport = SmtpTransport("127.0.0.1", sink.port, helo_name="relay.example.org")
    yield transport
    await transport.close()


async def test_smtp_message_arrives_unchanged(smtp: SmtpTransport, sink: Sink) -> None:
    await smtp.send(SENDER, RECIPIENT, MESSAGE)

    assert len(sink.handler.messages) == 1
    received = sink.handler.messages[0]
    assert received.content == MESSAGE
    assert received.mail_from == SENDER
    assert received.rcpt_tos == [RECIPIENT]


async def test_smtp_reuses_connection(smtp: SmtpTransport, sink: Sink) -> None:
    await smtp.send(SENDER, RECIPIENT, MESSAGE)
    await smtp.send(SENDER, "kit.brown@example.org", MESSAGE)

    peers = {received.peer for received in sink.handler.messages}
    assert len(sink.handler.messages) == 2
    assert len(peers) == 1


async def test_smtp_reconnects_after_idle_limit(
    smtp: SmtpTransport, sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    await smtp.send(SENDER, RECIPIENT, MESSAGE)
    monkeypatch.setattr(transports, "MAX_IDLE_SECONDS", 0.0)
    await smtp.send(SENDER, RECIPIENT, MESSAGE)

    peers = {received.peer for received in sink.handler.messages}
    assert len(peers) == 2


async def test_smtp_retries_dropped_reused_connection() -> None:
    # The server hangs up on the second MAIL of its first connection, as a
    # smarthost does when it closes an idle client just as the relay writes.
    connections: list[int] = []
    delivered: list[bytes] = []

    async def hang_up_on_second_mail(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        connections.append(len(connections))
        first_connection = len(connections) == 1
        mail_commands = 0
        writer.write(b"220 fake.example.org ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"MAIL":
                mail_commands += 1
                if first_connection and mail_commands == 2:
                    break
            if verb == b"DATA":
                writer.write(b"354 end with .\r\n")
                delivered.append(await reader.readuntil(b"\r\n.\r\n"))
            if verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                break
            writer.write(b"250 fake.example.org\r\n")
        writer.close()

    server = await asyncio.start_server(hang_up_on_second_mail, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = SmtpTransport("127.0.0.1", port, helo_name="relay.example.org")

    async with server:
        await transport.send(SENDER, RECIPIENT, MESSAGE)
        await transport.send(SENDER, RECIPIENT, MESSAGE)
        await transport.close()

    assert len(connections) == 2
    assert len(delivered) == 2


async def test_smtp_rcpt_550_is_permanent(smtp: SmtpTransport, sink: Sink) -> None:
    sink.handler.rcpt_reply = "550 5.1.1 no such user"

    with pytest.raises(TransportError) as caught:
        await smtp.send(SENDER, RECIPIENT, MESSAGE)

    assert caught.value.permanent is True
    assert caught.value.code == 550
    assert "no such user" in str(caught.value)
    assert sink.handler.messages == []


async def test_smtp_rcpt_451_is_temporary(smtp: SmtpTransport, sink: Sink) -> None:
    sink.handler.rcpt_reply = "451 4.3.0 try later"

    with pytest.raises(TransportError) as caught:
        await smtp.send(SENDER, RECIPIENT, MESSAGE)

    assert caught.value.permanent is False
    assert caught.value.code == 451


async def test_smtp_connection_survives_rejected_recipient(
    smtp: SmtpTransport, sink: Sink
) -> None:
    sink.handler.rcpt_reply = "550 5.1.1 no such user"
    with pytest.raises(TransportError):
        await smtp.send(SENDER, RECIPIENT, MESSAGE)

    sink.handler.rcpt_reply = "250 OK"
    await smtp.send(SENDER, RECIPIENT, MESSAGE)

    assert len(sink.handler.messages) == 1
    assert sink.handler.messages[0].rcpt_tos == [RECIPIENT]


async def test_smtp_closed_port_is_temporary() -> None:
    transport = SmtpTransport("127.0.0.1", free_port(), helo_name="relay.example.org")

    with pytest.raises(TransportError) as caught:
        await transport.send(SENDER, RECIPIENT, MESSAGE)
    await transport.close()

    assert caught.value.permanent is False
    assert caught.value.code is None
    assert "could not connect" in str(caught.value)


async def test_smtp_silent_server_times_out() -> None:
    async def say_nothing(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = SmtpTransport(
        "127.0.0.1", port, timeout=0.3, helo_name="relay.example.org"
    )

    async with server:
        with pytest.raises(TransportError) as caught:
            await transport.send(SENDER, RECIPIENT, MESSAGE)
        await transport.close()

    assert caught.value.permanent is False
    assert "timed out" in str(caught.value)


async def test_smtp_dropped_connection_is_temporary() -> None:
    async def greet_and_hang_up(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(b"220 sink.example.org ESMTP\r\n")
        await reader.readline()
        writer.close()

    server = await asyncio.start_server(greet_and_hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = SmtpTransport("127.0.0.1", port, helo_name="relay.example.org")

    async with server:
        with pytest.raises(TransportError) as caught:
            await transport.send(SENDER, RECIPIENT, MESSAGE)
        await transport.close()

    assert caught.value.permanent is False


async def test_smtp_required_starttls_missing_is_temporary(sink: Sink) -> None:
    transport = SmtpTransport(
        "127.0.0.1", sink.port, starttls="required", helo_name="relay.example.org"
    )

    with pytest.raises(TransportError) as caught:
        await transport.send(SENDER, RECIPIENT, MESSAGE)
    await transport.close()

    assert caught.value.permanent is False
    assert "does not offer STARTTLS" in str(caught.value)
    assert sink.handler.messages == []


async def test_smtp_uses_starttls_and_login(
    tls_sink: Sink, certificate: Certificate
) -> None:
    transport = SmtpTransport(
        "127.0.0.1",
        tls_sink.port,
        starttls="required",
        username="relay",
        password="correct horse",
        tls_context=certificate.client_context,
        helo_name="relay.example.org",
    )

    await transport.send(SENDER, RECIPIENT, MESSAGE)
    await transport.close()

    assert len(tls_sink.handler.messages) == 1
    received = tls_sink.handler.messages[0]
    assert received.tls is True
    assert received.login == b"relay"
    assert received.content == MESSAGE


async def test_smtp_opportunistic_starttls_is_used(
    tls_sink: Sink, certificate: Certificate
) -> None:
    transport = SmtpTransport(
        "127.0.0.1",
        tls_sink.port,
        tls_context=certificate.client_context,
        helo_name="relay.example.org",
    )

    await transport.send(SENDER, RECIPIENT, MESSAGE)
    await transport.close()

    assert tls_sink.handler.messages[0].tls is True


async def test_smtp_untrusted_certificate_is_temporary(tls_sink: Sink) -> None:
    # The default context trusts only the system's CAs, so the sink's
    # self-signed certificate fails verification.
    transport = SmtpTransport("127.0.0.1", tls_sink.port, helo_name="relay.example.org")

    with pytest.raises(TransportError) as caught:
        await transport.send(SENDER, RECIPIENT, MESSAGE)
    await transport.close()

    assert caught.value.permanent is False
    assert tls_sink.handler.messages == []


async def test_smtp_wrong_password_is_temporary(
    tls_sink: Sink, certificate: Certificate
) -> None:
    transport = SmtpTransport(
        "127.0.0.1",
        tls_sink.port,
        username="relay",
        password="wrong",
        tls_context=certificate.client_context,
        helo_name="relay.example.org",
    )

    with pytest.raises(TransportError) as caught:
        await transport.send(SENDER, RECIPIENT, MESSAGE)
    await transport.close()

    assert caught.value.permanent is False
    assert caught.value.code == 535
    assert "wrong" not in str(caught.value)


async def test_smtp_login_on_loopback_without_tls(sink: Sink) -> None:
    transport = SmtpTransport(
        "127.0.0.1",
        sink.port,
        starttls="off",
        username="relay",
        password="correct horse",
        helo_name="relay.example.org",
    )

    await transport.send(SENDER, RECIPIENT, MESSAGE)
    await transport.close()

    assert sink.logins == [b"relay"]
    assert sink.handler.messages[0].login == b"relay"


async def test_smtp_password_needs_tls_off_loopback(
    sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests may only reach 127.0.0.1, so the sink plays a remote smarthost.
    monkeypatch.setattr(transports, "_is_loopback", lambda host: False)
    transport = SmtpTransport(
        "127.0.0.1",
        sink.port,
        username="relay",
        password="correct horse",
        helo_name="relay.example.org",
    )

    with pytest.raises(TransportError) as caught:
        await transport.send(SENDER, RECIPIENT, MESSAGE)
    await transport.close()

    assert caught.value.permanent is False
    assert "without TLS" in str(caught.value)
    assert sink.logins == []
    assert sink.handler.messages == []


@pytest.mark.parametrize(
    "recipient",
    [
        "priya>@example.com",
        "Priya <priya@example.com>",
        "priya(note)@example.com",
        "priya shah@example.com",
        "priya@example.com\r\nRCPT TO:<kit@example.org>",
    ],
)
async def test_smtp_malformed_recipient_is_permanent(
    smtp: SmtpTransport, sink: Sink, recipient: str
) -> None:
    with pytest.raises(TransportError) as caught:
        await smtp.send(SENDER, recipient, MESSAGE)

    assert caught.value.permanent is True
    assert sink.handler.messages == []


async def test_smtp_null_sender_is_sent(smtp: SmtpTransport, sink: Sink) -> None:
    # Notices about failed deliveries use the null reverse-path <>, so that
    # they cannot cause further notices (RFC 5321 section 4.5.5).
    await smtp.send("", RECIPIENT, MESSAGE)

    assert sink.handler.messages[0].mail_from == "<>"


def test_smtp_rejects_unknown_starttls_mode() -> None:
    with pytest.raises(ValueError, match="invalid starttls mode 'always'"):
        SmtpTransport("127.0.0.1", 25, starttls="always")  # type: ignore[arg-type]


def test_smtp_requires_username_with_password() -> None:
    with pytest.raises(ValueError, match="both the SMTP username and password"):
        SmtpTransport("127.0.0.1", 25, password="correct horse")


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


async def test_maildir_file_appears_in_new(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    transport = MaildirTransport(root)

    await transport.send(SENDER, RECIPIENT, MESSAGE)

    mailbox = root / "priya.shah@example.com"
    delivered = list((mailbox / "new").iterdir())
    assert len(delivered) == 1
    assert delivered[0].read_bytes() == MESSAGE
    assert list((mailbox / "tmp").iterdir()) == []
    assert list((mailbox / "cur").iterdir()) == []
    assert delivered[0].stat().st_mode & 0o777 == 0o600


async def test_maildir_lower_cases_address(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path)

    await transport.send(SENDER, "Priya.Shah@Example.COM", MESSAGE)

    assert [path.name for path in tmp_path.iterdir()] == ["priya.shah@example.com"]


async def test_maildir_names_are_unique(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path)

    for _ in range(20):
        await transport.send(SENDER, RECIPIENT, MESSAGE)

    names = {path.name for path in files_under(tmp_path)}
    assert len(names) == 20


async def test_maildir_file_name_follows_convention(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path)

    await transport.send(SENDER, RECIPIENT, MESSAGE)

    name = files_under(tmp_path)[0].name
    seconds, unique, host = name.split(".", 2)
    assert seconds.isdigit()
    assert unique.startswith("M")
    assert f"P{os.getpid()}R" in unique
    assert "/" not in host
    assert ":" not in host


@pytest.mark.parametrize(
    "recipient",
    [
        "../../etc/passwd",
        "..",
        "",
        "@example.org",
        "priya@",
        "priya\x00@example.org",
        "priya\n@example.org",
        "p" * 250 + "@example.org",
    ],
)
async def test_maildir_rejects_undeliverable_recipient(
    tmp_path: Path, recipient: str
) -> None:
    root = tmp_path / "mail"
    transport = MaildirTransport(root)

    with pytest.raises(TransportError) as caught:
        await transport.send(SENDER, recipient, MESSAGE)

    assert caught.value.permanent is True
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("recipient", "folder_name"),
    [
        ("a/b@example.org", "a%2Fb@example.org"),
        ("../../etc/passwd@example.org", "%2E.%2F..%2Fetc%2Fpasswd@example.org"),
        ("..@example.org", "%2E.@example.org"),
        ("a\\b@example.org", "a%5Cb@example.org"),
        ("100%@example.org", "100%25@example.org"),
        ("zo\u00eb@example.org", "zo%C3%AB@example.org"),
    ],
)
async def test_maildir_hostile_recipient_stays_under_root(
    tmp_path: Path, recipient: str, folder_name: str
) -> None:
    root = tmp_path / "mail"
    transport = MaildirTransport(root)

    await transport.send(SENDER, recipient, MESSAGE)

    delivered = files_under(tmp_path)
    assert len(delivered) == 1
    assert delivered[0].parent == root / folder_name / "new"
    assert delivered[0].resolve().is_relative_to(root.resolve())


def test_folder_name_percent_encoding_is_distinct() -> None:
    # "%" is encoded too, so an address that already contains "%2f" cannot
    # land in the folder of an address that contains "/".
    assert maildir_folder_name("a%2fb@example.org") == "a%252fb@example.org"
    assert maildir_folder_name("a/b@example.org") == "a%2Fb@example.org"


async def test_maildir_write_failure_is_temporary(tmp_path: Path) -> None:
    root = tmp_path / "not-a-folder"
    root.write_bytes(b"")
    transport = MaildirTransport(root)

    with pytest.raises(TransportError) as caught:
        await transport.send(SENDER, RECIPIENT, MESSAGE)

    assert caught.value.permanent is False
    assert RECIPIENT not in str(caught.value)


async def test_maildir_repairs_missing_subfolder(tmp_path: Path) -> None:
    mailbox = tmp_path / RECIPIENT
    (mailbox / "new").mkdir(parents=True)
    transport = MaildirTransport(tmp_path)

    await transport.send(SENDER, RECIPIENT, MESSAGE)

    assert (mailbox / "tmp").is_dir()
    assert (mailbox / "cur").is_dir()
    assert len(list((mailbox / "new").iterdir())) == 1
