"""Relationships and participants, activity reports and the audit log.

Registering and pairing run the same checks as the command line, from
relay.participants.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from archive.console import ConsoleStore, StaffMember
from archive.store import ArchiveError
from console import activity
from console.app import console_of, page, redirect, show, status_banner
from relay.participants import (
    ROLES,
    ParticipantError,
    check_members,
    find_participant,
    register_participants,
    validate_participant,
)

log = logging.getLogger(__name__)

AUDIT_PAGE_SIZE = 100
MAX_MEMBERS = 20


@page("read")
async def relationships(request: Request, member: StaffMember) -> Response:
    return await _relationships_page(request)


async def _relationships_page(
    request: Request, error: str = "", status_code: int = 200
) -> Response:
    store = console_of(request).db()
    now = datetime.now(UTC)
    found = activity.activities(
        await store.archive.list_relationships(),
        await store.relationship_messages(),
        now,
    )
    return show(
        request,
        "relationships.html",
        status_code=status_code,
        activities=sorted(
            found, key=lambda a: (a.relationship.status, -a.relationship.id)
        ),
        participants=await store.archive.list_participants(),
        roles=ROLES,
        weeks=activity.WEEKS_SHOWN,
        error=error,
        done=status_banner(request),
    )


@page("manage")
async def add_relationship(request: Request, member: StaffMember) -> Response:
    store = console_of(request).db()
    form = await request.form()
    references = _text(form, "members").replace(",", " ").split()
    try:
        if not 2 <= len(references) <= MAX_MEMBERS:
            raise ParticipantError(
                f"name 2 to {MAX_MEMBERS} members by address or alias, separated "
                "by spaces or commas"
            )
        members = [await find_participant(store.archive, ref) for ref in references]
        check_members(members)
    except ParticipantError as error:
        return await _relationships_page(request, _sentence(error), 400)
    relationship_id = await store.archive.add_relationship([m.id for m in members])
    await store.record_audit(member, "relationship_add", detail=str(relationship_id))
    return redirect("/relationships?done=paired")


@page("manage")
async def end_relationship(request: Request, member: StaffMember) -> Response:
    store = console_of(request).db()
    relationship_id: int = request.path_params["relationship_id"]
    if not await store.archive.end_relationship(relationship_id):
        raise HTTPException(404, f"There is no active relationship {relationship_id}.")
    await store.record_audit(member, "relationship_end", detail=str(relationship_id))
    return redirect("/relationships?done=ended")


@page("manage")
async def add_participant(request: Request, member: StaffMember) -> Response:
    console = console_of(request)
    store = console.db()
    form = await request.form()
    try:
        entry = validate_participant(
            _text(form, "name"),
            _text(form, "email"),
            _text(form, "role"),
            console.config,
        )
        (added,) = await register_participants(store.archive, console.config, [entry])
    except (ParticipantError, ArchiveError) as error:
        return await _relationships_page(request, _sentence(error), 400)
    await store.record_audit(member, "participant_add", detail=added.alias)
    return redirect("/relationships?done=registered")


@page("suspend")
async def participant_status(request: Request, member: StaffMember) -> Response:
    store = console_of(request).db()
    participant_id: int = request.path_params["participant_id"]
    form = await request.form()
    status = form.get("status")
    if status not in ("active", "suspended"):
        raise HTTPException(400, "Choose active or suspended.")
    if not await store.archive.participants_by_id([participant_id]):
        raise HTTPException(404, f"There is no participant {participant_id}.")
    if await store.archive.set_participant_status(participant_id, status):
        action = (
            "participant_suspend" if status == "suspended" else "participant_restore"
        )
        await store.record_audit(member, action, detail=str(participant_id))
        log.info(
            "participant %d set %s by staff account %d",
            participant_id,
            status,
            member.id,
        )
    done = "suspended" if status == "suspended" else "restored"
    return redirect(f"/relationships?done={done}")


@page("read")
async def reports(request: Request, member: StaffMember) -> Response:
    store = console_of(request).db()
    found, totals = await _report(store)
    return show(request, "reports.html", activities=found, totals=totals)


@page("export")
async def reports_csv(request: Request, member: StaffMember) -> Response:
    store = console_of(request).db()
    found, _ = await _report(store)
    await store.record_audit(member, "export", detail="reports.csv")
    log.info("activity report exported by staff account %d", member.id)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        activity.activity_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="activity-{stamp}.csv"'},
    )


async def _report(
    store: ConsoleStore,
) -> tuple[list[activity.Activity], activity.ProgrammeTotals]:
    now = datetime.now(UTC)
    messages = await store.relationship_messages()
    found = activity.activities(await store.archive.list_relationships(), messages, now)
    counts = await store.message_counts()
    week_ago = (now - timedelta(days=7)).isoformat(timespec="seconds")
    totals = activity.totals(
        found,
        messages,
        (
            sum(counts.values()),
            await store.count_messages_since(week_ago),
            await store.count_flagged(),
        ),
    )
    return found, totals


@page("audit")
async def audit(request: Request, member: StaffMember) -> Response:
    store = console_of(request).db()
    page_text = request.query_params.get("page", "1")
    number = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10**6 else 1
    entries = await store.audit_entries(AUDIT_PAGE_SIZE, (number - 1) * AUDIT_PAGE_SIZE)
    total = await store.count_audit_entries()
    return show(
        request,
        "audit.html",
        entries=entries,
        page=number,
        pages=(total + AUDIT_PAGE_SIZE - 1) // AUDIT_PAGE_SIZE,
    )


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _sentence(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:] + "."
