"""Running the console with uvicorn inside an existing event loop.

`mentor-relay serve` runs the console beside the relay in one loop, so the
console must not install signal handlers of its own: the relay's handlers
decide when everything stops, and then stop the console too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator

import uvicorn

from console.app import create_app
from relay.config import Config

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its owner."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ConsoleServer:
    """The console's HTTP listener, bound at construction, served as a task."""

    def __init__(
        self, config: Config, on_queued: Callable[[], None] | None = None
    ) -> None:
        listen = config.console.listen
        family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
        # Binding here, before the relay starts, turns a busy port into an
        # OSError for the caller, where uvicorn would call sys.exit.
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind((listen.host, listen.port))
            self._socket.listen(128)
        except OSError:
            self._socket.close()
            raise
        self.address = str(listen)
        # uvicorn's own start and stop lines would repeat this module's, and
        # with a passed-in socket it prints a misleading "waiting" line.
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        self._server = _Server(
            uvicorn.Config(
                create_app(config, on_queued=on_queued),
                log_config=None,
                access_log=False,
                server_header=False,
                lifespan="on",
            )
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(
            self._server.serve(sockets=[self._socket]), name="console"
        )
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task.done():
            await self._task
        log.info("console listening on http://%s", self.address)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        self._socket.close()
        log.info("console stopped")


async def serve_console(config: Config) -> None:
    """Serve the console alone until SIGTERM or SIGINT."""
    server = ConsoleServer(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    try:
        await stop.wait()
    finally:
        await server.stop()
