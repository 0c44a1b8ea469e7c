"""Prompts, wind-down notices and digests, written from editable templates.

Each template is a text file in [programme] templates: a first line
`Subject: ...`, then the body, both `string.Template` text. `$name` or
`${name}` is replaced by a value, and `$$` is a literal dollar sign. Each
template has its own set of placeholders (`PLACEHOLDERS`). A template that
uses any other name, or a missing file, stops `serve` at start-up with a
ConfigError, so nothing fails later when the mail is due.

A participant's mail names their partners by display name and alias only,
never by real address, and no placeholder contains a real address, so an
edited template cannot leak one. Coordinators' mail names participants by alias.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from string import Template

from archive.notices import NewNotice
from archive.store import Participant
from relay.compose import new_message_id
from relay.config import Config, ConfigError

RELAY_NAME = "Mentor Relay"
# Replies to this address get 550 5.1.1 like any unknown alias, and the
# templates tell readers that replies are not read.
FROM_LOCAL_PART = "no-reply"

PROMPT = "prompt.txt"
WIND_DOWN = "wind_down.txt"
WIND_DOWN_COORDINATOR = "wind_down_coordinator.txt"
DIGEST = "digest.txt"

_MEMBER_FIELDS = frozenset(
    {"first_name", "name", "partner_name", "partner_alias", "contact"}
)
PLACEHOLDERS: Mapping[str, frozenset[str]] = {
    PROMPT: _MEMBER_FIELDS | {"days_quiet"},
    WIND_DOWN: _MEMBER_FIELDS | {"end_date", "days_left"},
    WIND_DOWN_COORDINATOR: frozenset(
        {"relationship_id", "members", "end_date", "days_left"}
    ),
    DIGEST: frozenset(
        {
            "week",
            "held",
            "held_new",
            "flagged",
            "flagged_new",
            "quiet_days",
            "quiet_pairs",
            "wind_down_days",
            "ending_pairs",
            "message_counts",
            "console_url",
        }
    ),
}


@dataclass(frozen=True)
class MailTemplate:
    """One template file, split into its subject line and body."""

    name: str
    subject: Template
    body: Template

    def render(self, values: Mapping[str, object]) -> tuple[str, str]:
        """Return (subject, body); `values` must hold every placeholder."""
        text = {key: str(value) for key, value in values.items()}
        return self.subject.substitute(text), self.body.substitute(text)


@dataclass(frozen=True)
class QuietPair:
    relationship_id: int
    aliases: tuple[str, ...]
    days_quiet: int


@dataclass(frozen=True)
class EndingPair:
    relationship_id: int
    aliases: tuple[str, ...]
    planned_end: str
    paused: bool


@dataclass(frozen=True)
class PairCount:
    relationship_id: int
    aliases: tuple[str, ...]
    messages: int


@dataclass(frozen=True)
class Digest:
    """The contents of a coordinator's weekly digest, naming pairs by alias only."""

    week: str
    held: int
    held_new: int
    flagged: int
    flagged_new: int
    quiet: Sequence[QuietPair]
    ending: Sequence[EndingPair]
    counts: Sequence[PairCount]


def load_templates(folder: Path) -> dict[str, MailTemplate]:
    """Read and check every template in `folder`, or raise ConfigError."""
    return {name: _load_template(folder / name, name) for name in PLACEHOLDERS}


def _load_template(path: Path, name: str) -> MailTemplate:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"template {path} not found: copy {name} from the packaged "
            "config/templates/ into [programme] templates"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read template {path}: {error}") from None

    first, _, body = text.partition("\n")
    label, colon, subject = first.partition(":")
    if not colon or label.strip().lower() != "subject" or not subject.strip():
        raise ConfigError(
            f"template {path} must start with a line such as "
            f"`Subject: Time to write`, not {first[:60]!r}"
        )
    template = MailTemplate(
        name,
        Template(subject.strip()),
        Template(body.removeprefix("\n")),
    )
    _check_placeholders(path, template, PLACEHOLDERS[name])
    return template


def _check_placeholders(
    path: Path, template: MailTemplate, allowed: frozenset[str]
) -> None:
    for part in (template.subject, template.body):
        if not part.is_valid():
            raise ConfigError(
                f"template {path} has a $ that starts no placeholder: write "
                "$$ for a dollar sign, or ${name} for a placeholder"
            )
        unknown = sorted(set(part.get_identifiers()) - allowed)
        if unknown:
            raise ConfigError(
                f"template {path} uses unknown placeholder ${unknown[0]}: use "
                "one of " + ", ".join(f"${n}" for n in sorted(allowed))
            )


class ProgrammeMail:
    """Writes the scheduler's mail, each as a notice to one real address."""

    def __init__(self, config: Config, templates: Mapping[str, MailTemplate]):
        self._config = config
        self._templates = templates

    @classmethod
    def load(cls, config: Config) -> ProgrammeMail:
        """Load the templates of [programme] templates, or raise ConfigError."""
        return cls(config, load_templates(config.programme.templates))

    def prompt(
        self,
        member: Participant,
        partners: Sequence[Participant],
        days_quiet: int,
        now: datetime,
    ) -> NewNotice:
        values = self._member_values(member, partners)
        values["days_quiet"] = days_quiet
        return self._notice("prompt", PROMPT, member_address(member), values, now)

    def wind_down(
        self,
        member: Participant,
        partners: Sequence[Participant],
        planned_end: date,
        now: datetime,
    ) -> NewNotice:
        values = self._member_values(member, partners)
        values["end_date"] = planned_end.isoformat()
        values["days_left"] = (planned_end - now.astimezone(UTC).date()).days
        return self._notice("wind_down", WIND_DOWN, member_address(member), values, now)

    def wind_down_coordinator(
        self,
        address: str,
        relationship_id: int,
        members: Sequence[Participant],
        planned_end: date,
        now: datetime,
    ) -> NewNotice:
        values: dict[str, object] = {
            "relationship_id": relationship_id,
            "members": ", ".join(_alias_with_role(m) for m in members),
            "end_date": planned_end.isoformat(),
            "days_left": (planned_end - now.astimezone(UTC).date()).days,
        }
        return self._notice("wind_down", WIND_DOWN_COORDINATOR, address, values, now)

    def digest(self, address: str, digest: Digest, now: datetime) -> NewNotice:
        programme = self._config.programme
        values: dict[str, object] = {
            "week": digest.week,
            "held": digest.held,
            "held_new": digest.held_new,
            "flagged": digest.flagged,
            "flagged_new": digest.flagged_new,
            "quiet_days": programme.prompt_after_quiet_days,
            "quiet_pairs": _quiet_lines(digest.quiet),
            "wind_down_days": programme.wind_down_days,
            "ending_pairs": _ending_lines(digest.ending),
            "message_counts": _count_lines(digest.counts),
            "console_url": self._config.console.base_url,
        }
        return self._notice("digest", DIGEST, address, values, now)

    def _member_values(
        self, member: Participant, partners: Sequence[Participant]
    ) -> dict[str, object]:
        return {
            "first_name": member.first_name,
            "name": member.name,
            "partner_name": " and ".join(p.name for p in partners),
            "partner_alias": ", ".join(p.alias for p in partners),
            "contact": self._config.contact,
        }

    def _notice(
        self,
        kind: str,
        template_name: str,
        to: Address | str,
        values: Mapping[str, object],
        now: datetime,
    ) -> NewNotice:
        subject, body = self._templates[template_name].render(values)
        mail = EmailMessage(policy=SMTP)
        mail["From"] = Address(RELAY_NAME, FROM_LOCAL_PART, self._config.domain)
        mail["To"] = to
        mail["Subject"] = subject
        mail["Date"] = format_datetime(now.astimezone(UTC), usegmt=True)
        mail["Message-ID"] = f"<{new_message_id(self._config.domain)}>"
        mail["Auto-Submitted"] = "auto-generated"
        cte = "7bit" if body.isascii() else "quoted-printable"
        mail.set_content(body, charset="utf-8", cte=cte)
        recipient = to.addr_spec if isinstance(to, Address) else to
        return NewNotice(kind, recipient, mail.as_bytes(policy=SMTP))


def member_address(member: Participant) -> Address:
    return Address(member.name, addr_spec=member.email)


def _alias_with_role(member: Participant) -> str:
    return f"{member.alias} ({member.role})"


def _quiet_lines(pairs: Sequence[QuietPair]) -> str:
    lines = [
        f"  relationship {p.relationship_id} ({' and '.join(p.aliases)}): "
        f"{p.days_quiet} days"
        for p in pairs
    ]
    return "\n".join(lines) or "  none"


def _ending_lines(pairs: Sequence[EndingPair]) -> str:
    lines = []
    for pair in pairs:
        paused = ", paused" if pair.paused else ""
        lines.append(
            f"  relationship {pair.relationship_id} "
            f"({' and '.join(pair.aliases)}{paused}): last day {pair.planned_end}"
        )
    return "\n".join(lines) or "  none"


def _count_lines(counts: Sequence[PairCount]) -> str:
    lines = [
        f"  relationship {c.relationship_id} ({' and '.join(c.aliases)}): {c.messages}"
        for c in counts
    ]
    return "\n".join(lines) or "  none"
