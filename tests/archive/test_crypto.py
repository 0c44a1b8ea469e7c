"""Sealing originals: the cipher, the key file, and the archive's reads."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from archive.console import ConsoleStore
from archive.crypto import (
    HEADER_BYTES,
    KEY_BYTES,
    MAGIC,
    Cipher,
    DecryptionError,
    KeyFileError,
    create_key,
    key_id_of,
    load_key,
)
from archive.store import Archive, ArchiveError, UnreadableOriginalError
from relay.config import archive_cipher, load_config
from relay.runner import PipelineRunner
from tests.conftest import Cast

ORIGINAL = (
    b"From: Sam Jones <sam@example.org>\r\nSubject: Tuesday\r\n\r\n"
    b"Call me on 07700 900461.\r\n"
)
KEY = bytes(range(KEY_BYTES))
OTHER_KEY = bytes(range(1, KEY_BYTES + 1))


@pytest.fixture
def cipher() -> Cipher:
    return Cipher(KEY)


@pytest.fixture
async def archive(tmp_path: Path, cipher: Cipher) -> AsyncIterator[Archive]:
    opened = await Archive.open(tmp_path / "archive.sqlite3", cipher)
    yield opened
    await opened.close()


async def accept(archive: Archive, queue_id: str, raw: bytes = ORIGINAL) -> int:
    """Store a message from Sam to Alex, registering them on first use."""
    sam = await archive.participant_by_email("sam@example.org")
    alex = await archive.participant_by_email("alex@example.com")
    if sam is None or alex is None:
        sam, alex = await archive.add_participants(
            [
                ("Sam Jones", "sam@example.org", "mentor", "sam.k7q2@example.org"),
                ("Alex Smith", "alex@example.com", "mentee", "alex.p3m9@example.org"),
            ]
        )
        await archive.add_relationship([sam.id, alex.id])
    return await archive.accept_message(
        queue_id, "127.0.0.1", "sam@example.org", sam.id, [alex.id], raw
    )


async def stored_raw(archive: Archive, message_id: int) -> bytes:
    row = await archive._fetchone(
        "SELECT raw FROM messages WHERE id = ?", (message_id,)
    )
    assert row is not None
    return bytes(row["raw"])


async def set_stored_raw(archive: Archive, message_id: int, raw: bytes) -> None:
    async with archive._transaction() as db:
        await db.execute("UPDATE messages SET raw = ? WHERE id = ?", (raw, message_id))


# The cipher


def test_sealed_blob_opens_to_plaintext(cipher: Cipher) -> None:
    blob = cipher.seal(ORIGINAL, b"Q1")
    assert cipher.open(blob, b"Q1") == ORIGINAL


def test_sealed_blob_has_versioned_header(cipher: Cipher) -> None:
    blob = cipher.seal(ORIGINAL, b"Q1")
    assert blob[:4] == MAGIC
    assert blob[4:12] == key_id_of(KEY)
    assert len(blob) == HEADER_BYTES + len(ORIGINAL) + 16
    assert b"07700" not in blob


def test_each_seal_uses_fresh_nonce(cipher: Cipher) -> None:
    first = cipher.seal(ORIGINAL, b"Q1")
    second = cipher.seal(ORIGINAL, b"Q1")
    assert first[12:HEADER_BYTES] != second[12:HEADER_BYTES]
    assert first[HEADER_BYTES:] != second[HEADER_BYTES:]


def test_tampered_blob_fails_to_open(cipher: Cipher) -> None:
    blob = bytearray(cipher.seal(ORIGINAL, b"Q1"))
    blob[HEADER_BYTES + 5] ^= 0x01
    with pytest.raises(DecryptionError) as caught:
        cipher.open(bytes(blob), b"Q1")
    assert str(caught.value) == (
        "authentication failed: the data was altered or belongs to another message"
    )


def test_blob_for_other_context_fails_to_open(cipher: Cipher) -> None:
    blob = cipher.seal(ORIGINAL, b"Q1")
    with pytest.raises(DecryptionError, match="belongs to another message"):
        cipher.open(blob, b"Q2")


def test_blob_under_other_key_names_both_key_ids(cipher: Cipher) -> None:
    blob = Cipher(OTHER_KEY).seal(ORIGINAL, b"Q1")
    with pytest.raises(DecryptionError) as caught:
        cipher.open(blob, b"Q1")
    assert str(caught.value) == (
        f"it was encrypted with key id {key_id_of(OTHER_KEY).hex()}, but the "
        f"loaded key has id {key_id_of(KEY).hex()}"
    )


def test_cut_short_blob_fails_to_open(cipher: Cipher) -> None:
    blob = cipher.seal(ORIGINAL, b"Q1")
    with pytest.raises(DecryptionError) as caught:
        cipher.open(blob[:30], b"Q1")
    assert str(caught.value) == "the sealed blob is cut short (30 bytes)"


def test_cipher_repr_shows_key_id_only(cipher: Cipher) -> None:
    assert repr(cipher) == f"Cipher(key_id={key_id_of(KEY).hex()})"


def test_sealing_100_kb_takes_under_a_millisecond(cipher: Cipher) -> None:
    # The best of many runs, so a busy test machine does not fail it. On a
    # 2-core VM with AES-NI the best was 14 microseconds and the median 56.
    message = os.urandom(100 * 1024)
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        cipher.seal(message, b"Q1")
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.001


# The key file


def test_created_key_is_private_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "archive.key"
    create_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(load_key(path)) == KEY_BYTES


def test_create_key_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "archive.key"
    create_key(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError) as caught:
        create_key(path)
    assert str(caught.value) == (
        f"archive key {path} already exists: keep it, because originals "
        "sealed with it cannot be read without it"
    )
    assert path.read_bytes() == before


def test_missing_key_says_how_to_create_one(tmp_path: Path) -> None:
    path = tmp_path / "archive.key"
    with pytest.raises(KeyFileError) as caught:
        load_key(path)
    assert str(caught.value) == (
        f"archive key {path} not found: create one with `mentor-relay key "
        "create`. Originals already encrypted can be read only with the key "
        "that encrypted them, so restore that file if you have it"
    )


def test_group_readable_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "archive.key"
    create_key(path)
    path.chmod(0o640)
    with pytest.raises(KeyFileError) as caught:
        load_key(path)
    assert str(caught.value) == (
        f"archive key {path} is accessible to group or others (mode 0640): "
        f"run `chmod 600 {path}`"
    )


@pytest.mark.parametrize(
    ("size", "described"),
    [(0, "0 bytes"), (31, "31 bytes"), (64, "longer than 32 bytes")],
)
def test_key_of_wrong_size_is_rejected(
    tmp_path: Path, size: int, described: str
) -> None:
    path = tmp_path / "archive.key"
    path.write_bytes(b"k" * size)
    path.chmod(0o600)
    with pytest.raises(KeyFileError) as caught:
        load_key(path)
    assert str(caught.value) == (
        f"archive key {path} is {described}, expected exactly 32 bytes: point "
        "archive.key_file at the key file, or create one with `mentor-relay "
        "key create`"
    )


# The archive


async def test_original_is_stored_sealed(archive: Archive) -> None:
    message_id = await accept(archive, "Q1")
    stored = await stored_raw(archive, message_id)
    assert stored.startswith(MAGIC)
    assert b"07700 900461" not in stored


async def test_pipeline_lease_returns_plaintext(archive: Archive) -> None:
    message_id = await accept(archive, "Q1")
    work = await archive.lease_pipeline_job(60)
    assert work is not None
    assert work.message_id == message_id
    assert work.raw == ORIGINAL
    assert work.unreadable_reason is None


async def test_console_original_and_message_row_return_plaintext(
    archive: Archive,
) -> None:
    message_id = await accept(archive, "Q1")
    assert await ConsoleStore(archive).original(message_id) == ORIGINAL
    row = await archive.message("Q1")
    assert row is not None
    assert row["raw"] == ORIGINAL
    assert row["queue_id"] == "Q1"


async def test_plaintext_original_still_reads(archive: Archive) -> None:
    # An archive written before encryption contains plaintext originals.
    message_id = await accept(archive, "Q1")
    await set_stored_raw(archive, message_id, ORIGINAL)
    assert await ConsoleStore(archive).original(message_id) == ORIGINAL


async def test_plaintext_originals_get_sealed(archive: Archive) -> None:
    first = await accept(archive, "Q1")
    second = await accept(archive, "Q2")
    third = await accept(archive, "Q3")
    await set_stored_raw(archive, first, ORIGINAL)
    await set_stored_raw(archive, third, ORIGINAL)
    assert await archive.seal_plaintext_originals(batch_size=2) == 2
    for message_id in (first, second, third):
        assert (await stored_raw(archive, message_id)).startswith(MAGIC)
        assert await ConsoleStore(archive).original(message_id) == ORIGINAL
    assert await archive.seal_plaintext_originals() == 0


async def test_sealing_without_key_is_refused(tmp_path: Path) -> None:
    archive = await Archive.open(tmp_path / "archive.sqlite3")
    try:
        with pytest.raises(ArchiveError) as caught:
            await archive.seal_plaintext_originals()
    finally:
        await archive.close()
    assert str(caught.value) == "cannot encrypt originals: the archive has no key"


async def test_wrong_key_is_an_error_naming_the_message(
    tmp_path: Path, archive: Archive
) -> None:
    message_id = await accept(archive, "Q1")
    other = await Archive.open(tmp_path / "archive.sqlite3", Cipher(OTHER_KEY))
    try:
        with pytest.raises(UnreadableOriginalError) as caught:
            await ConsoleStore(other).original(message_id)
    finally:
        await other.close()
    assert str(caught.value) == (
        f"The original of message {message_id} (Q1) cannot be decrypted: it was "
        f"encrypted with key id {key_id_of(KEY).hex()}, but the loaded key has "
        f"id {key_id_of(OTHER_KEY).hex()}"
    )


async def test_sealed_original_without_key_is_an_error(
    tmp_path: Path, archive: Archive
) -> None:
    message_id = await accept(archive, "Q1")
    keyless = await Archive.open(tmp_path / "archive.sqlite3")
    try:
        row = await keyless.message("Q1")
        assert row is not None
        assert row["status"] == "received"
        with pytest.raises(UnreadableOriginalError) as caught:
            row["raw"]
    finally:
        await keyless.close()
    assert str(caught.value) == (
        f"The original of message {message_id} (Q1) is encrypted, but the "
        "archive was opened without its key"
    )


async def test_swapped_blobs_fail_to_open(archive: Archive) -> None:
    first = await accept(archive, "Q1")
    second = await accept(archive, "Q2", ORIGINAL.replace(b"Tuesday", b"Friday"))
    first_blob = await stored_raw(archive, first)
    second_blob = await stored_raw(archive, second)
    await set_stored_raw(archive, first, second_blob)
    await set_stored_raw(archive, second, first_blob)
    store = ConsoleStore(archive)
    for message_id, queue_id in ((first, "Q1"), (second, "Q2")):
        with pytest.raises(UnreadableOriginalError) as caught:
            await store.original(message_id)
        assert str(caught.value) == (
            f"The original of message {message_id} ({queue_id}) cannot be "
            "decrypted: authentication failed: the data was altered or belongs "
            "to another message"
        )


async def test_tampered_original_is_held_with_finding(
    relay_dir: Path, cast: Cast
) -> None:
    config = load_config(relay_dir / "relay.toml")
    archive = await Archive.open(config.archive_path, archive_cipher(config))
    try:
        message_id = await accept(archive, "Q1")
        blob = bytearray(await stored_raw(archive, message_id))
        blob[-1] ^= 0x01
        await set_stored_raw(archive, message_id, bytes(blob))

        runner = PipelineRunner(config, archive, asyncio.Event(), asyncio.Event())
        assert await runner.run_once() is True
        row = await archive.message("Q1")
        findings = await archive.findings(message_id)
    finally:
        await archive.close()
    assert row is not None
    assert row["status"] == "held"
    assert row["hold_reason"] == (
        f"The original of message {message_id} (Q1) cannot be decrypted: "
        "authentication failed: the data was altered or belongs to another "
        "message, so it was not delivered."
    )
    assert [(f.kind, f.location, f.count) for f in findings] == [
        ("unreadable_original", "message", 1)
    ]
    assert row["delivered"] == b""


async def test_removed_original_stays_empty(archive: Archive) -> None:
    message_id = await accept(archive, "Q1")
    async with archive._transaction() as db:
        await db.execute(
            "UPDATE messages SET raw = X'', original_removed_at = ? WHERE id = ?",
            ("2026-03-02T09:00:00+00:00", message_id),
        )

    assert await archive.seal_plaintext_originals() == 0

    assert await stored_raw(archive, message_id) == b""
