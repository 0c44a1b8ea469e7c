"""`mentor-relay staff list`, `disable`, `enable` and `password`."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from archive.store import Archive
from relay.cli import main as cli
from tests.console.conftest import PASSWORD, ConsoleSite, form_token, log_in

NEW_PASSWORD = "a brand new staff passphrase"


def staff(
    site: ConsoleSite,
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    stdin: str = "",
) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli(["--config", str(site.config.path), "staff", *args])


def audit_rows(site: ConsoleSite, action: str) -> list[tuple[str, str]]:
    async def run() -> list[Any]:
        archive = await Archive.open(site.config.archive_path)
        try:
            return await archive._fetchall(
                "SELECT username, detail FROM audit_log WHERE action = ? ORDER BY id",
                (action,),
            )
        finally:
            await archive.close()

    return [(row[0], row[1]) for row in asyncio.run(run())]


def sign_in_status(client: TestClient, username: str, password: str) -> int:
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
    )
    status: int = response.status_code
    return status


@pytest.fixture
def operator(monkeypatch: pytest.MonkeyPatch) -> str:
    """Fix the login name that the audit rows of staff commands name."""
    monkeypatch.setattr("getpass.getuser", lambda: "ops")
    return "command line (ops)"


def test_staff_list_shows_each_account(
    site: ConsoleSite,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    assert staff(site, monkeypatch, "list") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "USERNAME",
        "EMAIL",
        "ROLE",
        "STATUS",
        "CREATED",
        "OPEN",
        "SESSIONS",
    ]
    assert [line.split()[:4] for line in lines[1:]] == [
        ["casey", "-", "coordinator", "active"],
        ["morgan", "-", "safeguarding", "active"],
        ["robin", "-", "admin", "active"],
    ]


def test_staff_list_json_counts_open_sessions(
    site: ConsoleSite,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log_in(client, "morgan")
    capsys.readouterr()
    assert staff(site, monkeypatch, "list", "--json") == 0

    accounts = json.loads(capsys.readouterr().out)
    assert [a["username"] for a in accounts] == ["casey", "morgan", "robin"]
    assert [a["open_sessions"] for a in accounts] == [0, 1, 0]
    assert accounts[1]["role"] == "safeguarding"
    assert accounts[1]["status"] == "active"
    assert set(accounts[1]) == {
        "id", "username", "email", "role", "status", "created_at",
        "open_sessions",
    }  # fmt: skip


def test_staff_list_shows_digest_address(
    site: ConsoleSite,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    operator: str,
) -> None:
    # The address decides who receives the weekly digest, so the list
    # shows it beside the account.
    assert staff(site, monkeypatch, "email", "casey", "casey@example.org") == 0
    capsys.readouterr()
    assert staff(site, monkeypatch, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [
        ["casey", "casey@example.org"],
        ["morgan", "-"],
        ["robin", "-"],
    ]

    assert staff(site, monkeypatch, "list", "--json") == 0
    accounts = json.loads(capsys.readouterr().out)
    assert [a["email"] for a in accounts] == ["casey@example.org", None, None]


def test_disable_ends_sessions_and_blocks_sign_in(
    site: ConsoleSite,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    operator: str,
) -> None:
    log_in(client, "casey")
    assert client.get("/").status_code == 200
    capsys.readouterr()

    assert staff(site, monkeypatch, "disable", "casey") == 0

    assert capsys.readouterr().out == (
        "staff account casey disabled; 1 open sessions ended\n"
    )
    assert client.get("/").status_code == 303
    client.cookies.clear()
    assert sign_in_status(client, "casey", PASSWORD) == 401
    assert audit_rows(site, "staff_disable") == [(operator, "casey")]


def test_enable_lets_account_sign_in_again(
    site: ConsoleSite,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    operator: str,
) -> None:
    assert staff(site, monkeypatch, "disable", "casey") == 0
    capsys.readouterr()

    assert staff(site, monkeypatch, "enable", "casey") == 0

    assert capsys.readouterr().out == "staff account casey enabled\n"
    assert sign_in_status(client, "casey", PASSWORD) == 303
    assert audit_rows(site, "staff_enable") == [(operator, "casey")]


def test_enable_of_active_account_writes_no_row(
    site: ConsoleSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert staff(site, monkeypatch, "enable", "casey") == 0

    assert audit_rows(site, "staff_enable") == []


def test_password_reset_ends_sessions(
    site: ConsoleSite,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    operator: str,
) -> None:
    log_in(client, "robin")
    capsys.readouterr()

    status = staff(
        site, monkeypatch, "password", "robin", "--password-stdin",
        stdin=NEW_PASSWORD + "\n",
    )  # fmt: skip

    assert status == 0
    assert capsys.readouterr().out == (
        "password of robin changed; 1 open sessions ended\n"
    )
    assert client.get("/").status_code == 303
    client.cookies.clear()
    assert sign_in_status(client, "robin", PASSWORD) == 401
    assert sign_in_status(client, "robin", NEW_PASSWORD) == 303
    assert audit_rows(site, "staff_password") == [(operator, "robin")]


def test_password_reset_rejects_short_password(
    site: ConsoleSite,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = staff(
        site, monkeypatch, "password", "robin", "--password-stdin", stdin="short\n"
    )

    assert status == 1
    assert "use at least 12" in capsys.readouterr().err
    assert sign_in_status(client, "robin", PASSWORD) == 303
    assert audit_rows(site, "staff_password") == []


@pytest.mark.parametrize("command", ["disable", "enable", "password"])
def test_unknown_username_names_the_fix(
    site: ConsoleSite,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    args = ["--password-stdin"] if command == "password" else []

    status = staff(
        site, monkeypatch, command, "nobody", *args, stdin=NEW_PASSWORD + "\n"
    )

    assert status == 1
    assert capsys.readouterr().err == (
        "error: there is no staff account 'nobody': see `mentor-relay staff list`\n"
    )


def test_staff_add_writes_audit_row(
    site: ConsoleSite, monkeypatch: pytest.MonkeyPatch, operator: str
) -> None:
    status = staff(
        site, monkeypatch, "add", "drew", "--role", "safeguarding",
        "--password-stdin", stdin=NEW_PASSWORD + "\n",
    )  # fmt: skip

    assert status == 0
    # The site's own accounts were added before `operator` took effect.
    assert audit_rows(site, "staff_add")[-1] == (operator, "drew as safeguarding")
    assert len(audit_rows(site, "staff_add")) == 4


def test_disabling_the_last_admin_is_refused(
    site: ConsoleSite,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    operator: str,
) -> None:
    capsys.readouterr()

    assert staff(site, monkeypatch, "disable", "robin") == 1

    assert capsys.readouterr().err == (
        "error: robin is the last active admin account: add or enable "
        "another admin with `mentor-relay staff add` or `staff enable` first\n"
    )
    assert audit_rows(site, "staff_disable") == []


def test_admin_disabled_with_another_active(
    site: ConsoleSite,
    monkeypatch: pytest.MonkeyPatch,
    operator: str,
) -> None:
    added = staff(
        site,
        monkeypatch,
        *("add", "riley", "--role", "admin", "--password-stdin"),
        stdin=PASSWORD,
    )
    assert added == 0

    assert staff(site, monkeypatch, "disable", "robin") == 0

    assert audit_rows(site, "staff_disable") == [(operator, "robin")]
