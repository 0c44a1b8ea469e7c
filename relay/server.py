"""The running relay: SMTP listener, pipeline runner, delivery and scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from archive.store import Archive
from console.server import ConsoleServer
from relay.bounces import BounceProcessor
from relay.config import Config, ConfigError, archive_cipher
from relay.delivery import DeliveryWorker, make_transport
from relay.dkim import DkimSigner
from relay.filter_process import FilterProcess
from relay.programme_mail import ProgrammeMail
from relay.runner import PipelineRunner, default_workers
from relay.scheduler import Clock, Scheduler, utc_now
from relay.sender_auth import Resolver, system_resolver
from relay.smtp import SmtpListener, start_smtp_server
from relay.transports import Transport

log = logging.getLogger(__name__)


def load_signer(config: Config) -> DkimSigner:
    path = config.dkim.private_key
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"{config.path}: dkim.private_key = {str(path)!r} cannot be read "
            f"({error.strerror}): point it at the key `mentor-relay init` wrote"
        ) from None
    try:
        return DkimSigner(config.domain, config.dkim.selector, pem)
    except ValueError as error:
        raise ConfigError(
            f"{config.path}: dkim.private_key = {str(path)!r} is not a usable "
            f"RSA key ({error}): generate one with `mentor-relay init`"
        ) from None


class Relay:
    """All parts of a running relay, started and stopped together."""

    def __init__(
        self,
        config: Config,
        archive: Archive,
        signer: DkimSigner,
        transport: Transport,
        resolver: Resolver | None = None,
        *,
        programme_mail: ProgrammeMail | None = None,
        scheduler_clock: Clock = utc_now,
    ) -> None:
        self.config = config
        self.archive = archive
        self.resolver = resolver
        self.received = asyncio.Event()
        self.queued = asyncio.Event()
        timeout = config.filters.parse_timeout_seconds
        self.runner = PipelineRunner(
            config,
            archive,
            self.received,
            self.queued,
            filterer_factory=lambda: FilterProcess(timeout),
            workers=default_workers(),
        )
        self.worker = DeliveryWorker(config, archive, transport, signer, self.queued)
        self.bounces = BounceProcessor(config, archive, self.queued)
        self.scheduler = Scheduler(
            config,
            archive,
            programme_mail or ProgrammeMail.load(config),
            self.queued,
            clock=scheduler_clock,
        )
        self._transport = transport
        self._server: SmtpListener | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def open(
        cls,
        config: Config,
        resolver: Resolver | None = None,
        *,
        scheduler_clock: Clock = utc_now,
    ) -> Relay:
        """Open the archive and keys, and load the programme's mail templates.

        `resolver` does the DNS lookups of sender authentication, and
        `scheduler_clock` returns the scheduler's time. A missing or invalid
        template raises ConfigError before the archive is opened.
        """
        signer = load_signer(config)
        programme_mail = ProgrammeMail.load(config)
        archive = await Archive.open(config.archive_path, archive_cipher(config))
        return cls(
            config,
            archive,
            signer,
            make_transport(config),
            resolver,
            programme_mail=programme_mail,
            scheduler_clock=scheduler_clock,
        )

    async def start(self) -> None:
        await self.archive.release_leases()
        self._server = await start_smtp_server(
            self.config,
            self.archive,
            self.received,
            self.resolver,
            bounce_handler=self.bounces,
        )
        self._tasks = [
            asyncio.create_task(self.runner.run(), name="pipeline-runner"),
            asyncio.create_task(self.worker.run(), name="delivery-worker"),
            asyncio.create_task(self.scheduler.run(), name="programme-scheduler"),
        ]
        log.info("Mentor Relay listening for SMTP on %s", self.config.smtp.listen)

    async def stop(self) -> None:
        started = self._server is not None
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.runner.close()
        await self._transport.close()
        await self.archive.close()
        # A relay closed because it could not start says so through the
        # error that stopped it, not with a "stopped" line before it.
        if started:
            log.info("Mentor Relay stopped")


async def serve(config: Config) -> None:
    """Run the relay and its web console until SIGTERM or SIGINT."""
    relay = await Relay.open(config, system_resolver(config.auth))
    try:
        console = bind_console(config, relay.queued.set)
    except BaseException:
        await relay.stop()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await relay.start()
        await console.start()
        await stop.wait()
        log.info("stopping on signal")
    finally:
        await console.stop()
        await relay.stop()


def bind_console(config: Config, on_queued: Callable[[], None]) -> ConsoleServer:
    """Bind the console's port, or raise ConfigError naming [console] listen."""
    try:
        return ConsoleServer(config, on_queued)
    except OSError as error:
        raise ConfigError(
            f"{config.path}: cannot listen on {config.console.listen} for the "
            f"console ({error.strerror}): set [console] listen to a free address"
        ) from None
