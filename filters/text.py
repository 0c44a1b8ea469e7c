"""The text filters every text part goes through, and one call to run them all."""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Sequence

from filters.base import (
    FilterContext,
    Redaction,
    Span,
    TextFilter,
    apply_spans,
    find_spans,
    merge_spans,
)
from filters.emails import EmailFilter, find_altered_relay_addresses
from filters.normalise import display_order, matching_view, remove_bidi_controls
from filters.off_platform import OffPlatformFilter
from filters.phones import PhoneFilter
from filters.postal import PostcodeFilter, StreetAddressFilter
from filters.profanity import ProfanityFilter

log = logging.getLogger(__name__)

# Contact details first, most specific first, then offensive words. The order
# only decides the order of findings: overlapping spans are merged whatever
# the order, and the longest span names the placeholder.
TEXT_FILTERS: tuple[TextFilter, ...] = (
    EmailFilter(),
    OffPlatformFilter(),
    PhoneFilter(),
    PostcodeFilter(),
    StreetAddressFilter(),
    ProfanityFilter(),
)


def redact_text(text: str, context: FilterContext, where: str) -> Redaction:
    """Replace contact details and offensive words in `text` with placeholders.

    `where` names the part the text came from (a MIME type or "subject") and
    is copied into each finding. The filters match the normalised view of
    `text` (see filters.normalise), and the delivered text loses its
    bidirectional control characters.
    """
    return apply_redaction(text, _find_spans(text, context), where)


def find_redaction_spans(text: str, context: FilterContext) -> list[Span]:
    """Return the merged spans that redact_text replaces in `text`, in text order."""
    return _find_spans(text, context)


def apply_redaction(
    text: str, spans: Sequence[Span], where: str, offset: int = 0
) -> Redaction:
    """Replace `spans` from find_redaction_spans in `text`, as redact_text does.

    The spans' offsets count from `offset`, for spans found in a longer text
    of which `text` is the part that starts there.
    """
    redaction = apply_spans(text, spans, TEXT_FILTERS, where, offset=offset)
    redaction.text = remove_bidi_controls(redaction.text)
    return redaction


def _find_spans(text: str, context: FilterContext) -> list[Span]:
    """Return the merged spans of all text filters in `text`, in text order.

    A text with a right-to-left override, embedding or isolate is read
    twice: as written, and as displayed (see normalise.display_order),
    because a number written backwards inside an override displays forwards.
    """
    spans = _find_view_spans(text, context)
    displayed = display_order(text)
    if displayed is None:
        return spans
    displayed_spans = _find_view_spans(displayed.text, context)
    if not displayed_spans:
        return spans
    return merge_spans([*spans, *map(displayed.original_span, displayed_spans)])


def _find_view_spans(text: str, context: FilterContext) -> list[Span]:
    """Return the merged spans of all text filters, matched on the view of `text`.

    The view maps characters to ascending original offsets, so the mapped
    spans stay in order and apart.
    """
    view = matching_view(text)
    spans = find_spans(view.text, TEXT_FILTERS, context)
    altered = find_altered_relay_addresses(text, view, context)
    if altered:
        spans = merge_spans([*spans, *altered])
    return [view.original_span(span) for span in spans]


# Joins the texts that redact_texts filters in one pass. No text filter
# matches across a line break followed by a NUL character. Each pattern also
# treats a line break next to a text like the start or end of the text, so
# each text gets the spans it would get alone. A test compares the two on
# the labelled cases, and redact_texts checks that no span crosses.
_TEXT_SEPARATOR = "\n\x00\n"


def redact_texts(
    texts: Sequence[str], context: FilterContext, where: str
) -> list[Redaction]:
    """Return what redact_text returns for each of `texts`, filtering them at once.

    One pass over many short texts, such as the text nodes of an HTML part,
    saves the cost that each filter has per call.
    """
    joined = _TEXT_SEPARATOR.join(texts)
    spans = _find_spans(joined, context)
    starts = []
    position = 0
    for text in texts:
        starts.append(position)
        position += len(text) + len(_TEXT_SEPARATOR)
    by_text: list[list[Span]] = [[] for _ in texts]
    for span in spans:
        index = bisect_left(starts, span.start + 1) - 1
        if span.end > starts[index] + len(texts[index]):
            # No filter should match across the separator. Should one ever
            # do so, each text is filtered alone, which is slower but exact.
            log.debug("a span crossed texts; filtering %d texts alone", len(texts))
            return [redact_text(text, context, where) for text in texts]
        by_text[index].append(span)
    redactions = [
        apply_spans(text, text_spans, TEXT_FILTERS, where, offset=start)
        for text, text_spans, start in zip(texts, by_text, starts, strict=True)
    ]
    for redaction in redactions:
        redaction.text = remove_bidi_controls(redaction.text)
    return redactions
