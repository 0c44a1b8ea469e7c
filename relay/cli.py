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
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from archive.store import Archive, ArchiveError, Participant
from relay import dkim
from relay.config import Config, ConfigError, load_config
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
    from archive.console import StaffMember

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


def _add_relationship_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    relationship = commands.add_parser(
        "relationship", parents=[common], help="pair participants, end pairings"
    )
    sub = relationship.add_subparsers(title="commands", metavar="COMMAND")
    add = sub.add_parser(
        "add", parents=[common], help="pair at least one mentor and one mentee"
    )
    add.add_argument("members", nargs="+", metavar="ADDRESS_OR_ALIAS")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_relationship_add)

    end = sub.add_parser("end", parents=[common], help="end a relationship")
    end.add_argument("relationship_id", type=int, metavar="ID")
    end.set_defaults(handler=cmd_relationship_end)

    listing = sub.add_parser("list", parents=[common], help="list relationships")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_relationship_list)


# init


def cmd_init(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    config_path = directory / "relay.toml"
    if config_path.exists() or (directory / "archive.sqlite3").exists():
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
    asyncio.run(_create_archive(config))

    print(f"Created a relay for {domain} in {directory}")
    print(f"  config:   {config.path}")
    print(f"  archive:  {config.archive_path}")
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
    archive = await Archive.open(config.archive_path)
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

    async def add(archive: Archive) -> int:
        members = [await find_participant(archive, ref) for ref in args.members]
        check_members(members)
        return await archive.add_relationship([m.id for m in members])

    relationship_id = _with_archive(config, add)
    if args.json:
        _print_json({"id": relationship_id})
    else:
        print(f"relationship {relationship_id} started")
    return 0


def cmd_relationship_end(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    ended = _with_archive(config, lambda a: a.end_relationship(args.relationship_id))
    if not ended:
        raise UsageError(
            f"there is no active relationship {args.relationship_id}: see "
            "`mentor-relay relationship list`"
        )
    print(f"relationship {args.relationship_id} ended")
    return 0


def cmd_relationship_list(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    relationships = _with_archive(config, lambda a: a.list_relationships())
    if args.json:
        _print_json(
            [
                {
                    "id": r.id,
                    "status": r.status,
                    "started_at": r.started_at,
                    "ended_at": r.ended_at,
                    "members": [_participant_json(m) for m in r.members],
                }
                for r in relationships
            ]
        )
        return 0
    _print_table(
        ("ID", "STATUS", "STARTED", "ENDED", "MEMBERS"),
        [
            (
                r.id,
                r.status,
                r.started_at[:10],
                (r.ended_at or "")[:10],
                ", ".join(f"{m.name} ({m.role}, {m.alias})" for m in r.members),
            )
            for r in relationships
        ],
    )
    return 0


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
    add.set_defaults(handler=cmd_staff_add)
    _add_staff_account_commands(sub, common)

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
    password = _read_password(args.password_stdin)
    try:
        password_hash = hash_password(password)
    except PasswordError as error:
        raise UsageError(str(error)) from None
    member = _with_archive(
        config,
        lambda a: ConsoleStore(a).add_staff(
            username, password_hash, args.role, actor=_cli_actor()
        ),
    )
    print(f"staff account {member.username} added as {member.role}")
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    from archive.console import ConsoleStore

    config = load_config(args.config)
    now = time.time()
    accounts = _with_archive(config, lambda a: ConsoleStore(a).staff_accounts(now))
    if args.json:
        _print_json(
            [
                {
                    "id": account.member.id,
                    "username": account.member.username,
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
        ("USERNAME", "ROLE", "STATUS", "CREATED", "OPEN SESSIONS"),
        [
            (
                a.member.username,
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
        extra = f" {finding['detail']}" if finding["detail"] else ""
        print(
            f"  {finding['kind']} x{finding['count']} in {finding['location']}{extra}"
        )
    if not shown["findings"]:
        print("  none")
    print("delivered copy:")
    print(shown["delivered"])
    return 0


# helpers


def _with_archive(config: Config, action: Callable[[Archive], Awaitable[T]]) -> T:
    async def run() -> T:
        archive = await Archive.open(config.archive_path)
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
