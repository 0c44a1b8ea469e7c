"""The end of a conversation's recent messages, for details split over several.

filters.junctions joins this tail to the start of the sender's next message
to the same recipient. A phone number written half at the end of one message
and half at the start of the next is found that way, and so is an address
given a line at a time over three or four messages. The tail also contains
the partner's latest message to the sender, whose question the next message
may complete.
"""

from __future__ import annotations

from archive.store import Archive

# How much of the recent messages the check reads, in characters, how many
# messages it joins and how far back it looks. A message older than the
# window is read as a separate conversation.
TAIL_CHARS = 300
TAIL_MESSAGES = 4
WINDOW_HOURS = 24
# How many of the partner's latest messages to the sender the tail includes.
PARTNER_MESSAGES = 1

# The recent messages are the latest ones from the same sender, received in
# the window before this one, that share a recipient with it and were passed
# on, and the latest message a recipient of this one sent to the sender in
# that window. A partner's question ("which bit of Leeds, LS6?") and the
# sender's answer ("yep and then 2AB") can make a detail between them, and
# the sender read the partner's message as delivered. Held, rejected and
# failed messages never reached the recipient, so the recipient cannot join
# them to this one. received_at is ISO 8601 in UTC as written by
# archive.store.now_iso, so strftime writes the window's start in the same
# form and the text comparison uses the (sender_id, received_at) index.
_RECENT_TAILS_QUERY = """
WITH n AS (
    SELECT id, sender_id,
        strftime('%Y-%m-%dT%H:%M:%S+00:00', received_at, ?) AS since
    FROM messages WHERE id = ?
)
SELECT tail FROM (
    SELECT * FROM (
        SELECT substr(p.body_text, -?) AS tail, p.received_at, p.id
        FROM n JOIN messages p ON p.sender_id = n.sender_id AND p.id < n.id
            AND p.received_at >= n.since
        WHERE p.status IN ('queued', 'delivered')
            AND p.body_text IS NOT NULL
            AND EXISTS (SELECT 1 FROM message_recipients pr
                JOIN message_recipients nr
                    ON nr.participant_id = pr.participant_id
                WHERE pr.message_id = p.id AND nr.message_id = n.id)
        ORDER BY p.received_at DESC, p.id DESC
        LIMIT ?
    )
    UNION ALL
    SELECT * FROM (
        SELECT substr(p.body_text, -?) AS tail, p.received_at, p.id
        FROM n JOIN message_recipients nr ON nr.message_id = n.id
        JOIN messages p ON p.sender_id = nr.participant_id AND p.id < n.id
            AND p.received_at >= n.since
        WHERE p.status IN ('queued', 'delivered')
            AND p.body_text IS NOT NULL
            AND EXISTS (SELECT 1 FROM message_recipients pr
                WHERE pr.message_id = p.id AND pr.participant_id = n.sender_id)
        ORDER BY p.received_at DESC, p.id DESC
        LIMIT ?
    )
)
ORDER BY received_at DESC, id DESC
LIMIT ?
"""


async def previous_message_tail(
    archive: Archive,
    message_id: int,
    chars: int = TAIL_CHARS,
    window_hours: int = WINDOW_HOURS,
    messages: int = TAIL_MESSAGES,
    partner_messages: int = PARTNER_MESSAGES,
) -> str:
    """Return the last `chars` characters of the conversation before a message.

    The sender's recent messages and up to `partner_messages` of the
    latest messages its recipients sent to the sender, at most `messages`
    in all, are joined oldest first, each without the white space at its
    end and followed by one line break except the last. Each text is the
    message's body_text, the delivered text as stored in plaintext for
    search (the text/plain parts, or the visible text of a message sent as
    HTML alone). Returns "" when no such message was received within
    `window_hours` before `message_id`.

    NOTE: a previous message that another pipeline worker is still
    filtering has no body_text yet, so a detail it starts is not joined to
    the next message.
    """
    rows = await archive._fetchall(
        _RECENT_TAILS_QUERY,
        (
            f"-{window_hours} hours",
            message_id,
            chars,
            messages,
            chars,
            partner_messages,
            messages,
        ),
    )
    tails = [str(row["tail"]).rstrip() for row in reversed(rows)]
    joined = "\n".join(tail for tail in tails if tail)
    return joined[-chars:]
