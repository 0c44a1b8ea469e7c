"""`mentor-relay staff add --email` and `staff email`: where digests go."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest

from archive.store import Archive
from relay.cli import main as cli
from relay.config import load_config

PASSWORD = "correct horse battery staple"


def staff(
    relay_dir: Path, monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = ""
) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli(["--config", str(relay_dir / "relay.toml"), "staff", *args])


def query(relay_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    async def run() -> list[Any]:
        config = load_config(relay_dir / "relay.toml")
        archive = await Archive.open(config.archive_path)
        try:
            return await archive._fetchall(sql)
        finally:
            await archive.close()

    return [tuple(row) for row in asyncio.run(run())]


def add_casey(relay_dir: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    return staff(
        relay_dir,
        monkeypatch,
        "add",
        "casey",
        "--role",
        "coordinator",
        "--password-stdin",
        *extra,
        stdin=PASSWORD + "\n",
    )


@pytest.fixture
def operator(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("getpass.getuser", lambda: "ops")
    return "command line (ops)"


def test_staff_add_with_email_stores_it(
    relay_dir: Path, monkeypatch: pytest.MonkeyPatch, operator: str
) -> None:
    assert add_casey(relay_dir, monkeypatch, "--email", "Casey@Example.org") == 0

    assert query(relay_dir, "SELECT username, email FROM staff") == [
        ("casey", "casey@example.org")
    ]
    assert query(
        relay_dir,
        "SELECT username, detail FROM audit_log WHERE action = 'staff_email'",
    ) == [(operator, "casey")]


def test_staff_add_without_email_leaves_it_empty(
    relay_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert add_casey(relay_dir, monkeypatch) == 0

    assert query(relay_dir, "SELECT email FROM staff") == [(None,)]


def test_staff_add_rejects_invalid_email(
    relay_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert add_casey(relay_dir, monkeypatch, "--email", "casey at example") == 1

    assert capsys.readouterr().err.endswith(
        "address 'casey at example' is not a valid email address: give the "
        "staff member's own address, such as casey@example.org\n"
    )
    assert query(relay_dir, "SELECT username FROM staff") == []


def test_staff_email_sets_and_clears_address(
    relay_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_casey(relay_dir, monkeypatch)

    assert staff(relay_dir, monkeypatch, "email", "casey", "casey@example.com") == 0
    assert query(relay_dir, "SELECT email FROM staff") == [("casey@example.com",)]
    assert staff(relay_dir, monkeypatch, "email", "Casey", "--clear") == 0
    assert query(relay_dir, "SELECT email FROM staff") == [(None,)]

    output = capsys.readouterr().out.splitlines()
    assert output[-2:] == ["address of casey set", "address of Casey removed"]


def test_staff_email_unknown_account(
    relay_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert staff(relay_dir, monkeypatch, "email", "nobody", "n@example.org") == 1

    assert capsys.readouterr().err.endswith(
        "there is no staff account 'nobody': see `mentor-relay staff list`\n"
    )


def test_staff_email_rejects_relay_domain(
    relay_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_casey(relay_dir, monkeypatch)
    capsys.readouterr()

    code = staff(relay_dir, monkeypatch, "email", "casey", "casey@relay.example.org")

    assert code == 1
    assert capsys.readouterr().err.endswith(
        "address casey@relay.example.org is on the relay's own domain: give "
        "the staff member's real address\n"
    )
    assert query(relay_dir, "SELECT email FROM staff") == [(None,)]


@pytest.mark.parametrize(
    "args",
    [("casey",), ("casey", "casey@example.org", "--clear")],
    ids=["neither", "both"],
)
def test_staff_email_needs_address_or_clear(
    relay_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
) -> None:
    add_casey(relay_dir, monkeypatch)
    capsys.readouterr()

    assert staff(relay_dir, monkeypatch, "email", *args) == 1
    assert capsys.readouterr().err.endswith(
        "give either an ADDRESS or --clear: such as `mentor-relay staff email "
        "casey casey@example.org`\n"
    )
