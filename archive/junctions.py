"""The end of a sender's previous message, for finding details split over two.

filters.junctions joins this tail to the start of the sender's next message
to the same recipient. A phone number written half at the end of one message
and half at the start of the next is found that way.
"""

from __future__ import annotations

from archive.store import Archive

# How much of the previous message the check reads, in characters, and how
# far back it looks. A message older than the window is read as a separate
# conversation.
TAIL_CHARS = 300
WINDOW_HOURS = 24

# The previous message is the latest one from the same sender, received in
# the window before this one, that shares a recipient with it and was passed
# on. Held, rejected and failed messages never reached the recipient, so the
# recipient cannot join them to this one. received_at is ISO 8601 in UTC as
# written by archive.store.now_iso, so strftime writes the window's start in
# the same form and the text comparison uses the (sender_id, received_at)
# index.
_PREVIOUS_TAIL_QUERY = """
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
LIMIT 1
"""


async def previous_message_tail(
    archive: Archive,
    message_id: int,
    chars: int = TAIL_CHARS,
    window_hours: int = WINDOW_HOURS,
) -> str:
    """Return the last `chars` characters of the sender's previous message.

    The text is the message's body_text, the delivered text as stored in
    plaintext for search (the text/plain parts, or the visible text of a
    message sent as HTML alone). Returns "" when there is no previous
    message to a recipient of `message_id` within `window_hours` before it.

    NOTE: a previous message that another pipeline worker is still
    filtering has no body_text yet, so a detail it starts is not joined to
    the next message.
    """
    row = await archive._fetchone(
        _PREVIOUS_TAIL_QUERY,
        (chars, f"-{window_hours} hours", message_id),
    )
    return str(row["tail"]) if row is not None else ""
