"""Measure the filter pipeline's time per message against two baselines.

Run by hand from the repository root, never from the test suite:

    python -m bench.filter_speed            # about five minutes
    python -m bench.filter_speed --quick    # smoke check
    python -m bench.filter_speed --json     # figures as JSON

Each figure sits beside a baseline measured in the same run, because the
machines this runs on are shared and absolute times vary between runs:

- the whole pipeline (filters.pipeline.clean_message) beside Python's email
  parse plus serialise of the same message (aim: within 2 times);
- the contact filters (filters.text.redact_text) beside Presidio's analyzer
  with pattern recognizers on the same text (aim: at least 10 times faster);
- every corpus message and labelled sentence through the pipeline (aim:
  none over 50 ms);
- the time of each pipeline step and each text filter on the largest
  message, to show which one dominates.

The filters cache a few scans and the normalised view per text
(filters.prefilter, filters.normalise). Every timed call starts with
empty caches, because the relay filters each message
once, but a benchmark that repeats a message would hit the caches.

Every timed call follows an untimed call of the same function on the same
input, so first-use costs (loading word lists and rules, compiling
patterns) are never timed. The objects that exist once Presidio and the
filters are loaded are excluded from garbage collection (`gc.freeze`)
before timing starts. Without that, a full collection over spaCy's objects
took 170 to 690 ms on a shared 2-CPU machine and landed in whichever call
happened to trigger it, which made one short labelled sentence look like
the slowest input. The pipeline's own collections are still timed.

Presidio is optional: install presidio-analyzer and spacy to compare with
it. It runs with spaCy's blank English pipeline and recognizers built here,
so it loads no model and needs no network. A guard refuses every socket
connection outside loopback while the benchmark runs.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import functools
import gc
import json
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run by path (`python bench/NAME.py`): Python then puts bench/ on the
    # import path instead of the repository root, so add the root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import machine_facts, median, percentile, sample_message
from filters import fragments, junctions, mime, prefilter
from filters.base import FilterContext, TextFilter
from filters.concern_model import default_model
from filters.normalise import matching_view
from filters.pipeline import STEPS, clean_message, filter_subject
from filters.prefilter import clear_caches
from filters.safeguarding import html_to_text
from filters.text import TEXT_FILTERS, redact_text

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".." / "shared" / "corpus" / "eml"
LABELLED_SETS = ROOT / "tests" / "data"
ORDINARY_SENTENCES = LABELLED_SETS / "filter_cases" / "ordinary.txt"
CONTEXT = FilterContext()
SLOW_INPUT_SECONDS = 0.050
PIPELINE_AIM = 2.0
PRESIDIO_AIM = 10.0


# A guard against network use


def _refuse_outside_loopback(original: Callable[..., Any]) -> Callable[..., Any]:
    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else ""
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in (
            "127.0.0.1",
            "::1",
            "localhost",
        ):
            raise OSError(f"filter_speed allows loopback connections only, not {host}")
        return original(self, address)

    return connect


def guard_network() -> None:
    """Make every socket connection outside loopback raise OSError."""
    socket.socket.connect = _refuse_outside_loopback(  # type: ignore[method-assign]
        socket.socket.connect
    )


# The messages


@dataclass(frozen=True)
class Sample:
    name: str
    raw: bytes
    texts: tuple[str, ...]


def _sample_bodies() -> tuple[str, str]:
    parsed = email.message_from_bytes(
        sample_message("alex.k7q2@relay.example.org"), policy=email.policy.default
    )
    assert isinstance(parsed, EmailMessage)
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


def _repeat_to(text: str, size: int) -> str:
    return (text * (size // len(text) + 1))[:size]


def _message(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Sam Jones <sam@example.org>"
    message["To"] = "alex.k7q2@relay.example.org"
    message["Subject"] = subject
    return message


def _distinct_text(size: int) -> str:
    """Return the first `size` or so characters of the ordinary labelled sentences.

    The other samples repeat one short message, so a cache keyed by text
    or sentence pays off on them far more than on real mail. No sentence
    repeats in this text.
    """
    lines = ORDINARY_SENTENCES.read_text(encoding="utf-8").splitlines()
    text = ""
    for line in lines:
        if len(text) >= size:
            break
        if line.strip() and not line.startswith("#"):
            text += line + "\n"
    return text


def samples() -> list[Sample]:
    """Return the 5 KB plain, 20 KB HTML, 200 KB two-part and distinct messages."""
    plain, html = _sample_bodies()

    small = _message("Re: Personal statement draft")
    small_text = _repeat_to(plain, 5_000)
    small.set_content(small_text)

    medium = _message("Re: Personal statement draft")
    medium_html = _repeat_to(html, 20_000)
    medium.set_content(medium_html, subtype="html")

    large = _message("Re: Personal statement draft")
    large_plain, large_html = _repeat_to(plain, 100_000), _repeat_to(html, 100_000)
    large.set_content(large_plain)
    large.add_alternative(large_html, subtype="html")

    distinct = _message("Re: Personal statement draft")
    distinct_text = _distinct_text(20_000)
    distinct.set_content(distinct_text)

    return [
        Sample("plain 5 KB", small.as_bytes(), (small_text,)),
        Sample("html 20 KB", medium.as_bytes(), (html_to_text(medium_html),)),
        Sample(
            "alternative 200 KB",
            large.as_bytes(),
            (large_plain, html_to_text(large_html)),
        ),
        Sample("distinct 20 KB", distinct.as_bytes(), (distinct_text,)),
    ]


# Timing


def timings(function: Callable[[], object], rounds: int) -> list[float]:
    """Return the time of each of `rounds` calls, in seconds, after one warm-up.

    The filters' caches are emptied before each call, outside the timing.
    """
    function()
    times = []
    for _ in range(rounds):
        clear_caches()
        matching_view.cache_clear()
        default_model().seen.clear()
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


@dataclass(frozen=True)
class Figure:
    """Median and 99th percentile of one measurement, in milliseconds."""

    median_ms: float
    p99_ms: float

    @classmethod
    def of(cls, times: list[float]) -> Figure:
        return cls(median(times) * 1000, percentile(times, 0.99) * 1000)


def parse_and_serialise(raw: bytes) -> bytes:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    return parsed.as_bytes()


def measure_pipeline(sample: Sample, rounds: int) -> dict[str, Any]:
    pipeline = Figure.of(timings(lambda: clean_message(sample.raw, CONTEXT), rounds))
    baseline = Figure.of(timings(lambda: parse_and_serialise(sample.raw), rounds))
    return {
        "message": sample.name,
        "bytes": len(sample.raw),
        "pipeline": asdict(pipeline),
        "parse_serialise": asdict(baseline),
        "ratio": pipeline.median_ms / baseline.median_ms,
    }


def redact_all(texts: tuple[str, ...]) -> None:
    for text in texts:
        redact_text(text, CONTEXT, "text/plain")


def measure_contact_filters(
    sample: Sample, analyze: Callable[[str], object] | None, rounds: int
) -> dict[str, Any]:
    ours = Figure.of(timings(lambda: redact_all(sample.texts), rounds))
    result: dict[str, Any] = {"message": sample.name, "redact_text": asdict(ours)}
    if analyze is not None:

        def analyze_all() -> None:
            for text in sample.texts:
                analyze(text)

        theirs = Figure.of(timings(analyze_all, rounds))
        result["presidio"] = asdict(theirs)
        result["speedup"] = theirs.median_ms / ours.median_ms
    return result


# Presidio


def presidio_analyzer() -> Callable[[str], object] | None:
    """Return Presidio's analyze for English text, or None if not installed.

    The recognizers are the ones bench.filter_quality scores: phone, email,
    UK postcode and URL.
    """
    try:
        import spacy
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            EmailRecognizer,
            PhoneRecognizer,
            UkPostcodeRecognizer,
            UrlRecognizer,
        )
    except ImportError:
        return None

    # EmailRecognizer calls tldextract.extract, which would download the
    # public suffix list; the snapshot shipped with tldextract is used instead.
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tldextract.extract = offline  # type: ignore[assignment]

    # A loaded engine is never asked to load a model, so nothing is fetched.
    # Presidio annotates the attribute as None until load() fills it.
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    nlp_engine.nlp = {"en": spacy.blank("en")}  # type: ignore[assignment]
    recognizers = [
        PhoneRecognizer(),
        EmailRecognizer(),
        UkPostcodeRecognizer(),
        UrlRecognizer(),
    ]
    engine = AnalyzerEngine(
        registry=RecognizerRegistry(recognizers=recognizers), nlp_engine=nlp_engine
    )

    def analyze(text: str) -> object:
        return engine.analyze(text, language="en")

    return analyze


# Corpus and labelled sets


def corpus_inputs() -> Iterator[tuple[str, bytes]]:
    """Yield every corpus message, and every labelled sentence as a message."""
    for path in sorted(CORPUS.glob("*.eml")) if CORPUS.is_dir() else []:
        yield path.name, path.read_bytes()
    for path in sorted(LABELLED_SETS.glob("*/*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if line.strip() and not line.startswith("#"):
                message = _message("Hello")
                message.set_content(line.partition(": ")[2] or line)
                name = f"{path.parent.name}/{path.name}:{number}"
                yield name, message.as_bytes()


def measure_corpus(rounds: int) -> dict[str, Any]:
    """Return the slowest inputs; each input's time is its median of `rounds`."""
    results = []
    for name, raw in corpus_inputs():
        seconds = median(
            timings(functools.partial(clean_message, raw, CONTEXT), rounds)
        )
        results.append((seconds, name))
    results.sort(reverse=True)
    slow = [name for seconds, name in results if seconds > SLOW_INPUT_SECONDS]
    return {
        "inputs": len(results),
        "slowest": [{"input": n, "ms": s * 1000} for s, n in results[:5]],
        "over_50_ms": slow,
    }


# Where the time goes


def _find_all(text_filter: TextFilter, texts: tuple[str, ...]) -> None:
    for text in texts:
        text_filter.find(text, CONTEXT)


def _scan_all(texts: tuple[str, ...]) -> None:
    # The scans the text filters call on ASCII text such as the bench bodies.
    # On other text, `words` and `token_runs` take the place of letter_words.
    for text in texts:
        prefilter.fold_case(text)
        prefilter.letter_words(text)
        prefilter.fast_digit_runs(text)
        prefilter.code_runs(text)
        prefilter.short_line_runs(text)


def _stages_after_steps(
    sample: Sample, draft: mime.Draft
) -> dict[str, Callable[[], object]]:
    """Return the work of clean_message outside STEPS, `draft` being their result.

    The subject is filtered before the steps, and split details are
    looked for in the text they leave.
    """
    sent_subject = mime.read_subject(sample.raw)
    subject, _ = filter_subject(sent_subject, CONTEXT)
    joined = junctions.remove_split_details(sent_subject, subject, draft, CONTEXT)
    return {
        "filter_subject": functools.partial(filter_subject, sent_subject, CONTEXT),
        "junctions.remove_split_details": functools.partial(
            junctions.remove_split_details, sent_subject, subject, draft, CONTEXT
        ),
        "fragments.remove_pieces": functools.partial(
            fragments.remove_pieces, joined, CONTEXT
        ),
        "build_entity": functools.partial(mime.build_entity, joined.draft.body),
    }


def measure_steps(sample: Sample, rounds: int) -> dict[str, float]:
    """Return the median time of each pipeline stage on `sample`, in ms."""
    message = mime.parse_message(sample.raw)
    stages: dict[str, Callable[[], object]] = {
        "read_subject": lambda: mime.read_subject(sample.raw),
        "parse_message": lambda: mime.parse_message(sample.raw),
        "read_body": lambda: mime.read_body(message),
    }
    draft = mime.Draft(mime.read_body(message))
    for step in STEPS:
        stages[f"{step.__module__}.{step.__name__}"] = functools.partial(
            step, draft, CONTEXT
        )
        draft = step(draft, CONTEXT).draft
    stages.update(_stages_after_steps(sample, draft))
    # Each text filter alone also pays for the cached scans it uses, which
    # redact_text pays for once for all of them.
    stages["prefilter scans (shared by text filters)"] = functools.partial(
        _scan_all, sample.texts
    )
    for text_filter in TEXT_FILTERS:
        name = f"text filter {type(text_filter).__name__}"
        stages[name] = functools.partial(_find_all, text_filter, sample.texts)
    return {name: median(timings(run, rounds)) * 1000 for name, run in stages.items()}


# Output


def freeze_loaded_objects(messages: list[Sample]) -> None:
    """Load the pipeline, then exempt every object alive so far from collection."""
    for sample in messages:
        clean_message(sample.raw, CONTEXT)
    gc.collect()
    gc.freeze()


def run(rounds: int, corpus_rounds: int) -> dict[str, Any]:
    guard_network()
    analyze = presidio_analyzer()
    messages = samples()
    largest = max(messages, key=lambda sample: len(sample.raw))
    freeze_loaded_objects(messages)
    return {
        "machine": machine_facts(),
        "rounds": rounds,
        "pipeline": [measure_pipeline(s, rounds) for s in messages],
        "contact_filters": [
            measure_contact_filters(s, analyze, rounds) for s in messages
        ],
        "corpus": measure_corpus(corpus_rounds),
        "steps": {
            "message": largest.name,
            "ms": measure_steps(largest, max(3, rounds // 5)),
        },
    }


def print_report(figures: dict[str, Any]) -> None:
    machine = figures["machine"]
    print(
        f"{machine['cpu_model']}, {machine['cpu_count']} CPUs, "
        f"Python {machine['python']}, {figures['rounds']} rounds\n"
    )
    print("| message | bytes | pipeline median / p99 ms | parse+serialise ms | ratio |")
    print("|---|---|---|---|---|")
    for row in figures["pipeline"]:
        pipe, base = row["pipeline"], row["parse_serialise"]
        print(
            f"| {row['message']} | {row['bytes']} "
            f"| {pipe['median_ms']:.1f} / {pipe['p99_ms']:.1f} "
            f"| {base['median_ms']:.2f} / {base['p99_ms']:.2f} "
            f"| {row['ratio']:.0f}x (aim {PIPELINE_AIM:g}x) |"
        )
    print("\n| message | redact_text median ms | Presidio median ms | speed-up |")
    print("|---|---|---|---|")
    for row in figures["contact_filters"]:
        theirs = row.get("presidio")
        presidio = f"{theirs['median_ms']:.1f}" if theirs else "not installed"
        speedup = f"{row['speedup']:.1f}x" if theirs else "-"
        ours = row["redact_text"]["median_ms"]
        print(f"| {row['message']} | {ours:.1f} | {presidio} | {speedup} |")
    corpus = figures["corpus"]
    print(f"\n{corpus['inputs']} corpus and labelled inputs; slowest:")
    for item in corpus["slowest"]:
        print(f"  {item['ms']:.1f} ms  {item['input']}")
    print(f"over 50 ms: {', '.join(corpus['over_50_ms']) or 'none'}")
    print(f"\nStages on the {figures['steps']['message']} message (median ms):")
    for name, ms in sorted(figures["steps"]["ms"].items(), key=lambda i: -i[1]):
        print(f"  {ms:8.1f}  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds, not 50")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    rounds = 5 if args.quick else 50
    figures = run(rounds, corpus_rounds=1 if args.quick else 3)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print_report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
