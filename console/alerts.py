"""Safeguarding alerts: a short mail to the officers for each high-severity flag.

An alert names the message's console link, its queue id and the flag
categories, never the sender, the recipients or any of the message's text,
because it travels over ordinary mail outside the console's access checks.
The pipeline runner queues the alerts in the transaction that records the
filtered message, one per address in [console] safeguarding_alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from archive.notices import NewNotice
from archive.store import StoredFinding
from relay.config import Config


def high_severity_categories(findings: Iterable[StoredFinding]) -> list[str]:
    """Return the categories of high-severity findings, first seen first."""
    found: list[str] = []
    for finding in findings:
        category = finding.category or finding.kind
        if finding.severity == "high" and category not in found:
            found.append(category)
    return found


def safeguarding_alert(
    config: Config,
    recipient: str,
    message_id: int,
    queue_id: str,
    categories: list[str],
) -> bytes:
    """Compose the alert to one officer's real address."""
    alert = EmailMessage(policy=SMTP)
    alert["From"] = f"Mentor Relay <postmaster@{config.domain}>"
    alert["To"] = recipient
    alert["Subject"] = "Safeguarding flag: " + ", ".join(categories)
    alert["Date"] = format_datetime(datetime.now(UTC))
    alert["Message-ID"] = make_msgid(domain=config.domain)
    alert["Auto-Submitted"] = "auto-generated"
    link = f"{config.console.base_url}/messages/{message_id}/original"
    alert.set_content(
        f"A message was flagged with high severity ({', '.join(categories)}).\n\n"
        f"Review it in the console: {link}\n"
        f"Queue id: {queue_id}\n\n"
        "This alert carries none of the message's content; sign in to read it.\n"
    )
    return alert.as_bytes()


def alert_notices(
    config: Config,
    message_id: int,
    queue_id: str,
    findings: Iterable[StoredFinding],
) -> list[NewNotice]:
    """Write one alert per configured officer address, or none without a high flag.

    Addresses that differ only in case get one alert between them.
    """
    categories = high_severity_categories(findings)
    if not categories:
        return []
    notices: list[NewNotice] = []
    seen: set[str] = set()
    for address in config.console.safeguarding_alerts:
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        content = safeguarding_alert(config, address, message_id, queue_id, categories)
        notices.append(NewNotice("safeguarding_alert", address, content))
    return notices
