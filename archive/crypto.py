"""Encryption at rest for the originals in the archive (messages.raw).

The original of a message still contains everything the filters removed: real
addresses, phone numbers, attachments. The archive stores it sealed with
AES-256-GCM under a 32-byte key kept in its own file, outside the database,
so a copied archive file or backup alone does not reveal it.

A sealed blob is laid out as

    MAGIC (4 bytes) | key id (8 bytes) | nonce (12 bytes) | ciphertext + tag

The key id is the first 8 bytes of the SHA-256 of the key, so a blob sealed
under another key is reported as such instead of as damaged data. The
associated data is the magic, the key id and a context that the caller
chooses: the archive uses the message's queue id, so a blob copied into
another message's row fails to open.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
TAG_BYTES = 16

# Header field names are printable ASCII (RFC 5322 2.2), so a plaintext
# original from an archive written before encryption does not start with a
# NUL byte. One that does anyway fails to open and is held for review.
MAGIC = b"\x00MR1"
HEADER_BYTES = len(MAGIC) + KEY_ID_BYTES + NONCE_BYTES

CREATE_HINT = "create one with `mentor-relay key create`"


class KeyFileError(Exception):
    """The archive key file is missing, unreadable, the wrong size or not private."""


class DecryptionError(Exception):
    """A sealed blob could not be opened: another key, or altered data."""


def create_key(path: Path) -> None:
    """Write a new random key to `path` with mode 0600; never overwrite one.

    Raises KeyFileError when the file exists, because replacing a key makes
    every original sealed with it unreadable.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"archive key {path} already exists: keep it, because originals "
            "sealed with it cannot be read without it"
        ) from None
    except OSError as error:
        raise KeyFileError(
            f"cannot create archive key {path}: {error.strerror}"
        ) from None
    with os.fdopen(descriptor, "wb") as file:
        file.write(os.urandom(KEY_BYTES))


def load_key(path: Path) -> bytes:
    """Read the key at `path`, checking that it exists, is private and fits.

    Raises KeyFileError with a message that names the file and the fix.
    """
    try:
        with path.open("rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            key = file.read(KEY_BYTES + 1)
    except FileNotFoundError:
        raise KeyFileError(
            f"archive key {path} not found: {CREATE_HINT}. Originals already "
            "encrypted can be read only with the key that encrypted them, so "
            "restore that file if you have it"
        ) from None
    except OSError as error:
        raise KeyFileError(
            f"cannot read archive key {path}: {error.strerror}"
        ) from None

    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"archive key {path} is accessible to group or others (mode "
            f"{stat.S_IMODE(mode):04o}): run `chmod 600 {path}`"
        )
    if len(key) != KEY_BYTES:
        raise KeyFileError(
            f"archive key {path} is {_size(len(key))}, expected exactly "
            f"{KEY_BYTES} bytes: point archive.key_file at the key file, or "
            f"{CREATE_HINT}"
        )
    return key


def load_cipher(path: Path) -> Cipher:
    """Load the key at `path` and return a Cipher for it."""
    return Cipher(load_key(path))


class Cipher:
    """Seals and opens blobs with one AES-256-GCM key.

    Build one per process and share it: the key is read once, not per message.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"an archive key is {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)
        self.key_id = key_id_of(key)

    def __repr__(self) -> str:
        return f"Cipher(key_id={self.key_id.hex()})"

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        """Encrypt `plaintext` under a fresh random nonce, bound to `context`."""
        nonce = os.urandom(NONCE_BYTES)
        prefix = MAGIC + self.key_id
        sealed = self._aead.encrypt(nonce, plaintext, prefix + context)
        return prefix + nonce + sealed

    def open(self, blob: bytes, context: bytes) -> bytes:
        """Decrypt a blob from `seal` with the same `context`.

        Raises DecryptionError when the blob is not sealed, is cut short, was
        sealed under another key or for another context, or was altered.
        """
        if not is_sealed(blob):
            raise DecryptionError("the data is not a sealed blob")
        if len(blob) < HEADER_BYTES + TAG_BYTES:
            raise DecryptionError(f"the sealed blob is cut short ({len(blob)} bytes)")
        blob_key_id = blob[len(MAGIC) : len(MAGIC) + KEY_ID_BYTES]
        if blob_key_id != self.key_id:
            raise DecryptionError(
                f"it was encrypted with key id {blob_key_id.hex()}, but the "
                f"loaded key has id {self.key_id.hex()}"
            )
        nonce = blob[len(MAGIC) + KEY_ID_BYTES : HEADER_BYTES]
        try:
            return self._aead.decrypt(
                nonce, blob[HEADER_BYTES:], MAGIC + blob_key_id + context
            )
        except InvalidTag:
            raise DecryptionError(
                "authentication failed: the data was altered or belongs to "
                "another message"
            ) from None


def is_sealed(blob: bytes) -> bool:
    """Return whether `blob` starts with the sealed-blob header."""
    return blob.startswith(MAGIC)


def key_id_of(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:KEY_ID_BYTES]


def _size(count: int) -> str:
    if count > KEY_BYTES:
        return f"longer than {KEY_BYTES} bytes"
    return f"{count} bytes"
