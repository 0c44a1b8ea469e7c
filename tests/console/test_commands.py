"""`mentor-relay staff add`, `mentor-relay console`, `serve` with the console,
and the [console] settings."""

from __future__ import annotations

import asyncio
import io
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from archive.console import ConsoleStore
from archive.store import Archive
from relay.cli import main as cli
from relay.config import ConfigError, load_config
from tests.conftest import Cast, free_port, set_config


def staff_add(relay_dir: Path, *args: str, stdin: str = "") -> int:
    sys.stdin = io.StringIO(stdin)
    try:
        return cli(["--config", str(relay_dir / "relay.toml"), "staff", "add", *args])
    finally:
        sys.stdin = sys.__stdin__


def stored_hash(relay_dir: Path, username: str) -> str | None:
    async def run() -> str | None:
        archive = await Archive.open(load_config(relay_dir / "relay.toml").archive_path)
        try:
            login = await ConsoleStore(archive).staff_login(username)
        finally:
            await archive.close()
        return login.password_hash if login else None

    return asyncio.run(run())


def test_staff_add_stores_argon2_hash(relay_dir: Path) -> None:
    status = staff_add(
        relay_dir,
        "casey",
        "--role",
        "coordinator",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert status == 0
    password_hash = stored_hash(relay_dir, "casey")
    assert password_hash is not None
    assert password_hash.startswith("$argon2id$")
    assert "a long enough passphrase" not in password_hash


def test_staff_add_rejects_short_password(
    relay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = staff_add(
        relay_dir, "casey", "--role", "admin", "--password-stdin", stdin="short\n"
    )
    assert status == 1
    assert "use at least 12" in capsys.readouterr().err
    assert stored_hash(relay_dir, "casey") is None


def test_staff_add_rejects_duplicate_username(
    relay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("casey", "--role", "admin", "--password-stdin")
    assert staff_add(relay_dir, *args, stdin="a long enough passphrase\n") == 0
    assert staff_add(relay_dir, *args, stdin="another long passphrase\n") == 1
    assert "already exists" in capsys.readouterr().err


def test_staff_add_prompts_twice(
    relay_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["first long passphrase", "second long passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert staff_add(relay_dir, "casey", "--role", "safeguarding") == 1
    assert "the two passwords differ" in capsys.readouterr().err


def test_staff_add_rejects_odd_username(relay_dir: Path) -> None:
    status = staff_add(
        relay_dir,
        "casey smith",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert status == 1


def test_console_settings_default_to_loopback(tmp_path: Path) -> None:
    path = tmp_path / "relay.toml"
    path.write_text('[relay]\ndomain = "relay.example.org"\n')
    settings = load_config(path).console
    assert str(settings.listen) == "127.0.0.1:8025"
    assert settings.base_url == "http://127.0.0.1:8025"
    assert settings.session_hours == 8.0
    assert settings.safeguarding_alerts == ()
    assert settings.secure_cookies is False


def test_console_settings_reject_bad_alert_address(relay_dir: Path) -> None:
    set_config(relay_dir, "console", "safeguarding_alerts", '["not an address"]')
    with pytest.raises(ConfigError, match=r"console\.safeguarding_alerts"):
        load_config(relay_dir / "relay.toml")


def relay_command(relay_dir: Path) -> list[str]:
    return [sys.executable, "-m", "relay", "--config", str(relay_dir / "relay.toml")]


def fetch(url: str, timeout: float = 15.0) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize("command", ["serve", "console"])
def test_command_serves_console_and_stops(
    relay_dir: Path, cast: Cast, command: str
) -> None:
    port = free_port()
    set_config(relay_dir, "smtp", "listen", f'"127.0.0.1:{free_port()}"')
    set_config(relay_dir, "console", "listen", f'"127.0.0.1:{port}"')
    process = subprocess.Popen(
        [*relay_command(relay_dir), command],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status, page = fetch(f"http://127.0.0.1:{port}/login")
        assert status == 200
        assert 'name="csrf_token"' in page
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "Traceback" not in errors
    assert f"console listening on http://127.0.0.1:{port}" in errors
    assert "console stopped" in errors


def test_serve_names_busy_console_port(relay_dir: Path, cast: Cast) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        set_config(relay_dir, "smtp", "listen", f'"127.0.0.1:{free_port()}"')
        set_config(relay_dir, "console", "listen", f'"127.0.0.1:{port}"')
        result = subprocess.run(
            [*relay_command(relay_dir), "serve"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port} for the console" in result.stderr
    assert "Mentor Relay stopped" not in result.stderr
