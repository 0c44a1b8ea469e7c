"""The safeguarding review: the queue, the original beside the delivered copy,
and the decisions (release, reject, escalate, note).

Only roles with the "review" permission reach these pages. Opening an
original and recording a decision each write an audit row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from archive.console import DECISION_ACTIONS, DecisionError, StaffMember
from archive.notices import NewNotice
from archive.store import StoredFinding, UnreadableOriginalError
from console import render
from console.app import Console, console_of, page, redirect, show, status_banner
from relay.notices import quiet_reason, rejection_notice

log = logging.getLogger(__name__)

MAX_NOTE_CHARS = 4000

REJECTION_REASON = "Rejected by a safeguarding officer after review."

# The status banner code (see console.app.STATUS_BANNERS) for each decision.
DONE_CODES = {
    "release": "released",
    "reject": "rejected",
    "escalate": "escalated",
    "note": "noted",
}


def matched_terms(findings: tuple[StoredFinding, ...]) -> list[str]:
    return [f.matched for f in findings if f.matched]


@page("review")
async def queue(request: Request, member: StaffMember) -> Response:
    items = await console_of(request).db().review_queue()
    now = datetime.now(UTC)
    return show(
        request,
        "review.html",
        items=items,
        age=lambda value: render.age(value, now),
        matched_terms=matched_terms,
        excerpt=render.excerpt,
    )


@page("review")
async def original(request: Request, member: StaffMember) -> Response:
    store = console_of(request).db()
    message_id: int = request.path_params["message_id"]
    detail = await store.message_detail(message_id)
    unreadable = ""
    try:
        raw = await store.original(message_id)
    except UnreadableOriginalError as error:
        # The officer must still reach the decision form for this message.
        log.error("message %d: %s", message_id, error)
        raw, unreadable = b"", str(error)
    if detail is None or raw is None:
        raise HTTPException(404, f"There is no message {message_id}.")
    await store.record_audit(member, "view_original", message_id)
    log.info("original of message %d opened by staff account %d", message_id, member.id)

    original_parts = await asyncio.to_thread(render.text_parts, raw)
    delivered_parts = await asyncio.to_thread(render.text_parts, detail.delivered)
    source, source_cut = render.source_text(raw)
    source = source or unreadable
    decided = any(d.action in ("release", "reject") for d in detail.decisions)
    return show(
        request,
        "original.html",
        detail=detail,
        original_parts=original_parts,
        delivered_parts=delivered_parts,
        source=source,
        source_cut=source_cut,
        terms=matched_terms(detail.findings),
        can_release=detail.summary.status == "held" and not decided,
        done=status_banner(request),
        error="",
    )


@page("review")
async def decide(request: Request, member: StaffMember) -> Response:
    console = console_of(request)
    store = console.db()
    message_id: int = request.path_params["message_id"]
    form = await request.form()
    action = form.get("action")
    note = form.get("note")
    if action not in DECISION_ACTIONS or not isinstance(note, str):
        raise HTTPException(400, "Choose release, reject, escalate or note.")
    note = note.strip()[:MAX_NOTE_CHARS]
    if action in ("escalate", "note") and not note:
        raise HTTPException(400, f"Write a note to {action}: say what and why.")
    try:
        if action == "release":
            await store.release(message_id, member, note, time.time())
            console.on_queued()
        elif action == "reject":
            notices = await _rejection_notices(console, message_id)
            await store.reject(message_id, member, note, REJECTION_REASON, notices)
            console.on_queued()
        else:
            await store.add_decision(message_id, member, action, note)
    except DecisionError as error:
        raise HTTPException(409, f"{str(error)[:1].upper()}{str(error)[1:]}.") from None
    log.info("message %d: %s by staff account %d", message_id, action, member.id)
    return redirect(f"/messages/{message_id}/original?done={DONE_CODES[action]}")


async def _rejection_notices(console: Console, message_id: int) -> list[NewNotice]:
    """Write the notice to the sender of a message that is being rejected.

    Returns no notice for a message that must get no reply (see
    `quiet_reason`), and none for a missing message, which `reject` then
    reports.
    """
    archive = console.db().archive
    row = await archive.message(str(message_id))
    if row is None:
        return []
    try:
        raw = bytes(row["raw"])
    except UnreadableOriginalError as error:
        log.error("message %d: %s", message_id, error)
        raw = b""
    quiet = quiet_reason(row["envelope_from"], raw)
    if quiet is not None:
        log.info("message %d gets no rejection notice, because %s", message_id, quiet)
        return []

    (sender,) = await archive.participants_by_id([row["sender_id"]])
    notice = rejection_notice(
        sender,
        await archive.message_recipient_aliases(message_id),
        row["subject"] or "",
        datetime.fromisoformat(row["received_at"]),
        domain=console.config.domain,
        contact=console.config.contact,
        now=datetime.now(UTC),
    )
    return [notice]
