"""The mentor-relay command line, run in-process on a real relay directory."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from relay.cli import main
from tests.conftest import Cast, run_cli, set_config


def config_args(relay_dir: Path) -> list[str]:
    return ["--config", str(relay_dir / "relay.toml")]


def test_init_creates_config_archive_and_private_key(relay_dir: Path) -> None:
    assert (relay_dir / "relay.toml").is_file()
    assert (relay_dir / "archive.sqlite3").is_file()
    key = relay_dir / "dkim.pem"
    assert key.read_bytes().startswith(b"-----BEGIN")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    config = relay_dir / "relay.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_init_prints_dkim_dns_record(tmp_path: Path) -> None:
    output = run_cli("init", str(tmp_path / "new"), "--domain", "mentors.example.org")
    record = output.strip().splitlines()[-1]
    assert record.startswith(
        'relay._domainkey.mentors.example.org. IN TXT "v=DKIM1; k=rsa; p='
    )


def test_init_refuses_existing_relay(
    relay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (relay_dir / "relay.toml").read_bytes()
    assert main(["init", str(relay_dir)]) == 1
    assert "already holds a relay" in capsys.readouterr().err
    assert (relay_dir / "relay.toml").read_bytes() == before


def test_init_rejects_bad_domain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "x"), "--domain", "not a domain"]) == 1
    assert "--domain 'not a domain' is not a domain name" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_participant_add_prints_unguessable_alias(relay_dir: Path) -> None:
    alias = run_cli(
        *config_args(relay_dir),
        "participant",
        "add",
        "--name",
        "Sam Jones",
        "--email",
        "Sam@Example.org",
        "--role",
        "mentor",
    ).strip()
    assert re.fullmatch(r"sam\.[a-z2-9]{8}@relay\.example\.org", alias)


def test_duplicate_address_is_rejected_whatever_its_case(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            *config_args(relay_dir),
            "participant",
            "add",
            "--name",
            "Sam Again",
            "--email",
            "SAM@example.ORG",
            "--role",
            "mentor",
        ]
    )
    assert status == 1
    assert "sam@example.org is already registered" in capsys.readouterr().err


def test_participant_with_relay_address_is_rejected(
    relay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            *config_args(relay_dir),
            "participant",
            "add",
            "--name",
            "Loop",
            "--email",
            "loop@relay.example.org",
            "--role",
            "mentor",
        ]
    )
    assert status == 1
    assert "is on the relay's own domain" in capsys.readouterr().err


def test_participant_list_json(relay_dir: Path, cast: Cast) -> None:
    listed = json.loads(
        run_cli(*config_args(relay_dir), "participant", "list", "--json")
    )
    assert [(p["name"], p["email"], p["role"], p["alias"]) for p in listed] == [
        ("Sam Jones", "sam@example.org", "mentor", cast.sam),
        ("Alex Smith", "alex@example.com", "mentee", cast.alex),
        ("Jo Brown", "jo@example.com", "mentee", cast.jo),
    ]


def test_import_registers_every_row(relay_dir: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "name,email,role\nAsha Patel,asha@example.org,mentor\n"
        "Ben Okafor,ben@example.com,Mentee\n"
    )
    run_cli(*config_args(relay_dir), "participant", "import", str(csv_file))
    listed = json.loads(
        run_cli(*config_args(relay_dir), "participant", "list", "--json")
    )
    assert [(p["email"], p["role"]) for p in listed] == [
        ("asha@example.org", "mentor"),
        ("ben@example.com", "mentee"),
    ]


def test_import_reports_every_bad_row_and_imports_nothing(
    relay_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "name,email,role\n"
        "Asha Patel,asha@example.org,mentor\n"
        "Ben Okafor,not-an-address,mentee\n"
        "Cy Doe,cy@example.org,teacher\n"
        "Asha Again,ASHA@example.org,mentee\n"
    )
    status = main([*config_args(relay_dir), "participant", "import", str(csv_file)])
    error = capsys.readouterr().err
    assert status == 1
    assert "has 3 bad rows, so nothing was imported" in error
    assert "line 3: email 'not-an-address' is not a valid address" in error
    assert "line 4: role 'teacher' is not valid" in error
    assert "line 5: asha@example.org is also on line 2" in error
    listed = json.loads(
        run_cli(*config_args(relay_dir), "participant", "list", "--json")
    )
    assert listed == []


def test_relationship_needs_mentor_and_mentee(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main([*config_args(relay_dir), "relationship", "add", cast.alex, cast.jo])
    assert status == 1
    assert "needs at least one mentor and one mentee" in capsys.readouterr().err


def test_group_relationship_by_address_and_alias(relay_dir: Path, cast: Cast) -> None:
    run_cli(*config_args(relay_dir), "relationship", "end", str(cast.relationship_id))
    added = json.loads(
        run_cli(
            *config_args(relay_dir),
            "relationship",
            "add",
            "sam@example.org",
            cast.jo,
            "ALEX@example.com",
            "--json",
        )
    )
    listed = json.loads(
        run_cli(*config_args(relay_dir), "relationship", "list", "--json")
    )
    group = next(r for r in listed if r["id"] == added["id"])
    assert sorted(m["email"] for m in group["members"]) == [
        "alex@example.com",
        "jo@example.com",
        "sam@example.org",
    ]
    assert group["status"] == "active"


def test_relationship_end_twice_is_an_error(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*config_args(relay_dir), "relationship", "end", str(cast.relationship_id)]
    assert main(args) == 0
    assert main(args) == 1
    assert f"no active relationship {cast.relationship_id}" in capsys.readouterr().err


def test_unknown_member_is_named(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [*config_args(relay_dir), "relationship", "add", cast.sam, "who@example.net"]
    )
    assert status == 1
    assert "who@example.net is not a registered participant" in capsys.readouterr().err


def test_missing_config_exits_2_with_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--config", str(tmp_path / "none.toml"), "participant", "list"])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1
    assert "not found: run `mentor-relay init DIR`" in error


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("relay", "domain", '"nodots"', "relay.domain = 'nodots' is not a domain"),
        ("smtp", "listen", '"localhost"', "smtp.listen = 'localhost' is not HOST:PORT"),
        ("smtp", "max_message_bytes", '"big"', "smtp.max_message_bytes = 'big' is not"),
        (
            "delivery",
            "transport",
            '"pigeon"',
            "delivery.transport = 'pigeon' is not one",
        ),
        ("filters", "default_region", '"XX"', "filters.default_region = 'XX' is not"),
    ],
)
def test_invalid_key_exits_2_naming_it(
    relay_dir: Path,
    capsys: pytest.CaptureFixture[str],
    section: str,
    key: str,
    value: str,
    expected: str,
) -> None:
    set_config(relay_dir, section, key, value)
    status = main([*config_args(relay_dir), "participant", "list"])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1
    assert expected in error


def test_missing_domain_key_exits_2(
    relay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = relay_dir / "relay.toml"
    path.write_text(path.read_text().replace('domain = "relay.example.org"\n', ""))
    status = main([*config_args(relay_dir), "participant", "list"])
    assert status == 2
    assert "key relay.domain is missing: add `domain = ...` under [relay]" in (
        capsys.readouterr().err
    )


def test_archive_files_are_private(relay_dir: Path, cast: Cast) -> None:
    # The archive holds originals and real addresses, so only its owner may
    # read it, and so may the write-ahead log files SQLite creates beside it.
    for name in ("archive.sqlite3", "archive.sqlite3-wal", "archive.sqlite3-shm"):
        path = relay_dir / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    assert stat.S_IMODE((relay_dir / "archive.sqlite3").stat().st_mode) == 0o600


def test_misspelt_key_exits_2_naming_it(
    relay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_config(relay_dir, "auth", "polcy", '"off"')
    status = main([*config_args(relay_dir), "participant", "list"])
    error = capsys.readouterr().err
    assert status == 2
    assert "unknown key auth.polcy: check its spelling" in error


def test_username_without_password_exits_2(
    relay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_config(relay_dir, "delivery", "username", '"relay"')
    status = main([*config_args(relay_dir), "participant", "list"])
    assert status == 2
    assert "delivery.password is missing" in capsys.readouterr().err


def test_second_relationship_of_a_pair_is_refused(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ending relationship 1 must stop mail between Sam and Alex, which a
    # second active relationship of the same two would undo.
    status = main(
        [*config_args(relay_dir), "relationship", "add", cast.alex, "sam@example.org"]
    )
    assert status == 1
    assert "already paired in relationship 1" in capsys.readouterr().err


def test_import_row_with_extra_field_is_reported(
    relay_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("name,email,role\nBea Lee,bea@example.org,mentee,extra\n")
    status = main([*config_args(relay_dir), "participant", "import", str(csv_file)])
    assert status == 1
    assert "line 2: has more fields than name,email,role" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("section", "key", "value", "limit"),
    [
        ("retention", "originals_days", "800000", 36500),
        ("retention", "delivered_days", "36501", 36500),
        ("programme", "prompt_after_quiet_days", "99999999999", 3650),
        ("programme", "wind_down_days", "3651", 3650),
        ("programme", "term_months", "1000000", 120),
    ],
)
def test_too_large_key_exits_2_naming_limit(
    relay_dir: Path,
    capsys: pytest.CaptureFixture[str],
    section: str,
    key: str,
    value: str,
    limit: int,
) -> None:
    set_config(relay_dir, section, key, value)
    status = main([*config_args(relay_dir), "participant", "list"])
    assert status == 2
    assert capsys.readouterr().err == (
        f"error: {relay_dir / 'relay.toml'}: {section}.{key} = {value} is too "
        f"large: use at most {limit}\n"
    )


def test_largest_allowed_values_are_accepted(relay_dir: Path) -> None:
    set_config(relay_dir, "retention", "originals_days", "36500")
    set_config(relay_dir, "programme", "term_months", "120")
    set_config(relay_dir, "programme", "wind_down_days", "3650")
    set_config(relay_dir, "programme", "prompt_after_quiet_days", "3650")
    assert run_cli(*config_args(relay_dir), "participant", "list", "--json") == "[]\n"


def test_boolean_for_number_is_named_as_written(
    relay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_config(relay_dir, "retention", "originals_days", "true")
    status = main([*config_args(relay_dir), "participant", "list"])
    assert status == 2
    assert capsys.readouterr().err == (
        f"error: {relay_dir / 'relay.toml'}: retention.originals_days = true is "
        "not a whole number: write it as a number without quotes, such as 20\n"
    )


def test_erased_participant_cannot_be_paired(
    relay_dir: Path, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(*config_args(relay_dir), "participant", "erase", cast.jo, "--yes")
    capsys.readouterr()
    status = main([*config_args(relay_dir), "relationship", "add", cast.sam, cast.jo])
    assert status == 1
    assert capsys.readouterr().err == (
        f"error: {cast.jo} was erased, so they cannot be paired: register the "
        "person again for a new alias\n"
    )
    listed = json.loads(
        run_cli(*config_args(relay_dir), "relationship", "list", "--json")
    )
    assert [r["id"] for r in listed] == [cast.relationship_id]
