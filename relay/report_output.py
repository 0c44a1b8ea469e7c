"""Writing an evaluation report: a terminal table, one JSON document, or CSV.

The CSV has one row per relationship and side (mentors, mentees); README.md
lists its columns. Hours and days have two decimals in JSON and CSV.
`run_report` carries out `mentor-relay report`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.store import Archive
from relay.config import Config
from relay.report import (
    Member,
    RelationshipReport,
    Report,
    ReportError,
    SideReport,
    Totals,
    load_report,
    parse_day,
    read_key,
)

FORMATS = ("table", "json", "csv")
NEW_FILE_FIX = "give --output the name of a new file"

# A spreadsheet may run a cell that starts with one of these as a formula,
# and participants choose their own names, so such a cell gets a leading
# apostrophe. OWASP ASVS 5.0 requirement 1.2.10 lists =, +, -, @, tab and
# NUL. Carriage return is added because many exporters treat it the same.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")

# Excel opens a CSV file without a byte order mark in the system's legacy
# code page, which garbles names such as "Zoë", and with the mark it reads
# UTF-8. So every CSV starts with the mark, which Python's csv readers skip
# with encoding="utf-8-sig".
UTF8_BOM = "\ufeff"

CSV_FIRST_COLUMNS = (
    "relationship",
    "status",
    "started",
    "planned_end",
    "ended",
    "side",
    "members",
    "sent",
    "held",
    "side_median_reply_hours",
    "median_reply_hours",
    "longest_gap_days",
)

TABLE_HEADERS = (
    "ID",
    "STATUS",
    "STARTED",
    "PLANNED END",
    "ENDED",
    "MENTORS",
    "MENTEES",
    "MENTOR SENT",
    "MENTEE SENT",
    "HELD",
    "MEDIAN REPLY HOURS",
    "LONGEST GAP DAYS",
    "FLAGS",
)


@dataclass(frozen=True)
class ReportRequest:
    """The options of `mentor-relay report`, as typed."""

    output_format: str = "table"
    pseudonymise: bool = False
    output: Path | None = None
    date_from: str | None = None
    date_to: str | None = None


async def run_report(
    archive: Archive, config: Config, request: ReportRequest, now: datetime
) -> str:
    """Build the report, write it to the --output file if one is given, return it.

    Raises ReportError, before reading the archive, for an invalid date, a
    missing or invalid archive key, or an --output file that exists already.
    """
    date_from = parse_day(request.date_from, "--from")
    date_to = parse_day(request.date_to, "--to")
    key = read_key(config.archive_key) if request.pseudonymise else None
    if request.output is not None and request.output.exists():
        raise ReportError(f"{request.output} already exists: {NEW_FILE_FIX}")
    report = await load_report(
        archive, now, date_from=date_from, date_to=date_to, key=key
    )
    text = render(report, request.output_format)
    if request.output is not None:
        write_new_file(request.output, text)
    return text


def render(report: Report, output_format: str) -> str:
    """Write `report` as "table", "json" or "csv"."""
    if output_format == "json":
        return report_json(report)
    if output_format == "csv":
        return report_csv(report)
    return report_table(report)


def write_new_file(path: Path, text: str) -> None:
    """Write `text` as UTF-8 to a new file that only its owner can read.

    The report names participants, so an existing file is never replaced:
    it may be another person's, or a link to one.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ReportError(f"{path} already exists: {NEW_FILE_FIX}") from None
    except OSError as error:
        raise ReportError(f"cannot create {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
        file.write(text)


def decimal(value: float | None) -> str:
    """Format hours or days with two decimals, or "" when there is no value."""
    return "" if value is None else f"{value:.2f}"


def flags_text(flags: dict[str, int]) -> str:
    return ", ".join(f"{category} {count}" for category, count in flags.items())


# JSON


def report_json(report: Report) -> str:
    document = {
        "period": {
            "from": report.period.start.isoformat(timespec="seconds"),
            "to": report.period.end.isoformat(timespec="seconds"),
        },
        "pseudonymised": report.pseudonymised,
        "weeks": list(report.weeks),
        "relationships": [
            _relationship_json(r, report.weeks) for r in report.relationships
        ],
        "totals": _totals_json(report.totals),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _relationship_json(
    relationship: RelationshipReport, weeks: Sequence[str]
) -> dict[str, Any]:
    return {
        "id": relationship.id,
        "status": relationship.status,
        "started": relationship.started,
        "planned_end": relationship.planned_end,
        "ended": relationship.ended,
        "sent": relationship.sent,
        "held": relationship.held,
        "median_reply_hours": _rounded(relationship.median_reply_hours),
        "longest_gap_days": _rounded(relationship.longest_gap_days),
        "flags": relationship.flags,
        "sides": {side.role: _side_json(side, weeks) for side in relationship.sides},
    }


def _side_json(side: SideReport, weeks: Sequence[str]) -> dict[str, Any]:
    return {
        "members": [_member_json(member) for member in side.members],
        "sent": side.sent,
        "held": side.held,
        "median_reply_hours": _rounded(side.median_reply_hours),
        "flags": side.flags,
        "weekly": dict(zip(weeks, side.weekly, strict=True)),
    }


def _member_json(member: Member) -> dict[str, str]:
    if member.pseudonym:
        return {"role": member.role, "pseudonym": member.pseudonym}
    return {"role": member.role, "name": member.name, "alias": member.alias}


def _totals_json(totals: Totals) -> dict[str, Any]:
    return {
        "relationships": totals.relationships,
        "messages": totals.messages,
        "held": totals.held,
        "flagged": totals.flagged,
        "flags": totals.flags,
        "median_reply_hours": _rounded(totals.median_reply_hours),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# CSV


def report_csv(report: Report) -> str:
    """Write one row per relationship and side, led by a UTF-8 byte order mark."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    for row in [csv_header(report), *csv_rows(report)]:
        writer.writerow([formula_safe(cell) for cell in row])
    return UTF8_BOM + output.getvalue()


def csv_header(report: Report) -> list[str]:
    return [
        *CSV_FIRST_COLUMNS,
        *(f"flags_{category}" for category in report.categories),
        *(f"week_{week}" for week in report.weeks),
    ]


def csv_rows(report: Report) -> list[list[str]]:
    return [
        _csv_row(relationship, side, report.categories)
        for relationship in report.relationships
        for side in relationship.sides
    ]


def _csv_row(
    relationship: RelationshipReport, side: SideReport, categories: Sequence[str]
) -> list[str]:
    return [
        str(relationship.id),
        relationship.status,
        relationship.started,
        relationship.planned_end,
        relationship.ended or "",
        side.role,
        "; ".join(member.label for member in side.members),
        str(side.sent),
        str(side.held),
        decimal(side.median_reply_hours),
        decimal(relationship.median_reply_hours),
        decimal(relationship.longest_gap_days),
        *(str(side.flags.get(category, 0)) for category in categories),
        *(str(count) for count in side.weekly),
    ]


def formula_safe(cell: str) -> str:
    """Prefix a cell with ' when a spreadsheet would run it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


# Terminal table


def report_table(report: Report) -> str:
    lines = [_heading(report), ""]
    if not report.relationships:
        lines.append("No relationship ran during this period.")
    else:
        lines += _aligned(TABLE_HEADERS, relationship_cells(report))
        lines += ["", "Messages sent per ISO week"]
        lines += _aligned(("ID", "SIDE", *week_headers(report)), weekly_cells(report))
    lines += ["", *totals_lines(report.totals)]
    return "\n".join(lines) + "\n"


def _heading(report: Report) -> str:
    start = report.period.start.strftime("%Y-%m-%d %H:%M")
    end = report.period.end.strftime("%Y-%m-%d %H:%M")
    heading = f"Evaluation report from {start} to {end} UTC"
    if report.pseudonymised:
        heading += ", participants pseudonymised"
    return heading


def relationship_cells(report: Report) -> list[list[str]]:
    """Return the cells of the relationship table, one row per relationship."""
    return [_relationship_cells(r) for r in report.relationships]


def _relationship_cells(relationship: RelationshipReport) -> list[str]:
    mentors, mentees = relationship.sides
    return [
        str(relationship.id),
        relationship.status,
        relationship.started[:10],
        relationship.planned_end,
        (relationship.ended or "")[:10],
        ", ".join(member.label for member in mentors.members),
        ", ".join(member.label for member in mentees.members),
        str(mentors.sent),
        str(mentees.sent),
        str(relationship.held),
        decimal(relationship.median_reply_hours),
        decimal(relationship.longest_gap_days),
        flags_text(relationship.flags),
    ]


def week_headers(report: Report) -> list[str]:
    """Return the week column headers: "W02", or "2026-W02" across years."""
    years = {week[:4] for week in report.weeks}
    if len(years) > 1:
        return list(report.weeks)
    return [week[5:] for week in report.weeks]


def weekly_cells(report: Report) -> list[list[str]]:
    return [
        [str(relationship.id), side.role, *(str(n) for n in side.weekly)]
        for relationship in report.relationships
        for side in relationship.sides
    ]


def totals_lines(totals: Totals) -> list[str]:
    counts = totals.relationships
    median = totals.median_reply_hours
    flagged = f"Flagged messages: {totals.flagged}"
    if totals.flags:
        flagged += f" ({flags_text(totals.flags)})"
    return [
        f"Relationships: {counts['active']} active, {counts['paused']} paused, "
        f"{counts['ended']} ended",
        f"Messages: {totals.messages}, of which {totals.held} held for review",
        flagged,
        "Median reply time (median of the relationships' medians): "
        + (f"{median:.1f} h" if median is not None else "no replies"),
    ]


def _aligned(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    cells = [list(headers), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return [
        "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in cells
    ]
