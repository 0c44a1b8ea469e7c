"""The pairing rule between participants.

Only participants in a running relationship may write to each other, and a
suspended participant can neither send nor receive. A relationship runs
until the end of its planned end day and not while it is paused. The rule
decides by those dates, so mail stops on time even before the scheduler
has closed or resumed the relationship in the archive.
"""

from __future__ import annotations

from datetime import date

from archive.lifecycle import utc_today
from archive.store import Archive, Pairing, Participant
from relay import replies


async def refusal_for(
    archive: Archive,
    sender: Participant,
    recipient: Participant,
    contact: str,
    today: date | None = None,
    *,
    coordinator_email: str | None = None,
) -> str | None:
    """Return the SMTP reply refusing this sender-recipient pair, or None.

    `today` is the UTC date the rule applies to (default: the current one).
    Replies about an ended or paused relationship name `coordinator_email`,
    when given, beside `contact`.
    """
    if sender.status != "active":
        return replies.SENDER_SUSPENDED.format(contact=contact)
    if recipient.status != "active":
        return replies.RECIPIENT_SUSPENDED.format(contact=contact)

    pairing = await archive.pairing(sender.id, recipient.id)
    if pairing is None or sender.id == recipient.id:
        return replies.NOT_PAIRED.format(contact=contact)
    reach = coordinator_contact(contact, coordinator_email)
    return rejection_by_date(pairing, today or utc_today(), reach)


def rejection_by_date(pairing: Pairing, today: date, contact: str) -> str | None:
    """Return the reply refusing mail within `pairing` on `today`, or None."""
    if pairing.status == "ended":
        ended = (pairing.ended_at or "")[:10]
        return replies.RELATIONSHIP_ENDED.format(ended=ended, contact=contact)
    if date.fromisoformat(pairing.planned_end) < today:
        return replies.RELATIONSHIP_ENDED.format(
            ended=pairing.planned_end, contact=contact
        )
    if pairing.paused_until and date.fromisoformat(pairing.paused_until) > today:
        return replies.RELATIONSHIP_PAUSED.format(
            until=pairing.paused_until, contact=contact
        )
    return None


def coordinator_contact(contact: str, coordinator_email: str | None) -> str:
    """Return who to contact, with the coordinator's address when there is one."""
    if not coordinator_email:
        return contact
    return f"{contact} at {coordinator_email}"
