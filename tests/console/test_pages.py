"""Each page and action of the console, over HTTP."""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser
from typing import Any

from starlette.testclient import TestClient

from archive.console import ConsoleStore
from archive.store import Archive, StoredFinding
from tests.console.conftest import (
    SELF_HARM,
    ConsoleSite,
    log_in,
    store_message,
)


def query(site: ConsoleSite, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async def run() -> list[tuple[Any, ...]]:
        archive = await Archive.open(site.config.archive_path)
        try:
            return [tuple(row) for row in await archive._fetchall(sql, params)]
        finally:
            await archive.close()

    return asyncio.run(run())


def audit_actions(site: ConsoleSite) -> list[tuple[str, str, int | None]]:
    rows = query(site, "SELECT username, action, message_id FROM audit_log ORDER BY id")
    return [(row[0], row[1], row[2]) for row in rows]


class _ActiveMarkup(HTMLParser):
    """Collects the elements and attributes a browser would run or load."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "img"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")


def executable_markup(page: str) -> list[str]:
    """Return the tags and attributes in a page that a browser would act on."""
    parser = _ActiveMarkup()
    parser.feed(page)
    return parser.found


# Escaping of participant content


def test_hostile_message_renders_inert(client: TestClient, site: ConsoleSite) -> None:
    log_in(client, "robin")
    page = client.get(f"/messages/{site.messages.hostile}").text
    assert executable_markup(page) == []
    assert "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" in page
    assert "Look &lt;img src=x onerror=alert(&#39;text&#39;)&gt; here" in page
    # The sanitised HTML part keeps its formatting and the link text, not the link.
    assert "<p>Hi</p>click" in page


def test_hostile_original_is_shown_as_text(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "morgan")
    page = client.get(f"/messages/{site.messages.hostile}/original").text
    assert executable_markup(page) == []
    assert "&lt;img src=x onerror=&#34;alert(&#39;html&#39;)&#34;&gt;" in page


def test_hostile_subject_is_escaped_in_search_and_review(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "robin")
    for path in ("/search?q=here", "/search", "/review", "/"):
        page = client.get(path).text
        assert executable_markup(page) == [], path
    assert "&lt;script&gt;" in client.get("/search?q=here").text


# Dashboard


def test_dashboard_counts_week_and_review_queue(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "casey")
    page = client.get("/").text
    assert re.search(r'<span class="number">3</span> messages in the last 7 days', page)
    assert re.search(r'<span class="number">1</span> waiting for review', page)
    assert "waiting" in page
    # A coordinator sees the queue's ages but no link to the originals.
    assert "/original" not in page


def test_dashboard_lists_quiet_relationships(
    client: TestClient, site: ConsoleSite
) -> None:
    _backdate(site, site.cast.relationship_id, days=30)
    log_in(client, "casey")
    page = client.get("/").text
    assert re.search(r'<span class="number">1</span> relationships quiet', page)
    assert "Alex Smith (mentee), Sam Jones (mentor)" in page


def _backdate(site: ConsoleSite, relationship_id: int, days: int) -> None:
    async def run() -> None:
        archive = await Archive.open(site.config.archive_path)
        try:
            async with archive._transaction() as db:
                await db.execute(
                    "UPDATE relationships SET started_at = "
                    "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', ?) WHERE id = ?",
                    (f"-{days} days", relationship_id),
                )
                await db.execute(
                    "UPDATE messages SET received_at = "
                    "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', ?)",
                    (f"-{days - 1} days",),
                )
        finally:
            await archive.close()

    asyncio.run(run())


# Search


def test_search_finds_delivered_text(client: TestClient, site: ConsoleSite) -> None:
    log_in(client, "casey")
    page = client.get("/search?q=library").text
    assert "1 message found." in page
    assert f'href="/messages/{site.messages.delivered}"' in page
    assert "<mark>library</mark>" in page


def test_search_hides_held_messages_from_coordinators(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "casey")
    page = client.get("/search?q=nobody+notices").text
    assert "0 messages found." in page
    assert "hurt myself" not in page


def test_search_shows_held_messages_to_reviewers(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "morgan")
    page = client.get("/search?q=nobody+notices").text
    assert "1 message found." in page
    assert f'href="/messages/{site.messages.held}"' in page


def test_search_filters_by_flag_status_and_sender(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "morgan")
    flagged = client.get("/search?flagged=yes").text
    assert "1 message found." in flagged
    assert "Feeling low" in flagged
    queued = client.get("/search?status=queued").text
    assert "2 messages found." in queued
    alex = query(site, "SELECT id FROM participants WHERE email = 'alex@example.com'")
    by_alex = client.get(f"/search?participant={alex[0][0]}&q=days").text
    assert "1 message found." in by_alex


def test_search_filters_by_relationship_and_dates(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "robin")
    relationship = site.cast.relationship_id
    page = client.get(f"/search?relationship={relationship}&from=2000-01-01").text
    assert "3 messages found." in page
    future = client.get(f"/search?relationship={relationship}&from=2999-01-01").text
    assert "0 messages found." in future
    past = client.get("/search?to=2000-01-01").text
    assert "0 messages found." in past


def test_search_reports_invalid_filters(client: TestClient) -> None:
    log_in(client, "casey")
    page = client.get("/search?from=yesterday&participant=x").text
    assert "Date &#39;yesterday&#39; is not a date such as 2025-09-01." in page
    assert "Participant &#39;x&#39; is not a positive number." in page


def test_search_pages_results(client: TestClient, site: ConsoleSite) -> None:
    async def add_many() -> None:
        archive = await Archive.open(site.config.archive_path)
        try:
            sam = await archive.participant_by_email("sam@example.org")
            alex = await archive.participant_by_email("alex@example.com")
            assert sam is not None and alex is not None
            for number in range(25):
                await store_message(
                    archive, sam, alex, f"Weekly plan {number}", "Homework plan."
                )
        finally:
            await archive.close()

    asyncio.run(add_many())
    log_in(client, "casey")
    first = client.get("/search?q=homework").text
    assert "25 messages found." in first
    assert first.count('<li>\n    <a href="/messages/') == 20
    assert "Page 1 of 2" in first
    second = client.get("/search?q=homework&page=2").text
    assert second.count('<li>\n    <a href="/messages/') == 5


def test_search_takes_fts_operators_literally(client: TestClient) -> None:
    log_in(client, "casey")
    response = client.get('/search?q=library" OR "NEAR(')
    assert response.status_code == 200
    assert "0 messages found." in response.text


# One message


def test_message_page_shows_thread(client: TestClient, site: ConsoleSite) -> None:
    log_in(client, "casey")
    page = client.get(f"/messages/{site.messages.delivered}").text
    assert "Try the library on Tuesday" in page
    for message_id in (site.messages.delivered, site.messages.hostile):
        assert f'href="/messages/{message_id}"' in page
    # The held message is in the thread, without its subject for a coordinator.
    assert f'href="/messages/{site.messages.held}">(held)</a>' in page


def test_coordinator_sees_no_content_of_held_message(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "casey")
    response = client.get(f"/messages/{site.messages.held}")
    assert response.status_code == 200
    assert "hurt myself" not in response.text
    assert "Feeling low" not in response.text
    assert "shown to safeguarding officers only" in response.text


def test_unknown_message_is_404(client: TestClient) -> None:
    log_in(client, "casey")
    response = client.get("/messages/999")
    assert response.status_code == 404
    assert "There is no message 999." in response.text


# Review


def test_review_queue_highlights_matched_text(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "morgan")
    page = client.get("/review").text
    assert "self-harm · high" in page
    assert "Some days I want to <mark>hurt myself</mark> and nobody notices." in page
    assert f'href="/messages/{site.messages.held}/original"' in page


def test_original_view_is_audited(client: TestClient, site: ConsoleSite) -> None:
    log_in(client, "morgan")
    page = client.get(f"/messages/{site.messages.held}/original").text
    assert "Original, as sent" in page
    assert "From: alex@example.com" in page
    assert ("morgan", "view_original", site.messages.held) in audit_actions(site)


def test_release_queues_delivery_jobs(client: TestClient, site: ConsoleSite) -> None:
    token = log_in(client, "morgan")
    response = client.post(
        f"/messages/{site.messages.held}/decisions",
        data={"action": "release", "note": "Spoke to Alex; fine.", "csrf_token": token},
    )
    assert response.status_code == 303
    jobs = query(
        site,
        "SELECT j.state, p.email FROM delivery_jobs j JOIN participants p "
        "ON p.id = j.recipient_id WHERE j.message_id = ?",
        site.messages.held,
    )
    assert jobs == [("pending", "sam@example.org")]
    status = query(site, "SELECT status FROM messages WHERE id = ?", site.messages.held)
    assert status == [("queued",)]
    assert ("morgan", "release", site.messages.held) in audit_actions(site)
    page = client.get(response.headers["location"]).text
    assert "Released: the message is queued for delivery." in page
    assert "Spoke to Alex; fine." in page
    assert 'value="release"' not in page
    assert "Feeling low" not in client.get("/review").text


def test_release_makes_held_jobs_due_again(
    client: TestClient, site: ConsoleSite
) -> None:
    # A job the delivery queue took back to review keeps its row; releasing
    # the message makes that row due instead of adding a second one.
    _hold_delivered_message(site)
    token = log_in(client, "morgan")
    client.post(
        f"/messages/{site.messages.delivered}/decisions",
        data={"action": "release", "note": "", "csrf_token": token},
    )
    jobs = query(
        site,
        "SELECT state FROM delivery_jobs WHERE message_id = ?",
        site.messages.delivered,
    )
    assert jobs == [("pending",)]


def _hold_delivered_message(site: ConsoleSite) -> None:
    async def run() -> None:
        archive = await Archive.open(site.config.archive_path)
        try:
            async with archive._transaction() as db:
                await db.execute(
                    "UPDATE delivery_jobs SET state = 'held' WHERE message_id = ?",
                    (site.messages.delivered,),
                )
                await db.execute(
                    "UPDATE messages SET status = 'held' WHERE id = ?",
                    (site.messages.delivered,),
                )
        finally:
            await archive.close()

    asyncio.run(run())


def test_reject_is_final(client: TestClient, site: ConsoleSite) -> None:
    token = log_in(client, "morgan")
    path = f"/messages/{site.messages.held}/decisions"
    rejected = client.post(
        path, data={"action": "reject", "note": "Unsafe", "csrf_token": token}
    )
    assert rejected.status_code == 303
    again = client.post(
        path, data={"action": "release", "note": "", "csrf_token": token}
    )
    assert again.status_code == 409
    assert "is rejected, not held, so it cannot be released" in again.text
    jobs = query(
        site, "SELECT id FROM delivery_jobs WHERE message_id = ?", site.messages.held
    )
    assert jobs == []
    row = query(
        site,
        "SELECT status, reject_reason FROM messages WHERE id = ?",
        site.messages.held,
    )
    assert row == [("rejected", "Rejected by a safeguarding officer after review.")]


def test_escalate_and_note_are_recorded(client: TestClient, site: ConsoleSite) -> None:
    token = log_in(client, "morgan")
    path = f"/messages/{site.messages.held}/decisions"
    for action in ("escalate", "note"):
        response = client.post(
            path,
            data={"action": action, "note": f"{action} text", "csrf_token": token},
        )
        assert response.status_code == 303
    decisions = query(
        site,
        "SELECT action, note FROM decisions WHERE message_id = ? ORDER BY id",
        site.messages.held,
    )
    assert decisions == [("escalate", "escalate text"), ("note", "note text")]
    # The held message stays in the queue, marked escalated.
    assert "escalated" in client.get("/review").text
    actions = [a for _, a, _ in audit_actions(site)]
    assert actions[-2:] == ["escalate", "note"]


def test_note_needs_text(client: TestClient, site: ConsoleSite) -> None:
    token = log_in(client, "morgan")
    response = client.post(
        f"/messages/{site.messages.held}/decisions",
        data={"action": "note", "note": "  ", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "Write a note to note" in response.text


def test_message_without_filtered_copy_cannot_be_released(
    client: TestClient, site: ConsoleSite
) -> None:

    async def empty_copy() -> None:
        archive = await Archive.open(site.config.archive_path)
        try:
            async with archive._transaction() as db:
                await db.execute(
                    "UPDATE messages SET delivered = x'' WHERE id = ?",
                    (site.messages.held,),
                )
        finally:
            await archive.close()

    asyncio.run(empty_copy())
    token = log_in(client, "morgan")
    response = client.post(
        f"/messages/{site.messages.held}/decisions",
        data={"action": "release", "note": "", "csrf_token": token},
    )
    assert response.status_code == 409
    assert "has no filtered copy" in response.text


def test_decisions_cannot_be_edited_in_the_archive(site: ConsoleSite) -> None:
    async def run() -> list[str]:
        archive = await Archive.open(site.config.archive_path)
        errors = []
        try:
            store = ConsoleStore(archive)
            login = await store.staff_login("morgan")
            assert login is not None
            await store.add_decision(site.messages.held, login.member, "note", "x")
            for sql in (
                "UPDATE decisions SET note = 'changed'",
                "DELETE FROM decisions",
                "UPDATE audit_log SET action = 'changed'",
                "DELETE FROM audit_log",
            ):
                try:
                    async with archive._transaction() as db:
                        await db.execute(sql)
                except Exception as error:
                    errors.append(str(error))
        finally:
            await archive.close()
        return errors

    assert asyncio.run(run()) == [
        "decisions are final",
        "decisions are final",
        "the audit log is append-only",
        "the audit log is append-only",
    ]


# Relationships and participants


def test_register_pair_suspend_and_end(client: TestClient, site: ConsoleSite) -> None:
    token = log_in(client, "casey")
    registered = client.post(
        "/participants",
        data={
            "name": "Lee Park",
            "email": "lee@example.org",
            "role": "mentor",
            "csrf_token": token,
        },
    )
    assert registered.status_code == 303
    paired = client.post(
        "/relationships",
        data={"members": "lee@example.org, jo@example.com", "csrf_token": token},
    )
    assert paired.status_code == 303
    rows = query(site, "SELECT id, status FROM relationships ORDER BY id")
    assert [status for _, status in rows] == ["active", "active"]
    new_id = rows[-1][0]

    lee = query(site, "SELECT id FROM participants WHERE email = 'lee@example.org'")
    suspended = client.post(
        f"/participants/{lee[0][0]}/status",
        data={"status": "suspended", "csrf_token": token},
    )
    assert suspended.status_code == 303
    ended = client.post(f"/relationships/{new_id}/end", data={"csrf_token": token})
    assert ended.status_code == 303
    assert query(site, "SELECT status FROM relationships WHERE id = ?", new_id) == [
        ("ended",)
    ]
    assert query(site, "SELECT status FROM participants WHERE id = ?", lee[0][0]) == [
        ("suspended",)
    ]
    actions = [a for _, a, _ in audit_actions(site)]
    assert actions[-4:] == [
        "participant_add",
        "relationship_add",
        "participant_suspend",
        "relationship_end",
    ]


def test_pairing_follows_cli_rules(client: TestClient, site: ConsoleSite) -> None:
    token = log_in(client, "casey")
    response = client.post(
        "/relationships",
        data={"members": "alex@example.com jo@example.com", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "needs at least one mentor and one mentee" in response.text


def test_registration_rejects_relay_domain(client: TestClient) -> None:
    token = log_in(client, "casey")
    response = client.post(
        "/participants",
        data={
            "name": "Lee Park",
            "email": "lee@relay.example.org",
            "role": "mentor",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert "is on the relay&#39;s own domain" in response.text


def test_safeguarding_officer_cannot_manage(
    client: TestClient, site: ConsoleSite
) -> None:
    token = log_in(client, "morgan")
    response = client.post(
        f"/relationships/{site.cast.relationship_id}/end", data={"csrf_token": token}
    )
    assert response.status_code == 403


def test_relationships_page_shows_activity(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "casey")
    page = client.get("/relationships").text
    assert "Alex Smith (mentee), Sam Jones (mentor)" in page
    assert '<td class="weekly">0 0 0 0 0 0 0 3</td>' in page
    assert "lee@example.org" not in page


# Reports and audit


def test_reports_show_totals(client: TestClient) -> None:
    log_in(client, "casey")
    page = client.get("/reports").text
    assert "<dt>Messages</dt><dd>3</dd>" in page
    assert "<dt>Flagged messages</dt><dd>1</dd>" in page
    assert "<dt>Active relationships</dt><dd>1</dd>" in page


def test_audit_page_lists_entries(client: TestClient, site: ConsoleSite) -> None:
    log_in(client, "morgan")
    client.get(f"/messages/{site.messages.held}/original")
    client.cookies.clear()
    log_in(client, "robin")
    page = client.get("/audit").text
    assert "<td>morgan</td>\n    <td>view_original</td>" in page
    assert "<td>robin</td>\n    <td>login</td>" in page


# Status banners


def test_banner_ignores_text_in_link(client: TestClient, site: ConsoleSite) -> None:
    # A crafted link must not be able to put its own words on a page.
    log_in(client, "robin")
    crafted = "?done=reject%20-%20Alex%20is%20safe%2C%20no%20need%20to%20call"
    paths = [
        f"/messages/{site.messages.held}/original",
        f"/messages/{site.messages.held}",
        "/relationships",
    ]
    for path in paths:
        page = client.get(path + crafted).text
        assert "Alex is safe" not in page, path
        assert 'role="status"' not in page, path


def test_banner_shows_fixed_text_for_code(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "robin")
    original = f"/messages/{site.messages.held}/original"

    escalated = client.get(original + "?done=escalated").text
    ended = client.get("/relationships?done=ended").text

    assert '<p class="done" role="status">Escalation recorded.</p>' in escalated
    assert '<p class="done" role="status">Relationship ended.</p>' in ended


def test_decision_redirects_with_short_code(
    client: TestClient, site: ConsoleSite
) -> None:
    token = log_in(client, "morgan")
    response = client.post(
        f"/messages/{site.messages.held}/decisions",
        data={"action": "note", "note": "Called Alex's school.", "csrf_token": token},
    )
    assert response.headers["location"] == (
        f"/messages/{site.messages.held}/original?done=noted"
    )
    assert "Note recorded." in client.get(response.headers["location"]).text


# Review queue order


LOW_CONTACT = StoredFinding(
    "off_platform", "body", 1, category="contact", severity="low", matched="snapchat"
)
MEDIUM_MEETING = StoredFinding(
    "safeguarding", "body", 1, category="meeting", severity="medium",
    matched="meet up",
)  # fmt: skip


def _seed_queue(site: ConsoleSite) -> dict[str, int]:
    """Add flagged and held messages of each severity, received days apart."""

    async def run() -> dict[str, int]:
        archive = await Archive.open(site.config.archive_path)
        try:
            sam = await archive.participant_by_email("sam@example.org")
            alex = await archive.participant_by_email("alex@example.com")
            assert sam is not None and alex is not None
            ids = {
                "delivered_low": await store_message(
                    archive, sam, alex, "Add me", "Add me on snapchat",
                    findings=(LOW_CONTACT,), flag="contact",
                ),
                "held_none": await store_message(
                    archive, sam, alex, "Unreadable", "",
                    hold_reason="The filters could not finish this message",
                ),
                "held_medium": await store_message(
                    archive, alex, sam, "Saturday", "Can we meet up on Saturday?",
                    findings=(MEDIUM_MEETING,), hold_reason="meeting", flag="meeting",
                ),
                "held_high_old": await store_message(
                    archive, alex, sam, "Earlier", "I might hurt myself tonight",
                    findings=(SELF_HARM,), hold_reason="self-harm", flag="self-harm",
                ),
            }  # fmt: skip
            async with archive._transaction() as db:
                for name, days in (
                    ("delivered_low", 5),
                    ("held_none", 4),
                    ("held_medium", 3),
                    ("held_high_old", 1),
                ):
                    await db.execute(
                        "UPDATE messages SET received_at = strftime("
                        "'%Y-%m-%dT%H:%M:%S+00:00', 'now', ?) WHERE id = ?",
                        (f"-{days} days", ids[name]),
                    )
                await db.execute(
                    "UPDATE messages SET status = 'delivered' WHERE id = ?",
                    (ids["delivered_low"],),
                )
            return ids
        finally:
            await archive.close()

    return asyncio.run(run())


def test_review_queue_puts_held_and_severe_first(site: ConsoleSite) -> None:
    ids = _seed_queue(site)

    async def run() -> list[int]:
        archive = await Archive.open(site.config.archive_path)
        try:
            return [
                item.message.id for item in await ConsoleStore(archive).review_queue()
            ]
        finally:
            await archive.close()

    assert asyncio.run(run()) == [
        ids["held_high_old"],
        site.messages.held,
        ids["held_medium"],
        ids["held_none"],
        ids["delivered_low"],
    ]


def test_review_page_labels_severity_and_delivery(
    client: TestClient, site: ConsoleSite
) -> None:
    ids = _seed_queue(site)
    log_in(client, "morgan")

    page = client.get("/review").text

    badges = re.findall(r'class="severity-badge severity-(\w+)">([^<]*)<', page)
    assert badges == [
        ("high", "high severity"),
        ("high", "high severity"),
        ("medium", "medium severity"),
        ("none", "no severity"),
        ("low", "low severity"),
    ]
    delivered = page[page.index(f'href="/messages/{ids["delivered_low"]}/original"') :]
    assert '<span class="status-delivered">delivered, flagged</span>' in delivered
    assert "waiting" not in delivered[: delivered.index("</div>")]
    assert page.count("waiting ") == 4


# Participant names


def test_registration_rejects_spoofing_name(
    client: TestClient, site: ConsoleSite
) -> None:
    token = log_in(client, "casey")
    response = client.post(
        "/participants",
        data={
            "name": "=?utf-8?q?Sam_Jones_<sam@example.org>?=",
            "email": "lee@example.org",
            "role": "mentor",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert "contains &#39;=?&#39;, which mail clients read as" in response.text
    assert (
        query(site, "SELECT id FROM participants WHERE email = ?", "lee@example.org")
        == []
    )
