"""Pausing, resuming, extending and ending a relationship from the console."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from starlette.testclient import TestClient

from archive import lifecycle
from tests.console.conftest import ConsoleSite, console_client, log_in

TODAY = date(2030, 3, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "utc_today", lambda: TODAY)


@pytest.fixture
def term(site: ConsoleSite) -> int:
    """Give the cast's relationship a term from 7 January to 6 July 2030."""
    execute(
        site,
        "UPDATE relationships SET started_at = '2030-01-07T09:00:00+00:00', "
        "planned_end = '2030-07-06' WHERE id = ?",
        site.cast.relationship_id,
    )
    return site.cast.relationship_id


def execute(site: ConsoleSite, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(site.config.archive_path) as db:
        return [tuple(row) for row in db.execute(sql, params).fetchall()]


def stored(site: ConsoleSite, relationship_id: int) -> tuple[Any, ...]:
    (row,) = execute(
        site,
        "SELECT status, planned_end, paused_until, pause_reason, end_reason "
        "FROM relationships WHERE id = ?",
        relationship_id,
    )
    return row


def last_audit(site: ConsoleSite) -> tuple[Any, ...]:
    (row,) = execute(
        site, "SELECT username, action, detail FROM audit_log ORDER BY id DESC LIMIT 1"
    )
    return row


# Pages


def test_list_shows_status_and_planned_end(
    client: TestClient, site: ConsoleSite, term: int
) -> None:
    pause_path = f"/relationships/{term}/pause"
    token = log_in(client, "casey")
    client.post(pause_path, data={"until": "2030-03-15", "csrf_token": token})
    page = client.get("/relationships").text
    assert "<th>Planned end</th>" in page
    assert '<td class="status-paused">paused until 2030-03-15</td>' in page
    assert "<td>2030-07-06</td>" in page
    assert f'<a href="/relationships/{term}">{term}</a>' in page


def test_page_offers_forms_to_coordinator(
    client: TestClient, site: ConsoleSite, term: int
) -> None:
    log_in(client, "casey")
    page = client.get(f"/relationships/{term}").text
    assert "<dt>Planned end</dt><dd>2030-07-06 (the last day of the term)</dd>" in page
    assert f'action="/relationships/{term}/pause"' in page
    assert f'action="/relationships/{term}/extend"' in page
    assert f'action="/relationships/{term}/end"' in page
    assert 'min="2030-03-02" max="2030-07-06"' in page
    assert f'action="/relationships/{term}/resume"' not in page


def test_page_has_no_forms_for_safeguarding_officer(
    client: TestClient, site: ConsoleSite, term: int
) -> None:
    log_in(client, "morgan")
    response = client.get(f"/relationships/{term}")
    assert response.status_code == 200
    assert "/pause" not in response.text
    assert "/end" not in response.text


def test_unknown_relationship_page_is_not_found(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "casey")
    assert client.get("/relationships/42").status_code == 404


# Changes


def test_pause_then_resume(client: TestClient, site: ConsoleSite, term: int) -> None:
    token = log_in(client, "casey")
    paused = client.post(
        f"/relationships/{term}/pause",
        data={"until": "2030-03-15", "reason": "exam season", "csrf_token": token},
    )
    assert paused.status_code == 303
    assert paused.headers["location"] == f"/relationships/{term}?done=paused"
    assert stored(site, term) == (
        "paused",
        "2030-07-06",
        "2030-03-15",
        "exam season",
        "",
    )
    assert last_audit(site) == (
        "casey",
        "relationship_pause",
        f"{term} until 2030-03-15",
    )

    page = client.get(paused.headers["location"]).text
    assert '<p class="done" role="status">Relationship paused.</p>' in page
    assert "<dt>Paused because</dt><dd>exam season</dd>" in page
    assert f'action="/relationships/{term}/resume"' in page

    resumed = client.post(f"/relationships/{term}/resume", data={"csrf_token": token})
    assert resumed.status_code == 303
    assert resumed.headers["location"] == f"/relationships/{term}?done=resumed"
    assert stored(site, term) == ("active", "2030-07-06", None, "", "")
    assert last_audit(site) == ("casey", "relationship_resume", str(term))


def test_pause_rejects_past_date(
    client: TestClient, site: ConsoleSite, term: int
) -> None:
    token = log_in(client, "casey")
    response = client.post(
        f"/relationships/{term}/pause",
        data={"until": "2030-02-01", "csrf_token": token},
    )
    assert response.status_code == 400
    assert (
        "Resume date 2030-02-01 is not after today (2030-03-01): give a later date."
        in response.text
    )
    assert stored(site, term)[0] == "active"


def test_pause_rejects_malformed_date(
    client: TestClient, site: ConsoleSite, term: int
) -> None:
    token = log_in(client, "casey")
    response = client.post(
        f"/relationships/{term}/pause",
        data={"until": "15/03/2030", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "Resume date &#39;15/03/2030&#39; is not a valid date" in response.text


def test_extend_moves_planned_end(
    client: TestClient, site: ConsoleSite, term: int
) -> None:
    token = log_in(client, "casey")
    response = client.post(
        f"/relationships/{term}/extend",
        data={"planned_end": "2030-09-30", "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/relationships/{term}?done=extended"
    assert stored(site, term)[1] == "2030-09-30"
    assert last_audit(site) == ("casey", "relationship_extend", f"{term} to 2030-09-30")


def test_extend_to_earlier_date_is_rejected(
    client: TestClient, site: ConsoleSite, term: int
) -> None:
    token = log_in(client, "casey")
    response = client.post(
        f"/relationships/{term}/extend",
        data={"planned_end": "2030-05-01", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "is not after the planned end 2030-07-06" in response.text
    assert stored(site, term)[1] == "2030-07-06"


def test_end_records_reason(client: TestClient, site: ConsoleSite, term: int) -> None:
    token = log_in(client, "casey")
    response = client.post(
        f"/relationships/{term}/end",
        data={"reason": "moved school", "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/relationships?done=ended"
    assert stored(site, term) == ("ended", "2030-07-06", None, "", "moved school")
    assert last_audit(site) == ("casey", "relationship_end", str(term))

    again = client.post(f"/relationships/{term}/end", data={"csrf_token": token})
    assert again.status_code == 404
    page = client.get(f"/relationships/{term}").text
    assert "<dt>Ended because</dt><dd>moved school</dd>" in page
    assert f'action="/relationships/{term}/pause"' not in page


# Access


@pytest.mark.parametrize("action", ["pause", "resume", "extend", "end"])
def test_safeguarding_officer_cannot_change(
    client: TestClient, site: ConsoleSite, term: int, action: str
) -> None:
    token = log_in(client, "morgan")
    response = client.post(
        f"/relationships/{term}/{action}",
        data={"until": "2030-03-15", "planned_end": "2030-09-30", "csrf_token": token},
    )
    assert response.status_code == 403
    assert stored(site, term) == ("active", "2030-07-06", None, "", "")


@pytest.mark.parametrize("action", ["pause", "resume", "extend", "end"])
def test_change_without_csrf_token_is_refused(
    client: TestClient, site: ConsoleSite, term: int, action: str
) -> None:
    log_in(client, "casey")
    response = client.post(
        f"/relationships/{term}/{action}",
        data={"until": "2030-03-15", "planned_end": "2030-09-30"},
    )
    assert response.status_code == 403
    assert stored(site, term) == ("active", "2030-07-06", None, "", "")


def test_pause_of_unknown_relationship_is_not_found(
    client: TestClient, site: ConsoleSite
) -> None:
    token = log_in(client, "casey")
    response = client.post(
        "/relationships/42/pause", data={"until": "2030-03-15", "csrf_token": token}
    )
    assert response.status_code == 404


def test_pairing_uses_configured_term(site: ConsoleSite) -> None:
    programme = replace(site.config.programme, term_months=3)
    with console_client(replace(site.config, programme=programme)) as client:
        token = log_in(client, "casey")
        response = client.post(
            "/relationships",
            data={"members": "sam@example.org jo@example.com", "csrf_token": token},
        )
    assert response.status_code == 303
    assert execute(site, "SELECT planned_end FROM relationships WHERE id = 2") == [
        ("2030-06-01",)
    ]


def test_pairing_twice_is_rejected(client: TestClient, site: ConsoleSite) -> None:
    token = log_in(client, "casey")
    response = client.post(
        "/relationships",
        data={"members": "sam@example.org alex@example.com", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "Two of these participants are already paired in relationship 1" in (
        response.text
    )
