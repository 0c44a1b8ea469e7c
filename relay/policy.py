"""The pairing rule between participants.

Only participants in an active relationship may write to each other, and a
suspended participant can neither send nor receive.
"""

from __future__ import annotations

from archive.store import Archive, Participant
from relay import replies


async def refusal_for(
    archive: Archive, sender: Participant, recipient: Participant, contact: str
) -> str | None:
    """Return the SMTP reply refusing this sender-recipient pair, or None."""
    if sender.status != "active":
        return replies.SENDER_SUSPENDED.format(contact=contact)
    if recipient.status != "active":
        return replies.RECIPIENT_SUSPENDED.format(contact=contact)

    pairing = await archive.pairing(sender.id, recipient.id)
    if pairing is None or sender.id == recipient.id:
        return replies.NOT_PAIRED.format(contact=contact)
    status, ended_at = pairing
    if status == "ended":
        ended = (ended_at or "")[:10]
        return replies.RELATIONSHIP_ENDED.format(ended=ended, contact=contact)
    return None
