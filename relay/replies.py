"""Every SMTP reply the relay sends, in one table.

Each text says what happened and what the sender can do next, because a
participant's mail client shows it to them in a bounce.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    code: int
    status: str
    text: str

    def format(self, **values: object) -> str:
        return f"{self.code} {self.status} {self.text.format(**values)}"


ACCEPTED = Reply(250, "2.0.0", "Message accepted for delivery: queued as {queue_id}")
SENDER_OK = Reply(250, "2.1.0", "Sender ok")
RECIPIENT_OK = Reply(250, "2.1.5", "Recipient ok")

UNKNOWN_ALIAS = Reply(
    550, "5.1.1", "No such alias here: check the address your coordinator gave you"
)
UNKNOWN_SENDER = Reply(
    550,
    "5.7.1",
    "This address is not registered with the mentoring programme: send from the "
    "address you registered with",
)
SENDER_SUSPENDED = Reply(
    550,
    "5.7.1",
    "Your account is suspended: contact {contact} to have it restored",
)
RECIPIENT_SUSPENDED = Reply(
    550,
    "5.7.1",
    "This participant cannot receive mail at the moment: contact {contact}",
)
NOT_PAIRED = Reply(
    550,
    "5.7.1",
    "You are not paired with this participant, so the relay cannot pass your "
    "message on: contact {contact} if you think you should be",
)
RELATIONSHIP_ENDED = Reply(
    550,
    "5.7.1",
    "Your mentoring relationship with this participant ended on {ended}: contact "
    "{contact} to get in touch again",
)
MESSAGE_TOO_BIG = Reply(
    552, "5.3.4", "Message too big: the limit is {limit} bytes, so send a shorter one"
)
TOO_MANY_RECIPIENTS = Reply(
    452, "4.5.3", "Too many recipients: send to at most {limit} aliases per message"
)
ARCHIVE_UNAVAILABLE = Reply(
    451,
    "4.3.0",
    "The relay could not store your message just now: your mail server will try "
    "again later",
)
BAD_SENDER_SYNTAX = Reply(
    501,
    "5.1.7",
    "That sender address is not valid: use a plain address like name@example.org",
)
BAD_RECIPIENT_SYNTAX = Reply(
    501,
    "5.1.3",
    "That recipient address is not valid: use the alias address exactly as given",
)
