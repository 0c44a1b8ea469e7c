"""The filter child process: results come back, slow messages are cut off."""

from __future__ import annotations

import time

import pytest

from filters.base import FilterContext
from filters.pipeline import CleanMessage, clean_message
from relay.filter_process import FilterProcess, FilterTimeout


def slow_clean(raw: bytes, context: FilterContext) -> CleanMessage:
    """Stand in for a message that makes the filters run for a long time."""
    if b"slow" in raw:
        time.sleep(30)
    return clean_message(raw, context)


async def test_child_returns_filtered_message() -> None:
    process = FilterProcess(timeout=30)
    try:
        clean = await process.clean(
            b"Subject: hi\r\n\r\nRing 07700 900123\r\n", FilterContext()
        )
    finally:
        process.close()
    assert clean.content.get_content() == "Ring [phone number removed]\n"
    assert [f.kind for f in clean.findings] == ["phone"]


async def test_slow_message_times_out_and_next_one_runs() -> None:
    process = FilterProcess(timeout=1.0, function=slow_clean)
    try:
        with pytest.raises(FilterTimeout, match="longer than 1 s"):
            await process.clean(b"Subject: slow\r\n\r\nbody\r\n", FilterContext())
        clean = await process.clean(b"Subject: quick\r\n\r\nbody\r\n", FilterContext())
    finally:
        process.close()
    assert clean.subject == "quick"
