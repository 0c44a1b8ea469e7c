"""Backing up a live archive and restoring a backup in its place.

A backup is taken with SQLite's online backup API, which copies the whole
database inside one read transaction. In WAL mode that read transaction sees
one committed state and does not block the relay's writers, so the copy is
consistent while the relay keeps accepting mail.

The backup holds the originals encrypted, so it is useless without the
archive key, and the key is a separate file (see archive/crypto.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from archive.crypto import KEY_ID_BYTES, MAGIC, KeyFileError, load_key
from archive.schema import MIGRATIONS
from archive.store import ArchiveError

# How long the backup waits for the relay's write transaction to finish.
BUSY_TIMEOUT_SECONDS = 10.0


class BackupError(ArchiveError):
    """A backup or restore that cannot go ahead, with the reason and the fix."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size_bytes: int
    messages: int
    schema_version: int
    key_path: Path | None


@dataclass(frozen=True)
class RestoreReport:
    archive_path: Path
    # The archive that was replaced, renamed; None when there was none.
    previous_path: Path | None
    messages: int
    schema_version: int
    # Hex ids of the keys that encrypted the restored originals.
    key_ids: frozenset[str]


def back_up(
    archive_path: Path, destination: Path, key_path: Path | None = None
) -> BackupReport:
    """Copy the archive to `destination`, a new file with mode 0600.

    With `key_path`, the key is copied too, to `destination` + ".key".
    Raises BackupError when a target exists or the archive is missing.
    """
    key_copy = destination.with_name(destination.name + ".key") if key_path else None
    _check_new(destination)
    if key_copy is not None:
        _check_new(key_copy)
    if not archive_path.is_file():
        raise BackupError(
            f"archive {archive_path} not found: check archive.path in the config"
        )
    key = _read_key(key_path) if key_path is not None else None

    _create_private(destination)
    try:
        _copy_online(archive_path, destination)
        messages, version = _check_archive(destination)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    if key_copy is not None and key is not None:
        try:
            _write_private(key_copy, key)
        except BaseException:
            destination.unlink(missing_ok=True)
            raise
    size = destination.stat().st_size
    return BackupReport(destination, size, messages, version, key_copy)


def restore(backup: Path, archive_path: Path, now: datetime) -> RestoreReport:
    """Put `backup` in place of the archive; the old one is kept, renamed.

    The old archive becomes ARCHIVE.before-restore-TIMESTAMP, with `now`
    (UTC) as the timestamp. Raises BackupError when the backup is missing,
    damaged or from a newer relay, or when the archive is in use.
    """
    if backup.is_dir():
        raise BackupError(
            f"backup {backup} is a folder: pass the file written by "
            "`mentor-relay backup`"
        )
    if not backup.is_file():
        raise BackupError(f"backup {backup} not found: check the path")
    messages, version = _check_archive(backup)
    key_ids = sealed_key_ids(backup)

    previous = None
    with _exclusive(archive_path):
        if archive_path.exists():
            stamp = now.strftime("%Y%m%dT%H%M%SZ")
            previous = archive_path.with_name(
                f"{archive_path.name}.before-restore-{stamp}"
            )
            _check_new(previous)
        incoming = archive_path.with_name(archive_path.name + ".restoring")
        incoming.unlink(missing_ok=True)
        _create_private(incoming)
        with backup.open("rb") as source, incoming.open("wb") as target:
            shutil.copyfileobj(source, target)
            target.flush()
            os.fsync(target.fileno())
        if previous is not None:
            os.rename(archive_path, previous)
        os.replace(incoming, archive_path)
    return RestoreReport(archive_path, previous, messages, version, key_ids)


def sealed_key_ids(path: Path) -> frozenset[str]:
    """Return the hex ids of the keys that encrypted the originals in `path`."""
    start, length = len(MAGIC) + 1, KEY_ID_BYTES
    with _read_only(path) as connection:
        rows = connection.execute(
            "SELECT DISTINCT substr(raw, ?, ?) FROM messages "
            "WHERE substr(raw, 1, ?) = ?",
            (start, length, len(MAGIC), MAGIC),
        ).fetchall()
    return frozenset(bytes(row[0]).hex() for row in rows)


def _read_key(path: Path) -> bytes:
    try:
        return load_key(path)
    except KeyFileError as error:
        raise BackupError(str(error)) from None


def _copy_online(archive_path: Path, destination: Path) -> None:
    source = sqlite3.connect(archive_path, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        target = sqlite3.connect(destination)
        try:
            # pages=-1 copies everything in one step, inside one read
            # transaction, so the copy is one committed state of the archive.
            source.backup(target, pages=-1)
            # The copy would otherwise stay in WAL mode; a backup is better
            # as one self-contained file.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupError(f"backup of {archive_path} failed: {error}") from None
    finally:
        source.close()


def _check_archive(path: Path) -> tuple[int, int]:
    """Check that `path` is an intact archive this relay can open.

    Returns its message count and schema version.
    """
    try:
        with _read_only(path) as connection:
            verdict = connection.execute("PRAGMA integrity_check").fetchall()
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if verdict != [("ok",)]:
                problems = "; ".join(str(row[0]) for row in verdict[:3])
                raise BackupError(f"{path} failed the integrity check: {problems}")
            if version > len(MIGRATIONS):
                raise BackupError(
                    f"{path} has schema version {version}, newer than this "
                    f"relay's {len(MIGRATIONS)}: upgrade mentor-relay first"
                )
            messages = connection.execute("SELECT COUNT(*) FROM messages").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(
            f"{path} is not a readable Mentor Relay archive ({error}): pass a "
            "file written by `mentor-relay backup`"
        ) from None
    return int(messages[0]), version


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True)
    try:
        yield connection
    finally:
        connection.close()


@contextlib.contextmanager
def _exclusive(archive_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the archive, or raise BackupError if it is open.

    A relay or console keeps the archive open in WAL mode, and SQLite can
    leave WAL mode only when no other connection has the file open, so the
    switch to rollback mode below fails exactly while one does. It also
    folds the WAL into the main file, so the renamed archive is complete
    on its own.
    """
    if not archive_path.exists():
        yield
        return
    connection = sqlite3.connect(archive_path, timeout=0, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError:
        connection.close()
        raise BackupError(
            f"archive {archive_path} is in use: stop the relay and the console "
            "(`mentor-relay serve`, `mentor-relay console`), then restore again"
        ) from None
    try:
        yield
    finally:
        connection.close()


def _check_new(path: Path) -> None:
    # Path.exists reports a symbolic link to a missing file as absent, but
    # the O_EXCL create in _create_private rejects it, so lexists is used.
    if os.path.lexists(path):
        raise _exists_error(path)


def _exists_error(path: Path) -> BackupError:
    return BackupError(
        f"{path} already exists: choose a new path, because a backup never "
        "overwrites a file"
    )


def _create_private(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError as error:
        raise BackupError(f"cannot create {path}: {error.strerror}") from None
    os.close(descriptor)


def _write_private(path: Path, data: bytes) -> None:
    _create_private(path)
    with path.open("wb") as file:
        file.write(data)
