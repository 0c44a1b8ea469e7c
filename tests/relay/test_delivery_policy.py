"""Suspensions and ended relationships stop mail that is already queued."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive import lifecycle
from relay.cli import main as cli
from tests.conftest import Cast, run_cli
from tests.relay.test_delivery import (
    Setup,
    fake,
    open_setup,
    permanent,
    queue_message,
)


@pytest.fixture
async def setup(relay_dir: Path, cast: Cast) -> AsyncIterator[Setup]:
    opened = await open_setup(relay_dir)
    yield opened
    await opened.archive.close()


def config_option(relay_dir: Path) -> list[str]:
    return ["--config", str(relay_dir / "relay.toml")]


async def assert_held(setup: Setup, job_id: int, reason: str) -> None:
    status = await setup.status(job_id)
    assert status.state == "held"
    message = await setup.archive.message(str(status.message_id))
    assert message is not None
    assert message["status"] == "held"
    assert message["hold_reason"] == f"Held before delivery, because {reason}"
    assert fake(setup).tries == []
    assert await setup.notices() == []


async def test_suspended_sender_queued_mail_is_held(setup: Setup) -> None:
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.archive.set_participant_status(setup.sam.id, "suspended")

    assert await setup.worker.run_once()
    await assert_held(setup, job_id, f"the sender {setup.sam.alias} is suspended.")


async def test_suspended_recipient_queued_mail_is_held(setup: Setup) -> None:
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.archive.set_participant_status(setup.alex.id, "suspended")

    assert await setup.worker.run_once()
    await assert_held(setup, job_id, f"the recipient {setup.alex.alias} is suspended.")


async def test_ended_relationship_queued_mail_is_held(setup: Setup, cast: Cast) -> None:
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.archive.end_relationship(cast.relationship_id)

    assert await setup.worker.run_once()
    await assert_held(
        setup,
        job_id,
        "the sender and recipient are no longer in an active relationship.",
    )


async def test_held_job_is_not_retried(setup: Setup) -> None:
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    await setup.archive.set_participant_status(setup.alex.id, "suspended")
    assert await setup.worker.run_once()
    await setup.archive.set_participant_status(setup.alex.id, "active")

    setup.clock.advance(86400)
    assert not await setup.worker.run_once()
    assert (await setup.status(job_id)).state == "held"


async def test_other_recipient_still_gets_the_message(setup: Setup) -> None:
    await setup.archive.add_relationship([setup.sam.id, setup.jo.id])
    to_alex, to_jo = await queue_message(
        setup.archive, setup.sam, [setup.alex, setup.jo]
    )
    await setup.archive.set_participant_status(setup.alex.id, "suspended")

    assert await setup.worker.run_once()
    assert (await setup.status(to_alex)).state == "held"
    assert (await setup.status(to_jo)).state == "sent"
    assert fake(setup).tries == ["jo@example.com"]
    message = await setup.archive.message(str((await setup.status(to_jo)).message_id))
    assert message is not None
    assert message["status"] == "held"


async def test_notice_to_suspended_sender_is_still_sent(setup: Setup) -> None:
    # A notice is the relay's own mail about an earlier message, so it is
    # not subject to the participants' pairing rules.
    fake(setup).errors = [permanent("550 5.1.1 unknown")]
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    assert await setup.worker.run_once()
    await setup.archive.set_participant_status(setup.sam.id, "suspended")

    assert await setup.worker.run_once()
    states = [notice.job_state for notice in await setup.notices(job_id)]
    assert states == ["sent", "sent"]


# The participant suspend and restore commands


def test_suspend_command_suspends_by_alias(relay_dir: Path, cast: Cast) -> None:
    output = run_cli(*config_option(relay_dir), "participant", "suspend", cast.sam)
    assert output == (
        f"{cast.sam} suspended: their mail is refused and queued mail held\n"
    )
    listing = run_cli(*config_option(relay_dir), "participant", "list", "--json")
    assert '"status": "suspended"' in listing


def test_suspend_command_accepts_real_address(relay_dir: Path, cast: Cast) -> None:
    output = run_cli(
        *config_option(relay_dir), "participant", "suspend", "ALEX@example.com"
    )
    assert output.startswith(f"{cast.alex} suspended")


def test_suspend_twice_says_already_suspended(relay_dir: Path, cast: Cast) -> None:
    run_cli(*config_option(relay_dir), "participant", "suspend", cast.sam)
    output = run_cli(*config_option(relay_dir), "participant", "suspend", cast.sam)
    assert output == f"{cast.sam} was already suspended\n"


def test_restore_command_reactivates(relay_dir: Path, cast: Cast) -> None:
    run_cli(*config_option(relay_dir), "participant", "suspend", cast.jo)
    output = run_cli(*config_option(relay_dir), "participant", "restore", cast.jo)
    assert output == f"{cast.jo} restored\n"
    again = run_cli(*config_option(relay_dir), "participant", "restore", cast.jo)
    assert again == f"{cast.jo} was not suspended\n"


@pytest.mark.parametrize("command", ["suspend", "restore"])
def test_unknown_participant_is_a_clear_error(
    relay_dir: Path, cast: Cast, command: str
) -> None:
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        status = cli(
            [*config_option(relay_dir), "participant", command, "kim@example.net"]
        )
    assert status == 1
    assert errors.getvalue() == (
        "error: kim@example.net is not a registered participant: register them "
        "with `mentor-relay participant add`\n"
    )


def test_invalid_reference_is_a_clear_error(relay_dir: Path, cast: Cast) -> None:
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        status = cli([*config_option(relay_dir), "participant", "suspend", "sam"])
    assert status == 1
    assert "'sam' is not an address" in errors.getvalue()


async def test_paused_relationship_queued_mail_waits(setup: Setup, cast: Cast) -> None:
    (job_id,) = await queue_message(setup.archive, setup.sam, [setup.alex])
    today = datetime.fromtimestamp(setup.clock.now, UTC).date()
    resumes = today + timedelta(days=3)
    await lifecycle.pause(setup.archive, cast.relationship_id, resumes, today=today)

    assert await setup.worker.run_once()

    status = await setup.status(job_id)
    assert status.state == "pending"
    assert status.attempts == 0
    midnight = datetime.combine(resumes, datetime.min.time(), UTC)
    assert status.next_attempt_at == midnight.timestamp()
    assert fake(setup).tries == []

    setup.clock.now = midnight.timestamp()
    assert await setup.worker.run_once()
    assert (await setup.status(job_id)).state == "sent"
