"""The pipeline runner over real mail: every corpus file, sent as a mentor."""

from __future__ import annotations

import asyncio
import contextlib
import email
from collections.abc import AsyncIterator
from email.policy import default
from pathlib import Path

import pytest

from archive.store import Archive
from filters.base import FilterContext
from filters.pipeline import CleanMessage, clean_message
from relay.config import Config, load_config
from relay.runner import PipelineRunner
from tests.conftest import CORPUS, Cast

CORPUS_FILES = sorted(CORPUS.glob("*.eml")) if CORPUS.is_dir() else []
TEXT_TYPES = {"text/plain", "text/html"}


@pytest.fixture
async def archive(relay_dir: Path, cast: Cast) -> AsyncIterator[Archive]:
    opened = await Archive.open(relay_dir / "archive.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
def config(relay_dir: Path) -> Config:
    return load_config(relay_dir / "relay.toml")


async def accept_from_sam(archive: Archive, raw: bytes) -> int:
    sam = await archive.participant_by_email("sam@example.org")
    alex = await archive.participant_by_email("alex@example.com")
    assert sam is not None and alex is not None
    queue_id = f"Q{len(raw)}{id(raw)}"
    return await archive.accept_message(
        queue_id, "127.0.0.1", "sam@example.org", sam.id, [alex.id], raw
    )


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpus/eml is not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
async def test_corpus_message_comes_out_clean(
    archive: Archive, config: Config, path: Path
) -> None:
    message_id = await accept_from_sam(archive, path.read_bytes())
    runner = PipelineRunner(config, archive, asyncio.Event(), asyncio.Event())
    assert await runner.run_once()

    row = await archive.message(str(message_id))
    assert row is not None
    kinds = {f.kind for f in await archive.findings(message_id)}
    assert "internal_error" not in kinds
    if row["status"] == "held":
        # Held mail is never delivered, so only the reason matters.
        assert row["hold_reason"]
        return
    assert row["status"] == "queued"
    delivered = email.message_from_bytes(bytes(row["delivered"]), policy=default)
    assert delivered["From"].endswith("@relay.example.org>")
    for part in delivered.walk():
        if part.is_multipart():
            continue
        assert part.get_content_type() in TEXT_TYPES, part.get_content_type()
        assert part.get_filename() is None
        part.get_content()
    for line in bytes(row["delivered"]).split(b"\r\n"):
        assert len(line) <= 998


async def test_filter_crash_holds_message(
    archive: Archive, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug in a filter must hold the message, never deliver the raw bytes or
    # leave the job looping.
    def broken(raw: bytes, context: object) -> None:
        raise RuntimeError("filter bug")

    monkeypatch.setattr("relay.runner.clean_message", broken)
    message_id = await accept_from_sam(archive, b"Subject: hi\r\n\r\n07700 900123\r\n")
    runner = PipelineRunner(config, archive, asyncio.Event(), asyncio.Event())
    assert await runner.run_once()
    row = await archive.message(str(message_id))
    assert row is not None
    assert row["status"] == "held"
    assert [f.kind for f in await archive.findings(message_id)] == ["internal_error"]
    assert await archive.lease_delivery_jobs(10, 60) == []
    assert not await runner.run_once()


async def test_unfinished_message_has_no_deliverable_copy(
    archive: Archive, config: Config
) -> None:
    # A message the filters could not finish carries a placeholder body; it
    # must not be stored as a copy that a release could deliver.
    parts = "".join(
        f"--z\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(300)
    )
    raw = (
        "From: sam@example.org\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: multipart/mixed; boundary=z\r\n\r\n{parts}--z--\r\n"
    ).encode()
    message_id = await accept_from_sam(archive, raw)
    runner = PipelineRunner(config, archive, asyncio.Event(), asyncio.Event())
    assert await runner.run_once()
    row = await archive.message(str(message_id))
    assert row is not None
    assert row["status"] == "held"
    assert "MIME parts" in row["hold_reason"]
    assert not row["delivered"]


async def test_message_sent_as_html_alone_is_searchable(
    archive: Archive, config: Config
) -> None:
    # Some clients send only text/html; the archive must still index the
    # visible text, with the filters' removals in it.
    raw = (
        b"From: sam@example.org\r\nSubject: html only\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Business plan for the <b>lemonade</b> stall</p>"
        b"<p>call 07700 900123</p>\r\n"
    )
    message_id = await accept_from_sam(archive, raw)
    runner = PipelineRunner(config, archive, asyncio.Event(), asyncio.Event())
    assert await runner.run_once()
    row = await archive.message(str(message_id))
    assert row is not None
    assert row["body_text"] == (
        "Business plan for the lemonade stall\n\ncall [phone number removed]\n"
    )
    hits = await archive.search("lemonade")
    assert [hit["id"] for hit in hits] == [message_id]


class RecordingFilterer:
    """A filterer whose warm-up can fail, recording the runner's calls."""

    def __init__(self, warm_up_error: Exception | None = None) -> None:
        self.calls: list[str] = []
        self.cleaned = asyncio.Event()
        self._warm_up_error = warm_up_error

    async def warm_up(self, context: object) -> None:
        self.calls.append("warm_up")
        if self._warm_up_error is not None:
            raise self._warm_up_error

    async def clean(self, raw: bytes, context: FilterContext) -> CleanMessage:
        self.calls.append("clean")
        self.cleaned.set()
        return await asyncio.to_thread(clean_message, raw, context)

    def close(self) -> None:
        pass


async def run_until_cleaned(
    runner: PipelineRunner, filterer: RecordingFilterer
) -> None:
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.wait_for(filterer.cleaned.wait(), 30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_worker_warms_the_filters_before_its_first_job(
    archive: Archive, config: Config
) -> None:
    filterer = RecordingFilterer()
    runner = PipelineRunner(
        config, archive, asyncio.Event(), asyncio.Event(), lambda: filterer
    )
    await accept_from_sam(archive, b"Subject: hi\r\n\r\nsee you Monday\r\n")
    await run_until_cleaned(runner, filterer)
    assert filterer.calls == ["warm_up", "clean"]


async def test_failed_warm_up_still_filters_the_next_job(
    archive: Archive, config: Config
) -> None:
    filterer = RecordingFilterer(RuntimeError("child would not start"))
    runner = PipelineRunner(
        config, archive, asyncio.Event(), asyncio.Event(), lambda: filterer
    )
    await accept_from_sam(archive, b"Subject: hi\r\n\r\nsee you Monday\r\n")
    await run_until_cleaned(runner, filterer)
    assert filterer.calls == ["warm_up", "clean"]
