"""A participant's rights over their data: a copy of it, and its erasure.

`export_participant` writes a zip of what the archive stores about one
participant. Other participants appear in it only by alias: their names
and real addresses are replaced wherever they occur, in the JSON and in
the exported messages, headers and decoded text parts alike.

`erase_participant` ends the participant's running relationships, deletes
their messages, sent and received, except those a safeguarding officer or
a legal hold needs, and replaces their name and address with placeholders.
Their row stays, so their alias stays reserved and suspended.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import logging
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, getaddresses
from pathlib import Path
from typing import Any

import aiosqlite

from archive import lifecycle
from archive.console import ConsoleStore
from archive.legal_holds import active_holds_on_participant
from archive.purge import (
    SAFEGUARDING_CATEGORIES,
    SAFEGUARDING_RECORD,
    UNCHECKPOINTED,
    UNDER_LEGAL_HOLD,
    purge_messages,
    scrub_files,
)
from archive.store import Archive, ArchiveError, Participant, Row

log = logging.getLogger(__name__)

ERASED_NAME = "Erased participant"
ERASED_END_REASON = "participant erased"

# Statuses of a message that was passed on to its recipients. A held or
# rejected message never reached them, and its text is its sender's, so a
# recipient's export leaves it out.
_PASSED_ON_SQL = "('queued', 'delivered', 'failed')"

_MESSAGES_QUERY = f"""
SELECT m.id, m.queue_id, m.received_at, m.status, m.sender_id, m.subject,
    m.flag, m.hold_reason, m.reject_reason, m.auth_results, m.delivered,
    m.original_removed_at
FROM messages m
WHERE m.sender_id = ?1
    OR (m.status IN {_PASSED_ON_SQL} AND EXISTS (SELECT 1 FROM message_recipients r
        WHERE r.message_id = m.id AND r.participant_id = ?1))
ORDER BY m.received_at, m.id
"""

# Every message the participant sent or received, with the reason to keep
# it, NULL when erasure may delete it.
_ERASURE_QUERY = f"""
SELECT m.id, m.queue_id, CASE
    WHEN {UNDER_LEGAL_HOLD} THEN 'under legal hold'
    WHEN {SAFEGUARDING_CATEGORIES} IS NOT NULL
        THEN 'safeguarding flag: ' || {SAFEGUARDING_CATEGORIES}
    WHEN {SAFEGUARDING_RECORD} THEN 'safeguarding review or decision'
    END AS keep_reason
FROM messages m
WHERE m.sender_id = ?1 OR EXISTS (SELECT 1 FROM message_recipients r
    WHERE r.message_id = m.id AND r.participant_id = ?1)
ORDER BY m.received_at, m.id
"""

# Headers whose value is a list of addresses: the names in them are
# dropped and the addresses replaced, instead of the text edited.
_ADDRESS_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "sender",
        "return-path",
        "delivered-to",
        "x-original-to",
        "disposition-notification-to",
        "resent-from",
        "resent-to",
        "resent-cc",
        "resent-sender",
    }
)

_REMOVED_ATTACHMENT = (
    "This attachment was left out of the export because it contains the "
    "name or address of another participant.\n"
)


class SubjectError(ArchiveError):
    """An export or erasure that cannot go ahead, with the reason and the fix."""


# Export


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    messages: int
    relationships: int


class Redactor:
    """Replaces other participants' names and real addresses with their aliases."""

    def __init__(self, others: Iterable[Participant]) -> None:
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        for other in others:
            self._patterns.append((_address_pattern(other.email), other.alias))
            if other.name.split():
                self._patterns.append((_name_pattern(other.name), other.alias))

    def text(self, value: str) -> str:
        for pattern, alias in self._patterns:
            value = pattern.sub(alias, value)
        return value

    def found_in(self, value: str) -> bool:
        return any(pattern.search(value) for pattern, _ in self._patterns)

    def json(self, value: Any) -> Any:
        """Redact every string in a JSON value: dicts, lists and scalars."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {key: self.json(item) for key, item in value.items()}
        return value

    def message(self, raw: bytes) -> bytes:
        """Redact a message; return it unchanged when nothing needs redacting.

        Headers and text parts are edited in decoded form and the message is
        serialised again, so encoded words, quoted-printable and base64 hide
        nothing. A non-text part that names another participant is replaced
        with a short note.
        """
        try:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            changed = False
            for part in parsed.walk():
                assert isinstance(part, EmailMessage)
                changed |= self._redact_headers(part)
                if not part.is_multipart():
                    changed |= self._redact_body(part)
            return parsed.as_bytes() if changed else raw
        except (LookupError, ValueError, TypeError, IndexError, AttributeError):
            # NOTE: a message the email package cannot take apart is redacted
            # as text, which misses names inside base64 or quoted-printable.
            log.debug("redacting an unparsable message as plain text")
            return self.text(raw.decode("utf-8", "surrogateescape")).encode(
                "utf-8", "surrogateescape"
            )

    def _redact_headers(self, part: EmailMessage) -> bool:
        items = [(name, str(value)) for name, value in part.items()]
        redacted = [(name, self._header(name, value)) for name, value in items]
        if redacted == items:
            return False
        for name in {name for name, _ in items}:
            del part[name]
        for name, value in redacted:
            part[name] = value
        return True

    def _header(self, name: str, value: str) -> str:
        if not self.found_in(value):
            return value
        if name.lower() not in _ADDRESS_HEADERS:
            return self.text(value)
        pairs = getaddresses([value])
        return ", ".join(
            formataddr(("" if self.found_in(shown) else shown, self.text(address)))
            for shown, address in pairs
        )

    def _redact_body(self, part: EmailMessage) -> bool:
        if part.get_content_type() == "text/html":
            return self._redact_html(part)
        if part.get_content_maintype() == "text":
            text = _part_text(part)
            if not self.found_in(text):
                return False
            part.set_content(
                self.text(text),
                subtype=part.get_content_subtype(),
                disposition=part.get_content_disposition(),
                filename=part.get_filename(),
            )
            return True
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        decoded = data.decode("utf-8", "ignore") + data.decode("utf-16-le", "ignore")
        if not self.found_in(decoded):
            return False
        part.set_content(_REMOVED_ATTACHMENT)
        return True

    def _redact_html(self, part: EmailMessage) -> bool:
        """Replace an HTML part that names another participant with plain text.

        Entities and tags can split or disguise a name or an address
        (`Sam&nbsp;Jones`, `Sam <b>Jones</b>`, `sam&#64;example.org`), so
        the part is checked as markup, with entities decoded, and as the
        text it renders. When any of them matches, the part becomes its
        rendered text, redacted, as text/plain.
        """
        markup = _part_text(part)
        rendered = html_to_text(markup)
        forms = (markup, html.unescape(markup), rendered)
        if not any(self.found_in(form) for form in forms):
            return False
        part.set_content(
            self.text(rendered),
            subtype="plain",
            disposition=part.get_content_disposition(),
            filename=part.get_filename(),
        )
        return True


# Tags that end a line of text where they stand, and elements whose
# content is never shown.
_LINE_BREAK_TAG = re.compile(
    r"<\s*(br|/?p|/?div|/?li|/?tr|/?h[1-6]|/?blockquote|/?table)\b[^>]*>",
    re.IGNORECASE,
)
_HIDDEN_ELEMENT = re.compile(
    r"<\s*(script|style|head|title)\b.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL
)
_COMMENT = re.compile(r"<!--.*?(-->|$)", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def html_to_text(markup: str) -> str:
    """Render HTML as plain text: tags dropped, entities decoded.

    Inline tags are dropped without a space, as a browser shows
    `Sam<b>Jones</b>` as one word. Block tags and <br> end a line.
    """
    text = _COMMENT.sub("", markup)
    text = _HIDDEN_ELEMENT.sub("", text)
    text = _LINE_BREAK_TAG.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    text = text.replace("\xa0", " ")
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _address_pattern(address: str) -> re.Pattern[str]:
    # The lookarounds stop "xsam@example.org" or "sam@example.org.uk"
    # matching, but a full stop that ends a sentence does not.
    return re.compile(rf"(?<![\w.+-]){re.escape(address)}(?![\w-]|\.\w)", re.IGNORECASE)


def _name_pattern(name: str) -> re.Pattern[str]:
    # Any run of white space between the words, because a folded header
    # or a wrapped line splits a name where it likes.
    words = r"\s+".join(re.escape(word) for word in name.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


async def export_participant(
    archive: Archive, participant: Participant, output: Path, now: datetime
) -> ExportSummary:
    """Write a subject access export for `participant` to a new zip file.

    The file is created with mode 0600 and never replaces an existing file.
    Members: participant.json, relationships.json, and per message
    messages/NNNN.json with its .eml: the original for a message the
    participant sent, the filtered copy for one they received.
    """
    if output.exists():
        raise SubjectError(f"{output} already exists: give a new file name")
    people = {p.id: p for p in await archive.list_participants()}
    relationships, partners = await _relationships(archive, participant)
    rows = await archive._fetchall(_MESSAGES_QUERY, (participant.id,))
    recipients = {row["id"]: await _recipient_ids(archive, row["id"]) for row in rows}
    others = {
        people[pid]
        for pid in {*partners, *_message_people(rows, recipients)}
        if pid != participant.id
    }
    redactor = Redactor(others)

    members = [
        ("participant.json", _json(await _participant_record(archive, participant))),
        ("relationships.json", _json(redactor.json(relationships))),
    ]
    store = ConsoleStore(archive)
    for number, row in enumerate(rows, start=1):
        entry, eml = await _message_files(store, row, participant, people, recipients)
        members.append((f"messages/{number:04d}.json", _json(redactor.json(entry))))
        if eml:
            members.append((f"messages/{number:04d}.eml", redactor.message(eml)))
    _write_zip(output, members, now)
    log.info("exported %d messages of participant %d", len(rows), participant.id)
    return ExportSummary(output, len(rows), len(relationships))


async def _participant_record(
    archive: Archive, participant: Participant
) -> dict[str, Any]:
    row = await archive._fetchone(
        "SELECT * FROM participants WHERE id = ?", (participant.id,)
    )
    assert row is not None
    return {
        "name": row["name"],
        "email": row["email"],
        "alias": row["alias"],
        "role": row["role"],
        "status": row["status"],
        "registered_at": row["created_at"],
        "erased_at": row["erased_at"],
    }


async def _relationships(
    archive: Archive, participant: Participant
) -> tuple[list[dict[str, Any]], set[int]]:
    """Return the participant's relationships, and the ids of everyone in them."""
    rows = await archive._fetchall(
        "SELECT r.* FROM relationships r JOIN relationship_members m "
        "ON m.relationship_id = r.id WHERE m.participant_id = ? ORDER BY r.id",
        (participant.id,),
    )
    found: list[dict[str, Any]] = []
    partner_ids: set[int] = set()
    for row in rows:
        members = await archive._fetchall(
            "SELECT p.id, p.alias, p.role FROM relationship_members m "
            "JOIN participants p ON p.id = m.participant_id "
            "WHERE m.relationship_id = ? AND p.id != ? ORDER BY p.id",
            (row["id"], participant.id),
        )
        partner_ids.update(member["id"] for member in members)
        found.append(_relationship_entry(row, members))
    return found, partner_ids


def _relationship_entry(row: Row, members: Sequence[Row]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "started_at": row["started_at"],
        "planned_end": row["planned_end"],
        "paused_until": row["paused_until"],
        "pause_reason": row["pause_reason"],
        "ended_at": row["ended_at"],
        "end_reason": row["end_reason"],
        "partners": [{"alias": m["alias"], "role": m["role"]} for m in members],
    }


async def _recipient_ids(archive: Archive, message_id: int) -> list[int]:
    rows = await archive._fetchall(
        "SELECT participant_id FROM message_recipients WHERE message_id = ? "
        "ORDER BY participant_id",
        (message_id,),
    )
    return [int(row[0]) for row in rows]


def _message_people(rows: Sequence[Row], recipients: dict[int, list[int]]) -> set[int]:
    people: set[int] = set()
    for row in rows:
        people.add(row["sender_id"])
        people.update(recipients[row["id"]])
    return people


async def _message_files(
    store: ConsoleStore,
    row: Row,
    participant: Participant,
    people: dict[int, Participant],
    recipients: dict[int, list[int]],
) -> tuple[dict[str, Any], bytes | None]:
    """Return one message's JSON entry and the bytes of its .eml, if any."""
    sent = row["sender_id"] == participant.id
    entry: dict[str, Any] = {
        "queue_id": row["queue_id"],
        "direction": "sent" if sent else "received",
        "received_at": row["received_at"],
        "status": row["status"],
        "from": people[row["sender_id"]].alias,
        "to": [people[pid].alias for pid in recipients[row["id"]]],
        "subject": row["subject"],
    }
    findings = await store.archive.findings(row["id"])
    if sent:
        entry |= {
            "flag": row["flag"],
            "hold_reason": row["hold_reason"],
            "reject_reason": row["reject_reason"],
            "authentication": row["auth_results"],
            "findings": [vars(finding) for finding in findings],
        }
    else:
        # What a filter matched in a received message is the sender's text,
        # such as the phone number it removed, so only the kind is shown.
        entry["findings"] = [
            {"kind": f.kind, "location": f.location, "count": f.count} for f in findings
        ]
    eml, described = await _eml(store, row, sent)
    entry["eml"] = described
    return entry, eml


async def _eml(store: ConsoleStore, row: Row, sent: bool) -> tuple[bytes | None, str]:
    delivered = bytes(row["delivered"] or b"")
    if sent and row["original_removed_at"] is None:
        original = await store.original(row["id"])
        if original:
            return original, "the original as sent"
    if delivered:
        if sent:
            return delivered, "the filtered copy, because the original was deleted"
        return delivered, "the filtered copy as delivered"
    return None, "none: the message has no stored copy"


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def _write_zip(path: Path, members: Sequence[tuple[str, bytes]], now: datetime) -> None:
    """Write a new zip file, readable by its owner only, or nothing at all."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SubjectError(f"{path} already exists: give a new file name") from None
    except OSError as error:
        raise SubjectError(f"cannot create {path}: {error.strerror}") from None
    stamp = now.timetuple()[:6]
    try:
        with (
            os.fdopen(descriptor, "wb") as file,
            zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as zipped,
        ):
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o600 << 16
                zipped.writestr(info, data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


# Erasure


@dataclass(frozen=True)
class KeptMessage:
    id: int
    queue_id: str
    reason: str


@dataclass(frozen=True)
class ErasurePlan:
    """The messages an erasure would delete, and those it would keep and why."""

    participant: Participant
    removable: tuple[int, ...]
    kept: tuple[KeptMessage, ...]


@dataclass(frozen=True)
class ErasureReport:
    alias: str
    removed: int
    kept: tuple[KeptMessage, ...]
    # Notices deleted with the messages, and notices to the participant or
    # about their relationships whose content was emptied.
    notices_removed: int
    notices_emptied: int
    files_scrubbed: bool

    def lines(self) -> list[str]:
        """Describe the erasure for a person."""
        lines = [
            f"{self.alias} erased: name and address replaced, alias suspended "
            "and kept reserved",
            f"messages removed: {self.removed}",
            f"notices removed: {self.notices_removed}, emptied: {self.notices_emptied}",
            f"messages kept: {len(self.kept)}",
        ]
        lines += [f"  {kept.queue_id}: {kept.reason}" for kept in self.kept]
        if not self.files_scrubbed:
            lines.append(UNCHECKPOINTED)
        return lines


def erased_address(participant_id: int) -> str:
    """Return the placeholder that replaces an erased participant's address.

    The .invalid domain is reserved (RFC 2606), so nothing is ever
    delivered to it, and the id keeps it unique.
    """
    return f"erased-{participant_id}@erased.invalid"


async def plan_erasure(archive: Archive, participant: Participant) -> ErasurePlan:
    """Return what erasing `participant` would do, or raise SubjectError."""
    await _check_erasable(archive, participant)
    rows = await archive._fetchall(_ERASURE_QUERY, (participant.id,))
    return _plan(participant, rows)


async def erase_participant(
    archive: Archive, participant: Participant, now: datetime
) -> ErasureReport:
    """Erase a participant's messages and identity, keeping what must be kept.

    Raises SubjectError when the participant is already erased or under a
    legal hold. `now` is a timezone-aware time, recorded as `erased_at`.
    """
    await _check_erasable(archive, participant)
    await _end_relationships(archive, participant, now)
    async with archive._transaction() as db:
        # NOTE: a message that a running relay is still filtering is deleted
        # too, and the pipeline runner's later write of its result fails.
        rows = await db.execute_fetchall(_ERASURE_QUERY, (participant.id,))
        plan = _plan(participant, list(rows))
        purged = await purge_messages(db, plan.removable)
        emptied = await _empty_notices(db, participant, now)
        await db.execute(
            "UPDATE participants SET name = ?, email = ?, status = 'suspended', "
            "erased_at = ? WHERE id = ?",
            (
                ERASED_NAME,
                erased_address(participant.id),
                now.isoformat(timespec="seconds"),
                participant.id,
            ),
        )
    scrubbed = await scrub_files(archive)
    log.info(
        "participant %d erased: %d messages removed, %d kept",
        participant.id,
        purged.messages,
        len(plan.kept),
    )
    return ErasureReport(
        participant.alias,
        purged.messages,
        plan.kept,
        purged.notices,
        emptied,
        scrubbed,
    )


async def check_not_erased(archive: Archive, participant: Participant) -> None:
    """Raise SubjectError when the participant was erased."""
    row = await archive._fetchone(
        "SELECT erased_at FROM participants WHERE id = ?", (participant.id,)
    )
    if row is not None and row["erased_at"] is not None:
        raise SubjectError(
            f"{participant.alias} was erased on {row['erased_at'][:10]}, so the "
            "alias stays suspended: register the person again for a new alias"
        )


async def _check_erasable(archive: Archive, participant: Participant) -> None:
    await check_not_erased(archive, participant)
    holds = await active_holds_on_participant(archive, participant.id)
    if holds:
        raise SubjectError(
            f"{participant.alias} is under legal hold {holds[0].id} "
            f"({holds[0].reason}), so nothing about them can be erased: release "
            f"it first with `mentor-relay legal-hold release {holds[0].id}`"
        )


async def _end_relationships(
    archive: Archive, participant: Participant, now: datetime
) -> None:
    """End the participant's active and paused relationships at `now`.

    `lifecycle.end` commits each in its own transaction, so this runs before
    the erasure's transaction, and an erasure that fails later leaves them
    ended.
    """
    rows = await archive._fetchall(
        "SELECT r.id FROM relationships r JOIN relationship_members m "
        "ON m.relationship_id = r.id WHERE m.participant_id = ? "
        "AND r.status IN ('active', 'paused') ORDER BY r.id",
        (participant.id,),
    )
    for row in rows:
        await lifecycle.end(archive, int(row[0]), ERASED_END_REASON, now)


def _plan(participant: Participant, rows: Sequence[Row]) -> ErasurePlan:
    removable = tuple(int(row["id"]) for row in rows if row["keep_reason"] is None)
    kept = tuple(
        KeptMessage(int(row["id"]), row["queue_id"], row["keep_reason"])
        for row in rows
        if row["keep_reason"] is not None
    )
    return ErasurePlan(participant, removable, kept)


async def _empty_notices(
    db: aiosqlite.Connection, participant: Participant, now: datetime
) -> int:
    """Empty the notices left that were to the participant or about their pairs.

    Notices about deleted messages went with them. What is left (rejection
    notices about kept messages, prompts, wind-down notices) carries the
    participant's name or address in its content, so the content is
    emptied and any delivery still to try is marked failed.
    """
    to_them = await db.execute_fetchall(
        "SELECT id FROM notices WHERE recipient = ? COLLATE NOCASE",
        (participant.email,),
    )
    about_pairs = await db.execute_fetchall(
        "SELECT id FROM notices WHERE about_relationship_id IN (SELECT "
        "relationship_id FROM relationship_members WHERE participant_id = ?)",
        (participant.id,),
    )
    ids = sorted({int(row[0]) for row in [*to_them, *about_pairs]})
    await db.executemany(
        "UPDATE notices SET content = x'', recipient = CASE WHEN recipient = ? "
        "COLLATE NOCASE THEN ? ELSE recipient END WHERE id = ?",
        [(participant.email, erased_address(participant.id), i) for i in ids],
    )
    await db.executemany(
        "UPDATE delivery_jobs SET state = 'failed', finished_at = ?, "
        "lease_until = 0, last_error = 'emptied when a participant was erased' "
        "WHERE notice_id = ? AND state = 'pending'",
        [(now.timestamp(), i) for i in ids],
    )
    return len(ids)
