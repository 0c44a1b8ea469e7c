"""Run the filters in a child process that can be killed when it takes too long.

A crafted message can make Python's email package or a regular expression
run for a very long time, and a thread cannot be stopped. Each pipeline
runner therefore owns one child process, spoken to over its own pipe; when a
message exceeds the time limit the child is killed, a new one is started,
and the message is held for review.

multiprocessing.Pool is not used: its terminate() can block for ever on a
lock an idle worker holds, which hung the relay's shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from filters.base import FilterContext
from filters.pipeline import CleanMessage, clean_message

log = logging.getLogger(__name__)

Function = Callable[[bytes, FilterContext], CleanMessage]

_WARM_UP = b"Subject: warm-up\r\n\r\nwarm-up\r\n"


class FilterTimeout(Exception):
    """The filters did not finish within the time limit."""


class FilterProcess:
    """One child process running `clean_message`, replaced after a timeout."""

    def __init__(self, timeout: float, function: Function = clean_message) -> None:
        self._timeout = timeout
        self._function = function
        # forkserver: children start from a clean server process, not from
        # this one with its event loop and database threads.
        self._context = multiprocessing.get_context("forkserver")
        self._child: _Child | None = None

    async def _running_child(self, context: FilterContext) -> _Child:
        """Return the child, starting it first if needed.

        A new child imports the filters and loads their word lists, which
        takes a second or more; that start-up runs before the time limit
        starts, so it never counts against a message.
        """
        if self._child is None:
            child = _Child(self._context, self._function)
            try:
                await asyncio.to_thread(child.call, _WARM_UP, context)
            except BaseException:
                child.kill()
                raise
            self._child = child
        return self._child

    async def warm_up(self, context: FilterContext) -> None:
        """Start the child and load the filters before any message waits."""
        await self._running_child(context)

    async def clean(self, raw: bytes, context: FilterContext) -> CleanMessage:
        child = await self._running_child(context)
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(child.call, raw, context), self._timeout
            )
        except TimeoutError:
            self._restart()
            limit = f"{self._timeout:g}"
            raise FilterTimeout(f"filters took longer than {limit} s") from None
        except BaseException:
            # A cancelled or failed call leaves the pipe in an unknown state.
            self._restart()
            raise

    def _restart(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child = None

    def close(self) -> None:
        self._restart()


class _Child:
    """A child process and the parent's end of its pipe."""

    def __init__(self, context: Any, function: Function) -> None:
        self._connection, child_end = context.Pipe()
        self._process: BaseProcess = context.Process(
            target=_serve, args=(child_end, function), daemon=True
        )
        self._process.start()
        child_end.close()

    def call(self, raw: bytes, context: FilterContext) -> CleanMessage:
        """Send one message and wait for its result; runs in a worker thread."""
        self._connection.send((raw, context))
        ok, value = self._connection.recv()
        if not ok:
            raise value
        result: CleanMessage = value
        return result

    def kill(self) -> None:
        # Killing the child also wakes a thread blocked in recv() with EOFError.
        self._process.kill()
        self._process.join(timeout=5)
        self._connection.close()


def _serve(connection: Connection, function: Function) -> None:
    """Child side: filter each message received and send back the result."""
    while True:
        try:
            raw, context = connection.recv()
        except EOFError:
            return
        try:
            connection.send((True, function(raw, context)))
        except Exception as error:
            connection.send((False, error))
