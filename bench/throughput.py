"""Measure Mentor Relay's accept rate, pipeline rate and delivery latency.

Run by hand from the repository root, never from the test suite:

    python -m bench.throughput            # full run, about 2 minutes
    python -m bench.throughput --quick    # smoke check
    python -m bench.throughput --json     # figures as JSON

Each figure is printed beside a baseline measured in the same run, because
the machines this runs on are shared and absolute times vary between runs.
Every server binds 127.0.0.1 on a free port and every client connects there.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import logging
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import aiosmtplib
import aiosqlite
from aiosmtpd.smtp import SMTP

if __package__ in (None, ""):
    # Run by path (`python bench/NAME.py`): Python then puts bench/ on the
    # import path instead of the repository root, so add the root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.store import Archive, Participant
from bench._common import (
    BenchRelay,
    Sink,
    connect,
    create_relay,
    envelopes,
    free_port,
    machine_facts,
    median,
    pair_message,
    percentile,
    run_clients,
    send,
)
from filters.base import FilterContext
from filters.pipeline import clean_message
from relay.compose import Identity, compose, new_message_id, read_inbound_headers
from relay.config import Config, archive_cipher, load_config
from relay.dkim import DkimSigner
from relay.runner import filter_context
from relay.server import Relay, load_signer
from relay.smtp import start_smtp_server

CONNECTION_COUNTS = (1, 4, 16)
# Messages go to each pair in turn, so that the per-sender hourly count the
# relay checks at MAIL stays small, as it is for a real programme.
PAIR_COUNT = 100
LATENCY_CONNECTIONS = 8


@dataclass(frozen=True)
class Settings:
    """How long and how often each part of the benchmark runs."""

    accept_seconds: float
    accept_rounds: int
    pipeline_messages: int
    pipeline_rounds: int
    latency_seconds: float
    offered_rate: float
    drain_seconds: float
    sink_messages: int


FULL = Settings(
    accept_seconds=2.0,
    accept_rounds=5,
    pipeline_messages=40,
    pipeline_rounds=3,
    latency_seconds=20.0,
    offered_rate=50.0,
    drain_seconds=120.0,
    sink_messages=200,
)
QUICK = Settings(
    accept_seconds=1.0,
    accept_rounds=1,
    pipeline_messages=10,
    pipeline_rounds=1,
    latency_seconds=5.0,
    offered_rate=50.0,
    drain_seconds=8.0,
    sink_messages=50,
)


# 1. Accept rate


class BaselineHandler:
    """aiosmtpd handler that commits each message to SQLite, then replies 250."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        # One INSERT in autocommit mode is one transaction, so each message
        # is on disk (WAL, synchronous=FULL) before the reply, as in the relay.
        await self._db.execute(
            "INSERT INTO messages (received_at, envelope_from, recipients, raw) "
            "VALUES (?, ?, ?, ?)",
            (
                time.time(),
                envelope.mail_from or "",
                " ".join(envelope.rcpt_tos),
                envelope.original_content or b"",
            ),
        )
        return "250 2.0.0 Message accepted"


async def open_baseline_archive(path: Path) -> aiosqlite.Connection:
    """Open a one-table SQLite file with the pragmas the relay's archive uses."""
    db = await aiosqlite.connect(path, isolation_level=None)
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA busy_timeout=5000",
    ):
        await db.execute(pragma)
    await db.execute(
        "CREATE TABLE messages (id INTEGER PRIMARY KEY, received_at REAL NOT NULL, "
        "envelope_from TEXT NOT NULL, recipients TEXT NOT NULL, raw BLOB NOT NULL)"
    )
    return db


async def start_baseline_server(
    db: aiosqlite.Connection, config: Config, port: int
) -> asyncio.Server:
    """Listen on 127.0.0.1:`port` with the relay's aiosmtpd settings."""
    handler = BaselineHandler(db)
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=config.smtp.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=config.smtp.hostname,
            ident="Mentor Relay benchmark baseline",
            timeout=300,
            loop=loop,
        )

    return await loop.create_server(protocol, host="127.0.0.1", port=port)


@dataclass(frozen=True)
class AcceptFigure:
    """Accept rates at one connection count, with server CPU time per message."""

    connections: int
    relay_per_second: float
    baseline_per_second: float
    relay_cpu_ms: float
    baseline_cpu_ms: float

    @property
    def ratio(self) -> float:
        return self.relay_per_second / self.baseline_per_second


async def measure_accept(
    bench: BenchRelay,
    baseline_port: int,
    settings: Settings,
    clients: concurrent.futures.Executor,
) -> list[AcceptFigure]:
    """Measure the accept rate of the relay's front end and of the baseline.

    Only the SMTP front end runs: the pipeline runner and the delivery worker
    are not started, so the figure covers the MAIL and RCPT checks and the
    durable commit, and no content work.
    """
    config = load_config(bench.config_path)
    archive = await Archive.open(config.archive_path, archive_cipher(config))
    baseline_db = await open_baseline_archive(
        bench.config_path.parent / "baseline.sqlite3"
    )
    relay_server = await start_smtp_server(config, archive, asyncio.Event())
    baseline_server = await start_baseline_server(baseline_db, config, baseline_port)
    try:
        return [
            await _accept_figure(bench, baseline_port, count, settings, clients)
            for count in CONNECTION_COUNTS
        ]
    finally:
        relay_server.close()
        baseline_server.close()
        await relay_server.wait_closed()
        await baseline_server.wait_closed()
        await archive.close()
        await baseline_db.close()


async def _accept_figure(
    bench: BenchRelay,
    baseline_port: int,
    connections: int,
    settings: Settings,
    clients: concurrent.futures.Executor,
) -> AcceptFigure:
    messages = envelopes(bench)

    async def measure(port: int) -> tuple[float, float]:
        # process_time() covers every thread of this process, aiosqlite's
        # included, and nothing of the client process.
        cpu_before = time.process_time()
        future = clients.submit(
            run_clients, port, connections, settings.accept_seconds, messages
        )
        run = await asyncio.wrap_future(future)
        cpu_ms = (time.process_time() - cpu_before) * 1000 / run.messages
        return run.per_second, cpu_ms

    # Rounds alternate between the two servers, so that a burst of load from
    # elsewhere on the machine falls on both rather than on one.
    relay: list[tuple[float, float]] = []
    baseline: list[tuple[float, float]] = []
    for _ in range(settings.accept_rounds):
        baseline.append(await measure(baseline_port))
        relay.append(await measure(bench.listen_port))
    return AcceptFigure(
        connections,
        relay_per_second=median([rate for rate, _ in relay]),
        baseline_per_second=median([rate for rate, _ in baseline]),
        relay_cpu_ms=median([cpu for _, cpu in relay]),
        baseline_cpu_ms=median([cpu for _, cpu in baseline]),
    )


# 2. Pipeline rate


@dataclass(frozen=True)
class PipelineFigure:
    relay_per_second: float
    baseline_per_second: float
    filter_ms: float
    compose_ms: float
    sign_ms: float
    message_bytes: int
    findings: int

    @property
    def time_ratio(self) -> float:
        return self.baseline_per_second / self.relay_per_second


@dataclass(frozen=True)
class _PipelineParts:
    context: FilterContext
    signer: DkimSigner
    sender: Participant
    recipient: Participant
    domain: str


def _pipeline_parts(bench: BenchRelay) -> _PipelineParts:
    config = load_config(bench.config_path)
    pair = bench.pairs[0]
    sender = Participant(
        1, pair.sender_name, pair.sender_email, pair.sender_alias, "mentor", "active"
    )
    recipient = Participant(
        2, pair.recipient_name, "", pair.recipient_alias, "mentee", "active"
    )
    return _PipelineParts(
        filter_context(config), load_signer(config), sender, recipient, config.domain
    )


def run_pipeline(raw: bytes, parts: _PipelineParts) -> bytes:
    """Parse, filter, rebuild and sign `raw` as the runner and worker do."""
    clean = clean_message(raw, parts.context)
    return parts.signer.sign(_compose(raw, clean.content, clean.subject, parts))


def _compose(raw: bytes, content: Any, subject: str, parts: _PipelineParts) -> bytes:
    inbound = read_inbound_headers(raw)
    identity = Identity(
        sender=parts.sender,
        recipients=(parts.recipient,),
        message_id=new_message_id(parts.domain),
        in_reply_to=(),
        references=(),
        auto_submitted=inbound.auto_submitted,
    )
    return compose(content, subject, identity)


def run_baseline(raw: bytes) -> bytes:
    """Parse and serialise `raw` with the standard library's email package."""
    return message_from_bytes(raw, policy=policy.default).as_bytes()


def _seconds_per_call(action: Callable[[], object], calls: int, rounds: int) -> float:
    """Return the best mean time of `action` over `rounds` rounds of `calls`."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            action()
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def measure_pipeline(bench: BenchRelay, settings: Settings) -> PipelineFigure:
    """Time the pipeline and the baseline on one thread, in the same run."""
    parts = _pipeline_parts(bench)
    raw = pair_message(bench.pairs[0])
    clean = clean_message(raw, parts.context)
    if clean.hold_reasons:
        raise RuntimeError(
            f"the sample message was held for review ({clean.hold_reasons}): "
            "change the sample in bench/_common.py so that it is delivered"
        )
    composed = _compose(raw, clean.content, clean.subject, parts)
    run_baseline(raw)

    calls, rounds = settings.pipeline_messages, settings.pipeline_rounds
    baseline = _seconds_per_call(lambda: run_baseline(raw), calls * 10, rounds)
    pipeline = _seconds_per_call(lambda: run_pipeline(raw, parts), calls, rounds)
    filtering = _seconds_per_call(
        lambda: clean_message(raw, parts.context), calls, rounds
    )
    composing = _seconds_per_call(
        lambda: _compose(raw, clean.content, clean.subject, parts), calls, rounds
    )
    signing = _seconds_per_call(lambda: parts.signer.sign(composed), calls, rounds)
    return PipelineFigure(
        relay_per_second=1 / pipeline,
        baseline_per_second=1 / baseline,
        filter_ms=filtering * 1000,
        compose_ms=composing * 1000,
        sign_ms=signing * 1000,
        message_bytes=len(raw),
        findings=sum(f.count for f in clean.findings),
    )


# 3. End-to-end latency


@dataclass(frozen=True)
class LatencyFigure:
    """Delay from the 250 reply to arrival at the sink, under steady load."""

    offered: int
    offered_per_second: float
    delivered: int
    delivered_per_second: float
    median_ms: float
    p99_ms: float
    sink_median_ms: float
    sink_p99_ms: float


async def sink_round_trips(port: int, data: bytes, count: int) -> list[float]:
    """Time MAIL, RCPT and DATA of `count` messages sent straight to the sink."""
    client = await connect(port)
    times: list[float] = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            await send(client, "bounces@relay.example.org", "alex@example.com", data)
            times.append(time.perf_counter() - started)
    finally:
        await client.quit()
    return times


async def offer_load(
    bench: BenchRelay, rate: float, seconds: float
) -> tuple[dict[str, float], float]:
    """Send at a steady `rate` for `seconds` and record when each 250 came back.

    Sends start on schedule whether or not earlier ones have finished, so a
    slow relay does not lower the load it is offered. Returns a map from
    queue id to the time of its 250 reply, and the rate actually offered.
    """
    messages = envelopes(bench)
    pool: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
    for client in await asyncio.gather(
        *(connect(bench.listen_port) for _ in range(LATENCY_CONNECTIONS))
    ):
        pool.put_nowait(client)
    accepted: dict[str, float] = {}

    async def send_one(sender: str, recipient: str, data: bytes) -> None:
        client = await pool.get()
        try:
            reply = await send(client, sender, recipient, data)
            accepted[reply.message.rsplit(" ", 1)[-1]] = time.perf_counter()
        finally:
            pool.put_nowait(client)

    started = time.perf_counter()
    total = round(rate * seconds)
    tasks = []
    for index in range(total):
        await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
        message = messages[index % len(messages)]
        tasks.append(asyncio.create_task(send_one(*message)))
    await asyncio.gather(*tasks)
    offered_rate = total / (time.perf_counter() - started)
    while not pool.empty():
        await pool.get_nowait().quit()
    return accepted, offered_rate


async def wait_for_arrivals(sink: Sink, count: int, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while sink.handler.count() < count and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


async def delivery_delays(
    archive: Archive, arrivals: dict[str, float], accepted: dict[str, float]
) -> list[float]:
    """Return, per accepted message, the seconds from 250 to the sink.

    A message that has not arrived counts as infinitely late, so that a
    backlog shows in the percentiles instead of dropping out of them.
    """
    arrival_by_queue_id: dict[str, float] = {}
    for message_id, arrived in arrivals.items():
        row = await archive.message(f"<{message_id}>")
        if row is not None:
            arrival_by_queue_id[row["queue_id"]] = arrived
    return [
        arrival_by_queue_id.get(queue_id, float("inf")) - replied
        for queue_id, replied in accepted.items()
    ]


async def measure_latency(
    bench: BenchRelay, sink: Sink, settings: Settings
) -> LatencyFigure:
    """Run the whole relay, deliver to the sink, and time each message."""
    data = pair_message(bench.pairs[0])
    sink_times = await sink_round_trips(sink.port, data, settings.sink_messages)
    sink.handler.clear()

    relay = await Relay.open(load_config(bench.config_path))
    await relay.start()
    try:
        accepted, offered_rate = await offer_load(
            bench, settings.offered_rate, settings.latency_seconds
        )
        await wait_for_arrivals(sink, len(accepted), settings.drain_seconds)
        arrivals = sink.handler.snapshot()
        delays = await delivery_delays(relay.archive, arrivals, accepted)
    finally:
        await relay.stop()
    delivered = sum(1 for delay in delays if delay != float("inf"))
    span = max(arrivals.values(), default=0.0) - min(accepted.values(), default=0.0)
    return LatencyFigure(
        offered=len(accepted),
        offered_per_second=offered_rate,
        delivered=delivered,
        delivered_per_second=delivered / span if span > 0 else 0.0,
        median_ms=median(delays) * 1000,
        p99_ms=percentile(delays, 0.99) * 1000,
        sink_median_ms=median(sink_times) * 1000,
        sink_p99_ms=percentile(sink_times, 0.99) * 1000,
    )


# Report


@dataclass(frozen=True)
class Results:
    machine: dict[str, Any]
    settings: Settings
    accept: list[AcceptFigure]
    pipeline: PipelineFigure
    latency: LatencyFigure


def results_json(results: Results) -> dict[str, Any]:
    """Return the results as plain data, with the derived ratios included."""
    data = asdict(results)
    for figure, entry in zip(results.accept, data["accept"], strict=True):
        entry["ratio"] = figure.ratio
    data["pipeline"]["time_ratio"] = results.pipeline.time_ratio
    for key, value in data["latency"].items():
        if value == float("inf"):
            data["latency"][key] = None
    return data


def _connections(count: int) -> str:
    return "1 connection" if count == 1 else f"{count} connections"


def _milliseconds(value: float, timeout: float) -> str:
    if value == float("inf"):
        return f"> {timeout * 1000:.0f}"
    return f"{value:.1f}"


def _rows(results: Results) -> list[tuple[str, str, str, str, str]]:
    """Return the table rows: figure, relay, baseline, ratio, aim."""
    rows = [("figure", "relay", "baseline", "ratio", "aim")]
    for accept in results.accept:
        rows.append(
            (
                f"accept, {_connections(accept.connections)} (msg/s)",
                f"{accept.relay_per_second:.0f}",
                f"{accept.baseline_per_second:.0f}",
                f"{accept.ratio:.2f}",
                ">= 0.8",
            )
        )
    pipeline = results.pipeline
    rows.append(
        (
            "pipeline, one thread (msg/s)",
            f"{pipeline.relay_per_second:.1f}",
            f"{pipeline.baseline_per_second:.1f}",
            f"{pipeline.time_ratio:.1f}x time",
            "<= 3x",
        )
    )
    latency, drain = results.latency, results.settings.drain_seconds
    for label, relay, sink in (
        ("median", latency.median_ms, latency.sink_median_ms),
        ("p99", latency.p99_ms, latency.sink_p99_ms),
    ):
        rows.append(
            (
                f"latency 250 to sink, {label} (ms)",
                _milliseconds(relay, drain),
                f"{sink:.1f}",
                "",
                "",
            )
        )
    return rows


def _notes(results: Results) -> list[str]:
    pipeline, latency = results.pipeline, results.latency
    cpu = ", ".join(
        f"{a.connections}: {a.relay_cpu_ms:.2f} vs {a.baseline_cpu_ms:.2f}"
        for a in results.accept
    )
    return [
        f"server CPU ms per accepted message, relay vs baseline, by connections: {cpu}",
        f"pipeline per message: filter {pipeline.filter_ms:.1f} ms, compose "
        f"{pipeline.compose_ms:.1f} ms, DKIM sign {pipeline.sign_ms:.1f} ms "
        f"({pipeline.message_bytes} bytes, {pipeline.findings} findings)",
        f"latency: {latency.offered} messages offered at "
        f"{latency.offered_per_second:.1f}/s; {latency.delivered} reached the "
        f"sink within {results.settings.drain_seconds:.0f} s of the last 250, "
        f"at {latency.delivered_per_second:.1f}/s",
    ]


def format_table(results: Results) -> str:
    """Return the figures as a fixed-width table with notes below it."""
    machine = results.machine
    rows = _rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        f"{machine['cpu_count']} x {machine['cpu_model']}, Python {machine['python']}",
        "",
    ]
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row, widths, strict=True)][
            1:
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join([*lines, "", *_notes(results)])


# Running


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.throughput",
        description="Measure Mentor Relay's accept rate, pipeline rate and "
        "delivery latency, each beside a baseline from the same run.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="short run for a smoke check, about 30 s"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--latency-seconds",
        type=_positive_number,
        help="seconds of steady load for the latency figure "
        f"(default {FULL.latency_seconds:g}, {QUICK.latency_seconds:g} with --quick)",
    )
    parser.add_argument(
        "--rate",
        type=_positive_number,
        help="messages per second offered for the latency figure "
        f"(default {FULL.offered_rate:g})",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="folder for the temporary relay directories (default: the system "
        "temporary folder); put it on the disk a real relay would use, "
        "because every accepted message waits for fsync",
    )
    return parser


async def _measure_servers(
    accept_bench: BenchRelay,
    latency_bench: BenchRelay,
    sink: Sink,
    settings: Settings,
) -> tuple[list[AcceptFigure], LatencyFigure]:
    # The clients for the accept rate run in a separate process, so that
    # their CPU time is not taken from the server loop being measured.
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as clients:
        accept = await measure_accept(accept_bench, free_port(), settings, clients)
    latency = await measure_latency(latency_bench, sink, settings)
    return accept, latency


def run(settings: Settings, workdir: Path | None) -> Results:
    with tempfile.TemporaryDirectory(prefix="relay-bench-", dir=workdir) as folder:
        root = Path(folder)
        with Sink() as sink:
            accept_bench = create_relay(root / "accept", PAIR_COUNT)
            latency_bench = create_relay(
                root / "latency", PAIR_COUNT, smarthost_port=sink.port
            )
            pipeline = measure_pipeline(accept_bench, settings)
            accept, latency = asyncio.run(
                _measure_servers(accept_bench, latency_bench, sink, settings)
            )
    return Results(machine_facts(), settings, accept, pipeline, latency)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    settings = QUICK if args.quick else FULL
    if args.latency_seconds is not None:
        settings = replace(settings, latency_seconds=args.latency_seconds)
    if args.rate is not None:
        settings = replace(settings, offered_rate=args.rate)
    try:
        results = run(settings, args.workdir)
    except (OSError, sqlite3.Error, aiosmtplib.SMTPException) as error:
        print(f"error: benchmark failed: {error}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(results_json(results), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
