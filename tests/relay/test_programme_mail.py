"""Programme mail: the templates, their checks at start-up, and the headers."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from archive.store import Participant
from relay.config import Config, ConfigError, load_config
from relay.programme_mail import (
    DIGEST,
    PLACEHOLDERS,
    PROMPT,
    Digest,
    PairCount,
    ProgrammeMail,
    load_templates,
)
from relay.server import Relay
from tests.conftest import Cast, set_config

NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
SAM = Participant(
    1,
    "Sam Jones",
    "sam@example.org",
    "sam.k7q2m4x9@relay.example.org",
    "mentor",
    "active",
)
ZOE = Participant(
    2,
    "Zoë Ó Briain",
    "zoe@example.com",
    "zoe.p3r8t2wa@relay.example.org",
    "mentee",
    "active",
)
PACKAGED = Path(__file__).resolve().parents[2] / "config" / "templates"


@pytest.fixture
def config(relay_dir: Path) -> Config:
    return load_config(relay_dir / "relay.toml")


@pytest.fixture
def templates(relay_dir: Path) -> Path:
    """Copy the packaged templates beside relay.toml and point the config at them."""
    folder = relay_dir / "templates"
    shutil.copytree(PACKAGED, folder)
    set_config(relay_dir, "programme", "templates", '"templates"')
    return folder


def parsed(content: bytes) -> EmailMessage:
    message = message_from_bytes(content, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    content: str = message.get_content()
    return content.replace("\r\n", "\n")


def load_error(relay_dir: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        ProgrammeMail.load(load_config(relay_dir / "relay.toml"))
    return str(raised.value)


def test_packaged_templates_load(config: Config) -> None:
    templates = load_templates(config.programme.templates)

    assert sorted(templates) == sorted(PLACEHOLDERS)
    assert config.programme.templates == PACKAGED


def test_prompt_headers_and_text(config: Config) -> None:
    notice = ProgrammeMail.load(config).prompt(SAM, [ZOE], 12, NOW)
    message = parsed(notice.content)

    assert notice.kind == "prompt"
    assert notice.recipient == "sam@example.org"
    assert message["From"] == "Mentor Relay <no-reply@relay.example.org>"
    assert message["To"] == "Sam Jones <sam@example.org>"
    assert message["Subject"] == "Time to write to Zoë Ó Briain?"
    assert message["Date"] == "Mon, 02 Mar 2026 08:30:00 +0000"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@relay.example.org>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert text_of(message) == (
        "Hello Sam,\n"
        "\n"
        "It has been 12 days since you and Zoë Ó Briain last wrote to\n"
        "each other. A short message is enough to keep things going: how your\n"
        "week went, a question you have, or what you would like to talk about\n"
        "next.\n"
        "\n"
        "Write to Zoë Ó Briain at zoe.p3r8t2wa@relay.example.org, as before.\n"
        "\n"
        "If something makes it hard to write, contact your programme "
        "coordinator.\n"
        "\n"
        "This message was sent automatically, so replies to it are not read.\n"
    )
    assert b"zoe@example.com" not in notice.content


def test_non_ascii_text_quoted_printable(config: Config) -> None:
    notice = ProgrammeMail.load(config).wind_down(ZOE, [SAM], date(2026, 3, 14), NOW)
    message = parsed(notice.content)

    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert notice.content.isascii()
    assert text_of(message).startswith("Hello Zoë,\n")
    assert b"sam@example.org" not in notice.content


def test_digest_with_nothing_to_report(config: Config) -> None:
    digest = Digest("2026-W10", 0, 0, 0, 0, quiet=[], ending=[], counts=[])
    notice = ProgrammeMail.load(config).digest("casey@example.org", digest, NOW)
    message = parsed(notice.content)

    assert message["To"] == "casey@example.org"
    assert text_of(message) == (
        "Weekly digest for 2026-W10.\n"
        "\n"
        "Waiting for review:\n"
        "  0 held messages (0 new in the last seven days)\n"
        "  0 flagged messages passed on without a decision (0 new)\n"
        "\n"
        "Pairs with no message for more than 10 days:\n"
        "  none\n"
        "\n"
        "Relationships ending within 14 days:\n"
        "  none\n"
        "\n"
        "Messages between members in the last seven days:\n"
        "  none\n"
        "\n"
        f"Open the console to review: {config.console.base_url}\n"
    )


def test_edited_template_is_used(relay_dir: Path, templates: Path) -> None:
    (templates / DIGEST).write_text(
        "Subject: Digest $week costs $$0\n\nCounts:\n$message_counts\n"
    )
    config = load_config(relay_dir / "relay.toml")
    counts = [PairCount(4, (SAM.alias, ZOE.alias), 7)]
    digest = Digest("2026-W10", 0, 0, 0, 0, quiet=[], ending=[], counts=counts)

    message = parsed(
        ProgrammeMail.load(config).digest("c@example.org", digest, NOW).content
    )

    assert message["Subject"] == "Digest 2026-W10 costs $0"
    assert text_of(message) == (
        "Counts:\n"
        "  relationship 4 (sam.k7q2m4x9@relay.example.org and "
        "zoe.p3r8t2wa@relay.example.org): 7\n"
    )


def test_unknown_placeholder_rejected(relay_dir: Path, templates: Path) -> None:
    (templates / PROMPT).write_text(
        "Subject: Hi $first_name\n\nWrite to $partner_email.\n"
    )

    assert load_error(relay_dir) == (
        f"template {templates / PROMPT} uses unknown placeholder $partner_email: "
        "use one of $contact, $days_quiet, $first_name, $name, $partner_alias, "
        "$partner_name"
    )


def test_unknown_subject_placeholder_rejected(relay_dir: Path, templates: Path) -> None:
    (templates / PROMPT).write_text("Subject: About ${relationship_id}\n\nHello.\n")

    assert "uses unknown placeholder $relationship_id" in load_error(relay_dir)


def test_stray_dollar_rejected(relay_dir: Path, templates: Path) -> None:
    (templates / DIGEST).write_text("Subject: Digest\n\nIt costs $5.\n")

    assert load_error(relay_dir) == (
        f"template {templates / DIGEST} has a $ that starts no placeholder: "
        "write $$ for a dollar sign, or ${name} for a placeholder"
    )


def test_missing_template_rejected(relay_dir: Path, templates: Path) -> None:
    (templates / PROMPT).unlink()

    assert load_error(relay_dir) == (
        f"template {templates / PROMPT} not found: copy prompt.txt from the "
        "packaged config/templates/ into [programme] templates"
    )


def test_missing_subject_line_rejected(relay_dir: Path, templates: Path) -> None:
    (templates / PROMPT).write_text("Hello $first_name,\n\nWrite soon.\n")

    assert load_error(relay_dir) == (
        f"template {templates / PROMPT} must start with a line such as "
        "`Subject: Time to write`, not 'Hello $first_name,'"
    )


async def test_bad_template_stops_relay_open(
    relay_dir: Path, templates: Path, cast: Cast
) -> None:
    (templates / PROMPT).write_text("Subject: Hi\n\n$partner_email\n")

    with pytest.raises(ConfigError, match=r"unknown placeholder \$partner_email"):
        await Relay.open(load_config(relay_dir / "relay.toml"))
