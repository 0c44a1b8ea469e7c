"""Run the filters in a child process that can be killed when it takes too long.

A crafted message can make Python's email package or a regular expression
run for a very long time, and a thread cannot be stopped. Each pipeline
runner therefore owns one child process; when a message exceeds the time
limit the child is terminated, a new one is started, and the message is
held for review.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from multiprocessing.pool import Pool

from filters.base import FilterContext
from filters.pipeline import CleanMessage, clean_message

log = logging.getLogger(__name__)


_WARM_UP = b"Subject: warm-up\r\n\r\nwarm-up\r\n"


class FilterTimeout(Exception):
    """The filters did not finish within the time limit."""


class FilterProcess:
    """One child process running `clean_message`, replaced after a timeout."""

    def __init__(
        self,
        timeout: float,
        function: Callable[[bytes, FilterContext], CleanMessage] = clean_message,
    ) -> None:
        self._timeout = timeout
        self._function = function
        # forkserver: children start from a clean server process, not from
        # this one with its event loop and database threads.
        self._context = multiprocessing.get_context("forkserver")
        self._pool: Pool | None = None

    async def _running_pool(self, context: FilterContext) -> Pool:
        """Return the child, starting it first if needed.

        A new child imports the filters and loads their word lists, which
        takes a second or more; that start-up runs before the time limit
        starts, so it never counts against a message.
        """
        if self._pool is None:
            pool = self._context.Pool(processes=1)
            await asyncio.to_thread(pool.apply, self._function, (_WARM_UP, context))
            self._pool = pool
        return self._pool

    async def clean(self, raw: bytes, context: FilterContext) -> CleanMessage:
        pool = await self._running_pool(context)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[CleanMessage] = loop.create_future()

        def resolve(result: CleanMessage) -> None:
            loop.call_soon_threadsafe(_settle, future, result, None)

        def reject(error: BaseException) -> None:
            loop.call_soon_threadsafe(_settle, future, None, error)

        pool.apply_async(
            self._function, (raw, context), callback=resolve, error_callback=reject
        )
        try:
            return await asyncio.wait_for(future, self._timeout)
        except TimeoutError:
            self._restart()
            limit = f"{self._timeout:g}"
            raise FilterTimeout(f"filters took longer than {limit} s") from None
        except asyncio.CancelledError:
            self._restart()
            raise

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def _settle(
    future: asyncio.Future[CleanMessage],
    result: CleanMessage | None,
    error: BaseException | None,
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert result is not None
        future.set_result(result)
