"""The console in a real headless Chromium, driven by Playwright's sync API.

The console runs as `mentor-relay console` in a child process on a free
loopback port. Chromium is Debian's package at /usr/bin/chromium, launched
so that it resolves no host but 127.0.0.1 and makes no background requests.
Set CONSOLE_SCREENSHOTS to a folder to save the dashboard and review queue
there as PNG files (docs/ contains the ones the README shows).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from tests.console.conftest import PASSWORD, ConsoleSite

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests need Debian's chromium at /usr/bin/chromium "
    "(apt-get install -y chromium)",
)


def wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the console exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the console did not answer at {url}")


@pytest.fixture
def console_url(site: ConsoleSite) -> Iterator[str]:
    listen = site.config.console.listen
    url = f"http://{listen.host}:{listen.port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "relay", "--config", str(site.config.path), "console"],
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_until_serving(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def browser(console_url: str) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running in this thread, so
    # the console (and the archive set-up, which uses asyncio.run) start first.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    opened.on("dialog", record)
    yield opened
    context.close()
    # A dialog would mean a participant's script ran in the console.
    assert dialogs == []


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("CONSOLE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_search_open_and_release(page: Page, console_url: str) -> None:
    log_in(page, console_url, "morgan")
    screenshot(page, "dashboard.png")

    page.get_by_role("link", name="Search").click()
    page.get_by_label("Words").fill("library")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("1 message found.")).to_be_visible()
    page.get_by_role("link", name="Reading list for the autumn").click()
    expect(page.get_by_text("Try the library on Tuesday")).to_be_visible()

    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.locator("mark", has_text="hurt myself").first).to_be_visible()
    screenshot(page, "review.png")
    page.get_by_role("link", name="Feeling low").click()
    expect(page.get_by_role("heading", name="Original, as sent")).to_be_visible()
    page.get_by_label("Note").fill("Spoke to Alex; safe to pass on.")
    page.get_by_role("button", name="Release (deliver now)").click()

    expect(page.get_by_role("status")).to_have_text(
        "Released: the message is queued for delivery."
    )
    expect(page.locator("#message-status")).to_have_text("queued")
    expect(page.get_by_text("Spoke to Alex; safe to pass on.")).to_be_visible()
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_text("Nothing is waiting for review.")).to_be_visible()


def test_hostile_message_runs_nothing(page: Page, console_url: str) -> None:
    log_in(page, console_url, "robin")
    page.goto(console_url + "/search?q=here")
    expect(page.get_by_text("1 message found.")).to_be_visible()
    page.locator("ol.hits a").first.click()
    expect(
        page.get_by_role("heading", name="<script>alert('subject')</script>")
    ).to_be_visible()
    page.get_by_role("link", name="Open the original and review").click()
    expect(page.get_by_role("heading", name="Original, as sent")).to_be_visible()
    assert (
        page.evaluate("document.querySelectorAll('main script, main img').length") == 0
    )


def test_coordinator_sees_no_review_link(page: Page, console_url: str) -> None:
    log_in(page, console_url, "casey")
    expect(page.get_by_role("link", name="Review", exact=True)).to_have_count(0)
    response = page.goto(console_url + "/review")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
