"""Fuzz the filter pipeline and the rebuild of the delivered message with atheris.

Each input is a raw message. It goes through the pipeline's inner function,
so that an exception surfaces with its traceback instead of being turned
into a hold, then through `compose` with a fixed identity. The output must
re-parse, use CRLF line ends only, keep every line within 998 bytes and
carry only allowlisted header fields. An exception or a failed check is a
crash, which libFuzzer saves as a file under the artifact folder.

The seeds are the test emails in ../shared/corpus/eml beside the checkout.
They are copied at start into a temporary corpus folder, which also collects
the inputs libFuzzer finds, so nothing is written into the repository.

    pip install atheris
    python tools/fuzz_pipeline.py -max_total_time=300

Arguments are passed to libFuzzer. Without -artifact_prefix, crash files go
to a folder under the system's temporary directory, printed at start. A
saved crash is replayed with `python tools/fuzz_pipeline.py CRASH_FILE`.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import atheris  # type: ignore[import-untyped]  # atheris ships no type hints

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS = REPO_ROOT / ".." / "shared" / "corpus" / "eml"
sys.path.insert(0, str(REPO_ROOT))

with atheris.instrument_imports(include=["filters", "relay", "email"]):
    import email
    import email.policy

    from archive.store import Participant
    from filters import pipeline
    from filters.base import FilterContext
    from relay.compose import Identity, compose

CONTEXT = FilterContext()
SAM_ALIAS = "sam.k7q2mx9d@relay.example.org"
ALEX_ALIAS = "alex.p3v8nw2c@relay.example.org"
IDENTITY = Identity(
    sender=Participant(1, "Sam Jones", "sam@example.org", SAM_ALIAS, "", ""),
    recipients=(Participant(2, "Alex Smith", "alex@example.com", ALEX_ALIAS, "", ""),),
    message_id="5f2c9e1a7b3d4c6e8f0a1b2c@relay.example.org",
    in_reply_to=(),
    references=(),
    auto_submitted=None,
)
ALLOWED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}
MAX_LINE_BYTES = 998


def check_output(data: bytes) -> None:
    """Raise AssertionError when the delivered bytes break a promise."""
    without_crlf = data.replace(b"\r\n", b"")
    assert b"\r" not in without_crlf, "bare CR"
    assert b"\n" not in without_crlf, "bare LF"
    longest = max(len(line) for line in data.split(b"\r\n"))
    assert longest <= MAX_LINE_BYTES, f"line of {longest} bytes"

    header_lines = data.partition(b"\r\n\r\n")[0].split(b"\r\n")
    names = [
        line.partition(b":")[0].decode("ascii").lower()
        for line in header_lines
        if line[:1] not in (b" ", b"\t")
    ]
    assert set(names) <= ALLOWED_HEADERS, f"header fields {sorted(names)}"
    assert len(names) == len(set(names)), f"repeated header fields {sorted(names)}"

    parsed = email.message_from_bytes(data, policy=email.policy.default)
    for part in parsed.walk():
        assert not part.defects, f"defects {part.defects}"


def test_one_input(raw: bytes) -> None:
    # _clean is the body of clean_message without its catch-all handler,
    # which would turn every bug into a quiet hold for review.
    clean = pipeline._clean(raw, CONTEXT)
    check_output(compose(clean.content, clean.subject, IDENTITY))


def seed_corpus() -> Path:
    """Copy the seed emails into a new temporary corpus folder; return it."""
    corpus = Path(tempfile.mkdtemp(prefix="fuzz-pipeline-corpus-"))
    seeds = sorted(SEEDS.glob("*.eml")) if SEEDS.is_dir() else []
    if not seeds:
        print(f"no seed emails in {SEEDS}: starting from an empty corpus")
    for seed in seeds:
        shutil.copy(seed, corpus / seed.name)
    print(f"corpus: {corpus} ({len(seeds)} seeds)")
    return corpus


def libfuzzer_arguments(argv: list[str]) -> list[str]:
    options = [arg for arg in argv[1:] if arg.startswith("-")]
    inputs = [arg for arg in argv[1:] if not arg.startswith("-")]
    # Larger inputs run a few times a second; the seeds above this size are
    # still read, cut to it.
    if not any(arg.startswith("-max_len=") for arg in options):
        options.append("-max_len=65536")
    if not any(arg.startswith("-artifact_prefix=") for arg in options):
        artifacts = Path(tempfile.gettempdir()) / "fuzz-pipeline-artifacts"
        artifacts.mkdir(exist_ok=True)
        options.append(f"-artifact_prefix={artifacts}/")
        print(f"crash files go to {artifacts}")
    # Files named on the command line are replayed, not fuzzed from seeds.
    if any(Path(arg).is_file() for arg in inputs):
        return [argv[0], *options, *inputs]
    return [argv[0], *options, *(inputs or [str(seed_corpus())])]


def main() -> None:
    atheris.Setup(libfuzzer_arguments(sys.argv), test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
