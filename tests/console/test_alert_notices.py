"""Alert notices: one per officer address, and only for a high-severity flag."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from archive.store import StoredFinding
from console.alerts import alert_notices
from relay.config import Config, load_config
from tests.console.conftest import SELF_HARM

MEETING = StoredFinding(
    "safeguarding", "body", 1, category="meeting", severity="medium",
    matched="meet up",
)  # fmt: skip


@pytest.fixture
def config(relay_dir: Path) -> Config:
    return load_config(relay_dir / "relay.toml")


def with_officers(config: Config, *addresses: str) -> Config:
    return replace(
        config, console=replace(config.console, safeguarding_alerts=addresses)
    )


def test_one_alert_per_officer(config: Config) -> None:
    config = with_officers(config, "dsl@example.org", "deputy@example.com")

    notices = alert_notices(config, 7, "31d304643d75", [MEETING, SELF_HARM])

    assert [n.recipient for n in notices] == ["dsl@example.org", "deputy@example.com"]
    assert {n.kind for n in notices} == {"safeguarding_alert"}
    for notice in notices:
        alert = message_from_bytes(notice.content, policy=policy.default)
        assert alert["To"] == notice.recipient
        assert alert["Subject"] == "Safeguarding flag: self-harm"


def test_addresses_differing_in_case_get_one_alert(config: Config) -> None:
    config = with_officers(config, "dsl@example.org", "DSL@example.org")

    notices = alert_notices(config, 7, "31d304643d75", [SELF_HARM])

    assert [n.recipient for n in notices] == ["dsl@example.org"]


def test_medium_flag_sends_no_alert(config: Config) -> None:
    config = with_officers(config, "dsl@example.org")

    assert alert_notices(config, 7, "31d304643d75", [MEETING]) == []


def test_no_officers_means_no_alert(config: Config) -> None:
    config = with_officers(config)

    assert alert_notices(config, 7, "31d304643d75", [SELF_HARM]) == []


def test_alert_lines_end_in_crlf(config: Config) -> None:
    config = with_officers(config, "dsl@example.org")

    (notice,) = alert_notices(config, 7, "31d304643d75", [SELF_HARM])

    assert b"\r\n" in notice.content
    assert b"\n" not in notice.content.replace(b"\r\n", b"")
