"""The evaluation report page and its CSV downloads.

The page shows the table that `mentor-relay report` prints, to every role
with "read". The downloads, plain or pseudonymised, need "export", and each
one writes an audit row.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from archive.console import StaffMember
from console.app import console_of, page, show
from relay import report_output
from relay.report import Report, ReportError, load_report, parse_day, read_key

log = logging.getLogger(__name__)


@page("read")
async def reports(request: Request, member: StaffMember) -> Response:
    query = request.query_params
    try:
        report = await _report(request, query, key=None)
    except ReportError as error:
        return _page(request, None, _sentence(error), status_code=400)
    return _page(request, report)


@page("export")
async def reports_csv(request: Request, member: StaffMember) -> Response:
    query = request.query_params
    pseudonymise = query.get("pseudonymise") == "1"
    key = _archive_key(request) if pseudonymise else None
    try:
        report = await _report(request, query, key)
    except ReportError as error:
        raise HTTPException(400, _sentence(error)) from None

    detail = _audit_detail(report)
    await console_of(request).db().record_audit(member, "export", detail=detail)
    log.info("evaluation report exported by staff account %d", member.id)
    return Response(
        report_output.report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{_filename(report)}"'},
    )


async def _report(request: Request, query: QueryParams, key: bytes | None) -> Report:
    date_from = parse_day(query.get("from", "").strip(), "From")
    date_to = parse_day(query.get("to", "").strip(), "To")
    archive = console_of(request).db().archive
    return await load_report(
        archive, datetime.now(UTC), date_from=date_from, date_to=date_to, key=key
    )


def _archive_key(request: Request) -> bytes:
    try:
        return read_key(console_of(request).config.archive_key)
    except ReportError as error:
        log.warning("pseudonymised export not possible: %s", error)
        raise HTTPException(
            500,
            "The archive key cannot be read, so the pseudonymised export is not "
            "available: ask the operator to check [archive] key_file.",
        ) from None


def _page(
    request: Request, report: Report | None, error: str = "", status_code: int = 200
) -> Response:
    query = request.query_params
    dates = {
        name: query.get(name, "").strip()
        for name in ("from", "to")
        if query.get(name, "").strip()
    }
    return show(
        request,
        "reports.html",
        status_code=status_code,
        report=report,
        error=error,
        dates=dates,
        download=_download_links(dates),
        headers=report_output.TABLE_HEADERS,
        rows=report_output.relationship_cells(report) if report else [],
        week_headers=report_output.week_headers(report) if report else [],
        weekly=report_output.weekly_cells(report) if report else [],
        decimal=report_output.decimal,
    )


def _download_links(dates: dict[str, str]) -> dict[str, str]:
    plain = urlencode(dates)
    return {
        "plain": "/reports.csv" + (f"?{plain}" if plain else ""),
        "pseudonymised": "/reports.csv?" + urlencode({"pseudonymise": "1", **dates}),
    }


def _audit_detail(report: Report) -> str:
    kind = "pseudonymised report" if report.pseudonymised else "report"
    start = report.period.start.isoformat(timespec="seconds")
    end = report.period.end.isoformat(timespec="seconds")
    return f"{kind} CSV, {start} to {end}"


def _filename(report: Report) -> str:
    kind = "report-pseudonymised" if report.pseudonymised else "report"
    return f"{kind}-{report.period.end:%Y%m%d}.csv"


def _sentence(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:] + "."
