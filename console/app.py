"""The console's Starlette application: routes, sessions, headers, errors.

Every page goes through `page(permission)`, which loads the session from
its cookie, redirects to /login without one, returns 403 when the role lacks
the permission, and checks the CSRF token of every POST before the handler
runs. Before any of that, `HostCheck` rejects with 400 a request whose Host
header names another site, which is how a DNS-rebinding page would arrive.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.console import ConsoleStore, StaffMember, StaffSession
from archive.store import Archive
from console import auth, csrf, render
from relay.config import Config, archive_cipher

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; object-src 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}

# The status banner shown after a redirect, chosen by the short code in the
# `done` query parameter. Only these texts can appear: any other value is
# ignored, so a crafted link cannot put its own words on a console page.
STATUS_BANNERS = {
    "released": "Released: the message is queued for delivery.",
    "rejected": "Rejected: the message will not be delivered.",
    "escalated": "Escalation recorded.",
    "noted": "Note recorded.",
    "paired": "Relationship started.",
    "ended": "Relationship ended.",
    "paused": "Relationship paused.",
    "resumed": "Relationship resumed.",
    "extended": "Planned end moved.",
    "registered": "Participant registered.",
    "suspended": "Participant suspended.",
    "restored": "Participant restored.",
}

Handler = Callable[[Request, StaffMember], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class Console:
    """The shared state of the request handlers, kept in app.state.console."""

    config: Config
    templates: Jinja2Templates
    login_csrf: csrf.LoginCsrf
    limiter: auth.LoginLimiter
    # Wakes the delivery worker after a release. It is a no-op when the
    # console runs alone, and the relay's worker then finds the jobs by polling.
    on_queued: Callable[[], None]
    store: ConsoleStore | None = None
    archive: Archive | None = field(default=None, repr=False)

    @property
    def session_cookie(self) -> str:
        # The __Host- prefix binds the cookie to this host and path "/", but
        # browsers accept it only with Secure, so only over HTTPS.
        secure = self.config.console.secure_cookies
        return "__Host-mr_session" if secure else "mr_session"

    def db(self) -> ConsoleStore:
        assert self.store is not None, "the console's archive is not open"
        return self.store


class LoginRequired(Exception):
    """The request has no valid session; the handler sends it to /login."""


def create_app(
    config: Config,
    *,
    on_queued: Callable[[], None] | None = None,
    secret_key: bytes | None = None,
) -> Starlette:
    """Build the console for the relay described by `config`.

    The app opens its own connection to the archive when it starts, so it
    can run beside the relay in one process or on its own. `secret_key`
    signs sign-in forms; by default each start picks a new one, which only
    makes sign-in forms opened before a restart invalid.
    """
    console = Console(
        config=config,
        templates=_templates(),
        login_csrf=csrf.LoginCsrf(secret_key or secrets.token_bytes(32)),
        limiter=auth.LoginLimiter(
            per_address=config.console.max_failed_logins_per_address
        ),
        on_queued=on_queued or (lambda: None),
    )
    app = Starlette(
        routes=_routes(),
        middleware=[
            Middleware(HostCheck, allowed=allowed_hosts(config)),
            Middleware(SecurityHeaders),
        ],
        exception_handlers={
            HTTPException: _http_error,
            LoginRequired: _to_login,
        },
        lifespan=_lifespan,
    )
    app.state.console = console
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    console: Console = app.state.console
    config = console.config
    archive = await Archive.open(config.archive_path, archive_cipher(config))
    console.archive = archive
    console.store = ConsoleStore(archive)
    try:
        yield
    finally:
        console.store = None
        await archive.close()


def _routes() -> list[Route | Mount]:
    from console import manage, pages, reports, review

    static = StaticFiles(packages=[("console", "static")])
    return [
        Route("/login", pages.login_form, methods=["GET"]),
        Route("/login", pages.login, methods=["POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/", pages.dashboard),
        Route("/search", pages.search),
        Route("/messages/{message_id:int}", pages.message),
        Route("/review", review.queue),
        Route("/messages/{message_id:int}/original", review.original),
        Route("/messages/{message_id:int}/decisions", review.decide, methods=["POST"]),
        Route("/relationships", manage.relationships),
        Route("/relationships", manage.add_relationship, methods=["POST"]),
        Route("/relationships/{relationship_id:int}", manage.relationship),
        Route(
            "/relationships/{relationship_id:int}/end",
            manage.end_relationship,
            methods=["POST"],
        ),
        Route(
            "/relationships/{relationship_id:int}/pause",
            manage.pause_relationship,
            methods=["POST"],
        ),
        Route(
            "/relationships/{relationship_id:int}/resume",
            manage.resume_relationship,
            methods=["POST"],
        ),
        Route(
            "/relationships/{relationship_id:int}/extend",
            manage.extend_relationship,
            methods=["POST"],
        ),
        Route("/participants", manage.add_participant, methods=["POST"]),
        Route(
            "/participants/{participant_id:int}/status",
            manage.participant_status,
            methods=["POST"],
        ),
        Route("/reports", reports.reports),
        Route("/reports.csv", reports.reports_csv),
        Route("/audit", manage.audit),
        Mount("/static", static, name="static"),
    ]


def _templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["highlight"] = render.highlight
    environment.filters["snippet"] = render.snippet
    environment.filters["duration"] = render.duration
    return Jinja2Templates(env=environment)


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def page(permission: str) -> Callable[[Handler], Endpoint]:
    """Wrap a handler with the session, role and (for POST) CSRF checks."""

    def wrap(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            session = await current_session(request)
            if session is None:
                raise LoginRequired()
            if not auth.allowed(session.member.role, permission):
                raise HTTPException(403, "Your role cannot open this page.")
            if request.method == "POST":
                form = await request.form()
                if not csrf.same_token(session.csrf_token, form.get(csrf.FIELD)):
                    raise HTTPException(
                        403, "The form has expired: reload the page and try again."
                    )
            request.state.session = session
            return await handler(request, session.member)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


async def current_session(request: Request) -> StaffSession | None:
    console = console_of(request)
    token = request.cookies.get(console.session_cookie)
    if not token:
        return None
    return await console.db().session(auth.token_hash(token), time.time())


def show(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> Response:
    """Render a page with the signed-in member, their token and the helpers."""
    session: StaffSession | None = getattr(request.state, "session", None)
    context.update(
        me=session.member if session else None,
        csrf_field=csrf.FIELD,
        csrf_token=session.csrf_token if session else "",
        can=lambda permission: (
            session is not None and auth.allowed(session.member.role, permission)
        ),
        now=datetime.now(UTC),
    )
    return console_of(request).templates.TemplateResponse(
        request, template, context, status_code=status_code
    )


def status_banner(request: Request) -> str:
    """Return the banner text for the `done` code of the request, or ""."""
    return STATUS_BANNERS.get(request.query_params.get("done", ""), "")


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def local_path(value: object, default: str = "/") -> str:
    """Return `value` when it is a path on this site, else `default`.

    Only "/x" paths pass: "//host" and "/\\host" are read by browsers as
    other hosts, so a crafted `next` could send staff off the console.
    """
    if not isinstance(value, str) or not value.startswith("/"):
        return default
    if value.startswith(("//", "/\\")) or any(c in value for c in "\r\n\t"):
        return default
    return value


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return show(
        request,
        "error.html",
        status_code=error.status_code,
        status=error.status_code,
        detail=error.detail,
    )


async def _to_login(request: Request, error: Exception) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    if request.method != "GET":
        target = "/"
    return redirect("/login?next=" + quote(target, safe="/"))


class SecurityHeaders:
    """Adds the Content-Security-Policy and related headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def allowed_hosts(config: Config) -> frozenset[str]:
    """Return the Host header values that the console accepts.

    These are the [console] listen address, the host of base_url, and
    localhost, 127.0.0.1 and [::1] with the listen port. Values are
    lowercase, and a port equal to the scheme's default may be left out,
    as browsers do.
    """
    port = config.console.listen.port
    hosts = {config.console.listen.host, "localhost", "127.0.0.1", "::1"}
    allowed = {_host_value(host, port) for host in hosts}
    if port == 80:
        allowed |= {_host_value(host, None) for host in hosts}

    base = urlsplit(config.console.base_url)
    default_port = 443 if base.scheme == "https" else 80
    base_port = base.port or default_port
    if base.hostname:
        allowed.add(_host_value(base.hostname, base_port))
        if base_port == default_port:
            allowed.add(_host_value(base.hostname, None))
    return frozenset(allowed)


def _host_value(host: str, port: int | None) -> str:
    host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return host if port is None else f"{host}:{port}"


class HostCheck:
    """Middleware that rejects with 400 each request whose Host is not allowed.

    A DNS-rebinding page points its own name at 127.0.0.1, so the browser
    sends that name in the Host header. Starlette's TrustedHostMiddleware
    (1.10) would do the same check on the name alone. This one compares the
    name and the port, so only the addresses the console is served at pass.
    """

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed
        self._warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host", "").strip().lower()
        if host in self.allowed:
            await self.app(scope, receive, send)
            return

        # A proxy that passes on a name other than base_url's sends every
        # request here, so the first rejection is a warning. Later ones are
        # logged at debug, so that an attacker cannot flood the log.
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        log.log(
            level,
            "request for host %r answered with 400: set [console] base_url to "
            "the address staff open",
            host[:100],
        )
        response = PlainTextResponse(
            "Invalid Host header: open the console at its configured address.",
            status_code=400,
        )
        await response(scope, receive, send)
