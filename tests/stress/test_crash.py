"""A relay killed with SIGKILL again and again loses no message it accepted.

`mentor-relay serve` runs as a child process that delivers over SMTP to a
sink in this process. Client threads send distinct messages, each with a
marker in its Subject, and retry until they get 250, while the test kills
the relay at random moments and starts it again. At the end every marker is
delivered or held, the archive passed `PRAGMA integrity_check` after every
kill and every restart, and the duplicates are no more than the kills can
explain.

The test runs only on request, because the full run takes minutes:

    RELAY_STRESS=1 pytest -p no:cacheprovider -s tests/stress

Environment variables set its size: STRESS_MESSAGES (default 1000),
STRESS_KILLS (50), STRESS_CLIENTS (sending threads, 4), STRESS_MEAN_UPTIME
(mean seconds between a restart and the next kill, 0.4) and STRESS_SEED.
The seed fixes only the kill delays, so thread timing still differs per run.
STRESS_REPORT names a file to write the figures to as JSON.
"""

from __future__ import annotations

import email
import enum
import itertools
import json
import os
import random
import re
import shutil
import signal
import smtplib
import sqlite3
import string
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from archive.crypto import load_cipher
from archive.store import original_context
from tests.conftest import Cast, Sink, SinkHandler, free_port, set_config

pytestmark = pytest.mark.skipif(
    os.environ.get("RELAY_STRESS") != "1",
    reason="crash test runs only with RELAY_STRESS=1",
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SENDER = "sam@example.org"
MARKER = re.compile(r"crashtest-[a-z]{4}")
QUEUE_ID = re.compile(r"queued as ([0-9A-F]+)")
READY_LINE = "listening for SMTP"
# A line of the relay's log format at ERROR or CRITICAL level.
LOGGED_ERROR = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (ERROR|CRITICAL) ")
FINISHED_STATES = {"delivered", "held"}

CLIENT_TIMEOUT_SECONDS = 10.0
START_TIMEOUT_SECONDS = 30.0
RETRY_PAUSE_SECONDS = 0.05


@dataclass(frozen=True)
class StressSettings:
    messages: int
    kills: int
    clients: int
    mean_uptime: float
    seed: int

    @classmethod
    def from_environment(cls) -> StressSettings:
        seed = os.environ.get("STRESS_SEED") or str(random.randrange(2**32))
        return cls(
            messages=int(os.environ.get("STRESS_MESSAGES", "1000")),
            kills=int(os.environ.get("STRESS_KILLS", "50")),
            clients=int(os.environ.get("STRESS_CLIENTS", "4")),
            mean_uptime=float(os.environ.get("STRESS_MEAN_UPTIME", "0.4")),
            seed=int(seed),
        )

    @property
    def deadline_seconds(self) -> float:
        # A generous bound. A start-up takes about a second on a 2-core
        # machine, and each message a few milliseconds while the relay is up.
        return 120.0 + 3.0 * self.kills + 0.5 * self.messages


def marker(index: int) -> str:
    """Return the marker of message `index`: letters only, so no filter removes it."""
    letters = []
    for _ in range(4):
        index, digit = divmod(index, 26)
        letters.append(string.ascii_lowercase[digit])
    return "crashtest-" + "".join(letters)


def build_message(index: int, recipient: str) -> bytes:
    """Return message `index` with CRLF line ends and no line starting with "."."""
    lines = [
        "From: Sam Jones <sam@example.org>",
        f"To: {recipient}",
        f"Subject: Session notes {marker(index)}",
        f"Message-ID: <{marker(index)}@example.org>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Here are the notes from today's session.",
    ]
    # Every tenth message gives the filters a phone number to remove.
    if index % 10 == 0:
        lines.append("Call me on 07700 900123 if the plan changes.")
    return ("\r\n".join(lines) + "\r\n").encode()


# The sink


class TimedSinkHandler(SinkHandler):
    """Records when each message arrived, on the clock the kills are timed by."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []

    async def handle_DATA(
        self, server: object, session: Session, envelope: Envelope
    ) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        self.arrivals.append(time.monotonic())
        return reply


class TimedSink(Sink):
    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = TimedSinkHandler()
        self.timed_handler = self.handler
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)


@pytest.fixture
def timed_sink() -> Iterator[TimedSink]:
    sink = TimedSink(free_port())
    sink.controller.start()
    yield sink
    sink.controller.stop()


# The relay process


class RelayProcess:
    """One `mentor-relay serve` child process at a time, with a log per start."""

    def __init__(self, config_path: Path, log_dir: Path) -> None:
        self.config_path = config_path
        self.log_dir = log_dir
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.starts += 1
        log_path = self.log_dir / f"relay-{self.starts:03d}.log"
        with log_path.open("wb") as log_file:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "relay",
                    "--config",
                    str(self.config_path),
                    "serve",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
            )
        self._wait_until_listening(self._process, log_path)

    def kill(self) -> None:
        process = self._running()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> int:
        """Stop the relay with SIGTERM and return its exit status."""
        process = self._running()
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=30)

    def abandon(self) -> None:
        """Kill the relay if it is still running, for clean-up after a failure."""
        if self._process is not None and self._process.poll() is None:
            self.kill()

    def error_lines(self) -> list[str]:
        """Return the ERROR and CRITICAL log lines of every run.

        Tracebacks count only in the last run, which ends with SIGTERM: after
        a SIGKILL the orphaned filter processes print BrokenPipeError
        tracebacks into the same log as they exit, which is expected.
        """
        found = []
        logs = sorted(self.log_dir.glob("relay-*.log"))
        for path in logs:
            for line in path.read_text(errors="replace").splitlines():
                is_traceback = path == logs[-1] and line.startswith("Traceback")
                if LOGGED_ERROR.match(line) or is_traceback:
                    found.append(f"{path.name}: {line}")
        return found

    def _running(self) -> subprocess.Popen[bytes]:
        assert self._process is not None, "the relay was never started"
        return self._process

    def _wait_until_listening(
        self, process: subprocess.Popen[bytes], log_path: Path
    ) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while READY_LINE not in log_path.read_text(errors="replace"):
            if process.poll() is not None:
                raise AssertionError(
                    f"relay exited with status {process.returncode} before "
                    f"listening: see {log_path}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"relay did not start listening: see {log_path}")
            time.sleep(0.02)


# The client


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    # Nothing was stored, because the relay was down or replied with 4xx.
    RETRY = "retry"
    # The end of DATA was sent but no reply came, so the relay may have
    # committed the message; a retry can make a duplicate.
    UNCERTAIN = "uncertain"
    REJECTED = "rejected"


@dataclass
class SendLog:
    """What the client threads saw, updated under a lock."""

    accepted: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)
    gave_up: list[str] = field(default_factory=list)
    retries: int = 0
    uncertain: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set when the test ends, so threads still retrying stop at once.
    cancelled: threading.Event = field(default_factory=threading.Event)

    def record(self, key: str, outcome: Outcome, reply: str) -> None:
        with self.lock:
            if outcome is Outcome.ACCEPTED:
                match = QUEUE_ID.search(reply)
                self.accepted[key] = match.group(1) if match else reply
            elif outcome is Outcome.REJECTED:
                self.rejected[key] = reply
            else:
                self.retries += 1
                self.uncertain += outcome is Outcome.UNCERTAIN


def _outcome_of(code: int) -> Outcome:
    if 200 <= code < 300:
        return Outcome.ACCEPTED
    return Outcome.RETRY if 400 <= code < 500 else Outcome.REJECTED


def send_once(port: int, recipient: str, message: bytes) -> tuple[Outcome, str]:
    """Send one message over a new connection; return the outcome and the reply."""
    try:
        client = smtplib.SMTP("127.0.0.1", port, timeout=CLIENT_TIMEOUT_SECONDS)
    except (OSError, smtplib.SMTPException) as error:
        return Outcome.RETRY, type(error).__name__

    data_sent = False
    try:
        client.ehlo()
        commands = [
            (f"MAIL FROM:<{SENDER}>", 250),
            (f"RCPT TO:<{recipient}>", 250),
            ("DATA", 354),
        ]
        for command, expected in commands:
            code, text = client.docmd(command)
            if code != expected:
                return _outcome_of(code), text.decode(errors="replace")
        client.send(message + b".\r\n")
        data_sent = True
        code, text = client.getreply()
        return _outcome_of(code), text.decode(errors="replace")
    except (OSError, smtplib.SMTPException) as error:
        outcome = Outcome.UNCERTAIN if data_sent else Outcome.RETRY
        return outcome, type(error).__name__
    finally:
        client.close()


def send_until_answered(
    index: int, port: int, recipient: str, log: SendLog, deadline: float
) -> None:
    """Send message `index` until the relay accepts or rejects it."""
    message = build_message(index, recipient)
    while time.monotonic() < deadline and not log.cancelled.is_set():
        outcome, reply = send_once(port, recipient, message)
        log.record(marker(index), outcome, reply)
        if outcome in (Outcome.ACCEPTED, Outcome.REJECTED):
            return
        time.sleep(RETRY_PAUSE_SECONDS)
    with log.lock:
        log.gave_up.append(marker(index))


# The archive


def integrity_check(database: Path) -> str:
    with closing(sqlite3.connect(database, timeout=10)) as db:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows)


def crashed_integrity_check(database: Path, scratch: Path) -> str:
    """Check a copy of the killed relay's files, leaving its own for it to recover.

    Opening the files directly would replay and checkpoint the write-ahead
    log in this process, so the restarted relay would never meet the state
    the kill left behind.
    """
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    for suffix in ("", "-wal", "-shm"):
        source = database.with_name(database.name + suffix)
        if source.exists():
            shutil.copy2(source, scratch / source.name)
    return integrity_check(scratch / database.name)


def unfinished_jobs(database: Path) -> int:
    with closing(sqlite3.connect(database, timeout=10)) as db:
        row = db.execute(
            "SELECT (SELECT COUNT(*) FROM pipeline_jobs) + (SELECT COUNT(*) "
            "FROM delivery_jobs WHERE state = 'pending')"
        ).fetchone()
    return int(row[0])


@dataclass(frozen=True)
class StoredMessage:
    marker: str
    queue_id: str
    status: str


def stored_messages(database: Path) -> list[StoredMessage]:
    with closing(sqlite3.connect(database, timeout=10)) as db:
        rows = db.execute("SELECT queue_id, status, raw FROM messages").fetchall()
    # The relay stores originals encrypted with the key beside the archive.
    cipher = load_cipher(database.with_name("archive.key"))
    stored = []
    for queue_id, status, raw in rows:
        original = cipher.open(bytes(raw), original_context(queue_id))
        match = MARKER.search(original.decode("latin-1"))
        stored.append(StoredMessage(match.group(0) if match else "", queue_id, status))
    return stored


@dataclass(frozen=True)
class DeliveredCopy:
    marker: str
    message_id: str
    arrived: float


def delivered_copies(sink: TimedSink) -> list[DeliveredCopy]:
    """Return every message the sink received, in order of arrival."""
    copies = []
    arrivals = sink.timed_handler.arrivals
    for delivery, arrived in zip(sink.deliveries, arrivals, strict=True):
        parsed = email.message_from_bytes(delivery.data, policy=default)
        match = MARKER.search(str(parsed["Subject"]))
        found = match.group(0) if match else ""
        copies.append(DeliveredCopy(found, str(parsed["Message-ID"]), arrived))
    return copies


def unexplained_redeliveries(
    copies: list[DeliveredCopy], kill_times: list[float]
) -> list[str]:
    """Return the Message-IDs delivered again with no kill since the last copy.

    The worker marks a job sent only after the sink's reply, so a kill in
    between makes the restarted relay send the same copy again. A second
    copy with no kill before it is a bug.
    """
    arrivals: dict[str, list[float]] = {}
    for copy in copies:
        arrivals.setdefault(copy.message_id, []).append(copy.arrived)
    unexplained = []
    for message_id, times in arrivals.items():
        for earlier, later in itertools.pairwise(times):
            if not any(earlier <= kill <= later for kill in kill_times):
                unexplained.append(message_id)
    return unexplained


# The run


def configure(relay_dir: Path, sink: TimedSink) -> int:
    """Point the relay at the sink, lift the sending limits; return its port."""
    port = free_port()
    settings = {
        ("smtp", "listen"): f'"127.0.0.1:{port}"',
        ("smtp", "max_messages_per_sender_per_hour"): "1000000",
        ("smtp", "max_connections_per_client"): "100",
        ("delivery", "transport"): '"smtp"',
        ("delivery", "smarthost"): f'"127.0.0.1:{sink.port}"',
        ("delivery", "starttls"): '"off"',
        ("delivery", "retry_base_seconds"): "0.2",
        ("delivery", "retry_max_seconds"): "1",
    }
    for (section, key), value in settings.items():
        set_config(relay_dir, section, key, value)
    return port


@dataclass
class KillLog:
    times: list[float] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)


def kill_repeatedly(
    relay: RelayProcess,
    settings: StressSettings,
    database: Path,
    scratch: Path,
) -> KillLog:
    """Kill and restart the relay `settings.kills` times, checking the archive.

    The relay is running on entry and on return.
    """
    rng = random.Random(settings.seed)
    kills = KillLog()
    for _ in range(settings.kills):
        time.sleep(rng.uniform(0.0, 2.0 * settings.mean_uptime))
        kills.times.append(time.monotonic())
        relay.kill()
        kills.integrity.append(crashed_integrity_check(database, scratch))
        relay.start()
        kills.integrity.append(integrity_check(database))
    return kills


def wait_until_settled(
    database: Path, sends: list[Future[None]], deadline: float
) -> None:
    for future in sends:
        future.result(timeout=max(deadline - time.monotonic(), 0.1))
    while unfinished_jobs(database) > 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"{unfinished_jobs(database)} jobs never finished")
        time.sleep(0.1)


def figures(
    settings: StressSettings,
    log: SendLog,
    stored: list[StoredMessage],
    copies: list[DeliveredCopy],
    seconds: float,
) -> dict[str, Any]:
    acceptances = Counter(m.marker for m in stored)
    sends = Counter(copy.message_id for copy in copies)
    delivered = Counter(copy.marker for copy in copies)
    return {
        "messages": settings.messages,
        "kills": settings.kills,
        "clients": settings.clients,
        "mean_uptime": settings.mean_uptime,
        "seed": settings.seed,
        "seconds": round(seconds, 1),
        "client_retries": log.retries,
        "client_uncertain_replies": log.uncertain,
        "stored_messages": len(stored),
        "held": sum(m.status == "held" for m in stored),
        "sink_deliveries": len(copies),
        "extra_acceptances": sum(n - 1 for n in acceptances.values()),
        "extra_sends_of_one_copy": sum(n - 1 for n in sends.values()),
        "markers_delivered_more_than_once": sum(n > 1 for n in delivered.values()),
    }


def report(result: dict[str, Any]) -> None:
    print("\ncrash test figures:", json.dumps(result, indent=2))
    path = os.environ.get("STRESS_REPORT")
    if path:
        Path(path).write_text(json.dumps(result, indent=2) + "\n")


def test_killed_relay_loses_no_message(
    relay_dir: Path, cast: Cast, timed_sink: TimedSink, tmp_path: Path
) -> None:
    settings = StressSettings.from_environment()
    assert 1 <= settings.messages <= 26**4, "STRESS_MESSAGES must be 1 to 456976"
    port = configure(relay_dir, timed_sink)
    database = relay_dir / "archive.sqlite3"
    relay = RelayProcess(relay_dir / "relay.toml", tmp_path)
    log = SendLog()
    started = time.monotonic()
    deadline = started + settings.deadline_seconds

    try:
        relay.start()
        with ThreadPoolExecutor(settings.clients) as pool:
            try:
                sends = [
                    pool.submit(send_until_answered, i, port, cast.alex, log, deadline)
                    for i in range(settings.messages)
                ]
                kills = kill_repeatedly(relay, settings, database, tmp_path / "copy")
                wait_until_settled(database, sends, deadline)
            finally:
                log.cancelled.set()
        status = relay.stop()
    finally:
        relay.abandon()
    kills.integrity.append(integrity_check(database))

    stored = stored_messages(database)
    copies = delivered_copies(timed_sink)
    result = figures(settings, log, stored, copies, time.monotonic() - started)
    report(result)

    expected = {marker(i) for i in range(settings.messages)}
    assert log.gave_up == []
    assert log.rejected == {}
    assert set(log.accepted) == expected
    # A 250 reply means the message is in the archive, whatever came after.
    assert set(log.accepted.values()) - {m.queue_id for m in stored} == set()
    assert [check for check in kills.integrity if check != "ok"] == []
    assert len(kills.integrity) == 2 * settings.kills + 1

    held = {m.marker for m in stored if m.status == "held"}
    delivered = {copy.marker for copy in copies}
    assert expected - delivered - held == set()
    assert [m for m in stored if m.status not in FINISHED_STATES] == []
    assert delivered | held == expected

    # A message is stored twice only when the client lost the 250 reply and
    # sent it again, and one copy is sent twice only across a kill.
    assert result["extra_acceptances"] <= log.uncertain
    assert unexplained_redeliveries(copies, kills.times) == []

    assert relay.error_lines() == []
    assert status == 0
