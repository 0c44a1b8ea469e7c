"""Tests for relay.dkim: signatures that dkimpy's verifier accepts."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from relay.dkim import (
    DkimSigner,
    dns_txt_record,
    dns_txt_value,
    generate_private_key_pem,
)

DOMAIN = "relay.example.org"
SELECTOR = "relay"
KEY_NAME = b"relay._domainkey.relay.example.org."

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "eml"

MESSAGE = (
    b"From: Sam Okafor <sam.k7q2@relay.example.org>\r\n"
    b"To: Priya Shah <priya.m3x8@relay.example.org>\r\n"
    b"Subject: Re: your first week\r\n"
    b"Date: Tue, 02 Jul 2024 10:15:00 +0000\r\n"
    b"Message-ID: <20240702101500.a1b2@relay.example.org>\r\n"
    b"In-Reply-To: <20240701090000.c3d4@relay.example.org>\r\n"
    b"References: <20240701090000.c3d4@relay.example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hi Priya,\r\n"
    b"\r\n"
    b"The caf=C3=A9 meeting with your coordinator is on Thursday. Na=C3=AFve\r\n"
    b"questions are welcome =E2=80=93 bring a list.\r\n"
    b"\r\n"
    b"Sam\r\n"
)


@pytest.fixture(scope="module")
def private_key_pem() -> bytes:
    return generate_private_key_pem()


@pytest.fixture(scope="module")
def signer(private_key_pem: bytes) -> DkimSigner:
    return DkimSigner(DOMAIN, SELECTOR, private_key_pem)


@pytest.fixture(scope="module")
def dnsfunc(private_key_pem: bytes) -> Callable[..., bytes | None]:
    """A DNS lookup that serves the test key and nothing else."""
    value = dns_txt_value(private_key_pem).encode("ascii")

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        return value if name == KEY_NAME else None

    return lookup


def signature_tags(signed: bytes) -> dict[str, str]:
    header_block = signed.split(b"\r\n\r\n", 1)[0].replace(b"\n", b"\r\n")
    unfolded = re.sub(rb"\r*\n[ \t]+", b" ", header_block).decode("ascii")
    first_line = unfolded.split("\r", 1)[0]
    assert first_line.startswith("DKIM-Signature:")
    value = first_line.removeprefix("DKIM-Signature:")
    tags = (tag.split("=", 1) for tag in value.split(";") if tag.strip())
    return {name.strip(): content.strip() for name, content in tags}


def test_signed_message_verifies(
    signer: DkimSigner, dnsfunc: Callable[..., bytes | None]
) -> None:
    signed = signer.sign(MESSAGE)

    assert signed.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;")
    assert signed.endswith(MESSAGE)
    assert dkim.verify(signed, dnsfunc=dnsfunc) is True


def test_changed_body_fails_verification(
    signer: DkimSigner, dnsfunc: Callable[..., bytes | None]
) -> None:
    signed = signer.sign(MESSAGE)
    tampered = signed.replace(b"on Thursday", b"on Friday")

    assert tampered != signed
    assert dkim.verify(tampered, dnsfunc=dnsfunc) is False


def test_changed_subject_fails_verification(
    signer: DkimSigner, dnsfunc: Callable[..., bytes | None]
) -> None:
    signed = signer.sign(MESSAGE)
    tampered = signed.replace(b"Subject: Re: your first week", b"Subject: Hello")

    assert dkim.verify(tampered, dnsfunc=dnsfunc) is False


def test_added_second_from_fails_verification(
    signer: DkimSigner, dnsfunc: Callable[..., bytes | None]
) -> None:
    # From is listed twice in h=, so a From added above the signed one breaks
    # the signature instead of changing the sender that mail clients display.
    signed = signer.sign(MESSAGE)
    signature_end = signed.index(b"\r\nFrom:") + 2
    forged = (
        signed[:signature_end]
        + b"From: Head Office <office@example.com>\r\n"
        + signed[signature_end:]
    )

    assert dkim.verify(forged, dnsfunc=dnsfunc) is False


def test_signature_tags_match_relay_policy(signer: DkimSigner) -> None:
    tags = signature_tags(signer.sign(MESSAGE))
    signed_fields = [name.strip() for name in tags["h"].split(":")]

    assert tags["a"] == "rsa-sha256"
    assert tags["c"] == "relaxed/relaxed"
    assert tags["d"] == DOMAIN
    assert tags["s"] == SELECTOR
    assert signed_fields.count("from") == 2
    for field in (
        "to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "auto-submitted",
    ):
        assert field in signed_fields, field


def test_lf_message_keeps_lf_line_endings(
    signer: DkimSigner, dnsfunc: Callable[..., bytes | None]
) -> None:
    lf_message = MESSAGE.replace(b"\r\n", b"\n")

    signed = signer.sign(lf_message)

    assert b"\r" not in signed
    assert signed.endswith(lf_message)
    assert dkim.verify(signed, dnsfunc=dnsfunc) is True


@pytest.mark.parametrize(
    "name",
    [
        "flanker__quoted-printable.eml",
        "flanker__bilingual-simple.eml",
        "flanker__outlook-express.eml",
        "flanker__8bitmime.eml",
        "mailparser__mixed.eml",
    ],
)
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/eml is not present")
def test_corpus_message_with_crlf_verifies(
    name: str, signer: DkimSigner, dnsfunc: Callable[..., bytes | None]
) -> None:
    raw = (CORPUS / name).read_bytes()
    crlf_message = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

    signed = signer.sign(crlf_message)

    assert signed.endswith(crlf_message)
    assert dkim.verify(signed, dnsfunc=dnsfunc) is True


def test_header_matches_dkimpy_byte_for_byte(
    private_key_pem: bytes, signer: DkimSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RSASSA-PKCS1-v1_5 is deterministic, so with the clock fixed the OpenSSL
    # path must produce exactly the header that dkimpy's own code produces.
    monkeypatch.setattr(time, "time", lambda: 1719915300.0)
    signed = signer.sign(MESSAGE)
    include_headers = signature_tags(signed)["h"].replace(" ", "").split(":")

    reference = dkim.sign(
        MESSAGE,
        SELECTOR.encode(),
        DOMAIN.encode(),
        private_key_pem,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[field.encode() for field in include_headers],
    )

    assert signed == reference + MESSAGE


def test_signing_skips_dkimpy_rsa_code(
    signer: DkimSigner,
    private_key_pem: bytes,
    dnsfunc: Callable[..., bytes | None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: object) -> None:
        raise AssertionError("dkimpy's pure-Python RSA code was called")

    monkeypatch.setattr(dkim, "RSASSA_PKCS1_v1_5_sign", fail)
    monkeypatch.setattr(dkim, "parse_pem_private_key", fail)

    signed = signer.sign(MESSAGE)

    assert dkim.verify(signed, dnsfunc=dnsfunc) is True
    with pytest.raises(AssertionError):
        dkim.sign(MESSAGE, b"relay", DOMAIN.encode(), private_key_pem)


def test_dkimpy_module_is_left_unchanged() -> None:
    assert dkim.RSASSA_PKCS1_v1_5_sign is dkim.crypto.RSASSA_PKCS1_v1_5_sign
    assert dkim.RSASSA_PKCS1_v1_5_verify is dkim.crypto.RSASSA_PKCS1_v1_5_verify
    assert dkim.parse_pem_private_key is dkim.crypto.parse_pem_private_key


def test_generated_key_signs_with_dkimpy(
    private_key_pem: bytes, dnsfunc: Callable[..., bytes | None]
) -> None:
    header = dkim.sign(MESSAGE, SELECTOR.encode(), DOMAIN.encode(), private_key_pem)

    assert dkim.verify(header + MESSAGE, dnsfunc=dnsfunc) is True


def test_generated_key_is_2048_bit_rsa(private_key_pem: bytes) -> None:
    key = serialization.load_pem_private_key(private_key_pem, password=None)

    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048


def test_dns_record_line_is_well_formed(private_key_pem: bytes) -> None:
    record = dns_txt_record(private_key_pem, SELECTOR, DOMAIN)
    match = re.fullmatch(r'(\S+) IN TXT ((?:"[^"]*" ?)+)', record)

    assert match is not None
    assert match.group(1) == "relay._domainkey.relay.example.org."
    strings = re.findall(r'"([^"]*)"', match.group(2))
    assert len(strings) == 2
    assert all(len(string) <= 255 for string in strings)
    assert "".join(strings) == dns_txt_value(private_key_pem)


def test_dns_record_accepts_trailing_dot(private_key_pem: bytes) -> None:
    record = dns_txt_record(private_key_pem, SELECTOR, DOMAIN + ".")

    assert record.startswith("relay._domainkey.relay.example.org. IN TXT ")


def test_dns_value_holds_public_key(private_key_pem: bytes) -> None:
    value = dns_txt_value(private_key_pem)
    public_der = (
        serialization.load_pem_private_key(private_key_pem, password=None)
        .public_key()
        .public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )

    assert value == "v=DKIM1; k=rsa; p=" + base64.b64encode(public_der).decode()


def test_short_key_record_is_one_string() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )

    record = dns_txt_record(pem, SELECTOR, DOMAIN)

    assert record.count('"') == 2


def test_traditional_pem_key_is_accepted(dnsfunc: Callable[..., bytes | None]) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    signer = DkimSigner(DOMAIN, SELECTOR, pem)
    value = dns_txt_value(pem).encode("ascii")

    signed = signer.sign(MESSAGE)

    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: value) is True


def test_leading_white_space_raises_value_error(
    signer: DkimSigner,
) -> None:
    with pytest.raises(ValueError, match="first line is not a header field"):
        signer.sign(b"   \r\n" + MESSAGE)


def test_garbage_key_raises_value_error() -> None:
    with pytest.raises(ValueError, match="invalid DKIM private key: not a PEM"):
        DkimSigner(DOMAIN, SELECTOR, b"not a key")


def test_elliptic_curve_key_raises_value_error() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

    with pytest.raises(ValueError, match="is not RSA"):
        DkimSigner(DOMAIN, SELECTOR, pem)


def test_encrypted_key_raises_value_error(private_key_pem: bytes) -> None:
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"correct horse"),
    )

    with pytest.raises(ValueError, match="it is encrypted"):
        DkimSigner(DOMAIN, SELECTOR, pem)


@pytest.mark.parametrize(
    "selector", ["", "relay key", "relay;v=1", "-relay", "r\u00e9lay", "a" * 64]
)
def test_invalid_selector_raises_value_error(
    selector: str, private_key_pem: bytes
) -> None:
    with pytest.raises(ValueError, match="invalid DNS name"):
        DkimSigner(DOMAIN, selector, private_key_pem)


def test_invalid_record_domain_raises_value_error(private_key_pem: bytes) -> None:
    with pytest.raises(ValueError, match="invalid DNS name"):
        dns_txt_record(private_key_pem, SELECTOR, "relay.example.org\nevil")
