"""Who may open what: sign-in, sessions, roles, CSRF and security headers."""

from __future__ import annotations

import asyncio
import time

import pytest
from starlette.testclient import TestClient

from archive.console import ConsoleStore
from archive.store import Archive
from console.app import create_app
from console.auth import LoginLimiter, token_hash
from tests.console.conftest import ConsoleSite, form_token, log_in

REVIEWER_ONLY = ["/review", "/messages/{held}/original"]


def test_pages_redirect_to_login_without_session(client: TestClient) -> None:
    response = client.get("/search?q=library")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/search%3Fq%3Dlibrary"


def test_login_sets_httponly_strict_cookie(client: TestClient) -> None:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "casey",
            "password": "correct horse battery staple",
            "csrf_token": form_token(form.text),
            "next": "/reports",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/reports"
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("mr_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Max-Age=28800" in cookie


def test_login_ignores_offsite_next(client: TestClient) -> None:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "casey",
            "password": "correct horse battery staple",
            "csrf_token": form_token(form.text),
            "next": "//evil.example.com/",
        },
    )
    assert response.headers["location"] == "/"


def test_wrong_password_is_rejected(client: TestClient) -> None:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "casey",
            "password": "not the password",
            "csrf_token": form_token(form.text),
        },
    )
    assert response.status_code == 401
    assert "The username or password is wrong." in response.text
    assert client.get("/").status_code == 303


def test_login_without_csrf_token_is_rejected(client: TestClient) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": "casey", "password": "correct horse battery staple"},
    )
    assert response.status_code == 403
    assert "mr_session" not in response.headers.get("set-cookie", "")


def test_login_token_from_another_form_is_rejected(client: TestClient) -> None:
    first = form_token(client.get("/login").text)
    client.get("/login")  # replaces the nonce cookie
    response = client.post(
        "/login",
        data={
            "username": "casey",
            "password": "correct horse battery staple",
            "csrf_token": first,
        },
    )
    assert response.status_code == 403


def test_repeated_failures_lock_the_username(client: TestClient) -> None:
    for _ in range(5):
        token = form_token(client.get("/login").text)
        client.post(
            "/login",
            data={"username": "casey", "password": "guess", "csrf_token": token},
        )
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "username": "casey",
            "password": "correct horse battery staple",
            "csrf_token": token,
        },
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text


def test_limiter_counts_per_client_address() -> None:
    limiter = LoginLimiter(per_username=5, per_address=3, window_seconds=60)
    for number in range(3):
        limiter.failed(f"user{number}", "192.0.2.7", now=100.0)
    assert limiter.retry_after("someone-else", "192.0.2.7", now=101.0) == 59.0
    assert limiter.retry_after("someone-else", "192.0.2.8", now=101.0) == 0.0
    assert limiter.retry_after("someone-else", "192.0.2.7", now=160.0) == 0.0


@pytest.mark.parametrize("path", REVIEWER_ONLY)
def test_coordinator_gets_403_on_review_pages(
    client: TestClient, site: ConsoleSite, path: str
) -> None:
    log_in(client, "casey")
    response = client.get(path.format(held=site.messages.held))
    assert response.status_code == 403
    assert "Some days I want" not in response.text


def test_coordinator_cannot_post_decisions(
    client: TestClient, site: ConsoleSite
) -> None:
    token = log_in(client, "casey")
    response = client.post(
        f"/messages/{site.messages.held}/decisions",
        data={"action": "release", "note": "", "csrf_token": token},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("username", ["morgan", "robin"])
def test_reviewers_open_review_pages(
    client: TestClient, site: ConsoleSite, username: str
) -> None:
    log_in(client, username)
    for path in REVIEWER_ONLY:
        assert client.get(path.format(held=site.messages.held)).status_code == 200


@pytest.mark.parametrize(
    ("username", "expected"), [("casey", 403), ("morgan", 403), ("robin", 200)]
)
def test_only_admin_reads_audit_log(
    client: TestClient, username: str, expected: int
) -> None:
    log_in(client, username)
    assert client.get("/audit").status_code == expected


@pytest.mark.parametrize(
    ("username", "expected"), [("casey", 200), ("morgan", 403), ("robin", 200)]
)
def test_export_is_for_coordinators_and_admins(
    client: TestClient, username: str, expected: int
) -> None:
    log_in(client, username)
    assert client.get("/reports.csv").status_code == expected


def test_post_without_csrf_token_is_rejected(
    client: TestClient, site: ConsoleSite
) -> None:
    log_in(client, "morgan")
    response = client.post(
        f"/messages/{site.messages.held}/decisions",
        data={"action": "release", "note": "looks fine"},
    )
    assert response.status_code == 403
    assert "The form has expired" in response.text
    page = client.get(f"/messages/{site.messages.held}")
    assert '<dd class="status-held">held</dd>' in page.text


def test_post_with_wrong_csrf_token_is_rejected(client: TestClient) -> None:
    log_in(client, "casey")
    response = client.post(
        "/participants",
        data={
            "name": "Lee Park",
            "email": "lee@example.org",
            "role": "mentee",
            "csrf_token": "not-the-token",
        },
    )
    assert response.status_code == 403
    assert "Lee Park" not in client.get("/relationships").text


def test_logout_ends_session(client: TestClient) -> None:
    token = log_in(client, "casey")
    cookie = client.cookies.get("mr_session")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    client.cookies.set("mr_session", cookie or "")
    assert client.get("/").status_code == 303


def test_expired_session_is_refused(client: TestClient, site: ConsoleSite) -> None:
    async def expire() -> None:
        archive = await Archive.open(site.config.archive_path)
        try:
            store = ConsoleStore(archive)
            login = await store.staff_login("casey")
            assert login is not None
            past = time.time() - 10
            await store.create_session(
                token_hash("old-token"), login.member.id, "csrf", past - 60, past
            )
        finally:
            await archive.close()

    asyncio.run(expire())
    client.cookies.set("mr_session", "old-token")
    assert client.get("/").status_code == 303


def test_pages_carry_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "img-src 'self'" in policy
    assert "form-action 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_every_form_has_csrf_field(client: TestClient, site: ConsoleSite) -> None:
    log_in(client, "robin")
    paths = ["/", "/relationships", f"/messages/{site.messages.held}/original"]
    for path in paths:
        page = client.get(path).text
        forms = page.count("<form")
        assert forms > 0
        post_forms = page.count('method="post"')
        assert page.count('name="csrf_token"') == post_forms, path


def test_secure_cookie_over_https(site: ConsoleSite) -> None:
    settings = site.config.console
    secure_config = type(site.config)(
        **{
            **vars(site.config),
            "console": type(settings)(
                **{**vars(settings), "base_url": "https://console.example.org"}
            ),
        }
    )
    app = create_app(secure_config)
    with TestClient(
        app, base_url="https://testserver", follow_redirects=False
    ) as client:
        form = client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": "casey",
                "password": "correct horse battery staple",
                "csrf_token": form_token(form.text),
            },
        )
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("__Host-mr_session="))
    assert "Secure" in session
    assert "Path=/" in session
