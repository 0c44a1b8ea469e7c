"""The evaluation report page and its CSV downloads, over HTTP.

The seeded programme is Sam (mentor) and Alex (mentee): Sam sent two
messages, Alex one, which was held with a self-harm flag.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from contextlib import closing

from starlette.testclient import TestClient

from relay.report import pseudonym
from relay.report_output import UTF8_BOM
from tests.console.conftest import ConsoleSite, log_in

REAL = ("Sam Jones", "Alex Smith", "sam@example.org", "alex@example.com")


def audit_rows(site: ConsoleSite) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(site.config.archive_path)) as db:
        rows = db.execute(
            "SELECT username, action, detail FROM audit_log "
            "WHERE action = 'export' ORDER BY id"
        ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def participant_ids(site: ConsoleSite) -> dict[str, int]:
    with closing(sqlite3.connect(site.config.archive_path)) as db:
        rows = db.execute("SELECT alias, id FROM participants").fetchall()
    return {alias: participant_id for alias, participant_id in rows}


def csv_rows(text: str) -> list[dict[str, str]]:
    assert text.startswith(UTF8_BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(UTF8_BOM))))


def test_page_shows_totals_and_table(client: TestClient, site: ConsoleSite) -> None:
    log_in(client, "casey")
    page = client.get("/reports").text
    assert "<dt>Active relationships</dt><dd>1</dd>" in page
    assert "<dt>Messages</dt><dd>3</dd>" in page
    assert "<dt>Held for review</dt><dd>1</dd>" in page
    assert "<dt>Flagged self-harm</dt><dd>1</dd>" in page
    assert f"<td>Sam Jones &lt;{site.cast.sam}&gt;</td>" in page
    assert "<th>Median reply hours</th>" in page
    assert "alex@example.com" not in page


def test_coordinator_gets_both_downloads(client: TestClient) -> None:
    log_in(client, "casey")
    page = client.get("/reports").text
    assert '<a class="button" href="/reports.csv">Download CSV</a>' in page
    assert 'href="/reports.csv?pseudonymise=1">Download pseudonymised' in page


def test_safeguarding_officer_cannot_download(client: TestClient) -> None:
    log_in(client, "morgan")
    page = client.get("/reports")
    assert page.status_code == 200
    assert "/reports.csv" not in page.text
    assert client.get("/reports.csv").status_code == 403
    assert client.get("/reports.csv?pseudonymise=1").status_code == 403


def test_plain_download_is_audited(client: TestClient, site: ConsoleSite) -> None:
    log_in(client, "casey")
    response = client.get("/reports.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="report-\d{8}\.csv"',
        response.headers["content-disposition"],
    )
    rows = csv_rows(response.text)
    assert [(r["side"], r["sent"], r["held"]) for r in rows] == [
        ("mentor", "2", "0"),
        ("mentee", "1", "1"),
    ]
    assert rows[0]["members"] == f"Sam Jones <{site.cast.sam}>"
    assert rows[1]["flags_self-harm"] == "1"
    ((username, action, detail),) = audit_rows(site)
    assert (username, action) == ("casey", "export")
    assert detail.startswith("report CSV, ")


def test_pseudonymised_download_names_nobody(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "robin")
    response = client.get("/reports.csv?pseudonymise=1")
    assert response.status_code == 200
    for secret in (*REAL, site.cast.sam, site.cast.alex):
        assert secret not in response.text
    key = site.config.archive_key.read_bytes()
    ids = participant_ids(site)
    assert [r["members"] for r in csv_rows(response.text)] == [
        pseudonym(key, ids[site.cast.sam]),
        pseudonym(key, ids[site.cast.alex]),
    ]
    assert client.get("/reports.csv?pseudonymise=1").text == response.text
    ((username, _, detail), _) = audit_rows(site)
    assert username == "robin"
    assert detail.startswith("pseudonymised report CSV, ")


def test_days_narrow_the_report(client: TestClient) -> None:
    log_in(client, "casey")
    page = client.get("/reports?from=2020-01-01&to=2020-01-31").text
    assert "No relationship ran during this period." in page
    assert "<dt>Messages</dt><dd>0</dd>" in page
    assert 'href="/reports.csv?from=2020-01-01&amp;to=2020-01-31"' in page
    download = client.get("/reports.csv?from=2020-01-01&to=2020-01-31")
    assert download.text == UTF8_BOM + (
        "relationship,status,started,planned_end,ended,side,members,sent,held,"
        "side_median_reply_hours,median_reply_hours,longest_gap_days,"
        "week_2020-W01,week_2020-W02,week_2020-W03,week_2020-W04,week_2020-W05\r\n"
    )


def test_invalid_day_is_explained(client: TestClient, site: ConsoleSite) -> None:
    log_in(client, "casey")
    page = client.get("/reports?from=2026-02-30")
    assert page.status_code == 400
    assert "From &#39;2026-02-30&#39; is not a day: use YYYY-MM-DD" in page.text
    download = client.get("/reports.csv?to=soon")
    assert download.status_code == 400
    assert audit_rows(site) == []


def test_missing_key_stops_pseudonymised_download(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "casey")
    site.config.archive_key.unlink()
    response = client.get("/reports.csv?pseudonymise=1")
    assert response.status_code == 500
    assert "The archive key cannot be read" in response.text
    assert audit_rows(site) == []
