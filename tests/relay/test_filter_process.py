"""The filter child process: results come back, slow messages are cut off."""

from __future__ import annotations

import asyncio
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


async def test_close_after_use_returns() -> None:
    # multiprocessing.Pool.terminate could block for ever on a lock held by
    # an idle worker, which hung the relay's shutdown; closing must return.
    for _ in range(3):
        process = FilterProcess(timeout=30)
        await process.clean(b"Subject: hi\r\n\r\nbody\r\n", FilterContext())
        await asyncio.wait_for(asyncio.to_thread(process.close), 10)


async def test_filter_error_comes_back_and_child_is_replaced() -> None:
    process = FilterProcess(timeout=30, function=failing_clean)
    try:
        with pytest.raises(ValueError, match="broken filter"):
            await process.clean(b"Subject: fail\r\n\r\nbody\r\n", FilterContext())
        clean = await process.clean(b"Subject: fine\r\n\r\nbody\r\n", FilterContext())
    finally:
        process.close()
    assert clean.subject == "fine"


def failing_clean(raw: bytes, context: FilterContext) -> CleanMessage:
    """Stand in for a filter with a bug that raises on some messages."""
    if b"fail" in raw:
        raise ValueError("broken filter")
    return clean_message(raw, context)


def warm_up_fails(raw: bytes, context: FilterContext) -> CleanMessage:
    """Stand in for filters that cannot load, seen at the warm-up message."""
    if b"warm-up" in raw:
        raise ValueError("word list missing")
    return clean_message(raw, context)


async def test_warm_up_starts_the_child_before_any_message() -> None:
    process = FilterProcess(timeout=30, function=warm_up_fails)
    try:
        with pytest.raises(ValueError, match="word list missing"):
            await process.warm_up(FilterContext())
    finally:
        process.close()
