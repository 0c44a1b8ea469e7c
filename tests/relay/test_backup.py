"""`mentor-relay backup` and `restore`: live copies, round trips, refusals."""

from __future__ import annotations

import asyncio
import os
import re
import smtplib
import sqlite3
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from archive.backup import BackupError, back_up, restore
from archive.crypto import MAGIC, create_key, key_id_of, load_key
from archive.schema import MIGRATIONS
from archive.store import Archive
from relay.cli import main
from relay.config import Config, archive_cipher, load_config
from relay.server import Relay
from tests.conftest import Cast, Sink, run_cli

RESTORED_AT = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)


def config_args(relay_dir: Path) -> list[str]:
    return ["--config", str(relay_dir / "relay.toml")]


def note(cast: Cast, number: int) -> bytes:
    message = EmailMessage()
    message["From"] = "Sam Jones <sam@example.org>"
    message["To"] = cast.alex
    message["Subject"] = f"Note {number}"
    message.set_content(f"Week {number}: reading chapter {number}.\n")
    return message.as_bytes(policy=SMTP)


def keep_sending(
    port: int, cast: Cast, accepted: list[str], stop: threading.Event
) -> None:
    """Send notes over one SMTP session until `stop` is set, or 60 are sent."""
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        for number in range(60):
            if stop.is_set():
                return
            client.mail("sam@example.org")
            client.rcpt(cast.alex)
            code, reply = client.data(note(cast, number))
            assert code == 250, reply
            accepted.append(reply.decode().rsplit(" ", 1)[1])


def queue_ids_in(path: Path) -> set[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT queue_id FROM messages").fetchall()
    return {row[0] for row in rows}


def integrity_of(path: Path) -> list[tuple[str]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return connection.execute("PRAGMA integrity_check").fetchall()


async def store_message(config: Config, queue_id: str) -> None:
    archive = await Archive.open(config.archive_path, archive_cipher(config))
    try:
        sam = await archive.participant_by_email("sam@example.org")
        alex = await archive.participant_by_email("alex@example.com")
        assert sam is not None and alex is not None
        await archive.accept_message(
            queue_id, "127.0.0.1", sam.email, sam.id, [alex.id], b"Subject: Hi\r\n\r\n"
        )
    finally:
        await archive.close()


# Backup


async def test_backup_during_traffic_holds_earlier_messages(
    relay: Relay, sink: Sink, cast: Cast, tmp_path: Path
) -> None:
    accepted: list[str] = []
    stop = threading.Event()
    port = relay.config.smtp.listen.port
    sender = threading.Thread(target=keep_sending, args=(port, cast, accepted, stop))
    sender.start()
    try:
        deadline = time.monotonic() + 15
        while len(accepted) < 5:
            assert time.monotonic() < deadline, "the relay accepted too few notes"
            await asyncio.sleep(0.01)
        assert sender.is_alive()
        before = set(accepted)
        destination = tmp_path / "copy.sqlite3"
        report = await asyncio.to_thread(
            back_up, relay.config.archive_path, destination
        )
    finally:
        stop.set()
        await asyncio.to_thread(sender.join)

    assert integrity_of(destination) == [("ok",)]
    assert before <= queue_ids_in(destination)
    assert report.messages == len(queue_ids_in(destination))
    assert report.schema_version == len(MIGRATIONS)
    assert destination.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(f"file:{destination}?mode=ro", uri=True) as connection:
        raws = [bytes(r[0]) for r in connection.execute("SELECT raw FROM messages")]
    assert raws
    assert all(raw.startswith(MAGIC) for raw in raws)


def test_backup_command_reports_and_reminds_of_key(
    relay_dir: Path, cast: Cast, tmp_path: Path
) -> None:
    destination = tmp_path / "copy.sqlite3"
    output = run_cli(*config_args(relay_dir), "backup", str(destination))
    size = destination.stat().st_size
    assert output == (
        f"wrote {destination}: {size} bytes, 0 messages, schema version "
        f"{len(MIGRATIONS)}\n"
        f"the originals in it need the archive key {relay_dir / 'archive.key'}:\n"
        "keep a copy of that file apart from the backup (or use --with-key)\n"
    )
    assert not destination.with_name("copy.sqlite3.key").exists()


def test_backup_with_key_copies_key_privately(
    relay_dir: Path, cast: Cast, tmp_path: Path
) -> None:
    destination = tmp_path / "copy.sqlite3"
    output = run_cli(*config_args(relay_dir), "backup", str(destination), "--with-key")
    key_copy = tmp_path / "copy.sqlite3.key"
    assert key_copy.read_bytes() == (relay_dir / "archive.key").read_bytes()
    assert key_copy.stat().st_mode & 0o777 == 0o600
    assert output.endswith(
        f"wrote the archive key to {key_copy}: store it apart from\n"
        "the backup, because together they reveal every original\n"
    )


def test_backup_never_overwrites(
    relay_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    destination = tmp_path / "copy.sqlite3"
    destination.write_bytes(b"older backup")
    status = main([*config_args(relay_dir), "backup", str(destination)])
    assert status == 1
    assert capsys.readouterr().err == (
        f"error: {destination} already exists: choose a new path, because a "
        "backup never overwrites a file\n"
    )
    assert destination.read_bytes() == b"older backup"


def test_backup_never_overwrites_key_copy(
    relay_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    destination = tmp_path / "copy.sqlite3"
    key_copy = tmp_path / "copy.sqlite3.key"
    key_copy.write_bytes(b"older key")
    status = main([*config_args(relay_dir), "backup", str(destination), "--with-key"])
    assert status == 1
    assert capsys.readouterr().err == (
        f"error: {key_copy} already exists: choose a new path, because a backup "
        "never overwrites a file\n"
    )
    assert not destination.exists()
    assert key_copy.read_bytes() == b"older key"


def test_backup_of_missing_archive_is_refused(tmp_path: Path) -> None:
    archive_path = tmp_path / "archive.sqlite3"
    with pytest.raises(BackupError) as caught:
        back_up(archive_path, tmp_path / "copy.sqlite3")
    assert str(caught.value) == (
        f"archive {archive_path} not found: check archive.path in the config"
    )
    assert not archive_path.exists()


# Restore


def test_restore_round_trip_keeps_previous_archive(
    relay_dir: Path, cast: Cast, tmp_path: Path
) -> None:
    config = load_config(relay_dir / "relay.toml")
    asyncio.run(store_message(config, "Q1"))
    destination = tmp_path / "copy.sqlite3"
    run_cli(*config_args(relay_dir), "backup", str(destination))
    run_cli(
        *config_args(relay_dir),
        "participant",
        "add",
        "--name",
        "Kim Lee",
        "--email",
        "kim@example.com",
        "--role",
        "mentee",
    )

    report = restore(destination, config.archive_path, RESTORED_AT)

    previous = relay_dir / "archive.sqlite3.before-restore-20260302T093015Z"
    assert report.previous_path == previous
    assert (report.messages, report.schema_version) == (1, len(MIGRATIONS))
    assert report.key_ids == {key_id_of(load_key(config.archive_key)).hex()}
    emails = run_cli(*config_args(relay_dir), "participant", "list")
    assert "sam@example.org" in emails
    assert "kim@example.com" not in emails
    assert config.archive_path.stat().st_mode & 0o777 == 0o600
    assert integrity_of(previous) == [("ok",)]
    with sqlite3.connect(previous) as connection:
        kept = connection.execute(
            "SELECT COUNT(*) FROM participants WHERE email = 'kim@example.com'"
        ).fetchone()
    assert kept == (1,)
    assert not (relay_dir / "archive.sqlite3-wal").exists()


def test_restore_command_reports_what_it_did(
    relay_dir: Path, cast: Cast, tmp_path: Path
) -> None:
    destination = tmp_path / "copy.sqlite3"
    run_cli(*config_args(relay_dir), "backup", str(destination))
    output = run_cli(*config_args(relay_dir), "restore", str(destination))
    lines = output.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(
        rf"kept the previous archive as {re.escape(str(relay_dir))}/"
        r"archive\.sqlite3\.before-restore-\d{8}T\d{6}Z",
        lines[0],
    )
    assert lines[1] == (
        f"restored {destination} to {relay_dir / 'archive.sqlite3'}: 0 messages, "
        f"schema version {len(MIGRATIONS)}"
    )


def test_restore_warns_when_key_differs(
    relay_dir: Path, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(relay_dir / "relay.toml")
    asyncio.run(store_message(config, "Q1"))
    old_id = key_id_of(load_key(config.archive_key)).hex()
    destination = tmp_path / "copy.sqlite3"
    back_up(config.archive_path, destination)
    config.archive_key.unlink()
    create_key(config.archive_key)
    new_id = key_id_of(load_key(config.archive_key)).hex()

    assert main([*config_args(relay_dir), "restore", str(destination)]) == 0
    assert capsys.readouterr().err == (
        f"warning: some originals were encrypted with key id {old_id}, not with "
        f"{config.archive_key} (id {new_id}): put the key from the time of the "
        "backup in place before serving\n"
    )


async def test_restore_is_refused_while_archive_is_open(
    relay_dir: Path, tmp_path: Path
) -> None:
    config = load_config(relay_dir / "relay.toml")
    destination = tmp_path / "copy.sqlite3"
    back_up(config.archive_path, destination)
    archive = await Archive.open(config.archive_path, archive_cipher(config))
    try:
        with pytest.raises(BackupError) as caught:
            restore(destination, config.archive_path, RESTORED_AT)
    finally:
        await archive.close()
    assert str(caught.value) == (
        f"archive {config.archive_path} is in use: stop the relay and the "
        "console (`mentor-relay serve`, `mentor-relay console`), then restore again"
    )
    assert list(relay_dir.glob("*.before-restore-*")) == []


def test_restore_of_missing_backup_is_refused(relay_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nothing.sqlite3"
    with pytest.raises(BackupError) as caught:
        restore(missing, relay_dir / "archive.sqlite3", RESTORED_AT)
    assert str(caught.value) == f"backup {missing} not found: check the path"


def test_restore_of_non_database_is_refused(relay_dir: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"these are not the pages you are looking for" * 100)
    with pytest.raises(BackupError) as caught:
        restore(garbage, relay_dir / "archive.sqlite3", RESTORED_AT)
    assert str(caught.value) == (
        f"{garbage} is not a readable Mentor Relay archive (file is not a "
        "database): pass a file written by `mentor-relay backup`"
    )


def test_restore_of_newer_schema_is_refused(relay_dir: Path, tmp_path: Path) -> None:
    destination = tmp_path / "copy.sqlite3"
    back_up(relay_dir / "archive.sqlite3", destination)
    newer = len(MIGRATIONS) + 1
    with sqlite3.connect(destination) as connection:
        connection.execute(f"PRAGMA user_version={newer}")
    with pytest.raises(BackupError) as caught:
        restore(destination, relay_dir / "archive.sqlite3", RESTORED_AT)
    assert str(caught.value) == (
        f"{destination} has schema version {newer}, newer than this relay's "
        f"{len(MIGRATIONS)}: upgrade mentor-relay first"
    )


def test_restore_of_damaged_backup_is_refused(
    relay_dir: Path, cast: Cast, tmp_path: Path
) -> None:
    config = load_config(relay_dir / "relay.toml")
    asyncio.run(store_message(config, "Q1"))
    destination = tmp_path / "copy.sqlite3"
    back_up(config.archive_path, destination)
    # An index whose definition no longer matches its entries is damage that
    # leaves the file readable, so only the integrity check finds it.
    with sqlite3.connect(destination) as connection:
        connection.execute("PRAGMA writable_schema=ON")
        connection.execute(
            "UPDATE sqlite_schema SET sql = 'CREATE INDEX messages_original_id "
            "ON messages (received_at)' WHERE name = 'messages_original_id'"
        )
    with pytest.raises(BackupError) as caught:
        restore(destination, config.archive_path, RESTORED_AT)
    assert str(caught.value).startswith(f"{destination} failed the integrity check: ")
    assert "messages_original_id" in str(caught.value)
    assert list(relay_dir.glob("*.before-restore-*")) == []


def test_backup_to_dangling_link_writes_nothing(
    relay_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    destination = tmp_path / "copy.sqlite3"
    destination.symlink_to(tmp_path / "missing.sqlite3")
    status = main([*config_args(relay_dir), "backup", str(destination)])
    assert status == 1
    assert capsys.readouterr().err == (
        f"error: {destination} already exists: choose a new path, because a "
        "backup never overwrites a file\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.sqlite3", "relay"]


def test_backup_to_dangling_key_link_writes_nothing(
    relay_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    destination = tmp_path / "copy.sqlite3"
    key_copy = tmp_path / "copy.sqlite3.key"
    key_copy.symlink_to(tmp_path / "missing.key")
    status = main([*config_args(relay_dir), "backup", str(destination), "--with-key"])
    assert status == 1
    assert capsys.readouterr().err == (
        f"error: {key_copy} already exists: choose a new path, because a backup "
        "never overwrites a file\n"
    )
    assert not os.path.lexists(destination)
    assert not os.path.lexists(tmp_path / "missing.key")


def test_restore_of_folder_names_it(
    relay_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main([*config_args(relay_dir), "restore", str(tmp_path)])
    assert status == 1
    assert capsys.readouterr().err == (
        f"error: backup {tmp_path} is a folder: pass the file written by "
        "`mentor-relay backup`\n"
    )


def test_restore_command_of_garbage_names_the_fix(
    relay_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"not an archive at all" * 100)
    before = (relay_dir / "archive.sqlite3").read_bytes()
    status = main([*config_args(relay_dir), "restore", str(garbage)])
    assert status == 1
    assert capsys.readouterr().err == (
        f"error: {garbage} is not a readable Mentor Relay archive (file is not a "
        "database): pass a file written by `mentor-relay backup`\n"
    )
    assert (relay_dir / "archive.sqlite3").read_bytes() == before


# Erasures made after a backup


def participant_rows(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT email, alias FROM participants ORDER BY id"
        ).fetchall()
    return [(str(email), str(alias)) for email, alias in rows]


def test_restore_erases_again_whom_the_backup_predates(
    relay_dir: Path, cast: Cast, tmp_path: Path
) -> None:
    config = load_config(relay_dir / "relay.toml")
    asyncio.run(store_message(config, "Q1"))
    destination = tmp_path / "copy.sqlite3"
    run_cli(*config_args(relay_dir), "backup", str(destination))
    run_cli(*config_args(relay_dir), "participant", "erase", cast.alex, "--yes")

    output = run_cli(*config_args(relay_dir), "restore", str(destination))

    assert output.splitlines()[-1] == (
        f"erased {cast.alex} again: the backup predates its erasure"
    )
    rows = participant_rows(config.archive_path)
    assert ("alex@example.com", cast.alex) not in rows
    assert ("erased-2@erased.invalid", cast.alex) in rows
    assert queue_ids_in(config.archive_path) == set()
    record = relay_dir / "archive.sqlite3.erasures"
    assert record.stat().st_mode & 0o777 == 0o600
    lines = record.read_text().splitlines()
    assert len(lines) == 1
    assert re.fullmatch(
        rf'\{{"alias": "{re.escape(cast.alex)}", "erased_at": '
        r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"\}',
        lines[0],
    )


def test_restore_after_the_erasure_has_nothing_to_repeat(
    relay_dir: Path, cast: Cast, tmp_path: Path
) -> None:
    destination = tmp_path / "copy.sqlite3"
    run_cli(*config_args(relay_dir), "participant", "erase", cast.alex, "--yes")
    run_cli(*config_args(relay_dir), "backup", str(destination))

    output = run_cli(*config_args(relay_dir), "restore", str(destination))

    assert "again" not in output
    assert len(output.splitlines()) == 2


def test_restore_names_an_erasure_a_legal_hold_stops(
    relay_dir: Path,
    cast: Cast,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = config_args(relay_dir)
    destination = tmp_path / "copy.sqlite3"
    run_cli(*config, "legal-hold", "add", "--participant", cast.alex, "--reason", "a")
    run_cli(*config, "backup", str(destination))
    run_cli(*config, "legal-hold", "release", "1")
    run_cli(*config, "participant", "erase", cast.alex, "--yes")
    capsys.readouterr()

    assert main([*config, "restore", str(destination)]) == 0

    error = capsys.readouterr().err
    assert error.startswith(
        f"warning: could not erase {cast.alex} again: {cast.alex} is under legal "
        "hold 1 (a)"
    )
    rows = participant_rows(load_config(relay_dir / "relay.toml").archive_path)
    assert ("alex@example.com", cast.alex) in rows


def test_restore_skips_a_damaged_erasure_line(
    relay_dir: Path, cast: Cast, tmp_path: Path
) -> None:
    destination = tmp_path / "copy.sqlite3"
    run_cli(*config_args(relay_dir), "backup", str(destination))
    run_cli(*config_args(relay_dir), "participant", "erase", cast.alex, "--yes")
    record = relay_dir / "archive.sqlite3.erasures"
    record.write_text('{"alias": "jo.cut-sho\n' + record.read_text())

    output = run_cli(*config_args(relay_dir), "restore", str(destination))

    assert output.splitlines()[-1] == (
        f"erased {cast.alex} again: the backup predates its erasure"
    )


def test_erasure_that_cannot_be_recorded_erases_nothing(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    (relay_dir / "archive.sqlite3.erasures").mkdir()

    status = main([*config_args(relay_dir), "participant", "erase", cast.alex, "--yes"])

    assert status == 1
    error = capsys.readouterr().err
    assert "so nothing was erased: make the folder writable" in error
    rows = participant_rows(relay_dir / "archive.sqlite3")
    assert ("alex@example.com", cast.alex) in rows
