"""The contract every filter follows, and the data passed between steps.

Filters are pure functions of their input: no I/O, no database, no network.
A text filter finds spans in a string; `redact` merges the spans of all text
filters and replaces each with the placeholder of its kind, so that two
filters matching overlapping text (an email address inside a mailto link, say)
produce one placeholder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from filters.safeguarding import SafeguardingRules


@dataclass(frozen=True)
class FilterContext:
    """Programme settings the filters need, and what one job adds to them."""

    relay_domain: str = "relay.example.org"
    default_region: str = "GB"
    extra_offensive_words: tuple[str, ...] = ()
    allowed_offensive_words: tuple[str, ...] = ()
    # None means the packaged rules in config/safeguarding.toml.
    safeguarding_rules: SafeguardingRules | None = None
    # Whether the learned model (filters.concern_model) adds its estimates
    # to the safeguarding rules' flags.
    safeguarding_model: bool = True
    # The ends of the delivered text of the sender's last few messages to
    # the same recipient and of the recipient's latest reply to the sender,
    # oldest first, or "" when there are none. The pipeline runner sets it
    # per job, and filters.junctions checks whether the new message
    # continues a detail they begin.
    previous_tail: str = ""
    # Whether the text is a Subject header. A subject has no signature, so
    # filters.off_platform removes a handle-shaped token with no label
    # ("Re: sam_2009") there only when a cue such as a service name, "add"
    # or an "@" is in the same sentence.
    in_subject: bool = False


@dataclass(frozen=True)
class Span:
    """A half-open range `text[start:end]` that a filter wants removed."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Finding:
    """Something a filter removed or flagged, stored with the message.

    `detail` never holds a removed value: it names a file, a category or a
    reason. `matched` holds the matched text only for safeguarding flags,
    which leave the text in place for the safeguarding officer to read.
    """

    kind: str
    where: str
    count: int = 1
    detail: str = ""
    category: str = ""
    severity: str = ""
    matched: str = ""


class TextFilter(Protocol):
    """A filter over plain text: returns the spans to remove."""

    kind: str
    placeholder: str

    def find(self, text: str, context: FilterContext) -> list[Span]: ...


@dataclass
class Redaction:
    """The text after removals, with one finding per kind that matched."""

    text: str
    findings: list[Finding] = field(default_factory=list)


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Merge overlapping or touching spans; the longest original span's kind wins."""
    ordered = sorted(spans, key=lambda s: (s.start, -(s.end - s.start)))
    merged: list[Span] = []
    longest: dict[int, int] = {}
    for span in ordered:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            kind = last.kind
            if span.end - span.start > longest[len(merged) - 1]:
                kind = span.kind
                longest[len(merged) - 1] = span.end - span.start
            merged[-1] = Span(last.start, max(last.end, span.end), kind)
            continue
        merged.append(span)
        longest[len(merged) - 1] = span.end - span.start
    return merged


def redact(
    text: str,
    filters: Sequence[TextFilter],
    context: FilterContext,
    where: str,
) -> Redaction:
    """Remove every span any filter finds, replacing it with its placeholder."""
    return apply_spans(text, find_spans(text, filters, context), filters, where)


def find_spans(
    text: str, filters: Sequence[TextFilter], context: FilterContext
) -> list[Span]:
    """Return the merged spans that `filters` find in `text`, in text order."""
    spans: list[Span] = []
    for text_filter in filters:
        spans.extend(text_filter.find(text, context))
    return merge_spans(spans) if spans else []


def apply_spans(
    text: str,
    spans: Sequence[Span],
    filters: Sequence[TextFilter],
    where: str,
    offset: int = 0,
) -> Redaction:
    """Replace merged `spans` in `text` with their placeholders.

    The spans' offsets count from `offset`, for spans found in a longer text
    of which `text` is the part that starts there.
    """
    if not spans:
        return Redaction(text)

    placeholders = {f.kind: f.placeholder for f in filters}
    pieces: list[str] = []
    counts: dict[str, int] = {}
    cursor = 0
    for span in spans:
        pieces.append(text[cursor : span.start - offset])
        pieces.append(placeholders[span.kind])
        counts[span.kind] = counts.get(span.kind, 0) + 1
        cursor = span.end - offset
    pieces.append(text[cursor:])

    findings = [Finding(kind, where, count) for kind, count in counts.items()]
    return Redaction("".join(pieces), findings)
