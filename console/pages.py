"""Sign-in, the dashboard, archive search and the delivered copy of a message."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, date, datetime, timedelta

from starlette.datastructures import FormData, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from archive.console import PASSED_ON, SearchFilters, StaffLogin, StaffMember
from console import activity, auth, csrf, render
from console.app import (
    Console,
    console_of,
    current_session,
    local_path,
    page,
    redirect,
    show,
    status_banner,
)

log = logging.getLogger(__name__)

SEARCH_PAGE_SIZE = 20
MAX_SEARCH_PAGE = 500
MESSAGE_STATUSES = ("received", "queued", "held", "delivered", "failed", "rejected")


# Signing in and out


async def login_form(request: Request) -> Response:
    if await current_session(request) is not None:
        return redirect(local_path(request.query_params.get("next")))
    return _login_page(request, local_path(request.query_params.get("next")))


def _login_page(
    request: Request, next_path: str, error: str = "", status_code: int = 200
) -> Response:
    console = console_of(request)
    nonce, token = console.login_csrf.issue()
    response = show(
        request,
        "login.html",
        status_code=status_code,
        login_token=token,
        next_path=next_path,
        error=error,
    )
    response.set_cookie(
        csrf.LOGIN_COOKIE,
        nonce,
        max_age=csrf.LOGIN_FORM_SECONDS,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=console.config.console.secure_cookies,
    )
    return response


async def login(request: Request) -> Response:
    console = console_of(request)
    form = await request.form()
    next_path = local_path(form.get("next"))
    if not console.login_csrf.valid(
        request.cookies.get(csrf.LOGIN_COOKIE), _text(form, csrf.FIELD)
    ):
        raise HTTPException(403, "The form has expired: reload the page and try again.")
    username = _text(form, "username").strip()
    password = _text(form, "password")
    address = request.client.host if request.client else "unknown"

    # Tries during a lockout write no audit row, so that a flood of them
    # cannot grow the append-only log. The start of the lockout has a row.
    wait = console.limiter.retry_after(username, address)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        message = f"Too many failed sign-ins: try again in {minutes} min."
        return _login_page(request, next_path, message, status_code=429)

    store = console.db()
    found = await store.staff_login(username) if username else None
    if not await auth.verify_password(found, password):
        await _record_failure(console, found, username, address)
        message = "The username or password is wrong."
        return _login_page(request, next_path, message, status_code=401)

    assert found is not None
    console.limiter.succeeded(username)
    if auth.needs_rehash(found.password_hash):
        await store.set_password_hash(found.member.id, auth.hash_password(password))
    return await _start_session(request, found.member, next_path)


async def _record_failure(
    console: Console, found: StaffLogin | None, username: str, address: str
) -> None:
    """Count a failed sign-in and audit it, and any lockout it starts.

    The rows name the client address and never the password tried.
    """
    store = console.db()
    member = found.member if found else None
    # The audit log keeps an unknown username only when it looks like one,
    # because other text is more likely a password typed in the wrong field.
    tried = username if auth.looks_like_username(username) else "(not a username)"
    if found is None:
        reason = "unknown username, "
    elif found.member.status != "active":
        reason = f"account {found.member.status}, "
    else:
        reason = ""
    await store.record_audit(
        member, "login_failed", detail=f"{reason}from {address}", username=tried
    )
    log.info("console sign-in failed")

    for kind in console.limiter.failed(username, address):
        minutes = round(console.limiter.window_seconds / 60)
        detail = f"{kind} locked for {minutes} min after failed sign-ins from {address}"
        await store.record_audit(member, "login_locked", detail=detail, username=tried)
        log.warning(
            "console sign-in %s locked for %d min after failures", kind, minutes
        )


async def _start_session(
    request: Request, member: StaffMember, next_path: str
) -> Response:
    console = console_of(request)
    settings = console.config.console
    session = auth.new_session()
    now = time.time()
    lifetime = settings.session_hours * 3600
    store = console.db()
    await store.create_session(
        session.token_hash, member.id, session.csrf_token, now, now + lifetime
    )
    await store.record_audit(member, "login")
    log.info("console sign-in: staff account %d", member.id)
    response = redirect(next_path)
    response.set_cookie(
        console.session_cookie,
        session.token,
        max_age=int(lifetime),
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )
    response.delete_cookie(csrf.LOGIN_COOKIE, path="/login")
    return response


@page("read")
async def logout(request: Request, member: StaffMember) -> Response:
    console = console_of(request)
    token = request.cookies.get(console.session_cookie, "")
    await console.db().delete_session(auth.token_hash(token))
    await console.db().record_audit(member, "logout")
    response = redirect("/login")
    response.delete_cookie(console.session_cookie, path="/")
    return response


# Dashboard


@page("read")
async def dashboard(request: Request, member: StaffMember) -> Response:
    console = console_of(request)
    store = console.db()
    now = datetime.now(UTC)
    week_ago = (now - timedelta(days=7)).isoformat(timespec="seconds")
    found = activity.activities(
        await store.archive.list_relationships(),
        await store.relationship_messages(),
        now,
    )
    quiet_days = console.config.console.quiet_days
    return show(
        request,
        "dashboard.html",
        messages_this_week=await store.count_messages_since(week_ago),
        review_items=await store.review_queue(),
        quiet=activity.quiet(found, now, quiet_days),
        quiet_days=quiet_days,
        age=lambda value: render.age(value, now),
    )


# Search


@page("read")
async def search(request: Request, member: StaffMember) -> Response:
    store = console_of(request).db()
    query = request.query_params
    filters, problems = _search_filters(query, member)
    results = await store.search(filters) if not problems else None
    pages = 0
    if results is not None:
        pages = (results.total + filters.per_page - 1) // filters.per_page
    return show(
        request,
        "search.html",
        query=query,
        filters=filters,
        problems=problems,
        results=results,
        pages=pages,
        participants=await store.archive.list_participants(),
        relationships=await store.archive.list_relationships(),
        statuses=MESSAGE_STATUSES if auth.allowed(member.role, "review") else PASSED_ON,
        page_link=lambda number: _page_link(query, number),
    )


def _search_filters(
    query: QueryParams, member: StaffMember
) -> tuple[SearchFilters, list[str]]:
    """Read the search form; problems name each field that could not be used."""
    problems: list[str] = []
    status = query.get("status", "")
    if status and status not in MESSAGE_STATUSES:
        problems.append(f"Status {status!r} is not one of the listed statuses.")
    flagged = {"yes": True, "no": False}.get(query.get("flagged", ""))
    filters = SearchFilters(
        text=query.get("q", "").strip()[:500],
        participant_id=_whole_number(query, "participant", problems),
        relationship_id=_whole_number(query, "relationship", problems),
        date_from=_day(query, "from", problems),
        date_to=_day(query, "to", problems),
        flagged=flagged,
        status=status or None,
        # Held and rejected copies are for safeguarding officers only.
        passed_on_only=not auth.allowed(member.role, "review"),
        page=min(_whole_number(query, "page", problems) or 1, MAX_SEARCH_PAGE),
        per_page=SEARCH_PAGE_SIZE,
    )
    return filters, problems


def _whole_number(query: QueryParams, name: str, problems: list[str]) -> int | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 2**53:
        problems.append(f"{name.capitalize()} {value!r} is not a positive number.")
        return None
    return int(value)


def _day(query: QueryParams, name: str, problems: list[str]) -> str | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        problems.append(f"Date {value!r} is not a date such as 2025-09-01.")
        return None


def _page_link(query: QueryParams, number: int) -> str:
    params = dict(query)
    params["page"] = str(number)
    return "/search?" + str(QueryParams(params))


# One message


@page("read")
async def message(request: Request, member: StaffMember) -> Response:
    store = console_of(request).db()
    message_id: int = request.path_params["message_id"]
    detail = await store.message_detail(message_id)
    if detail is None:
        raise HTTPException(404, f"There is no message {message_id}.")
    reviewer = auth.allowed(member.role, "review")
    content_shown = reviewer or detail.summary.passed_on
    parts = []
    if content_shown:
        parts = await asyncio.to_thread(render.text_parts, detail.delivered)
    return show(
        request,
        "message.html",
        detail=detail,
        parts=parts,
        content_shown=content_shown,
        reviewer=reviewer,
        thread=await store.thread(message_id),
        safe_html=render.safe_html,
        done=status_banner(request),
    )


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
