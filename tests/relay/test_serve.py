"""`mentor-relay serve` as a real process: start line, delivery, clean stop."""

from __future__ import annotations

import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from tests.conftest import Cast, free_port, set_config


def start_relay(relay_dir: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "relay",
            "--config",
            str(relay_dir / "relay.toml"),
            "serve",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    start_line = process.stderr.readline()
    return process, start_line


def wait_for_files(folder: Path, count: int, timeout: float = 15.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(folder.glob("*")) if folder.is_dir() else []
        if len(files) >= count:
            return files
        time.sleep(0.05)
    raise AssertionError(f"expected {count} files in {folder}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_delivers_to_maildir_and_stops_on_signal(
    relay_dir: Path, cast: Cast, signum: signal.Signals
) -> None:
    port = free_port()
    set_config(relay_dir, "smtp", "listen", f'"127.0.0.1:{port}"')
    process, start_line = start_relay(relay_dir)
    try:
        assert f"listening for SMTP on 127.0.0.1:{port}" in start_line
        message = EmailMessage()
        message["From"] = "sam@example.org"
        message["To"] = cast.alex
        message["Subject"] = "First session"
        message.set_content("My number is 07700 900456.\n")
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail(
                "sam@example.org", [cast.alex], message.as_bytes(policy=SMTP)
            )

        (delivered,) = wait_for_files(
            relay_dir / "outbox" / "alex@example.com" / "new", 1
        )
        text = delivered.read_bytes()
        assert b"[phone number removed]" in text
        assert b"900456" not in text
    finally:
        process.send_signal(signum)
        _, errors = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "Traceback" not in errors
    assert errors.rstrip().endswith("Mentor Relay stopped")
    # Routine lines must not carry participants' real addresses.
    assert "example.com" not in start_line + errors
