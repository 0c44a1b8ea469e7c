"""How long RCPT takes to refuse an unknown, an unpaired and a suspended alias.

A sender probing for aliases must not learn which exist from the time the
relay takes to refuse them. The relay replies to all three with the same
text after the same archive queries. This benchmark measures the reply time
of each beside the accepted alias of the sender's own partner, in one run,
with the kinds interleaved so that a noisy machine slows them all alike. It reports
each kind's median and 90th percentile, and the ratio of each refusal's
median to the unknown alias's median: a ratio near 1.0 means the timing
reveals nothing.

    python -m bench.alias_timing [--rounds N] [--json]

Everything listens on and connects to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    # Run by path (`python bench/NAME.py`): Python then puts bench/ on the
    # import path instead of the repository root, so add the root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.store import Archive
from bench._common import DOMAIN, create_relay, run_cli
from relay.config import archive_cipher, load_config
from relay.smtp import start_smtp_server

KINDS = ("partner", "unknown", "unpaired", "suspended")


@dataclass(frozen=True)
class KindFigure:
    kind: str
    reply: str
    median_ms: float
    p90_ms: float
    ratio_to_unknown: float


class _Client:
    """A minimal SMTP client on asyncio streams, timing one command at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer

    @classmethod
    async def connect(cls, port: int) -> _Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        await client._reply()
        return client

    async def command(self, line: str) -> str:
        self._writer.write(line.encode() + b"\r\n")
        await self._writer.drain()
        return await self._reply()

    async def _reply(self) -> str:
        while True:
            line = await self._reader.readline()
            if not line:
                raise ConnectionError("the relay closed the connection")
            if line[3:4] != b"-":
                return line.decode().rstrip()

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()


async def _time_kinds(
    port: int, sender: str, targets: dict[str, str], rounds: int
) -> dict[str, tuple[str, list[float]]]:
    timings: dict[str, list[float]] = {kind: [] for kind in targets}
    replies: dict[str, str] = {}
    client = await _Client.connect(port)
    try:
        await client.command("EHLO bench.example.net")
        for _ in range(rounds):
            for kind, alias in targets.items():
                await client.command(f"MAIL FROM:<{sender}>")
                started = time.perf_counter()
                reply = await client.command(f"RCPT TO:<{alias}>")
                timings[kind].append(time.perf_counter() - started)
                replies[kind] = reply
                await client.command("RSET")
            # A new session each round keeps the refused-recipient limit
            # from closing the connection.
            await client.close()
            client = await _Client.connect(port)
            await client.command("EHLO bench.example.net")
    finally:
        await client.close()
    return {kind: (replies[kind], timings[kind]) for kind in targets}


async def _measure(config_path: Path, targets: dict[str, str], sender: str,
                   rounds: int) -> dict[str, tuple[str, list[float]]]:  # fmt: skip
    config = load_config(config_path)
    archive = await Archive.open(config.archive_path, archive_cipher(config))
    try:
        listener = await start_smtp_server(config, archive, asyncio.Event())
        try:
            return await _time_kinds(config.smtp.listen.port, sender, targets, rounds)
        finally:
            listener.close()
            await listener.wait_closed()
    finally:
        await archive.close()


def run(rounds: int) -> list[KindFigure]:
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as folder:
        bench = create_relay(Path(folder) / "relay", 3)
        config = str(bench.config_path)
        mentor, other, third = bench.pairs
        run_cli("--config", config, "participant", "suspend", third.recipient_alias)
        targets = {
            "partner": mentor.recipient_alias,
            "unknown": f"nobody.here@{DOMAIN}",
            "unpaired": other.recipient_alias,
            "suspended": third.recipient_alias,
        }
        measured = asyncio.run(
            _measure(bench.config_path, targets, mentor.sender_email, rounds)
        )
    unknown_median = statistics.median(measured["unknown"][1])
    figures = []
    for kind in KINDS:
        reply, seconds = measured[kind]
        median = statistics.median(seconds)
        figures.append(
            KindFigure(
                kind,
                reply,
                median * 1000,
                statistics.quantiles(seconds, n=10)[-1] * 1000,
                median / unknown_median,
            )
        )
    return figures


def format_table(figures: list[KindFigure]) -> str:
    lines = [
        f"{'RCPT TO':<10} {'median ms':>10} {'p90 ms':>8} {'vs unknown':>11}  reply",
    ]
    for figure in figures:
        lines.append(
            f"{figure.kind:<10} {figure.median_ms:>10.3f} {figure.p90_ms:>8.3f} "
            f"{figure.ratio_to_unknown:>11.2f}  {figure.reply[:40]}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.alias_timing",
        description="Compare the RCPT reply time for unknown, unpaired and "
        "suspended aliases.",
    )
    parser.add_argument(
        "--rounds", type=int, default=400, help="RCPT commands per kind (default 400)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.rounds < 10:
        parser.error(f"--rounds {args.rounds} is too few: use 10 or more")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    figures = run(args.rounds)
    if args.json:
        json.dump([figure.__dict__ for figure in figures], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
