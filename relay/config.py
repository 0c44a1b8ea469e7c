"""Load and check relay.toml.

Every key has a checked type and, where it matters, a checked range, so that a
mistake in the file stops the relay with one line naming the key, the value
and the fix, instead of a traceback later.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers

from archive.crypto import Cipher, KeyFileError, load_cipher
from archive.lifecycle import MAX_TERM_MONTHS
from filters.safeguarding import DEFAULT_RULES_PATH, RulesError, load_rules

# Upper bounds that keep every date the relay computes from these keys far
# inside the range of a Python date, which ends with the year 9999.
MAX_NOTICE_DAYS = 3650
MAX_RETENTION_DAYS = 36500


class ConfigError(Exception):
    """relay.toml is missing, unreadable or has an invalid key."""


@dataclass(frozen=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class SmtpSettings:
    listen: HostPort
    max_message_bytes: int
    max_recipients: int
    hostname: str
    tls_certificate: Path | None
    tls_key: Path | None
    max_header_bytes: int
    max_connections_per_client: int
    max_messages_per_sender_per_hour: int
    max_refused_recipients: int
    disk_margin_bytes: int


@dataclass(frozen=True)
class DeliverySettings:
    transport: str
    maildir: Path
    smarthost: HostPort
    starttls: str
    username: str | None
    password: str | None
    retry_base_seconds: float
    retry_max_seconds: float
    give_up_seconds: float
    warn_after_seconds: float
    max_auto_replies_per_pair_per_day: int


@dataclass(frozen=True)
class DkimSettings:
    selector: str
    private_key: Path


@dataclass(frozen=True)
class FilterSettings:
    default_region: str
    extra_offensive_words: tuple[str, ...]
    allowed_offensive_words: tuple[str, ...]
    hold_flagged: bool
    parse_timeout_seconds: float
    safeguarding_rules: Path = DEFAULT_RULES_PATH
    # Whether the learned model adds medium-severity estimates to the rules.
    safeguarding_model: bool = True


@dataclass(frozen=True)
class AuthSettings:
    """Inbound sender authentication (SPF, DKIM, DMARC alignment)."""

    policy: str
    dns_timeout_seconds: float
    trusted_networks: tuple[str, ...]


@dataclass(frozen=True)
class ConsoleSettings:
    """The web console for coordinators and safeguarding officers."""

    listen: HostPort
    # The address staff open, used in alert links; an https:// address also
    # makes the session cookie Secure.
    base_url: str
    session_hours: float
    # Real addresses that get an alert for each high-severity flag.
    safeguarding_alerts: tuple[str, ...]
    # The dashboard lists active relationships quiet for longer than this.
    quiet_days: int
    # Failed sign-ins from one client address within 15 minutes before that
    # address is locked out. Behind a reverse proxy every client has the
    # proxy's address, so such a deployment raises this.
    max_failed_logins_per_address: int

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


@dataclass(frozen=True)
class ProgrammeSettings:
    """Settings for running a cohort: terms, wind-down, prompts and digests."""

    # A new relationship's planned end is this many months after its start.
    term_months: int
    # Both sides and the coordinator hear this many days before the end.
    wind_down_days: int
    # A pair with no message for this many days gets one friendly prompt.
    prompt_after_quiet_days: int
    # The day of the week coordinators get their digest (0 = Monday).
    digest_weekday: int
    # How often the scheduler inside `serve` looks for work.
    scheduler_interval_seconds: float
    # The folder of prompt, notice and digest templates.
    templates: Path


@dataclass(frozen=True)
class RetentionSettings:
    """How long each class of record is kept, in days."""

    delivered_days: int
    originals_days: int
    findings_days: int
    audit_days: int
    # Records with a safeguarding flag or decision are kept this long instead.
    flagged_days: int
    # The scheduler inside `serve` runs `retention run` once a day.
    scheduled: bool


@dataclass(frozen=True)
class Config:
    path: Path
    domain: str
    contact: str
    coordinator_email: str | None
    smtp: SmtpSettings
    delivery: DeliverySettings
    archive_path: Path
    dkim: DkimSettings
    filters: FilterSettings
    auth: AuthSettings
    console: ConsoleSettings
    programme: ProgrammeSettings
    retention: RetentionSettings
    # The AES-256 key that encrypts raw originals in the archive. It lives
    # outside the database, so a copied archive file alone reveals nothing
    # the filters removed.
    archive_key: Path


_TRANSPORTS = ("maildir", "smtp")
_STARTTLS_MODES = ("opportunistic", "required", "off")
_AUTH_POLICIES = ("enforce", "hold", "off")
_WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
DEFAULT_TEMPLATES_PATH = Path(__file__).resolve().parent.parent / "config" / "templates"


def load_config(path: Path) -> Config:
    """Read and check the config file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found: run `mentor-relay init DIR` to create "
            "one, or pass --config PATH"
        ) from None
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    return _build(path.resolve(), data)


def archive_cipher(config: Config) -> Cipher:
    """Load the archive key that `config` names, or raise ConfigError saying why."""
    try:
        return load_cipher(config.archive_key)
    except KeyFileError as error:
        raise ConfigError(f"{config.path}: {error}") from None


def _build(path: Path, data: dict[str, Any]) -> Config:
    keys = _Keys(path, data)
    base = path.parent
    domain = keys.get("relay.domain", str, check=_check_domain)
    config = Config(
        path=path,
        domain=domain.lower(),
        contact=keys.get("relay.contact", str, "your programme coordinator"),
        coordinator_email=keys.optional("relay.coordinator_email", str) or None,
        smtp=SmtpSettings(
            listen=keys.get("smtp.listen", str, "127.0.0.1:2525", parse=_host_port),
            max_message_bytes=keys.get(
                "smtp.max_message_bytes", int, 10_485_760, check=_at_least(1024)
            ),
            max_recipients=keys.get("smtp.max_recipients", int, 20, check=_at_least(1)),
            hostname=keys.get("smtp.hostname", str, domain, check=_check_domain),
            tls_certificate=_optional_path(
                base, keys.optional("smtp.tls_certificate", str)
            ),
            tls_key=_optional_path(base, keys.optional("smtp.tls_key", str)),
            max_header_bytes=keys.get(
                "smtp.max_header_bytes", int, 65_536, check=_at_least(1024)
            ),
            max_connections_per_client=keys.get(
                "smtp.max_connections_per_client", int, 20, check=_at_least(1)
            ),
            max_messages_per_sender_per_hour=keys.get(
                "smtp.max_messages_per_sender_per_hour", int, 100, check=_at_least(1)
            ),
            max_refused_recipients=keys.get(
                "smtp.max_refused_recipients", int, 5, check=_at_least(1)
            ),
            disk_margin_bytes=keys.get(
                "smtp.disk_margin_bytes", int, 52_428_800, check=_at_least(0)
            ),
        ),
        delivery=DeliverySettings(
            transport=keys.get(
                "delivery.transport", str, "maildir", check=_one_of(_TRANSPORTS)
            ),
            maildir=base / keys.get("delivery.maildir", str, "outbox"),
            smarthost=keys.get(
                "delivery.smarthost", str, "127.0.0.1:2526", parse=_host_port
            ),
            starttls=keys.get(
                "delivery.starttls",
                str,
                "opportunistic",
                check=_one_of(_STARTTLS_MODES),
            ),
            username=keys.optional("delivery.username", str),
            password=keys.optional("delivery.password", str),
            retry_base_seconds=keys.get(
                "delivery.retry_base_seconds", float, 300.0, check=_positive
            ),
            retry_max_seconds=keys.get(
                "delivery.retry_max_seconds", float, 3600.0, check=_positive
            ),
            give_up_seconds=keys.get(
                "delivery.give_up_seconds", float, 5 * 86400.0, check=_positive
            ),
            warn_after_seconds=keys.get(
                "delivery.warn_after_seconds", float, 4 * 3600.0, check=_positive
            ),
            max_auto_replies_per_pair_per_day=keys.get(
                "delivery.max_auto_replies_per_pair_per_day",
                int,
                2,
                check=_at_least(0),
            ),
        ),
        archive_path=base / keys.get("archive.path", str, "archive.sqlite3"),
        archive_key=base / keys.get("archive.key_file", str, "archive.key"),
        dkim=DkimSettings(
            selector=keys.get("dkim.selector", str, "relay", check=_check_label),
            private_key=base / keys.get("dkim.private_key", str, "dkim.pem"),
        ),
        filters=FilterSettings(
            default_region=keys.get(
                "filters.default_region", str, "GB", check=_check_region
            ),
            extra_offensive_words=tuple(
                keys.get("filters.extra_offensive_words", list, [])
            ),
            allowed_offensive_words=tuple(
                keys.get("filters.allowed_offensive_words", list, [])
            ),
            hold_flagged=keys.get("filters.hold_flagged", bool, False),
            parse_timeout_seconds=keys.get(
                "filters.parse_timeout_seconds", float, 10.0, check=_positive
            ),
            safeguarding_rules=_rules_path(keys, base),
            safeguarding_model=keys.get("filters.safeguarding_model", bool, True),
        ),
        auth=AuthSettings(
            policy=keys.get(
                "auth.policy", str, "enforce", check=_one_of(_AUTH_POLICIES)
            ),
            dns_timeout_seconds=keys.get(
                "auth.dns_timeout_seconds", float, 3.0, check=_positive
            ),
            trusted_networks=tuple(
                keys.get(
                    "auth.trusted_networks",
                    list,
                    ["127.0.0.0/8", "::1/128"],
                    check=_check_networks,
                )
            ),
        ),
        console=_console_settings(keys),
        programme=_programme_settings(keys, base),
        retention=_retention_settings(keys),
    )
    _check_delivery(config)
    keys.check_all_read()
    return config


def _console_settings(keys: _Keys) -> ConsoleSettings:
    listen = keys.get("console.listen", str, "127.0.0.1:8025", parse=_host_port)
    return ConsoleSettings(
        listen=listen,
        base_url=keys.get(
            "console.base_url", str, f"http://{listen}", check=_check_base_url
        ).rstrip("/"),
        session_hours=keys.get("console.session_hours", float, 8.0, check=_positive),
        safeguarding_alerts=tuple(
            keys.get("console.safeguarding_alerts", list, [], check=_check_addresses)
        ),
        quiet_days=keys.get("console.quiet_days", int, 14, check=_at_least(1)),
        max_failed_logins_per_address=keys.get(
            "console.max_failed_logins_per_address", int, 20, check=_at_least(1)
        ),
    )


def _programme_settings(keys: _Keys, base: Path) -> ProgrammeSettings:
    weekday: str = keys.get(
        "programme.digest_weekday", str, "monday", check=_one_of(_WEEKDAYS)
    )
    templates = keys.optional("programme.templates", str)
    return ProgrammeSettings(
        term_months=keys.get(
            "programme.term_months", int, 6, check=_between(1, MAX_TERM_MONTHS)
        ),
        wind_down_days=keys.get(
            "programme.wind_down_days", int, 14, check=_between(1, MAX_NOTICE_DAYS)
        ),
        prompt_after_quiet_days=keys.get(
            "programme.prompt_after_quiet_days",
            int,
            10,
            check=_between(1, MAX_NOTICE_DAYS),
        ),
        digest_weekday=_WEEKDAYS.index(weekday),
        scheduler_interval_seconds=keys.get(
            "programme.scheduler_interval_seconds", float, 300.0, check=_positive
        ),
        templates=base / templates if templates else DEFAULT_TEMPLATES_PATH,
    )


def _retention_settings(keys: _Keys) -> RetentionSettings:
    def days(name: str, default: int) -> int:
        value: int = keys.get(
            f"retention.{name}", int, default, check=_between(1, MAX_RETENTION_DAYS)
        )
        return value

    return RetentionSettings(
        delivered_days=days("delivered_days", 730),
        originals_days=days("originals_days", 365),
        findings_days=days("findings_days", 730),
        audit_days=days("audit_days", 2190),
        flagged_days=days("flagged_days", 2555),
        scheduled=keys.get("retention.scheduled", bool, True),
    )


def _check_base_url(value: str) -> str | None:
    if value.startswith(("http://", "https://")) and "@" not in value:
        return None
    return 'is not a web address: write it like "https://console.example.org"'


def _check_addresses(value: list[str]) -> str | None:
    for address in value:
        local, at, domain = address.partition("@")
        if not at or not local or "." not in domain or " " in address:
            return f'has {address!r}, which is not an address such as "dsl@example.org"'
    return None


class _Keys:
    """Typed access to dotted keys, raising ConfigError that names the key."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self._path = path
        self._data = data
        self._read: set[str] = set()

    def check_all_read(self) -> None:
        """Raise ConfigError for the first key the relay never read: a typo."""
        for dotted in _leaf_keys(self._data):
            if dotted not in self._read:
                raise ConfigError(
                    f"{self._path}: unknown key {dotted}: check its spelling "
                    "and section against config/relay.example.toml"
                )

    def _lookup(self, dotted: str) -> Any:
        self._read.add(dotted)
        node: Any = self._data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return _MISSING
            node = node[part]
        return node

    def optional(self, dotted: str, kind: type) -> Any:
        value = self._lookup(dotted)
        if value is _MISSING:
            return None
        return self._typed(dotted, value, kind)

    def get(
        self,
        dotted: str,
        kind: type,
        default: Any = None,
        *,
        check: Callable[[Any], str | None] | None = None,
        parse: Callable[[Any], Any] | None = None,
    ) -> Any:
        value = self._lookup(dotted)
        if value is _MISSING:
            if default is None:
                section, key = dotted.rsplit(".", 1)
                raise ConfigError(
                    f"{self._path}: key {dotted} is missing: add `{key} = ...` "
                    f"under [{section}]"
                )
            value = default
        value = self._typed(dotted, value, kind)
        if check is not None and (problem := check(value)):
            raise ConfigError(f"{self._path}: {dotted} = {value!r} {problem}")
        if parse is not None:
            try:
                return parse(value)
            except ValueError as error:
                raise ConfigError(
                    f"{self._path}: {dotted} = {value!r} {error}"
                ) from None
        return value

    def _typed(self, dotted: str, value: Any, kind: type) -> Any:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, bool):
            # TOML spells booleans in lower case, and so does the message.
            raise ConfigError(
                f"{self._path}: {dotted} = {str(value).lower()} is not a "
                f"{_TYPE_NAMES[int]}: write it as {_TYPE_EXAMPLES[int]}"
            )
        if not isinstance(value, kind):
            raise ConfigError(
                f"{self._path}: {dotted} = {value!r} is not a {_TYPE_NAMES[kind]}: "
                f"write it as {_TYPE_EXAMPLES[kind]}"
            )
        if isinstance(value, list) and not all(isinstance(i, str) for i in value):
            raise ConfigError(
                f"{self._path}: {dotted} must be a list of strings, "
                'such as ["word", "other"]'
            )
        return value


_MISSING = object()
_TYPE_NAMES = {
    str: "string",
    int: "whole number",
    float: "number",
    bool: "boolean",
    list: "list",
}
_TYPE_EXAMPLES = {
    str: 'a quoted string, such as "value"',
    int: "a number without quotes, such as 20",
    float: "a number without quotes, such as 300",
    bool: "true or false without quotes",
    list: 'a list, such as ["a", "b"]',
}


def _host_port(value: str) -> HostPort:
    host, sep, port_text = value.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise ValueError('is not HOST:PORT: write it like "127.0.0.1:2525"')
    port = int(port_text)
    if not 0 < port < 65536:
        raise ValueError("has a port outside 1-65535: pick a port such as 2525")
    return HostPort(host.strip("[]"), port)


def _rules_path(keys: _Keys, base: Path) -> Path:
    """Return the safeguarding rules file, checked now so a mistake stops start-up."""
    value: str = keys.get("filters.safeguarding_rules", str, str(DEFAULT_RULES_PATH))
    path = base / value
    try:
        load_rules(path)
    except RulesError as error:
        raise ConfigError(f"filters.safeguarding_rules: {error}") from None
    return path


def _leaf_keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    found: list[str] = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            found.extend(_leaf_keys(value, f"{dotted}."))
        else:
            found.append(dotted)
    return found


def _check_delivery(config: Config) -> None:
    """Reject delivery settings that are valid one by one but not together."""
    delivery = config.delivery
    if (delivery.username is None) != (delivery.password is None):
        missing = "password" if delivery.password is None else "username"
        raise ConfigError(
            f"{config.path}: delivery.{missing} is missing: set both "
            "delivery.username and delivery.password for AUTH, or neither"
        )
    if delivery.retry_base_seconds > delivery.retry_max_seconds:
        raise ConfigError(
            f"{config.path}: delivery.retry_base_seconds = "
            f"{delivery.retry_base_seconds:g} is larger than "
            f"delivery.retry_max_seconds = {delivery.retry_max_seconds:g}: make "
            "the first retry the shorter"
        )


def _optional_path(base: Path, value: str | None) -> Path | None:
    return base / value if value else None


def _check_networks(value: list[str]) -> str | None:
    for network in value:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            return f'has {network!r}, which is not a network such as "127.0.0.0/8"'
    return None


def _check_domain(value: str) -> str | None:
    labels = value.split(".")
    if len(labels) < 2 or not all(_is_label(label) for label in labels):
        return "is not a domain name: use one such as relay.example.org"
    return None


def _check_label(value: str) -> str | None:
    if not _is_label(value):
        return "is not a DNS label: use letters, digits and hyphens, such as relay"
    return None


def _is_label(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and label.isascii()
        and label.replace("-", "").isalnum()
        and not label.startswith("-")
        and not label.endswith("-")
    )


def _check_region(value: str) -> str | None:
    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        return 'is not a two-letter region code: use one such as "GB" or "IE"'
    return None


def _at_least(minimum: int) -> Callable[[int], str | None]:
    def check(value: int) -> str | None:
        return f"is too small: use {minimum} or more" if value < minimum else None

    return check


def _between(minimum: int, maximum: int) -> Callable[[int], str | None]:
    def check(value: int) -> str | None:
        if value > maximum:
            return f"is too large: use at most {maximum}"
        return _at_least(minimum)(value)

    return check


def _positive(value: float) -> str | None:
    return "must be greater than 0" if value <= 0 else None


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if value in choices:
            return None
        return "is not one of " + ", ".join(f'"{c}"' for c in choices)

    return check
