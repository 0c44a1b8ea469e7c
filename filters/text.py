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
    redact,
)
from filters.emails import EmailFilter
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
    is copied into each finding.
    """
    return redact(text, TEXT_FILTERS, context, where)


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
    spans = find_spans(joined, TEXT_FILTERS, context)
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
    return [
        apply_spans(text, text_spans, TEXT_FILTERS, where, offset=start)
        for text, text_spans, start in zip(texts, by_text, starts, strict=True)
    ]
