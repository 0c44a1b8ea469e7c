"""Subject access exports and erasure on a real archive file."""

from __future__ import annotations

import email
import email.policy
import json
import sqlite3
import stat
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from archive.legal_holds import add_legal_hold
from archive.notices import NewNotice, queue_notice
from archive.store import Archive, DuplicateError, Participant, StoredFinding
from archive.subject import (
    ERASED_NAME,
    Redactor,
    SubjectError,
    check_not_erased,
    erase_participant,
    erased_address,
    export_participant,
    plan_erasure,
)
from tests.archive.data_protection_records import (
    People,
    add_decision,
    add_message,
    add_people,
    add_staff,
    count,
    files_containing,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MAY = "2026-05-04T09:00:00+00:00"
LATER = "2026-05-05T10:00:00+00:00"

# Sam's name in an encoded word, and a body that names Sam and Sam's real
# address in base64, so that only a decoding redactor can find them.
ENCODED_FROM_SAM = (
    b"From: =?utf-8?q?Sam_Jones?= <sam.k7q2mmxa@relay.example.org>\r\n"
    b"To: alex.p3rt9wde@relay.example.org\r\n"
    b"Subject: =?utf-8?b?SGVsbG8gZnJvbSBTYW0gSm9uZXM=?=\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    # "Write to Sam Jones at sam@example.org any time.\n"
    b"V3JpdGUgdG8gU2FtIEpvbmVzIGF0IHNhbUBleGFtcGxlLm9yZyBhbnkgdGltZS4K\r\n"
)

# Alex's original reply: Sam's name in the To header and the quote line,
# Sam's real address in a quoted-printable body.
ALEX_ORIGINAL = (
    b"From: Alex Smith <alex@example.com>\r\n"
    b"To: Sam Jones <sam.k7q2mmxa@relay.example.org>\r\n"
    b"Subject: Re: Hello\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Thanks! I found sam@example.org in an old n=\r\n"
    b"ewsletter.\r\n"
    b"\r\n"
    b"On Monday, Sam =\r\n"
    b"Jones wrote:\r\n"
    b"> Hello\r\n"
)

PLAIN_ORIGINAL = (
    b"From: alex@example.com\r\n"
    b"To: sam.k7q2mmxa@relay.example.org\r\n"
    b"Subject: Timetable\r\n"
    b"\r\n"
    b"Here is my revision timetable.\r\n"
)


def concern(category: str) -> StoredFinding:
    """Return a finding as the safeguarding filter records one."""
    return StoredFinding(
        "safeguarding", "body", 1, category=category, severity="high", matched="x"
    )


@pytest.fixture
async def archive(tmp_path: Path) -> AsyncIterator[Archive]:
    opened = await Archive.open(tmp_path / "archive.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
async def people(archive: Archive) -> People:
    return await add_people(archive)


async def store_raw_delivered(archive: Archive, message_id: int, data: bytes) -> None:
    async with archive._transaction() as db:
        await db.execute(
            "UPDATE messages SET delivered = ? WHERE id = ?", (data, message_id)
        )


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist()}


def decoded_texts(data: bytes) -> list[str]:
    """Return every header value and decoded text part of a message."""
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    texts = []
    for part in parsed.walk():
        assert isinstance(part, EmailMessage)
        texts += [str(value) for _, value in part.items()]
        if part.get_content_maintype() == "text":
            texts.append(part.get_content())
    return texts


async def export_of_alex(archive: Archive, people: People, tmp_path: Path) -> Path:
    """Give Alex a received and a sent message, and export Alex."""
    received = await add_message(archive, people.sam, people.alex, MAY)
    await store_raw_delivered(archive, received, ENCODED_FROM_SAM)
    await add_message(
        archive,
        people.alex,
        people.sam,
        LATER,
        subject="Re: Hello",
        raw=ALEX_ORIGINAL,
        findings=[StoredFinding("email", "body", 1, matched="sam@example.org")],
    )
    output = tmp_path / "alex.zip"
    await export_participant(archive, people.alex, output, NOW)
    return output


async def test_export_has_expected_members(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    output = await export_of_alex(archive, people, tmp_path)

    members = read_zip(output)

    assert sorted(members) == [
        "messages/0001.eml",
        "messages/0001.json",
        "messages/0002.eml",
        "messages/0002.json",
        "participant.json",
        "relationships.json",
    ]
    record = json.loads(members["participant.json"])
    assert record["name"] == "Alex Smith"
    assert record["email"] == "alex@example.com"
    assert record["alias"] == people.alex.alias
    relationships = json.loads(members["relationships.json"])
    assert len(relationships) == 1
    assert relationships[0]["status"] == "active"
    assert relationships[0]["partners"] == [
        {"alias": people.sam.alias, "role": "mentor"}
    ]


async def test_export_never_shows_partner_name_or_address(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    output = await export_of_alex(archive, people, tmp_path)

    members = read_zip(output)

    for name, data in members.items():
        for secret in ("Sam Jones", "sam@example.org"):
            for form in (secret, secret.lower(), secret.upper()):
                assert form.encode() not in data, f"{form} in {name}"
                assert form.encode("utf-16-le") not in data, f"{form} in {name}"
        if name.endswith(".eml"):
            for text in decoded_texts(data):
                assert "sam jones" not in text.lower(), f"name in {name}"
                assert "sam@example.org" not in text.lower(), f"address in {name}"


async def test_export_shows_partner_by_alias_instead(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    output = await export_of_alex(archive, people, tmp_path)

    members = read_zip(output)

    received = json.loads(members["messages/0001.json"])
    assert received["direction"] == "received"
    assert received["from"] == people.sam.alias
    assert received["to"] == [people.alex.alias]
    assert received["eml"] == "the filtered copy as delivered"
    texts = decoded_texts(members["messages/0001.eml"])
    assert f"Write to {people.sam.alias} at {people.sam.alias} any time.\n" in texts
    assert f"Hello from {people.sam.alias}" in texts
    assert people.sam.alias in texts


async def test_export_of_sent_message_has_original_and_findings(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    output = await export_of_alex(archive, people, tmp_path)

    members = read_zip(output)

    sent = json.loads(members["messages/0002.json"])
    assert sent["direction"] == "sent"
    assert sent["eml"] == "the original as sent"
    assert sent["findings"] == [
        {
            "kind": "email",
            "location": "body",
            "count": 1,
            "detail": "",
            "category": "",
            "severity": "",
            "matched": people.sam.alias,
        }
    ]
    texts = decoded_texts(members["messages/0002.eml"])
    assert texts[0] == "Alex Smith <alex@example.com>"
    assert texts[1] == people.sam.alias
    assert f"On Monday, {people.sam.alias} wrote:" in texts[-1]


async def test_export_keeps_original_bytes_when_nothing_to_redact(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    await add_message(archive, people.alex, people.sam, MAY, raw=PLAIN_ORIGINAL)
    output = tmp_path / "alex.zip"

    await export_participant(archive, people.alex, output, NOW)

    assert read_zip(output)["messages/0001.eml"] == PLAIN_ORIGINAL


async def test_export_hides_what_filters_matched_in_received_mail(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    await add_message(
        archive,
        people.sam,
        people.alex,
        MAY,
        findings=[StoredFinding("phone", "body", 1, matched="07700 900123")],
    )
    output = tmp_path / "alex.zip"

    await export_participant(archive, people.alex, output, NOW)

    entry = json.loads(read_zip(output)["messages/0001.json"])
    assert entry["findings"] == [{"kind": "phone", "location": "body", "count": 1}]
    assert b"900123" not in output.read_bytes()


async def test_export_leaves_out_mail_held_before_reaching_them(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    await add_message(archive, people.sam, people.alex, MAY, hold="review")
    await add_message(archive, people.alex, people.sam, LATER, hold="review")
    output = tmp_path / "alex.zip"

    summary = await export_participant(archive, people.alex, output, NOW)

    assert summary.messages == 1
    entry = json.loads(read_zip(output)["messages/0001.json"])
    assert entry["direction"] == "sent"
    assert entry["hold_reason"] == "review"


async def test_export_file_is_private(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    output = tmp_path / "alex.zip"

    await export_participant(archive, people.alex, output, NOW)

    assert stat.S_IMODE(output.stat().st_mode) == 0o600


async def test_export_never_overwrites_a_file(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    output = tmp_path / "alex.zip"
    output.write_bytes(b"keep me")

    with pytest.raises(SubjectError, match="already exists"):
        await export_participant(archive, people.alex, output, NOW)

    assert output.read_bytes() == b"keep me"


def test_redactor_leaves_longer_addresses_alone() -> None:
    redactor = Redactor([_sam()])

    assert redactor.text("mail sam@example.org.") == "mail sam.k@relay.example.org."
    assert redactor.text("xsam@example.org") == "xsam@example.org"
    assert redactor.text("sam@example.org.uk") == "sam@example.org.uk"
    assert redactor.text("SAM\n JONES said") == "sam.k@relay.example.org said"
    assert redactor.text("Samjones") == "Samjones"


def _sam() -> Participant:
    return Participant(
        1, "Sam Jones", "sam@example.org", "sam.k@relay.example.org", "mentor", "x"
    )


# Erasure


async def test_erasure_leaves_no_name_or_address_in_files(
    archive: Archive, people: People, tmp_path: Path
) -> None:
    path = tmp_path / "archive.sqlite3"
    await add_message(
        archive, people.alex, people.sam, MAY, body="Alex Smith here, hello"
    )
    await add_message(archive, people.sam, people.alex, LATER, body="Hi Alex Smith")
    await add_message(archive, people.sam, people.jo, LATER, body="Hello Jo")
    assert files_containing(path, "alex@example.com") != []

    report = await erase_participant(archive, people.alex, NOW)

    assert report.removed == 2
    assert report.kept == ()
    assert report.files_scrubbed
    assert files_containing(path, "alex@example.com") == []
    assert files_containing(path, "Alex Smith") == []
    assert await count(archive, "SELECT COUNT(*) FROM messages") == 1
    assert await archive.search("hello") != []


async def test_erasure_replaces_identity_and_keeps_alias(
    archive: Archive, people: People
) -> None:
    await erase_participant(archive, people.alex, NOW)

    erased = await archive.participant_by_alias(people.alex.alias)
    assert erased is not None
    assert erased.name == ERASED_NAME
    assert erased.email == erased_address(people.alex.id)
    assert erased.status == "suspended"
    assert await archive.participant_by_email("alex@example.com") is None
    with pytest.raises(DuplicateError):
        await archive.add_participants(
            [("Alex New", "alex2@example.com", "mentee", people.alex.alias)]
        )


async def test_erased_participant_stays_suspended(
    archive: Archive, people: People
) -> None:
    await erase_participant(archive, people.alex, NOW)

    with pytest.raises(SubjectError, match="was erased on 2026-06-01"):
        await check_not_erased(archive, people.alex)
    with pytest.raises(sqlite3.IntegrityError, match="stays suspended"):
        await archive.set_participant_status(people.alex.id, "active")


async def test_erasure_keeps_safeguarding_and_held_messages(
    archive: Archive, people: People
) -> None:
    staff_id = await add_staff(archive)
    await add_message(archive, people.alex, people.sam, MAY)
    flagged = await add_message(
        archive, people.alex, people.sam, MAY, flag="gift", findings=[concern("gift")]
    )
    noted = await add_message(archive, people.sam, people.alex, MAY)
    await add_decision(archive, noted, staff_id, LATER)
    held = await add_message(archive, people.sam, people.alex, LATER, hold="review")
    kept = await add_message(archive, people.sam, people.alex, LATER)
    await add_legal_hold(
        archive, message_id=kept, reason="police request", actor="t", now=LATER
    )

    report = await erase_participant(archive, people.alex, NOW)

    assert report.removed == 1
    assert [(k.id, k.reason) for k in report.kept] == [
        (flagged, "safeguarding flag: gift"),
        (noted, "safeguarding review or decision"),
        (held, "safeguarding review or decision"),
        (kept, "under legal hold"),
    ]
    assert await count(archive, "SELECT COUNT(*) FROM messages") == 4
    assert await count(archive, "SELECT COUNT(*) FROM decisions") == 1


async def test_erasure_plan_matches_erasure(archive: Archive, people: People) -> None:
    await add_message(archive, people.alex, people.sam, MAY)
    flagged = await add_message(
        archive, people.alex, people.sam, MAY, flag="gift", findings=[concern("gift")]
    )

    plan = await plan_erasure(archive, people.alex)

    assert len(plan.removable) == 1
    assert [k.id for k in plan.kept] == [flagged]
    assert await count(archive, "SELECT COUNT(*) FROM messages") == 2


async def test_erasure_refused_under_participant_hold(
    archive: Archive, people: People
) -> None:
    await add_message(archive, people.alex, people.sam, MAY)
    hold = await add_legal_hold(
        archive, participant_id=people.alex.id, reason="claim", actor="t", now=MAY
    )

    with pytest.raises(SubjectError, match=f"under legal hold {hold.id} "):
        await erase_participant(archive, people.alex, NOW)

    assert await count(archive, "SELECT COUNT(*) FROM messages") == 1


async def test_second_erasure_is_refused(archive: Archive, people: People) -> None:
    await erase_participant(archive, people.alex, NOW)

    with pytest.raises(SubjectError, match="was erased"):
        await erase_participant(archive, people.alex, NOW)


async def test_erasure_empties_notices_to_them(
    archive: Archive, people: People
) -> None:
    flagged = await add_message(
        archive, people.alex, people.sam, MAY, flag="gift", findings=[concern("gift")]
    )
    async with archive._transaction() as db:
        await queue_notice(
            db,
            NewNotice("rejection", "Alex@Example.com", b"To: alex@example.com\r\n"),
            0.0,
            about_message_id=flagged,
        )

    report = await erase_participant(archive, people.alex, NOW)

    assert report.notices_emptied == 1
    notice = await archive._fetchone("SELECT recipient, content FROM notices")
    assert notice is not None
    assert notice["recipient"] == erased_address(people.alex.id)
    assert bytes(notice["content"]) == b""
    job = await archive._fetchone("SELECT state FROM delivery_jobs")
    assert job is not None
    assert job["state"] == "failed"


HTML_FROM_SAM = (
    b"From: sam.k@relay.example.org\r\n"
    b"To: alex.p3rt9wde@relay.example.org\r\n"
    b"Subject: Hello\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<p>Signed Sam&nbsp;Jones, or Sam <b>Jones</b>.</p>"
    b"<p>Mail sam&#64;example.org.</p>\r\n"
)


def test_redactor_decodes_html_before_matching() -> None:
    redacted = Redactor([_sam()]).message(HTML_FROM_SAM)
    parsed = email.message_from_bytes(redacted, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    text = parsed.get_content()

    assert parsed.get_content_type() == "text/plain"
    assert "Sam" not in text
    assert "sam@example.org" not in text
    assert text == (
        "Signed sam.k@relay.example.org, or sam.k@relay.example.org.\n\n"
        "Mail sam.k@relay.example.org.\n"
    )


def test_redactor_keeps_html_without_names() -> None:
    plain = HTML_FROM_SAM.replace(b"Sam", b"Kim").replace(b"sam&#64;", b"kim@")

    assert Redactor([_sam()]).message(plain) == plain


async def test_erasure_deletes_messages_with_only_removals(
    archive: Archive, people: People
) -> None:
    # A removed phone number sets messages.flag, but it is no safeguarding
    # record, so erasure deletes the message.
    removed = await add_message(
        archive,
        people.alex,
        people.sam,
        MAY,
        flag="contact details",
        findings=[StoredFinding("phone", "body", 1)],
    )

    report = await erase_participant(archive, people.alex, NOW)

    assert report.removed == 1
    assert report.kept == ()
    assert await archive.message(str(removed)) is None


async def test_erasure_ends_running_relationships(
    archive: Archive, people: People
) -> None:
    report = await erase_participant(archive, people.alex, NOW)
    relationships = await archive.list_relationships()

    assert report.removed == 0
    assert [r.status for r in relationships] == ["ended"]
    row = await archive._fetchone("SELECT ended_at, end_reason FROM relationships")
    assert row is not None
    assert row["end_reason"] == "participant erased"
    assert row["ended_at"] == "2026-06-01T12:00:00+00:00"
