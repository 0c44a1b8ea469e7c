"""The end of a sender's recent messages, for finding details split over several.

filters.junctions joins this tail to the start of the sender's next message
to the same recipient. A phone number written half at the end of one message
and half at the start of the next is found that way, and so is an address
given a line at a time over three or four messages.
"""

from __future__ import annotations

from archive.store import Archive

# How much of the recent messages the check reads, in characters, how many
# messages it joins and how far back it looks. A message older than the
# window is read as a separate conversation.
TAIL_CHARS = 300
TAIL_MESSAGES = 4
WINDOW_HOURS = 24

# The recent messages are the latest ones from the same sender, received in
# the window before this one, that share a recipient with it and were passed
# on. Held, rejected and failed messages never reached the recipient, so the
# recipient cannot join them to this one. received_at is ISO 8601 in UTC as
# written by archive.store.now_iso, so strftime writes the window's start in
# the same form and the text comparison uses the (sender_id, received_at)
# index.
_RECENT_TAILS_QUERY = """
SELECT substr(p.body_text, -?) AS tail
FROM messages n
JOIN messages p ON p.sender_id = n.sender_id AND p.id < n.id
    AND p.received_at >= strftime('%Y-%m-%dT%H:%M:%S+00:00', n.received_at,
        ?)
WHERE n.id = ?
    AND p.status IN ('queued', 'delivered')
    AND p.body_text IS NOT NULL
    AND EXISTS (SELECT 1 FROM message_recipients pr
        JOIN message_recipients nr ON nr.participant_id = pr.participant_id
        WHERE pr.message_id = p.id AND nr.message_id = n.id)
ORDER BY p.received_at DESC, p.id DESC
LIMIT ?
"""


async def previous_message_tail(
    archive: Archive,
    message_id: int,
    chars: int = TAIL_CHARS,
    window_hours: int = WINDOW_HOURS,
    messages: int = TAIL_MESSAGES,
) -> str:
    """Return the last `chars` characters of the sender's recent messages.

    Up to `messages` messages are joined oldest first, each without the
    white space at its end and followed by one line break except the last.
    Each text is the message's body_text, the delivered text as stored in
    plaintext for search (the text/plain parts, or the visible text of a
    message sent as HTML alone). Returns "" when there is no earlier
    message to a recipient of `message_id` within `window_hours` before it.

    NOTE: a previous message that another pipeline worker is still
    filtering has no body_text yet, so a detail it starts is not joined to
    the next message.
    """
    rows = await archive._fetchall(
        _RECENT_TAILS_QUERY,
        (chars, f"-{window_hours} hours", message_id, messages),
    )
    tails = [str(row["tail"]).rstrip() for row in reversed(rows)]
    joined = "\n".join(tail for tail in tails if tail)
    return joined[-chars:]
