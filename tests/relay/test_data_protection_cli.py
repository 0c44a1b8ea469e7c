"""The retention, legal-hold, export and erase commands on a real relay directory.

Messages are stored far in the past or far in the future, so that the
commands, which use the current time, sort them the same way on any day.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from pathlib import Path

import pytest

from archive.store import Archive, Participant
from relay.cli import main
from relay.server import Relay
from tests.archive.data_protection_records import add_message
from tests.conftest import Cast, run_cli

LONG_AGO = "2000-01-10T09:00:00+00:00"
FAR_AHEAD = "2999-01-10T09:00:00+00:00"


class Terminal(io.StringIO):
    """Standard input that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


def config_args(relay_dir: Path) -> list[str]:
    return ["--config", str(relay_dir / "relay.toml")]


async def open_archive(relay_dir: Path) -> Archive:
    return await Archive.open(relay_dir / "archive.sqlite3")


async def member(archive: Archive, alias: str) -> Participant:
    found = await archive.participant_by_alias(alias)
    assert found is not None
    return found


def store_messages(relay_dir: Path, cast: Cast, *times: str) -> list[int]:
    """Store one message from Sam to Alex at each time; return their ids."""

    async def store() -> list[int]:
        archive = await open_archive(relay_dir)
        try:
            sam = await member(archive, cast.sam)
            alex = await member(archive, cast.alex)
            return [await add_message(archive, sam, alex, at) for at in times]
        finally:
            await archive.close()

    return asyncio.run(store())


def message_count(relay_dir: Path) -> int:
    async def count() -> int:
        archive = await open_archive(relay_dir)
        try:
            row = await archive._fetchone("SELECT COUNT(*) FROM messages")
            assert row is not None
            return int(row[0])
        finally:
            await archive.close()

    return asyncio.run(count())


def test_retention_dry_run_prints_counts_as_json(relay_dir: Path, cast: Cast) -> None:
    store_messages(relay_dir, cast, LONG_AGO, FAR_AHEAD)

    output = run_cli(*config_args(relay_dir), "retention", "run", "--dry-run", "--json")

    report = json.loads(output)
    assert report == {
        "delivered": 1,
        "originals": 0,
        "findings": 0,
        "audit": 0,
        "decisions": 0,
        "notices": 0,
        "dry_run": True,
        "files_scrubbed": True,
    }
    assert message_count(relay_dir) == 2


def test_retention_run_deletes_and_prints_classes(relay_dir: Path, cast: Cast) -> None:
    store_messages(relay_dir, cast, LONG_AGO, FAR_AHEAD)

    output = run_cli(*config_args(relay_dir), "retention", "run")

    assert output.splitlines() == [
        "messages deleted: 1",
        "originals deleted: 0",
        "findings deleted: 0",
        "audit log rows deleted: 0",
        "decisions deleted with their messages: 0",
        "notices deleted: 0",
    ]
    assert message_count(relay_dir) == 1


def test_legal_hold_keeps_message_from_retention(relay_dir: Path, cast: Cast) -> None:
    (message_id,) = store_messages(relay_dir, cast, LONG_AGO)
    config = config_args(relay_dir)

    added = run_cli(
        *config, "legal-hold", "add", "--message", str(message_id), "--reason", "claim"
    )
    run_cli(*config, "retention", "run")

    assert added.startswith("legal hold 1 added on message Q")
    assert message_count(relay_dir) == 1
    run_cli(*config, "legal-hold", "release", "1")
    run_cli(*config, "retention", "run")
    assert message_count(relay_dir) == 0


def test_legal_hold_list_shows_active_holds(relay_dir: Path, cast: Cast) -> None:
    config = config_args(relay_dir)
    run_cli(*config, "legal-hold", "add", "--participant", cast.alex, "--reason", "a")
    run_cli(*config, "legal-hold", "add", "--participant", cast.sam, "--reason", "b")
    run_cli(*config, "legal-hold", "release", "1")

    active = json.loads(run_cli(*config, "legal-hold", "list", "--json"))
    every = json.loads(run_cli(*config, "legal-hold", "list", "--all", "--json"))

    assert [(h["id"], h["covers"], h["reason"]) for h in active] == [
        (2, f"participant {cast.sam}", "b")
    ]
    assert [h["id"] for h in every] == [1, 2]
    assert every[0]["released_by"].startswith("command line")
    table = run_cli(*config, "legal-hold", "list").splitlines()
    assert table[0].split() == ["ID", "COVERS", "SINCE", "BY", "RELEASED", "REASON"]
    assert len(table) == 2


def test_legal_hold_on_unknown_message_is_an_error(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            *config_args(relay_dir),
            "legal-hold",
            "add",
            "--message",
            "99",
            "--reason",
            "x",
        ]
    )

    assert status == 1
    assert "no message 99" in capsys.readouterr().err


def test_releasing_a_hold_twice_is_an_error(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_args(relay_dir)
    run_cli(*config, "legal-hold", "add", "--participant", cast.jo, "--reason", "x")
    run_cli(*config, "legal-hold", "release", "1")

    assert main([*config, "legal-hold", "release", "1"]) == 1
    assert "legal hold 1 was already released" in capsys.readouterr().err
    assert main([*config, "legal-hold", "release", "7"]) == 1
    assert "there is no legal hold 7" in capsys.readouterr().err


def test_legal_hold_needs_a_reason(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["legal-hold", "add", "--participant", cast.jo, "--reason", "  "]
    status = main([*config_args(relay_dir), *command])

    assert status == 1
    assert "the reason is empty" in capsys.readouterr().err


def test_participant_export_writes_zip(
    relay_dir: Path, cast: Cast, tmp_path: Path
) -> None:
    store_messages(relay_dir, cast, FAR_AHEAD)
    output = tmp_path / "alex.zip"

    printed = run_cli(
        *config_args(relay_dir),
        "participant",
        "export",
        "alex@example.com",
        "--output",
        str(output),
    )

    assert printed == f"wrote {output}: 1 messages, 1 relationships\n"
    with zipfile.ZipFile(output) as zipped:
        assert zipped.namelist() == [
            "participant.json",
            "relationships.json",
            "messages/0001.json",
            "messages/0001.eml",
        ]


def test_participant_export_refuses_existing_file(
    relay_dir: Path, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "alex.zip"
    output.write_bytes(b"")

    command = ["participant", "export", cast.alex, "--output", str(output)]
    status = main([*config_args(relay_dir), *command])

    assert status == 1
    assert f"{output} already exists: give a new file name" in capsys.readouterr().err


def test_erase_without_terminal_needs_yes(
    relay_dir: Path,
    cast: Cast,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_messages(relay_dir, cast, FAR_AHEAD)
    monkeypatch.setattr("sys.stdin", io.StringIO(cast.alex + "\n"))

    status = main([*config_args(relay_dir), "participant", "erase", cast.alex])

    assert status == 1
    assert "add --yes to erase" in capsys.readouterr().err
    assert message_count(relay_dir) == 1


def test_erase_with_yes_prints_what_it_did(relay_dir: Path, cast: Cast) -> None:
    store_messages(relay_dir, cast, FAR_AHEAD)

    output = run_cli(
        *config_args(relay_dir), "participant", "erase", "alex@example.com", "--yes"
    )

    assert output.splitlines() == [
        f"{cast.alex}: 1 messages to remove, 0 to keep",
        f"{cast.alex} erased: name and address replaced, alias suspended and "
        "kept reserved",
        "messages removed: 1",
        "notices removed: 0, emptied: 0",
        "messages kept: 0",
    ]
    assert message_count(relay_dir) == 0


def test_erase_on_terminal_asks_for_the_alias(
    relay_dir: Path, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(cast.alex.upper() + "\n"))

    output = run_cli(*config_args(relay_dir), "participant", "erase", cast.alex)

    assert f"Type the alias {cast.alex} to confirm the erasure: " in output
    assert f"{cast.alex} erased" in output


def test_erase_on_terminal_stops_at_wrong_alias(
    relay_dir: Path,
    cast: Cast,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_messages(relay_dir, cast, FAR_AHEAD)
    monkeypatch.setattr("sys.stdin", Terminal(cast.sam + "\n"))

    status = main([*config_args(relay_dir), "participant", "erase", cast.alex])

    assert status == 1
    assert "nothing was erased" in capsys.readouterr().err
    assert message_count(relay_dir) == 1


def test_erased_participant_cannot_be_restored(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_args(relay_dir)
    run_cli(*config, "participant", "erase", cast.alex, "--yes")

    status = main([*config, "participant", "restore", cast.alex])

    assert status == 1
    assert "so the alias stays suspended" in capsys.readouterr().err
    listed = json.loads(run_cli(*config, "participant", "list", "--json"))
    alex = next(p for p in listed if p["alias"] == cast.alex)
    assert alex["status"] == "suspended"
    assert alex["name"] == "Erased participant"


async def test_erase_beside_running_relay_empties_the_wal(
    relay: Relay, relay_dir: Path, cast: Cast
) -> None:
    # A running relay keeps its connections open between transactions; the
    # checkpoint after the erasure still finishes and truncates the WAL.
    await asyncio.to_thread(store_messages, relay_dir, cast, FAR_AHEAD)

    output = await asyncio.to_thread(
        run_cli, *config_args(relay_dir), "participant", "erase", cast.alex, "--yes"
    )

    assert "warning" not in output
    assert output.splitlines()[2] == "messages removed: 1"
    assert (relay_dir / "archive.sqlite3-wal").stat().st_size == 0
