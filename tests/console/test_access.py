"""Who may open what: sign-in, sessions, roles, CSRF and security headers."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from archive.console import ConsoleStore
from archive.store import Archive
from console.app import allowed_hosts, create_app
from console.auth import LoginLimiter, token_hash
from relay.config import Config, ConfigError, load_config
from tests.conftest import run_cli, set_config
from tests.console.conftest import PASSWORD, ConsoleSite, form_token, log_in

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
        app, base_url="https://console.example.org", follow_redirects=False
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


# Host header


def test_foreign_host_gets_400(client: TestClient, site: ConsoleSite) -> None:
    port = site.config.console.listen.port
    for host in ("evil.example.com", f"evil.example.com:{port}", "127.0.0.1:1"):
        response = client.get("/login", headers={"host": host})
        assert response.status_code == 400, host
        assert "Invalid Host header" in response.text


def test_loopback_hosts_with_console_port_pass(
    client: TestClient, site: ConsoleSite
) -> None:
    port = site.config.console.listen.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LocalHost:{port}"):
        assert client.get("/login", headers={"host": host}).status_code == 200, host


def test_allowed_hosts_include_base_url(site: ConsoleSite) -> None:
    port = site.config.console.listen.port
    proxied = _with_console(site, base_url="https://console.example.org")

    assert allowed_hosts(proxied) == {
        f"127.0.0.1:{port}",
        f"localhost:{port}",
        f"[::1]:{port}",
        "console.example.org",
        "console.example.org:443",
    }


def test_allowed_hosts_keep_base_url_port(site: ConsoleSite) -> None:
    proxied = _with_console(site, base_url="http://Console.Example.org:8080")

    hosts = allowed_hosts(proxied)

    assert "console.example.org:8080" in hosts
    assert "console.example.org" not in hosts


# Sign-in audit and limits


def _attempt(client: TestClient, username: str, password: str) -> int:
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
    )
    status: int = response.status_code
    return status


def _audit(site: ConsoleSite, action: str) -> list[tuple[str, str]]:
    async def run() -> list[tuple[str, str]]:
        archive = await Archive.open(site.config.archive_path)
        try:
            rows = await archive._fetchall(
                "SELECT username, detail FROM audit_log WHERE action = ? ORDER BY id",
                (action,),
            )
        finally:
            await archive.close()
        return [(row[0], row[1]) for row in rows]

    return asyncio.run(run())


@pytest.fixture
def outside_client(site: ConsoleSite) -> Iterator[TestClient]:
    """A client whose requests come from 192.0.2.7, a documentation address."""
    with TestClient(
        create_app(site.config),
        base_url=f"http://{site.config.console.listen}",
        client=("192.0.2.7", 50000),
        follow_redirects=False,
    ) as test_client:
        yield test_client


def test_unknown_username_failure_is_audited(
    outside_client: TestClient, site: ConsoleSite
) -> None:
    assert _attempt(outside_client, "nobody", "guessed password") == 401

    assert _audit(site, "login_failed") == [
        ("nobody", "unknown username, from 192.0.2.7")
    ]


def test_failed_sign_in_keeps_no_password(
    outside_client: TestClient, site: ConsoleSite
) -> None:
    # Text that is not a username may be a password typed in the wrong box.
    assert _attempt(outside_client, "my secret phrase!", "casey") == 401
    assert _attempt(outside_client, "casey", "not the password") == 401

    assert _audit(site, "login_failed") == [
        ("(not a username)", "unknown username, from 192.0.2.7"),
        ("casey", "from 192.0.2.7"),
    ]


def test_disabled_account_failure_says_so(
    outside_client: TestClient, site: ConsoleSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO())
    run_cli("--config", str(site.config.path), "staff", "disable", "casey")

    assert _attempt(outside_client, "casey", PASSWORD) == 401

    assert _audit(site, "login_failed") == [
        ("casey", "account disabled, from 192.0.2.7")
    ]


def test_username_lockout_is_audited_once(
    outside_client: TestClient, site: ConsoleSite
) -> None:
    for _ in range(5):
        assert _attempt(outside_client, "casey", "guess") == 401
    assert _attempt(outside_client, "casey", PASSWORD) == 429
    assert _attempt(outside_client, "casey", PASSWORD) == 429

    assert _audit(site, "login_locked") == [
        ("casey", "username locked for 15 min after failed sign-ins from 192.0.2.7")
    ]
    assert len(_audit(site, "login_failed")) == 5


def test_address_limit_comes_from_config(site: ConsoleSite) -> None:
    strict = _with_console(site, max_failed_logins_per_address=3)
    with TestClient(
        create_app(strict),
        base_url=f"http://{strict.console.listen}",
        client=("192.0.2.7", 50000),
        follow_redirects=False,
    ) as client:
        for username in ("nobody", "casey", "morgan"):
            assert _attempt(client, username, "guess") == 401
        assert _attempt(client, "robin", PASSWORD) == 429

    assert _audit(site, "login_locked") == [
        ("morgan", "address locked for 15 min after failed sign-ins from 192.0.2.7")
    ]


def test_address_limit_defaults_to_twenty(site: ConsoleSite) -> None:
    assert site.config.console.max_failed_logins_per_address == 20


def test_address_limit_must_be_positive(site: ConsoleSite) -> None:
    set_config(site.config.path.parent, "console", "max_failed_logins_per_address", "0")

    with pytest.raises(ConfigError, match=r"console\.max_failed_logins_per_address"):
        load_config(site.config.path)


def test_limiter_reports_each_new_lock_once() -> None:
    limiter = LoginLimiter(per_username=2, per_address=3, window_seconds=60)

    assert limiter.failed("casey", "192.0.2.7", now=1.0) == []
    assert limiter.failed("casey", "192.0.2.7", now=2.0) == ["username"]
    assert limiter.failed("morgan", "192.0.2.7", now=3.0) == ["address"]
    assert limiter.failed("casey", "192.0.2.7", now=70.0) == []


# Suspending participants


def test_safeguarding_officer_suspends_and_restores(
    client: TestClient, site: ConsoleSite
) -> None:
    token = log_in(client, "morgan")
    alex_id = _participant_id(site, "alex@example.com")
    assert 'value="suspended"' in client.get("/relationships").text

    suspended = client.post(
        f"/participants/{alex_id}/status",
        data={"status": "suspended", "csrf_token": token},
    )
    restored = client.post(
        f"/participants/{alex_id}/status",
        data={"status": "active", "csrf_token": token},
    )

    assert suspended.status_code == 303
    assert suspended.headers["location"] == "/relationships?done=suspended"
    assert restored.status_code == 303
    assert restored.headers["location"] == "/relationships?done=restored"
    assert _audit(site, "participant_suspend") == [("morgan", str(alex_id))]
    assert _audit(site, "participant_restore") == [("morgan", str(alex_id))]


def test_safeguarding_officer_cannot_register_or_pair(client: TestClient) -> None:
    token = log_in(client, "morgan")

    registered = client.post(
        "/participants",
        data={
            "name": "Lee Park",
            "email": "lee@example.org",
            "role": "mentor",
            "csrf_token": token,
        },
    )
    paired = client.post(
        "/relationships",
        data={"members": "sam@example.org jo@example.com", "csrf_token": token},
    )

    assert registered.status_code == 403
    assert paired.status_code == 403


def _participant_id(site: ConsoleSite, email: str) -> int:
    async def run() -> int:
        archive = await Archive.open(site.config.archive_path)
        try:
            found = await archive.participant_by_email(email)
        finally:
            await archive.close()
        assert found is not None
        return found.id

    return asyncio.run(run())


def _with_console(site: ConsoleSite, **changes: Any) -> Config:
    console = dataclasses.replace(site.config.console, **changes)
    return dataclasses.replace(site.config, console=console)
