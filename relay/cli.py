"""The `mentor-relay` command line."""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from archive import lifecycle
from archive.backup import back_up, restore
from archive.crypto import KeyFileError, create_key, key_id_of, load_key
from archive.erasure_log import logged_erasures, record_erasure, replay_erasures
from archive.legal_holds import (
    LegalHold,
    add_legal_hold,
    list_legal_holds,
    release_legal_hold,
)
from archive.retention import run_retention
from archive.store import Archive, ArchiveError, Participant, Relationship
from archive.subject import (
    ErasurePlan,
    ExportSummary,
    check_not_erased,
    erase_participant,
    export_participant,
    plan_erasure,
)
from relay import dkim
from relay.addresses import normalise_address
from relay.config import Config, ConfigError, archive_cipher, load_config
from relay.participants import (
    ROLES,
    Entry,
    ParticipantError,
    check_members,
    find_participant,
    register_participants,
    validate_participant,
)

if TYPE_CHECKING:
    from archive.console import ReviewItem, StaffAccount, StaffMember

log = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_CONFIG = Path("relay.toml")
STAFF_ROLES = ("coordinator", "safeguarding", "admin")
EXIT_USER_ERROR = 1
EXIT_CONFIG_ERROR = 2


class UsageError(Exception):
    """A command was given a value it cannot use; the text says which and why."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "config"):
        args.config = DEFAULT_CONFIG
    if not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return EXIT_CONFIG_ERROR
    try:
        result: int = args.handler(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except (UsageError, ParticipantError, ArchiveError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`| head`); nothing to report.
        sys.stderr.close()
        return 0
    return result


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="path of relay.toml (default: ./relay.toml)",
    )
    parser = argparse.ArgumentParser(
        prog="mentor-relay",
        description="Mail relay for e-mentoring programmes.",
        parents=[common],
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    init = commands.add_parser(
        "init", parents=[common], help="create a relay: config, archive, DKIM key"
    )
    init.add_argument("directory", type=Path, metavar="DIR")
    init.add_argument("--domain", default="relay.example.org")
    init.set_defaults(handler=cmd_init)

    _add_participant_commands(commands, common)
    _add_relationship_commands(commands, common)
    _add_console_commands(commands, common)
    _add_report_command(commands, common)
    _add_archive_commands(commands, common)
    _add_data_protection_commands(commands, common)

    serve = commands.add_parser(
        "serve", parents=[common], help="run the SMTP listener, filters and delivery"
    )
    serve.add_argument("--debug", action="store_true", help="log at debug level")
    serve.set_defaults(handler=cmd_serve)

    search = commands.add_parser(
        "search", parents=[common], help="full-text search of delivered messages"
    )
    search.add_argument("text", metavar="TEXT")
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=cmd_search)

    show = commands.add_parser(
        "show", parents=[common], help="show a delivered message and its findings"
    )
    show.add_argument("message", metavar="MESSAGE_ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    review = commands.add_parser(
        "review", parents=[common], help="list what waits for a safeguarding review"
    )
    review_list = review.add_subparsers(title="commands", metavar="COMMAND").add_parser(
        "list",
        parents=[common],
        help="held messages without an outcome and flagged ones not yet reviewed",
    )
    review_list.add_argument("--json", action="store_true")
    review_list.set_defaults(handler=cmd_review_list)
    return parser


def _add_participant_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    participant = commands.add_parser(
        "participant", parents=[common], help="register and list participants"
    )
    sub = participant.add_subparsers(title="commands", metavar="COMMAND")
    add = sub.add_parser("add", parents=[common], help="register one participant")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_participant_add)

    listing = sub.add_parser("list", parents=[common], help="list participants")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_participant_list)

    load = sub.add_parser(
        "import", parents=[common], help="register participants from a CSV file"
    )
    load.add_argument("file", type=Path, metavar="FILE.csv")
    load.add_argument("--json", action="store_true")
    load.set_defaults(handler=cmd_participant_import)

    suspend = sub.add_parser(
        "suspend",
        parents=[common],
        help="stop a participant's mail, queued mail included, until restored",
    )
    suspend.add_argument("participant", metavar="ADDRESS_OR_ALIAS")
    suspend.set_defaults(handler=cmd_participant_suspend)

    restore = sub.add_parser(
        "restore", parents=[common], help="let a suspended participant write again"
    )
    restore.add_argument("participant", metavar="ADDRESS_OR_ALIAS")
    restore.set_defaults(handler=cmd_participant_restore)
    _add_subject_commands(sub, common)


def _add_relationship_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    relationship = commands.add_parser(
        "relationship",
        parents=[common],
        help="pair participants; pause, resume, extend and end pairings",
    )
    sub = relationship.add_subparsers(title="commands", metavar="COMMAND")
    _add_relationship_add_command(sub, common)

    pause = sub.add_parser(
        "pause", parents=[common], help="stop a pair's mail until a date"
    )
    pause.add_argument("relationship_id", type=int, metavar="ID")
    pause.add_argument(
        "--until",
        required=True,
        metavar="YYYY-MM-DD",
        help="the first day (UTC) the pair may write again",
    )
    pause.add_argument("--reason", default="", help="the reason, shown to coordinators")
    pause.set_defaults(handler=cmd_relationship_pause)

    resume = sub.add_parser(
        "resume", parents=[common], help="let a paused pair write again now"
    )
    resume.add_argument("relationship_id", type=int, metavar="ID")
    resume.set_defaults(handler=cmd_relationship_resume)

    extend = sub.add_parser(
        "extend", parents=[common], help="move a relationship's planned end later"
    )
    extend.add_argument("relationship_id", type=int, metavar="ID")
    new_end = extend.add_mutually_exclusive_group(required=True)
    new_end.add_argument(
        "--until", metavar="YYYY-MM-DD", help="the new last day of the term"
    )
    new_end.add_argument(
        "--months", type=int, metavar="N", help="months to add to the planned end"
    )
    extend.set_defaults(handler=cmd_relationship_extend)

    end = sub.add_parser("end", parents=[common], help="end a relationship")
    end.add_argument("relationship_id", type=int, metavar="ID")
    end.add_argument("--reason", default="", help="the reason, shown to coordinators")
    end.set_defaults(handler=cmd_relationship_end)

    listing = sub.add_parser("list", parents=[common], help="list relationships")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_relationship_list)


def _add_relationship_add_command(sub: Any, common: argparse.ArgumentParser) -> None:
    add = sub.add_parser(
        "add", parents=[common], help="pair at least one mentor and one mentee"
    )
    add.add_argument("members", nargs="+", metavar="ADDRESS_OR_ALIAS")
    add.add_argument(
        "--start",
        metavar="YYYY-MM-DD",
        help="the day the relationship began (default: today, UTC)",
    )
    term = add.add_mutually_exclusive_group()
    term.add_argument("--end", metavar="YYYY-MM-DD", help="the last day of the term")
    term.add_argument(
        "--term-months",
        type=int,
        metavar="N",
        help="length of the term in months (default: programme.term_months)",
    )
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_relationship_add)


# init


def cmd_init(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    config_path = directory / "relay.toml"
    if any(
        (directory / name).exists()
        for name in ("relay.toml", "archive.sqlite3", "archive.key")
    ):
        raise UsageError(
            f"{directory} already holds a relay: pass a new directory, or use "
            f"--config {config_path} with the other commands"
        )
    domain = _checked_domain(args.domain)
    directory.mkdir(parents=True, exist_ok=True)

    template = resources.files("config").joinpath("relay.example.toml").read_text()
    # Owner-only, because the file may later hold the smarthost password.
    _write_private(
        config_path,
        template.replace(
            'domain = "relay.example.org"', f'domain = "{domain}"'
        ).encode(),
    )
    config = load_config(config_path)
    key = dkim.generate_private_key_pem()
    _write_private(config.dkim.private_key, key)
    _create_key(config)
    asyncio.run(_create_archive(config))

    print(f"Created a relay for {domain} in {directory}")
    print(f"  config:   {config.path}")
    print(f"  archive:  {config.archive_path}")
    print(f"  archive key: {config.archive_key} (keep a copy apart from backups)")
    print(f"  DKIM key: {config.dkim.private_key}")
    print("Publish this DNS TXT record so receivers can verify the relay's mail:")
    print(dkim.dns_txt_record(key, config.dkim.selector, domain))
    return 0


def _checked_domain(domain: str) -> str:
    labels = domain.lower().split(".")
    if len(labels) < 2 or not all(
        label and label.replace("-", "").isalnum() and label.isascii()
        for label in labels
    ):
        raise UsageError(
            f"--domain {domain!r} is not a domain name: use one such as "
            "relay.example.org"
        )
    return domain.lower()


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


async def _create_archive(config: Config) -> None:
    archive = await Archive.open(config.archive_path, archive_cipher(config))
    await archive.close()


# participants


def cmd_participant_add(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    entry = validate_participant(args.name, args.email, args.role, config)
    (participant,) = _with_archive(
        config, lambda a: register_participants(a, config, [entry])
    )
    if args.json:
        _print_json(_participant_json(participant))
    else:
        print(participant.alias)
    return 0


def cmd_participant_list(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    participants = _with_archive(config, lambda a: a.list_participants())
    if args.json:
        _print_json([_participant_json(p) for p in participants])
        return 0
    _print_table(
        ("ID", "ROLE", "STATUS", "NAME", "EMAIL", "ALIAS"),
        [(p.id, p.role, p.status, p.name, p.email, p.alias) for p in participants],
    )
    return 0


def cmd_participant_import(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    entries = _read_participant_csv(args.file, config)
    participants = _with_archive(
        config, lambda a: register_participants(a, config, entries)
    )
    if args.json:
        _print_json([_participant_json(p) for p in participants])
        return 0
    for participant in participants:
        print(f"{participant.email} -> {participant.alias}")
    print(f"imported {len(participants)} participants")
    return 0


def cmd_participant_suspend(args: argparse.Namespace) -> int:
    alias, changed = _set_status(args, "suspended")
    if changed:
        print(f"{alias} suspended: their mail is refused and queued mail held")
    else:
        print(f"{alias} was already suspended")
    return 0


def cmd_participant_restore(args: argparse.Namespace) -> int:
    alias, changed = _set_status(args, "active")
    print(f"{alias} restored" if changed else f"{alias} was not suspended")
    return 0


def _set_status(args: argparse.Namespace, status: str) -> tuple[str, bool]:
    """Set a participant's status, and return its alias and whether it changed."""
    config = load_config(args.config)

    async def update(archive: Archive) -> tuple[str, bool]:
        participant = await find_participant(archive, args.participant)
        if status == "active":
            await check_not_erased(archive, participant)
        changed = await archive.set_participant_status(participant.id, status)
        return participant.alias, changed

    return _with_archive(config, update)


def _read_participant_csv(path: Path, config: Config) -> list[Entry]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    reader = csv.DictReader(text.splitlines())
    expected = {"name", "email", "role"}
    header = {(h or "").strip().lower() for h in reader.fieldnames or []}
    if not expected <= header:
        raise UsageError(
            f"{path}: the first line must name the columns name,email,role"
        )

    entries: list[Entry] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(f"line {line}: has more fields than name,email,role")
            continue
        fields = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            entry = validate_participant(
                fields.get("name", ""),
                fields.get("email", ""),
                fields.get("role", "").lower(),
                config,
            )
        except ParticipantError as error:
            problems.append(f"line {line}: {error}")
            continue
        if entry[1] in seen:
            problems.append(f"line {line}: {entry[1]} is also on line {seen[entry[1]]}")
            continue
        seen[entry[1]] = line
        entries.append(entry)
    if problems:
        raise UsageError(
            f"{path} has {len(problems)} bad rows, so nothing was imported:\n  "
            + "\n  ".join(problems)
        )
    return entries


# relationships


def cmd_relationship_add(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    start_day = _day_option(args.start, "--start")
    planned_end = _day_option(args.end, "--end")
    term_months = args.term_months
    if term_months is None:
        term_months = config.programme.term_months

    async def add(archive: Archive) -> Relationship | None:
        members = [await find_participant(archive, ref) for ref in args.members]
        check_members(members)
        relationship_id = await lifecycle.start(
            archive,
            [m.id for m in members],
            start_day=start_day,
            planned_end=planned_end,
            term_months=term_months,
        )
        return await archive.relationship(relationship_id)

    added = _with_archive(config, add)
    assert added is not None
    if args.json:
        _print_json({"id": added.id, "planned_end": added.planned_end})
    else:
        print(f"relationship {added.id} started, planned to end on {added.planned_end}")
    return 0


def cmd_relationship_pause(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    until = lifecycle.parse_day(args.until, "--until")
    _with_archive(
        config,
        lambda a: lifecycle.pause(a, args.relationship_id, until, args.reason),
    )
    print(f"relationship {args.relationship_id} paused: mail resumes on {until}")
    return 0


def cmd_relationship_resume(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    _with_archive(config, lambda a: lifecycle.resume(a, args.relationship_id))
    print(f"relationship {args.relationship_id} resumed")
    return 0


def cmd_relationship_extend(args: argparse.Namespace) -> int:
    config = load_config(args.config)

    async def extend(archive: Archive) -> date:
        if args.months is not None:
            return await lifecycle.extend_by_months(
                archive, args.relationship_id, args.months
            )
        new_end = lifecycle.parse_day(args.until, "--until")
        await lifecycle.extend(archive, args.relationship_id, new_end)
        return new_end

    new_end = _with_archive(config, extend)
    print(f"relationship {args.relationship_id} now ends on {new_end}")
    return 0


def cmd_relationship_end(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    _with_archive(config, lambda a: lifecycle.end(a, args.relationship_id, args.reason))
    print(f"relationship {args.relationship_id} ended")
    return 0


def cmd_relationship_list(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    relationships = _with_archive(config, lambda a: a.list_relationships())
    if args.json:
        _print_json([_relationship_json(r) for r in relationships])
        return 0
    _print_table(
        ("ID", "STATUS", "STARTED", "PLANNED END", "PAUSED UNTIL", "ENDED", "MEMBERS"),
        [
            (
                r.id,
                r.status,
                r.started_at[:10],
                r.planned_end,
                r.paused_until,
                (r.ended_at or "")[:10],
                ", ".join(f"{m.name} ({m.role}, {m.alias})" for m in r.members),
            )
            for r in relationships
        ],
    )
    return 0


def _relationship_json(relationship: Relationship) -> dict[str, Any]:
    return {
        "id": relationship.id,
        "status": relationship.status,
        "started_at": relationship.started_at,
        "planned_end": relationship.planned_end,
        "paused_until": relationship.paused_until,
        "pause_reason": relationship.pause_reason,
        "ended_at": relationship.ended_at,
        "end_reason": relationship.end_reason,
        "members": [_participant_json(m) for m in relationship.members],
    }


def _day_option(value: str | None, option: str) -> date | None:
    return None if value is None else lifecycle.parse_day(value, option)


# staff accounts and the web console


def _add_console_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    staff = commands.add_parser(
        "staff", parents=[common], help="manage staff accounts for the web console"
    )
    sub = staff.add_subparsers(title="commands", metavar="COMMAND")
    add = sub.add_parser("add", parents=[common], help="add one staff account")
    add.add_argument("username", metavar="USERNAME")
    add.add_argument("--role", required=True, choices=STAFF_ROLES)
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input "
        "instead of prompting twice",
    )
    add.add_argument(
        "--email",
        metavar="ADDRESS",
        help="the account's own address, for a coordinator's weekly digest "
        "and wind-down notices",
    )
    add.set_defaults(handler=cmd_staff_add)
    _add_staff_account_commands(sub, common)
    _add_staff_email_command(sub, common)

    console = commands.add_parser(
        "console", parents=[common], help="run only the web console"
    )
    console.add_argument("--debug", action="store_true", help="log at debug level")
    console.set_defaults(handler=cmd_console)


def _add_staff_account_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    listing = sub.add_parser("list", parents=[common], help="list staff accounts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_staff_list)

    disable = sub.add_parser(
        "disable",
        parents=[common],
        help="stop an account signing in and end its open sessions",
    )
    disable.add_argument("username", metavar="USERNAME")
    disable.set_defaults(handler=cmd_staff_disable)

    enable = sub.add_parser(
        "enable", parents=[common], help="let a disabled account sign in again"
    )
    enable.add_argument("username", metavar="USERNAME")
    enable.set_defaults(handler=cmd_staff_enable)

    password = sub.add_parser(
        "password",
        parents=[common],
        help="set a new password for an account and end its open sessions",
    )
    password.add_argument("username", metavar="USERNAME")
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input "
        "instead of prompting twice",
    )
    password.set_defaults(handler=cmd_staff_password)


def cmd_staff_add(args: argparse.Namespace) -> int:
    from archive.console import ConsoleStore
    from console.auth import PasswordError, hash_password

    config = load_config(args.config)
    username = _checked_username(args.username)
    email = None if args.email is None else _checked_staff_email(args.email, config)
    password = _read_password(args.password_stdin)
    try:
        password_hash = hash_password(password)
    except PasswordError as error:
        raise UsageError(str(error)) from None

    async def add(archive: Archive) -> StaffMember:
        actor = _cli_actor()
        member = await ConsoleStore(archive).add_staff(
            username, password_hash, args.role, actor=actor
        )
        if email is not None:
            await archive.set_staff_email(member.username, email, actor)
        return member

    member = _with_archive(config, add)
    print(f"staff account {member.username} added as {member.role}")
    return 0


def _add_staff_email_command(sub: Any, common: argparse.ArgumentParser) -> None:
    email = sub.add_parser(
        "email",
        parents=[common],
        help="set the address where an account gets the weekly digest and "
        "wind-down notices",
    )
    email.add_argument("username", metavar="USERNAME")
    email.add_argument("address", nargs="?", metavar="ADDRESS")
    email.add_argument(
        "--clear", action="store_true", help="remove the account's address"
    )
    email.set_defaults(handler=cmd_staff_email)


def cmd_staff_email(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.clear == (args.address is not None):
        raise UsageError(
            "give either an ADDRESS or --clear: such as `mentor-relay staff "
            "email casey casey@example.org`"
        )
    email = None if args.clear else _checked_staff_email(args.address, config)
    changed = _with_archive(
        config, lambda a: a.set_staff_email(args.username, email, _cli_actor())
    )
    if not changed:
        raise UsageError(
            f"there is no staff account {args.username!r}: see "
            "`mentor-relay staff list`"
        )
    if email is None:
        print(f"address of {args.username} removed")
    else:
        print(f"address of {args.username} set")
    return 0


def _checked_staff_email(text: str, config: Config) -> str:
    try:
        address = normalise_address(text)
    except ValueError:
        raise UsageError(
            f"address {text!r} is not a valid email address: give the staff "
            "member's own address, such as casey@example.org"
        ) from None
    if address.rpartition("@")[2] == config.domain:
        raise UsageError(
            f"address {address} is on the relay's own domain: give the staff "
            "member's real address"
        )
    return address


def cmd_staff_list(args: argparse.Namespace) -> int:
    from archive.console import ConsoleStore

    config = load_config(args.config)
    now = time.time()

    async def read(
        archive: Archive,
    ) -> tuple[list[StaffAccount], dict[str, str | None]]:
        accounts = await ConsoleStore(archive).staff_accounts(now)
        return accounts, await archive.staff_emails()

    # The address is listed because it decides who receives digests.
    accounts, emails = _with_archive(config, read)
    if args.json:
        _print_json(
            [
                {
                    "id": account.member.id,
                    "username": account.member.username,
                    "email": emails.get(account.member.username),
                    "role": account.member.role,
                    "status": account.member.status,
                    "created_at": account.created_at,
                    "open_sessions": account.open_sessions,
                }
                for account in accounts
            ]
        )
        return 0
    _print_table(
        ("USERNAME", "EMAIL", "ROLE", "STATUS", "CREATED", "OPEN SESSIONS"),
        [
            (
                a.member.username,
                emails.get(a.member.username) or "-",
                a.member.role,
                a.member.status,
                a.created_at[:10],
                a.open_sessions,
            )
            for a in accounts
        ],
    )
    return 0


def cmd_staff_disable(args: argparse.Namespace) -> int:
    member, ended = _set_staff_status(args, "disabled")
    print(f"staff account {member.username} disabled; {ended} open sessions ended")
    return 0


def cmd_staff_enable(args: argparse.Namespace) -> int:
    member, _ = _set_staff_status(args, "active")
    print(f"staff account {member.username} enabled")
    return 0


def _set_staff_status(args: argparse.Namespace, status: str) -> tuple[StaffMember, int]:
    from archive.console import ConsoleStore

    config = load_config(args.config)
    return _with_archive(
        config,
        lambda a: ConsoleStore(a).set_staff_status(args.username, status, _cli_actor()),
    )


def cmd_staff_password(args: argparse.Namespace) -> int:
    from archive.console import ConsoleStore
    from console.auth import PasswordError, hash_password

    config = load_config(args.config)
    password = _read_password(args.password_stdin)
    try:
        password_hash = hash_password(password)
    except PasswordError as error:
        raise UsageError(str(error)) from None
    member, ended = _with_archive(
        config,
        lambda a: ConsoleStore(a).reset_staff_password(
            args.username, password_hash, _cli_actor()
        ),
    )
    print(f"password of {member.username} changed; {ended} open sessions ended")
    return 0


def _cli_actor() -> str:
    """Name the operator in audit rows written by staff commands."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        # No login name in the environment and no passwd entry for the uid.
        return "command line"
    return f"command line ({user})"


def _checked_username(username: str) -> str:
    allowed = username.replace(".", "").replace("-", "").replace("_", "")
    if not 0 < len(username) <= 64 or not (allowed.isascii() and allowed.isalnum()):
        raise UsageError(
            f"username {username!r} is not usable: use 1 to 64 letters, digits, "
            "dots, hyphens or underscores"
        )
    return username


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != password:
        raise UsageError("the two passwords differ: run the command again")
    return password


def cmd_console(args: argparse.Namespace) -> int:
    from console.server import serve_console

    config = load_config(args.config)
    _start_logging(args.debug)
    try:
        asyncio.run(serve_console(config))
    except OSError as error:
        raise UsageError(
            f"cannot listen on {config.console.listen} for the console: "
            f"{error.strerror}; set [console] listen in the config to a free address"
        ) from None
    return 0


def _start_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


# serve, search, show


def cmd_serve(args: argparse.Namespace) -> int:
    from relay.server import serve

    config = load_config(args.config)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.debug:
        # aiosmtpd logs every command, envelope addresses included, at info.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(config))
    except OSError as error:
        raise UsageError(
            f"cannot listen on {config.smtp.listen}: {error.strerror}; set "
            "[smtp] listen in the config to a free address"
        ) from None
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    rows = _with_archive(config, lambda a: a.search(args.text, args.limit))
    results = [dict(row) for row in rows]
    if args.json:
        _print_json(results)
        return 0
    if not results:
        print("no messages match")
        return 0
    _print_table(
        ("QUEUE ID", "RECEIVED", "STATUS", "SUBJECT", "MATCH"),
        [
            (r["queue_id"], r["received_at"], r["status"], r["subject"], r["snippet"])
            for r in results
        ],
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    config = load_config(args.config)

    async def load(archive: Archive) -> dict[str, Any]:
        row = await archive.message(args.message)
        if row is None:
            raise UsageError(
                f"no message {args.message}: find one with `mentor-relay search`"
            )
        return {
            "queue_id": row["queue_id"],
            "received_at": row["received_at"],
            "status": row["status"],
            "sender": row["sender_alias"],
            "recipients": await archive.message_recipient_aliases(row["id"]),
            "message_id": row["relay_message_id"],
            "subject": row["subject"],
            "hold_reason": row["hold_reason"],
            "reject_reason": row["reject_reason"],
            "flag": row["flag"],
            "authentication": row["auth_results"],
            "findings": [vars(f) for f in await archive.findings(row["id"])],
            "deliveries": [dict(j) for j in await archive.delivery_jobs_of(row["id"])],
            "delivered": (bytes(row["delivered"]) if row["delivered"] else b"").decode(
                "utf-8", "replace"
            ),
        }

    shown = _with_archive(config, load)
    if args.json:
        _print_json(shown)
        return 0
    for key in ("queue_id", "received_at", "status", "sender", "subject"):
        print(f"{key}: {shown[key]}")
    print("recipients: " + ", ".join(shown["recipients"]))
    if shown["flag"]:
        print(f"flagged: {shown['flag']}")
    if shown["hold_reason"]:
        print(f"held: {shown['hold_reason']}")
    if shown["reject_reason"]:
        print(f"rejected: {shown['reject_reason']}")
    print(f"authentication: {shown['authentication'] or 'not recorded'}")
    print("findings:")
    for finding in shown["findings"]:
        print("  " + _finding_line(finding))
    if not shown["findings"]:
        print("  none")
    print("delivered copy:")
    print(shown["delivered"])
    return 0


def cmd_review_list(args: argparse.Namespace) -> int:
    """Print the console's review queue; decisions stay in the console."""
    from archive.console import ConsoleStore

    config = load_config(args.config)
    queue = _with_archive(config, lambda a: ConsoleStore(a).review_queue())
    entries = [_review_entry(item) for item in queue]
    if args.json:
        _print_json(entries)
        return 0
    if not entries:
        print("nothing waits for review")
        return 0
    _print_table(
        ("QUEUE ID", "RECEIVED", "STATUS", "SEVERITY", "CATEGORIES", "SENDER"),
        [
            (
                e["queue_id"],
                e["received_at"],
                e["status"] + (", escalated" if e["escalated"] else ""),
                e["severity"] or "-",
                ", ".join(e["categories"]) or "-",
                e["sender"],
            )
            for e in entries
        ],
    )
    print("decide on each in the console's review queue; `show QUEUE_ID` has details")
    return 0


def _review_entry(item: ReviewItem) -> dict[str, Any]:
    message = item.message
    categories = [f.category for f in item.findings if f.category]
    return {
        "id": message.id,
        "queue_id": message.queue_id,
        "received_at": message.received_at,
        "status": message.status,
        "hold_reason": message.hold_reason,
        "severity": item.severity,
        "categories": list(dict.fromkeys(categories)),
        "escalated": item.escalated,
        "sender": message.sender_alias,
        "subject": message.subject,
    }


def _finding_line(finding: dict[str, Any]) -> str:
    """Return one finding as `show` prints it.

    A safeguarding finding names its category, its severity and the text
    that matched, which the safeguarding officer needs to judge it.
    """
    line = f"{finding['kind']} x{finding['count']} in {finding['location']}"
    if finding["detail"]:
        line += f" {finding['detail']}"
    if finding["category"]:
        line += f": {finding['category']}, {finding['severity'] or 'no'} severity"
        if finding["matched"]:
            line += f", matched {json.dumps(finding['matched'], ensure_ascii=False)}"
    return line


# the evaluation report


def _add_report_command(commands: Any, common: argparse.ArgumentParser) -> None:
    report = commands.add_parser(
        "report",
        parents=[common],
        help="evaluation report: messages per week, reply times, flags per pair",
    )
    output_format = report.add_mutually_exclusive_group()
    output_format.add_argument("--json", action="store_true")
    output_format.add_argument(
        "--csv", action="store_true", help="one row per relationship and side"
    )
    report.add_argument(
        "--pseudonymise",
        action="store_true",
        help="replace names and aliases with codes made with the archive key",
    )
    report.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write to a new file (mode 600) instead of standard output",
    )
    report.add_argument(
        "--from",
        dest="date_from",
        metavar="YYYY-MM-DD",
        help="first day (UTC) counted; default: the first relationship's start",
    )
    report.add_argument(
        "--to",
        dest="date_to",
        metavar="YYYY-MM-DD",
        help="last day (UTC) counted; default: today, up to now",
    )
    report.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from relay.report import ReportError
    from relay.report_output import ReportRequest, run_report

    config = load_config(args.config)
    output_format = "table"
    if args.json:
        output_format = "json"
    elif args.csv:
        output_format = "csv"
    request = ReportRequest(
        output_format=output_format,
        pseudonymise=args.pseudonymise,
        output=args.output,
        date_from=args.date_from,
        date_to=args.date_to,
    )
    now = datetime.now(UTC)
    try:
        text = _with_archive(config, lambda a: run_report(a, config, request, now))
    except ReportError as error:
        raise UsageError(str(error)) from None
    if request.output is None:
        sys.stdout.write(text)
    return 0


# archive key, backup and restore


def _add_archive_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    key = commands.add_parser(
        "key", parents=[common], help="manage the key that encrypts originals"
    )
    sub = key.add_subparsers(title="commands", metavar="COMMAND")
    create = sub.add_parser(
        "create", parents=[common], help="write a new key to archive.key_file"
    )
    create.set_defaults(handler=cmd_key_create)
    seal = sub.add_parser(
        "encrypt-existing",
        parents=[common],
        help="encrypt originals stored before the archive had a key",
    )
    seal.set_defaults(handler=cmd_key_encrypt_existing)

    backup = commands.add_parser(
        "backup", parents=[common], help="copy the archive to a new file, live"
    )
    backup.add_argument("destination", type=Path, metavar="DEST")
    backup.add_argument(
        "--with-key", action="store_true", help="also copy the archive key to DEST.key"
    )
    backup.set_defaults(handler=cmd_backup)

    restore_parser = commands.add_parser(
        "restore", parents=[common], help="replace the archive with a backup"
    )
    restore_parser.add_argument("backup", type=Path, metavar="BACKUP")
    restore_parser.set_defaults(handler=cmd_restore)


def cmd_key_create(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    _create_key(config)
    print(f"wrote a new archive key to {config.archive_key}")
    print("keep a copy apart from the archive backups: without it, no original")
    print("it encrypts can be read")
    return 0


def _create_key(config: Config) -> None:
    try:
        create_key(config.archive_key)
    except KeyFileError as error:
        raise UsageError(str(error)) from None


def cmd_key_encrypt_existing(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    count = _with_archive(config, lambda a: a.seal_plaintext_originals())
    print(f"encrypted {count} originals stored in plaintext")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    key_path = config.archive_key if args.with_key else None
    report = back_up(config.archive_path, args.destination, key_path)
    print(
        f"wrote {report.path}: {report.size_bytes} bytes, {report.messages} "
        f"messages, schema version {report.schema_version}"
    )
    if report.key_path is not None:
        print(f"wrote the archive key to {report.key_path}: store it apart from")
        print("the backup, because together they reveal every original")
    else:
        print(f"the originals in it need the archive key {config.archive_key}:")
        print("keep a copy of that file apart from the backup (or use --with-key)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    report = restore(args.backup, config.archive_path, datetime.now(UTC))
    if report.previous_path is not None:
        print(f"kept the previous archive as {report.previous_path}")
    print(
        f"restored {args.backup} to {report.archive_path}: {report.messages} "
        f"messages, schema version {report.schema_version}"
    )
    _warn_about_key(config, report.key_ids)
    _replay_erasures(config)
    return 0


def _replay_erasures(config: Config) -> None:
    """Erase again the participants erased after the backup was taken."""
    entries = logged_erasures(config.archive_path)
    if not entries:
        return
    now = datetime.now(UTC)
    replayed = _with_archive(config, lambda a: replay_erasures(a, entries, now))
    for line in replayed.lines():
        print(line, file=sys.stderr if line.startswith("warning:") else sys.stdout)


def _warn_about_key(config: Config, key_ids: frozenset[str]) -> None:
    """Print a warning when the restored originals need another key."""
    try:
        current = key_id_of(load_key(config.archive_key)).hex()
    except KeyFileError as error:
        print(f"warning: {error}", file=sys.stderr)
        return
    others = sorted(key_ids - {current})
    if others:
        print(
            f"warning: some originals were encrypted with key id "
            f"{', '.join(others)}, not with {config.archive_key} (id {current}): "
            "put the key from the time of the backup in place before serving",
            file=sys.stderr,
        )


# data protection: retention, legal holds, subject access and erasure


def _add_data_protection_commands(
    commands: Any, common: argparse.ArgumentParser
) -> None:
    retention = commands.add_parser(
        "retention", parents=[common], help="delete records past their retention"
    )
    run = retention.add_subparsers(title="commands", metavar="COMMAND").add_parser(
        "run", parents=[common], help="delete every record older than its period"
    )
    run.add_argument(
        "--dry-run", action="store_true", help="count what would go, delete nothing"
    )
    run.add_argument("--json", action="store_true")
    run.set_defaults(handler=cmd_retention_run)

    hold = commands.add_parser(
        "legal-hold", parents=[common], help="keep records from retention and erasure"
    )
    sub = hold.add_subparsers(title="commands", metavar="COMMAND")
    add = sub.add_parser("add", parents=[common], help="put records under hold")
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--message", metavar="MESSAGE_ID", help="one message")
    target.add_argument(
        "--participant", metavar="ADDRESS_OR_ALIAS", help="all their messages"
    )
    add.add_argument("--reason", required=True, help="why the records are kept")
    add.set_defaults(handler=cmd_legal_hold_add)
    listing = sub.add_parser("list", parents=[common], help="list legal holds")
    listing.add_argument("--all", action="store_true", help="include released holds")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_legal_hold_list)
    release = sub.add_parser("release", parents=[common], help="release a hold")
    release.add_argument("hold_id", type=int, metavar="ID")
    release.set_defaults(handler=cmd_legal_hold_release)


def _add_subject_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    export = sub.add_parser(
        "export", parents=[common], help="write a participant's data to a zip file"
    )
    export.add_argument("participant", metavar="ADDRESS_OR_ALIAS")
    export.add_argument(
        "--output", type=Path, required=True, metavar="FILE.zip", help="a new file"
    )
    export.set_defaults(handler=cmd_participant_export)

    erase = sub.add_parser(
        "erase",
        parents=[common],
        help="delete a participant's messages and identity, keeping safeguarding "
        "records and legal holds",
    )
    erase.add_argument("participant", metavar="ADDRESS_OR_ALIAS")
    erase.add_argument(
        "--yes", action="store_true", help="erase without asking to type the alias"
    )
    erase.set_defaults(handler=cmd_participant_erase)


def cmd_retention_run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    now = datetime.now(UTC)
    report = _with_archive(
        config,
        lambda a: run_retention(a, config.retention, now, dry_run=args.dry_run),
    )
    if args.json:
        _print_json(report.as_dict())
    else:
        print("\n".join(report.lines()))
    return 0


def cmd_legal_hold_add(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    now = datetime.now(UTC).isoformat(timespec="seconds")

    async def add(archive: Archive) -> LegalHold:
        ids = await _legal_hold_target(archive, args.message, args.participant)
        return await add_legal_hold(
            archive, reason=args.reason, actor=_cli_actor(), now=now, **ids
        )

    hold = _with_archive(config, add)
    print(f"legal hold {hold.id} added on {hold.covers}")
    return 0


async def _legal_hold_target(
    archive: Archive, message: str | None, participant: str | None
) -> dict[str, int]:
    if participant is not None:
        found = await find_participant(archive, participant)
        return {"participant_id": found.id}
    row = await archive.message(message or "")
    if row is None:
        raise UsageError(
            f"no message {message}: give its queue id or number, as "
            "`mentor-relay search` shows them"
        )
    return {"message_id": int(row["id"])}


def cmd_legal_hold_list(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    holds = _with_archive(
        config, lambda a: list_legal_holds(a, include_released=args.all)
    )
    if args.json:
        _print_json([vars(hold) for hold in holds])
        return 0
    _print_table(
        ("ID", "COVERS", "SINCE", "BY", "RELEASED", "REASON"),
        [
            (
                h.id,
                h.covers,
                h.created_at[:10],
                h.created_by,
                (h.released_at or "")[:10],
                h.reason,
            )
            for h in holds
        ],
    )
    return 0


def cmd_legal_hold_release(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    hold = _with_archive(
        config,
        lambda a: release_legal_hold(a, args.hold_id, actor=_cli_actor(), now=now),
    )
    print(f"legal hold {hold.id} on {hold.covers} released")
    return 0


def cmd_participant_export(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    now = datetime.now(UTC)

    async def export(archive: Archive) -> ExportSummary:
        participant = await find_participant(archive, args.participant)
        return await export_participant(archive, participant, args.output, now)

    summary = _with_archive(config, export)
    print(
        f"wrote {summary.path}: {summary.messages} messages, "
        f"{summary.relationships} relationships"
    )
    return 0


def cmd_participant_erase(args: argparse.Namespace) -> int:
    config = load_config(args.config)

    async def plan(archive: Archive) -> ErasurePlan:
        return await plan_erasure(
            archive, await find_participant(archive, args.participant)
        )

    planned = _with_archive(config, plan)
    alias = planned.participant.alias
    print(
        f"{alias}: {len(planned.removable)} messages to remove, "
        f"{len(planned.kept)} to keep"
    )
    if not args.yes:
        _confirm_alias(alias)
    now = datetime.now(UTC)
    # Recorded first, so a restore of an older backup repeats every erasure
    # that may have run, even one cut short.
    record_erasure(config.archive_path, alias, now)
    report = _with_archive(
        config, lambda a: erase_participant(a, planned.participant, now)
    )
    print("\n".join(report.lines()))
    return 0


def _confirm_alias(alias: str) -> None:
    if not sys.stdin.isatty():
        raise UsageError(
            "standard input is not a terminal, so the erasure cannot be "
            f"confirmed: add --yes to erase {alias} without the prompt"
        )
    typed = input(f"Type the alias {alias} to confirm the erasure: ")
    if typed.strip().lower() != alias.lower():
        raise UsageError(f"{typed.strip()!r} is not {alias}: nothing was erased")


# helpers


def _with_archive(config: Config, action: Callable[[Archive], Awaitable[T]]) -> T:
    async def run() -> T:
        archive = await Archive.open(config.archive_path, archive_cipher(config))
        try:
            return await action(archive)
        finally:
            await archive.close()

    return asyncio.run(run())


def _participant_json(participant: Participant) -> dict[str, Any]:
    return {
        "id": participant.id,
        "name": participant.name,
        "email": participant.email,
        "alias": participant.alias,
        "role": participant.role,
        "status": participant.status,
    }


def _print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(c) for c in headers]] + [
        [str(c) if c is not None else "" for c in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
