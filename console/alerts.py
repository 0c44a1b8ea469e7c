"""Safeguarding alerts: a short mail to the officers for each high-severity flag.

An alert names the message's console link, its queue id and the flag
categories, never the sender, the recipients or any of the message's text,
because it travels over ordinary mail outside the console's access checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from archive.store import StoredFinding
from relay.config import Config

# NOTE: nothing queues these alerts yet, because the delivery queue's
# notices table accepts only failure and delay reports. Until it accepts an
# alert kind, officers see high flags only on the dashboard and review queue.


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
    alert = EmailMessage()
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
