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

from archive import lifecycle
from archive.console import StaffMember
from archive.lifecycle import LifecycleError, RelationshipNotFound
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
# The relationships list shows running ones first, then paused, then ended.
STATUS_ORDER = {"active": 0, "paused": 1, "ended": 2}


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
            found,
            key=lambda a: (
                STATUS_ORDER.get(a.relationship.status, len(STATUS_ORDER)),
                -a.relationship.id,
            ),
        ),
        participants=await store.archive.list_participants(),
        roles=ROLES,
        weeks=activity.WEEKS_SHOWN,
        error=error,
        done=status_banner(request),
    )


@page("manage")
async def add_relationship(request: Request, member: StaffMember) -> Response:
    console = console_of(request)
    store = console.db()
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
        relationship_id = await lifecycle.start(
            store.archive,
            [m.id for m in members],
            term_months=console.config.programme.term_months,
        )
    except (ParticipantError, ArchiveError) as error:
        return await _relationships_page(request, _sentence(error), 400)
    await store.record_audit(member, "relationship_add", detail=str(relationship_id))
    return redirect("/relationships?done=paired")


# One relationship: pause, resume, extend and end


@page("read")
async def relationship(request: Request, member: StaffMember) -> Response:
    return await _relationship_page(request)


async def _relationship_page(
    request: Request, error: str = "", status_code: int = 200
) -> Response:
    store = console_of(request).db()
    relationship_id: int = request.path_params["relationship_id"]
    found = await store.archive.relationship(relationship_id)
    if found is None:
        raise HTTPException(404, f"There is no relationship {relationship_id}.")
    today = lifecycle.utc_today()
    return show(
        request,
        "relationship.html",
        status_code=status_code,
        r=found,
        today=today,
        earliest_resume=today + timedelta(days=1),
        error=error,
        done=status_banner(request),
    )


@page("manage")
async def pause_relationship(request: Request, member: StaffMember) -> Response:
    relationship_id: int = request.path_params["relationship_id"]
    form = await request.form()
    try:
        until = lifecycle.parse_day(_text(form, "until"), "Resume date")
        await lifecycle.pause(
            console_of(request).db().archive,
            relationship_id,
            until,
            _text(form, "reason"),
        )
    except LifecycleError as error:
        return await _lifecycle_error(request, error)
    detail = f"{relationship_id} until {until}"
    return await _changed(request, member, "relationship_pause", detail, "paused")


@page("manage")
async def resume_relationship(request: Request, member: StaffMember) -> Response:
    relationship_id: int = request.path_params["relationship_id"]
    try:
        await lifecycle.resume(console_of(request).db().archive, relationship_id)
    except LifecycleError as error:
        return await _lifecycle_error(request, error)
    detail = str(relationship_id)
    return await _changed(request, member, "relationship_resume", detail, "resumed")


@page("manage")
async def extend_relationship(request: Request, member: StaffMember) -> Response:
    relationship_id: int = request.path_params["relationship_id"]
    form = await request.form()
    try:
        new_end = lifecycle.parse_day(_text(form, "planned_end"), "End date")
        await lifecycle.extend(
            console_of(request).db().archive, relationship_id, new_end
        )
    except LifecycleError as error:
        return await _lifecycle_error(request, error)
    detail = f"{relationship_id} to {new_end}"
    return await _changed(request, member, "relationship_extend", detail, "extended")


@page("manage")
async def end_relationship(request: Request, member: StaffMember) -> Response:
    store = console_of(request).db()
    relationship_id: int = request.path_params["relationship_id"]
    form = await request.form()
    found = await store.archive.relationship(relationship_id)
    if found is None or found.status == "ended":
        raise HTTPException(404, f"There is no active relationship {relationship_id}.")
    try:
        await lifecycle.end(store.archive, relationship_id, _text(form, "reason"))
    except LifecycleError as error:
        return await _lifecycle_error(request, error)
    await store.record_audit(member, "relationship_end", detail=str(relationship_id))
    log.info("relationship %d ended by staff account %d", relationship_id, member.id)
    return redirect("/relationships?done=ended")


async def _changed(
    request: Request, member: StaffMember, action: str, detail: str, done: str
) -> Response:
    """Audit a change to a relationship and send the browser back to its page."""
    relationship_id: int = request.path_params["relationship_id"]
    await console_of(request).db().record_audit(member, action, detail=detail)
    log.info("%s by staff account %d: %s", action, member.id, detail)
    return redirect(f"/relationships/{relationship_id}?done={done}")


async def _lifecycle_error(request: Request, error: LifecycleError) -> Response:
    if isinstance(error, RelationshipNotFound):
        relationship_id = request.path_params["relationship_id"]
        raise HTTPException(404, f"There is no relationship {relationship_id}.")
    return await _relationship_page(request, _sentence(error), 400)


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
