"""Helpers shared by the benchmarks: a relay directory, a sample message, a sink.

Everything here listens on or connects to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import platform
import re
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller

from archive.store import Archive
from relay.addresses import make_alias
from relay.cli import main as mentor_relay
from relay.config import Config, archive_cipher, load_config

DOMAIN = "relay.example.org"

# Names for the invented cast. Mentors write from example.org and mentees
# from example.com, and each mentor is paired with one mentee.
_FIRST_NAMES = (
    "Sam", "Alex", "Jo", "Priya", "Tom", "Aisha", "Ben", "Chloe", "Dan", "Ella",
    "Femi", "Grace", "Harry", "Isla", "Jack", "Kiran", "Leah", "Max", "Nina",
    "Omar",
)  # fmt: skip
_SURNAMES = (
    "Jones", "Smith", "Brown", "Patel", "Taylor", "Khan", "Evans", "Walker",
    "Wright", "Hughes",
)  # fmt: skip

# The relay's default of 100 messages per sender per hour would refuse most
# of a benchmark run, so the bench relays allow this many instead.
BENCH_HOURLY_LIMIT = 1_000_000


def free_port() -> int:
    """Return a loopback port that is free now (aiosmtpd cannot bind port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(*args: str) -> str:
    """Run a mentor-relay command in this process and return its output."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = mentor_relay(list(args))
    if status != 0:
        raise RuntimeError(f"mentor-relay {' '.join(args)} exited with {status}")
    return output.getvalue()


def set_config_value(path: Path, section: str, key: str, value: str) -> None:
    """Set `key = value` under `[section]` in a TOML file.

    `value` must already be written as TOML, quotes included for a string.
    """
    lines = path.read_text().splitlines()
    start = lines.index(f"[{section}]")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("[")),
        len(lines),
    )
    pattern = re.compile(rf"^{re.escape(key)}\s*=")
    for index in range(start + 1, end):
        if pattern.match(lines[index]):
            lines[index] = f"{key} = {value}"
            break
    else:
        lines.insert(start + 1, f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n")


@dataclass(frozen=True)
class Pair:
    """A paired mentor and mentee: the mentor writes, the mentee receives."""

    sender_name: str
    sender_email: str
    sender_alias: str
    recipient_name: str
    recipient_alias: str


@dataclass(frozen=True)
class BenchRelay:
    """A relay directory with its listen port and its paired participants."""

    config_path: Path
    listen_port: int
    pairs: tuple[Pair, ...]


def create_relay(
    directory: Path, pair_count: int, smarthost_port: int | None = None
) -> BenchRelay:
    """Create a relay in `directory` with `pair_count` mentor-mentee pairs.

    With `smarthost_port`, delivery goes over SMTP to 127.0.0.1 on that port,
    without STARTTLS. Without it, the relay keeps the Maildir transport.
    """
    run_cli("init", str(directory), "--domain", DOMAIN)
    config_path = directory / "relay.toml"
    port = free_port()
    settings = {
        ("smtp", "listen"): f'"127.0.0.1:{port}"',
        ("smtp", "max_messages_per_sender_per_hour"): str(BENCH_HOURLY_LIMIT),
        ("console", "listen"): f'"127.0.0.1:{free_port()}"',
    }
    if smarthost_port is not None:
        settings[("delivery", "transport")] = '"smtp"'
        settings[("delivery", "smarthost")] = f'"127.0.0.1:{smarthost_port}"'
        settings[("delivery", "starttls")] = '"off"'
    for (section, key), value in settings.items():
        set_config_value(config_path, section, key, value)

    config = load_config(config_path)
    pairs = asyncio.run(_register_pairs(config, pair_count))
    return BenchRelay(config_path, port, tuple(pairs))


def _cast_names(count: int) -> list[tuple[str, str]]:
    """Return `count` pairs of distinct (mentor, mentee) names."""
    names = [f"{first} {last}" for last in _SURNAMES for first in _FIRST_NAMES]
    if count * 2 > len(names):
        raise ValueError(
            f"{count} pairs requested, but the name lists make only "
            f"{len(names) // 2}: request fewer or add names"
        )
    return [(names[2 * i], names[2 * i + 1]) for i in range(count)]


def _email(name: str, domain: str) -> str:
    return name.lower().replace(" ", ".") + "@" + domain


async def _register_pairs(config: Config, count: int) -> list[Pair]:
    archive = await Archive.open(config.archive_path, archive_cipher(config))
    try:
        pairs: list[Pair] = []
        for mentor, mentee in _cast_names(count):
            added = await archive.add_participants([
                (mentor, _email(mentor, "example.org"), "mentor",
                 make_alias(mentor, DOMAIN)),
                (mentee, _email(mentee, "example.com"), "mentee",
                 make_alias(mentee, DOMAIN)),
            ])  # fmt: skip
            await archive.add_relationship([p.id for p in added])
            sender, recipient = added
            pairs.append(
                Pair(sender.name, sender.email, sender.alias, recipient.name,
                     recipient.alias)
            )  # fmt: skip
        return pairs
    finally:
        await archive.close()


# The sample message: a mentor's reply quoting the mentee's last message, as
# a mail client sends it (text/plain and text/html alternatives). It carries
# phone numbers and personal addresses for the filters to remove.

_PARAGRAPHS = (
    "Thanks for sending your personal statement draft through on Sunday. I read "
    "it twice, once straight through and once with a pen in hand, and I think "
    "the bones of it are really strong. The opening about fixing your gran's "
    "radio is exactly the kind of specific story admissions tutors remember, "
    "so please keep it.",
    "Where it loses pace is the middle section. You list five activities in "
    "one paragraph (coding club, the robotics fair, volunteering at the food "
    "bank, the maths challenge and your Saturday job) and none of them gets "
    "room to breathe. Pick the two that taught you the most and say what you "
    "did, what went wrong and what you would do differently next time.",
    "On the robotics fair: you mentioned the sensor kept drifting and your "
    "team rewrote the calibration routine the night before. That is a great "
    "example of debugging under pressure. Tutors want to see that you can "
    "stay calm when something breaks, and that you enjoy finding out why it "
    "broke, not just that you got a medal at the end.",
    "For the Saturday job, don't undersell it. Handling the till, dealing with "
    "upset customers and training the new starter are real responsibilities. "
    "A sentence on what you learnt about explaining things clearly to people "
    "who are stressed would tie in nicely with your interest in teaching "
    "younger students at coding club.",
    "Your closing paragraph repeats the opening a little. Try ending on where "
    "you want to go next instead: which modules you are looking forward to, "
    "or a question about engineering that you hope the degree will help you "
    "answer. It leaves the reader with a sense of momentum rather than a "
    "summary of what they have just read.",
    "A few smaller things. Watch the word count: the limit is 4,000 "
    "characters including spaces, and the draft is about 4,350 at the "
    "moment, so trimming the middle section will sort that out. Also check "
    "that you use the same tense throughout the robotics story, because it "
    "switches between past and present in a couple of places.",
    "About revision: I know mocks are in three weeks and physics is the one "
    "worrying you most. Past papers are your best friend here. Do one under "
    "timed conditions this weekend, mark it with the mark scheme, and then "
    "write down every question where you lost marks and why. Bring that list "
    "to our next session and we can go through the patterns together.",
    "You asked whether an apprenticeship might be a better route than "
    "university. Honestly, both are good options and it depends on how you "
    "like to learn. Degree apprenticeships mean you earn while you study and "
    "get real project experience from day one, but the applications open at "
    "different times and some close as early as January. It is worth looking "
    "at both so you have a choice in the spring.",
    "Your question about a back-up choice is a sensible one, and no, it does "
    "not look unserious. Plenty of engineers studied maths or physics first "
    "and moved across later, and admissions tutors know that students plan "
    "for more than one outcome. The one thing to avoid is a statement that "
    "only talks about engineering if your back-up is a different subject, so "
    "we may want to widen a sentence or two to talk about problem solving "
    "and modelling in general, which fits all three courses.",
    "If it helps, the careers adviser at school can arrange a taster day at "
    "one of the engineering firms in town. Ask Ms Patel about it, she "
    "organised something similar for last year's group and it went down "
    "well. I'd also suggest the online open days, which are much easier to "
    "fit around revision than travelling to campuses.",
    "Here is a rough plan for the next two weeks, which you can change as "
    "you like. Monday and Wednesday evenings: one physics topic each, forty "
    "minutes of notes and twenty minutes of questions. Tuesday: maths past "
    "paper, section A only. Thursday: redraft the middle of the statement. "
    "Friday: nothing at all, you have earned it. Weekend: one full timed "
    "paper and a walk somewhere without your phone.",
    "For circuits, which you said you find confusing, try drawing every "
    "circuit again from scratch before you calculate anything, and label the "
    "current in each branch. Most marks get lost by mixing up series and "
    "parallel rules, not by the arithmetic. The revision videos your teacher "
    "recommended are good, but pause them and predict the answer before they "
    "show it, otherwise it is easy to nod along without really learning.",
    "On the reading list, the book about the history of computing that I "
    "mentioned is in the school library, so no need to buy it. Even reading "
    "a chapter or two gives you something genuine to talk about at "
    "interview, and interviewers can tell the difference between a book you "
    "enjoyed and one you skimmed because it looked impressive on paper.",
    "Our next session is booked through the programme for Thursday at five. "
    "If that no longer works because of mocks, let the coordinator know and "
    "they will move it. I would rather we met for half an hour when you are "
    "fresh than an hour when you are exhausted, so don't feel bad about "
    "asking to shorten it.",
    "Finally, well done for keeping up with everything this term. I can see "
    "how much effort you have put in, and the improvement between your first "
    "draft and this one is huge. Take a proper break on Saturday, because "
    "rest is part of revision too, and I will look out for your next message "
    "during the week.",
)

_SIGNATURE = (
    "Best wishes,",
    "Sam",
    "",
    "Sam Jones | Senior Engineer",
    "Mobile: 07700 900461 | Office: 020 7946 0958",
    "Personal: sam.jones.home@example.com",
    "",
    "This email and anything attached to it are meant only for the person it "
    "is addressed to. If it reached you by mistake, please tell the sender "
    "and delete it, and do not copy or forward it to anyone else.",
)

_QUOTED = (
    "Hi Sam,",
    "",
    "I've attached the new version of my statement, well pasted it below "
    "because I wasn't sure the attachment would come through. I changed the "
    "opening like you said and added the bit about the robotics fair.",
    "",
    "I'm still not sure about apprenticeships vs uni, my cousin did one and "
    "loves it but my mum thinks uni is better. What do you think? Also mocks "
    "are soon and physics is really stressing me out.",
    "",
    "If it's easier you can text me on 07700 900183 or email my other "
    "address alex.s.2008@example.com, I check that one more.",
    "",
    "Oh and one more thing, our teacher said we should have a back-up "
    "choice in case the grades don't come out how we want. Is it bad to put "
    "a course that isn't engineering as the back-up? I was thinking maybe "
    "maths or physics because I like them anyway, but I don't want it to "
    "look like I'm not serious about engineering.",
    "",
    "Thanks,",
    "Alex",
)


def _plain_body() -> str:
    lines = ["Hi Alex,", ""]
    for paragraph in _PARAGRAPHS:
        lines.extend([paragraph, ""])
    lines.extend(_SIGNATURE)
    lines.extend(["", "On Sun, 9 Mar 2025 at 19:42, Alex Smith wrote:"])
    lines.extend(f"> {line}".rstrip() for line in _QUOTED)
    return "\n".join(lines) + "\n"


def _html_body() -> str:
    style = 'style="font-family:Arial,Helvetica,sans-serif;font-size:14px"'
    parts = [f'<div dir="ltr"><div {style}>Hi Alex,</div><div><br></div>']
    for paragraph in _PARAGRAPHS:
        parts.append(f"<div {style}>{paragraph}</div><div><br></div>")
    parts.append("<div>" + "<br>".join(_SIGNATURE) + "</div></div>")
    parts.append(
        '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        "On Sun, 9 Mar 2025 at 19:42, Alex Smith wrote:<br></div>"
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
        'border-left:1px solid rgb(204,204,204);padding-left:1ex">'
    )
    parts.append("<br>".join(_QUOTED))
    parts.append("</blockquote></div>")
    return "\n".join(parts) + "\n"


def sample_message(
    recipient_alias: str,
    sender_name: str = "Sam Jones",
    sender_email: str = "sam@example.org",
) -> bytes:
    """Return the sample message (about 16 KB) to `recipient_alias`."""
    message = EmailMessage()
    message["From"] = f"{sender_name} <{sender_email}>"
    message["To"] = recipient_alias
    message["Subject"] = "Re: Personal statement draft and revision plan"
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="mail.example.org")
    message["In-Reply-To"] = "<reply-17@mail.example.com>"
    message["References"] = "<reply-17@mail.example.com>"
    message.set_content(_plain_body())
    message.add_alternative(_html_body(), subtype="html")
    return message.as_bytes()


# Statistics and machine facts


def percentile(values: list[float], fraction: float) -> float:
    """Return the `fraction` quantile of `values` (nearest rank, 0 < fraction <= 1)."""
    if not values:
        raise ValueError("percentile of no values: run more messages")
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine_facts() -> dict[str, Any]:
    """Return the CPU model and count, and the Python version, of this machine."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    return {
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }


# SMTP clients and the sink


async def connect(port: int) -> aiosmtplib.SMTP:
    """Open an SMTP connection to 127.0.0.1:`port` and send EHLO once."""
    client = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=port, start_tls=False, timeout=60
    )
    await client.connect()
    await client.ehlo()
    return client


async def send(
    client: aiosmtplib.SMTP, sender: str, recipient: str, data: bytes
) -> aiosmtplib.SMTPResponse:
    """Send one message as MAIL, RCPT and DATA, and return the reply to DATA.

    aiosmtplib raises when the server rejects MAIL, RCPT or DATA, so a
    rejected message stops the benchmark instead of counting as sent.
    """
    await client.mail(sender)
    await client.rcpt(recipient)
    return await client.data(data)


Envelope = tuple[str, str, bytes]


def envelopes(bench: BenchRelay) -> list[Envelope]:
    """Return (sender, recipient, message) for each pair of `bench`."""
    return [(p.sender_email, p.recipient_alias, pair_message(p)) for p in bench.pairs]


def pair_message(pair: Pair) -> bytes:
    """Return the sample message from the mentor of `pair` to the mentee."""
    return sample_message(pair.recipient_alias, pair.sender_name, pair.sender_email)


@dataclass(frozen=True)
class ClientRun:
    """Messages sent by one run of `run_clients`, and its length in seconds."""

    messages: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds


def run_clients(
    port: int, connections: int, seconds: float, messages: list[Envelope]
) -> ClientRun:
    """Send over `connections` SMTP connections to 127.0.0.1:`port` for `seconds`.

    Each connection goes through `messages` in turn from its own starting
    point. Meant to run in a separate process, so that the clients' CPU time
    is not taken from the server being measured.
    """
    return asyncio.run(_send_for(port, connections, seconds, messages))


async def _send_for(
    port: int, connections: int, seconds: float, messages: list[Envelope]
) -> ClientRun:
    clients = await asyncio.gather(*(connect(port) for _ in range(connections)))
    started = time.perf_counter()
    deadline = started + seconds

    async def keep_sending(client: aiosmtplib.SMTP, first: int) -> int:
        sent = 0
        while time.perf_counter() < deadline:
            sender, recipient, data = messages[(first + sent) % len(messages)]
            await send(client, sender, recipient, data)
            sent += 1
        return sent

    counts = await asyncio.gather(
        *(
            keep_sending(client, index * len(messages) // connections)
            for index, client in enumerate(clients)
        )
    )
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(client.quit() for client in clients))
    return ClientRun(sum(counts), elapsed)


@dataclass
class SinkHandler:
    """aiosmtpd handler that records when each Message-ID arrived."""

    arrivals: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        arrived = time.perf_counter()
        raw = envelope.original_content or b""
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
        message_id = str(headers.get("Message-ID", "")).strip().strip("<>")
        with self.lock:
            self.arrivals[message_id] = arrived
        return "250 2.0.0 stored"

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def snapshot(self) -> dict[str, float]:
        """Return a copy of the arrivals that the sink thread cannot change."""
        with self.lock:
            return dict(self.arrivals)

    def clear(self) -> None:
        with self.lock:
            self.arrivals.clear()


class Sink:
    """A downstream mail server on 127.0.0.1 in its own thread (aiosmtpd)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = SinkHandler()
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port
        )

    def __enter__(self) -> Sink:
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()
