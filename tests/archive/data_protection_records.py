"""Records for the retention, legal hold, export and erasure tests.

Each helper writes what the relay would write, then sets the times that
the tests need, so no test depends on the wall clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from archive.store import Archive, FilterOutcome, Participant, StoredFinding
from relay.config import RetentionSettings

DOMAIN = "relay.example.org"
_QUEUE_NUMBERS = itertools.count(1)

SETTINGS = RetentionSettings(
    delivered_days=730,
    originals_days=365,
    findings_days=730,
    audit_days=2190,
    flagged_days=2555,
    scheduled=True,
)


@dataclass(frozen=True)
class People:
    sam: Participant
    alex: Participant
    jo: Participant


async def add_people(archive: Archive) -> People:
    """Register Sam (mentor), Alex and Jo (mentees); pair Sam with Alex."""
    sam, alex, jo = await archive.add_participants(
        [
            ("Sam Jones", "sam@example.org", "mentor", f"sam.k7q2mmxa@{DOMAIN}"),
            ("Alex Smith", "alex@example.com", "mentee", f"alex.p3rt9wde@{DOMAIN}"),
            ("Jo Brown", "jo@example.com", "mentee", f"jo.c4vbn8hh@{DOMAIN}"),
        ]
    )
    await archive.add_relationship([sam.id, alex.id])
    return People(sam, alex, jo)


def raw_message(
    sender: Participant, recipient: Participant, subject: str, body: str
) -> bytes:
    return (
        f"From: {sender.name} <{sender.email}>\r\n"
        f"To: {recipient.name} <{recipient.alias}>\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <m1@mail.example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body}\r\n"
    ).encode()


def delivered_copy(
    sender: Participant, recipient: Participant, subject: str, body: str
) -> bytes:
    return (
        f"From: {sender.name} <{sender.alias}>\r\n"
        f"To: {recipient.alias}\r\n"
        f"Subject: {subject}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body}\r\n"
    ).encode()


async def add_message(
    archive: Archive,
    sender: Participant,
    recipient: Participant,
    received_at: str,
    *,
    subject: str = "Weekly catch-up",
    body: str = "We talked about revision timetables.",
    raw: bytes | None = None,
    flag: str | None = None,
    hold: str | None = None,
    findings: Sequence[StoredFinding] = (),
    deliver: bool = True,
) -> int:
    """Store a message as received, filtered and (unless held) delivered."""
    message_id = await archive.accept_message(
        f"Q{next(_QUEUE_NUMBERS):08d}",
        "192.0.2.10",
        sender.email,
        sender.id,
        [recipient.id],
        raw if raw is not None else raw_message(sender, recipient, subject, body),
    )
    outcome = FilterOutcome(
        message_id=message_id,
        relay_message_id=f"r{message_id}@{DOMAIN}",
        original_message_id=f"o{message_id}@mail.example.org",
        subject=subject,
        body_text=body,
        delivered=delivered_copy(sender, recipient, subject, body),
        findings=list(findings),
        hold_reason=hold,
        flag=flag,
    )
    await archive.record_filtered(outcome, [recipient.id])
    if hold is None and deliver:
        for job in await archive.delivery_jobs_of(message_id):
            await archive.finish_delivery_job(job["id"], "sent")
    await set_received_at(archive, message_id, received_at)
    return message_id


async def set_received_at(archive: Archive, message_id: int, received_at: str) -> None:
    async with archive._transaction() as db:
        await db.execute(
            "UPDATE messages SET received_at = ? WHERE id = ?",
            (received_at, message_id),
        )


async def add_staff(archive: Archive) -> int:
    async with archive._transaction() as db:
        cursor = await db.execute(
            "INSERT INTO staff (username, password_hash, role, created_at) "
            "VALUES ('officer', 'x', 'safeguarding', '2020-01-01T00:00:00+00:00')"
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def add_decision(
    archive: Archive, message_id: int, staff_id: int, decided_at: str
) -> None:
    async with archive._transaction() as db:
        await db.execute(
            "INSERT INTO decisions (message_id, staff_id, action, note, decided_at) "
            "VALUES (?, ?, 'note', 'spoke to the mentor', ?)",
            (message_id, staff_id, decided_at),
        )


async def add_audit(archive: Archive, at: str, message_id: int | None = None) -> None:
    async with archive._transaction() as db:
        await db.execute(
            "INSERT INTO audit_log (at, username, action, message_id, detail) "
            "VALUES (?, 'officer', 'view_original', ?, '')",
            (at, message_id),
        )


async def count(archive: Archive, sql: str, params: Sequence[object] = ()) -> int:
    row = await archive._fetchone(sql, params)
    assert row is not None
    return int(row[0])


def database_files(path: Path) -> list[Path]:
    """Return the archive file and its -wal and -shm files that exist."""
    candidates = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return [candidate for candidate in candidates if candidate.exists()]


def forms_of(text: str) -> list[bytes]:
    """Return the byte forms a string could be stored in: UTF-8 and UTF-16, as given
    and lower-cased (the full-text index stores words lower-cased)."""
    forms: list[bytes] = []
    for variant in (text, text.lower()):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            forms.append(variant.encode(encoding))
    return forms


def files_containing(path: Path, text: str) -> list[str]:
    """Name each database file that contains any byte form of `text`."""
    found = []
    for file in database_files(path):
        data = file.read_bytes()
        if any(form in data for form in forms_of(text)):
            found.append(file.name)
    return found
