"""The participant checks that the command line and the console share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from archive.store import Archive, DuplicateError, Participant
from relay.bounces import bounce_key, load_bounce_key
from relay.config import Config, ConfigError, load_config
from relay.participants import (
    ParticipantError,
    check_members,
    find_participant,
    register_participants,
    validate_participant,
)
from tests.conftest import Cast


@pytest.fixture
def config(relay_dir: Path) -> Config:
    return load_config(relay_dir / "relay.toml")


@pytest.fixture
async def archive(config: Config, cast: Cast) -> AsyncIterator[Archive]:
    opened = await Archive.open(config.archive_path)
    yield opened
    await opened.close()


def participant(pid: int, role: str, status: str = "active") -> Participant:
    return Participant(pid, f"P{pid}", f"p{pid}@example.org", f"p{pid}@r", role, status)


def test_validate_normalises_name_and_address(config: Config) -> None:
    entry = validate_participant("  Sam   Jones ", "Sam@Example.ORG", "mentor", config)

    assert entry == ("Sam Jones", "sam@example.org", "mentor")


@pytest.mark.parametrize(
    ("name", "email", "role", "named"),
    [
        ("", "sam@example.org", "mentor", "name ''"),
        ("S" * 101, "sam@example.org", "mentor", "1 to 100 printable"),
        ("Sam\x07", "sam@example.org", "mentor", "not usable"),
        ("Sam", "not an address", "mentor", "'not an address' is not a valid"),
        ("Sam", "sam@relay.example.org", "mentor", "relay's own domain"),
        ("Sam", "sam@example.org", "coordinator", "role 'coordinator'"),
    ],
)
def test_validate_rejects_bad_entries(
    config: Config, name: str, email: str, role: str, named: str
) -> None:
    with pytest.raises(ParticipantError, match=named):
        validate_participant(name, email, role, config)


@pytest.mark.parametrize(
    ("name", "piece"),
    [
        ("=?utf-8?q?Sam_Jones?=", "=?"),
        ("Sam Jones?=", "?="),
        ("Sam <alex@example.com>", "<"),
        ("Sam > Alex", ">"),
        ("sam@example.org", "@"),
        ('"Sam Jones"', '"'),
    ],
)
def test_validate_rejects_name_that_spoofs_sender(
    config: Config, name: str, piece: str
) -> None:
    # Mail clients decode encoded-words and show address syntax in the From
    # display name, so these names could pose as another sender.
    with pytest.raises(ParticipantError) as caught:
        validate_participant(name, "sam@example.org", "mentor", config)

    message = str(caught.value)
    assert message.startswith(f"name {name!r} contains {piece!r}")
    assert message.endswith("give the name alone, such as Sam Jones")


def test_validate_accepts_ordinary_punctuation(config: Config) -> None:
    name = "Siân O'Neill-Jones (Jr.), Year 9?"

    entry = validate_participant(name, "sian@example.org", "mentee", config)

    assert entry == (name, "sian@example.org", "mentee")


async def test_find_by_address_or_alias(archive: Archive, cast: Cast) -> None:
    by_address = await find_participant(archive, "alex@example.com")
    by_alias = await find_participant(archive, cast.alex)

    assert by_address.alias == cast.alex
    assert by_alias.email == "alex@example.com"


async def test_find_unknown_names_the_fix(archive: Archive) -> None:
    with pytest.raises(ParticipantError, match="participant add"):
        await find_participant(archive, "nobody@example.com")


async def test_register_gives_aliases_on_relay_domain(
    archive: Archive, config: Config
) -> None:
    entry = validate_participant("Kim Lee", "kim@example.com", "mentee", config)

    (kim,) = await register_participants(archive, config, [entry])

    assert kim.email == "kim@example.com"
    assert kim.alias.endswith("@relay.example.org")
    assert kim.alias.startswith("kim.")


async def test_register_twice_is_duplicate(archive: Archive, config: Config) -> None:
    entry = validate_participant("Alex Smith", "alex@example.com", "mentee", config)

    with pytest.raises(DuplicateError):
        await register_participants(archive, config, [entry])


@pytest.mark.parametrize(
    ("members", "named"),
    [
        ([participant(1, "mentor"), participant(1, "mentor")], "named twice"),
        ([participant(1, "mentor"), participant(2, "mentor")], "missing mentee"),
        ([participant(1, "mentee"), participant(2, "mentee")], "missing mentor"),
        (
            [participant(1, "mentor"), participant(2, "mentee", "suspended")],
            "p2@r is suspended",
        ),
    ],
)
def test_check_members_rejects_bad_pairs(
    members: list[Participant], named: str
) -> None:
    with pytest.raises(ParticipantError, match=named):
        check_members(members)


def test_check_members_accepts_group() -> None:
    check_members(
        [participant(1, "mentor"), participant(2, "mentee"), participant(3, "mentee")]
    )


def test_bounce_key_comes_from_dkim_key(config: Config) -> None:
    pem = config.dkim.private_key.read_bytes()

    assert load_bounce_key(config) == bounce_key(pem)


def test_missing_dkim_key_is_config_error(config: Config) -> None:
    config.dkim.private_key.unlink()

    with pytest.raises(ConfigError, match=r"dkim\.private_key"):
        load_bounce_key(config)
