"""The text filters every text part goes through, and one call to run them all."""

from __future__ import annotations

from filters.base import FilterContext, Redaction, TextFilter, redact
from filters.emails import EmailFilter
from filters.off_platform import OffPlatformFilter
from filters.phones import PhoneFilter
from filters.postal import PostcodeFilter, StreetAddressFilter
from filters.profanity import ProfanityFilter

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
