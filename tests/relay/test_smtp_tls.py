"""STARTTLS: offered with a certificate, immune to injected commands, checked keys."""

from __future__ import annotations

import asyncio
import datetime
import smtplib
import ssl
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from relay import replies
from relay.config import Config, ConfigError
from relay.smtp import load_tls_context
from tests.conftest import Cast, Front, RawSmtp, running_front, with_smtp


def write_self_signed(folder: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for relay.example.org and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("relay.example.org")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    certificate_path = folder / "tls.crt"
    key_path = folder / "tls.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


@pytest.fixture
def tls_config(relay_config: Config, tmp_path: Path) -> Config:
    certificate, key = write_self_signed(tmp_path)
    return with_smtp(relay_config, tls_certificate=certificate, tls_key=key)


def client_context() -> ssl.SSLContext:
    # The test certificate is self-signed, so the client does not verify it.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def ehlo_lines(port: int) -> list[str]:
    client = await RawSmtp.connect(port)
    try:
        return (await client.command("EHLO client.example.net")).split("\n")
    finally:
        await client.close()


async def test_starttls_offered_only_with_certificate(
    front: Front, tls_config: Config
) -> None:
    assert "250-STARTTLS" not in await ehlo_lines(front.port)
    async with running_front(tls_config) as secured:
        assert "250-STARTTLS" in await ehlo_lines(secured.port)


async def test_commands_pipelined_with_starttls_are_discarded(
    tls_config: Config, cast: Cast
) -> None:
    # RFC 3207 section 4.2: what arrived before the handshake is discarded.
    async with running_front(tls_config) as front:
        client = await RawSmtp.connect(front.port)
        try:
            await client.command("EHLO client.example.net")
            await client.send(b"STARTTLS\r\nMAIL FROM:<sam@example.org>\r\n")
            assert (await client.reply()).startswith("220 ")
            await client.writer.start_tls(client_context())

            lines = (await client.command("EHLO client.example.net")).split("\n")
            assert "250-STARTTLS" not in lines
            assert not any(line[4:].startswith("AUTH") for line in lines)
            reply = await client.command(f"RCPT TO:<{cast.alex}>")
            assert reply.startswith("503 ")
            reply = await client.command("MAIL FROM:<sam@example.org>")
            assert reply == replies.SENDER_OK.format()
        finally:
            await client.close()


async def test_message_over_tls_is_accepted(tls_config: Config, cast: Cast) -> None:
    message = EmailMessage()
    message["From"] = "Sam Jones <sam@example.org>"
    message["To"] = cast.alex
    message["Subject"] = "Over TLS"
    message.set_content("Hello Alex.\n")

    def send() -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP("127.0.0.1", tls_config.smtp.listen.port) as client:
            client.starttls(context=client_context())
            return client.sendmail(
                "sam@example.org", [cast.alex], message.as_bytes(policy=SMTP)
            )

    async with running_front(tls_config):
        refused = await asyncio.to_thread(send)
    assert refused == {}


def test_missing_certificate_file_names_its_key(tls_config: Config) -> None:
    missing = replace(
        tls_config,
        smtp=replace(tls_config.smtp, tls_certificate=Path("/nonexistent/tls.crt")),
    )
    with pytest.raises(ConfigError) as raised:
        load_tls_context(missing)
    assert "smtp.tls_certificate = '/nonexistent/tls.crt' cannot be read" in str(
        raised.value
    )


def test_unreadable_key_file_names_its_key(tls_config: Config, tmp_path: Path) -> None:
    # A folder cannot be read as a file, even by root, unlike a chmod 000 file.
    unreadable = replace(tls_config, smtp=replace(tls_config.smtp, tls_key=tmp_path))
    with pytest.raises(ConfigError) as raised:
        load_tls_context(unreadable)
    assert f"smtp.tls_key = '{tmp_path}' cannot be read" in str(raised.value)


def test_certificate_without_key_names_the_missing_key(tls_config: Config) -> None:
    alone = replace(tls_config, smtp=replace(tls_config.smtp, tls_key=None))
    with pytest.raises(ConfigError) as raised:
        load_tls_context(alone)
    assert "smtp.tls_key is missing" in str(raised.value)


def test_key_of_another_certificate_is_a_config_error(
    tls_config: Config, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    _, other_key = write_self_signed(other)
    mismatched = replace(tls_config, smtp=replace(tls_config.smtp, tls_key=other_key))
    with pytest.raises(ConfigError) as raised:
        load_tls_context(mismatched)
    message = str(raised.value)
    assert "smtp.tls_certificate" in message
    assert "are not a PEM certificate and its private key" in message


def test_no_certificate_means_no_tls(relay_config: Config) -> None:
    assert load_tls_context(relay_config) is None
