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

# One reply for an unknown alias, an alias the sender may not write to and a
# suspended recipient, so that no reply confirms that an alias exists.
# relay.policy returns it under the names NOT_PAIRED and RECIPIENT_SUSPENDED.
NO_SUCH_ALIAS = Reply(
    550,
    "5.1.1",
    "No such alias, or you may not write to it: check the address, or ask {contact}",
)
NOT_PAIRED = NO_SUCH_ALIAS
RECIPIENT_SUSPENDED = NO_SUCH_ALIAS
UNKNOWN_SENDER = Reply(
    550,
    "5.7.1",
    "This address is not registered with the mentoring programme: send from the "
    "address you registered with",
)
# The From header decides who a participant is, so it must be unambiguous.
UNREADABLE_FROM = Reply(
    550,
    "5.7.1",
    "The From header must show exactly one address, and no other address in "
    "its display name: send from your usual mail program with your registered "
    "address",
)
SENDER_SUSPENDED = Reply(
    550,
    "5.7.1",
    "Your account is suspended: contact {contact} to have it restored",
)
RELATIONSHIP_ENDED = Reply(
    550,
    "5.7.1",
    "Your mentoring relationship with this participant ended on {ended}: contact "
    "{contact} to get in touch again",
)
# A pause lasts weeks, longer than a sender's mail server keeps retrying, so
# the reply is a permanent 550 that names the day mail flows again.
RELATIONSHIP_PAUSED = Reply(
    550,
    "5.7.1",
    "Your mentoring relationship with this participant is paused: write again "
    "from {until}, or contact {contact} before then",
)
MESSAGE_TOO_BIG = Reply(
    552, "5.3.4", "Message too big: the limit is {limit} bytes, so send a shorter one"
)
HEADER_TOO_BIG = Reply(
    552,
    "5.3.4",
    "The message header is too big: the limit is {limit} bytes, so remove some "
    "recipients or references",
)
DATA_LINE_TOO_LONG = Reply(
    500,
    "5.6.0",
    "A line of the message is longer than 998 characters: your mail program "
    "must break long lines before sending",
)
COMMAND_LINE_TOO_LONG = Reply(
    500, "5.5.2", "Command line too long: the limit is 512 bytes"
)
TOO_MANY_RECIPIENTS = Reply(
    452, "4.5.3", "Too many recipients: send to at most {limit} aliases per message"
)
BOUNCE_NOT_ALONE = Reply(
    452,
    "4.5.3",
    "A bounce address must be the only recipient: send to it in a separate transaction",
)
BOUNCE_ACCEPTED = Reply(250, "2.0.0", "Bounce received")
POSTMASTER_NOT_ALONE = Reply(
    452,
    "4.5.3",
    "The postmaster must be the only recipient: send to it in a separate transaction",
)
POSTMASTER_ACCEPTED = Reply(250, "2.0.0", "Kept for the postmaster")
ARCHIVE_UNAVAILABLE = Reply(
    451,
    "4.3.0",
    "The relay could not store your message just now: your mail server will try "
    "again later",
)
INTERNAL_ERROR = Reply(
    451,
    "4.3.0",
    "The relay had an internal error: your mail server will try again later",
)
CHECKS_TIMED_OUT = Reply(
    451,
    "4.3.0",
    "The relay took too long to check your message: your mail server will try "
    "again later",
)
LOW_DISK_SPACE = Reply(
    452,
    "4.3.1",
    "The relay is short of disk space: your mail server will try again later",
)
SENDER_RATE_LIMITED = Reply(
    450,
    "4.7.1",
    "You have sent {limit} messages in the last hour, the most the relay takes: "
    "your mail server will try again later",
)
TOO_MANY_CONNECTIONS = Reply(
    421,
    "4.7.0",
    "Too many connections from your address: closing this one, try again later",
)
TOO_MANY_REFUSALS = Reply(
    421,
    "4.7.0",
    "Too many refused recipients in this session: closing the connection",
)
VRFY_NOT_OFFERED = Reply(
    252, "2.5.0", "The relay does not verify addresses: send your message as usual"
)
EXPN_NOT_OFFERED = Reply(502, "5.5.1", "The relay does not expand lists")
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
SENDER_NOT_VERIFIED = Reply(
    550,
    "5.7.26",
    "The message could not be verified as coming from the sender's domain: send "
    "it from your own mail account, through your provider's servers",
)
SENDER_CHECK_UNAVAILABLE = Reply(
    451,
    "4.4.3",
    "The relay could not look up the sender's domain in DNS just now: your mail "
    "server will try again later",
)
