"""Contact details split over a junction: subject and body, or messages.

A sender can end the subject with "my number is 07700" and start the body
with "900123", or end one message with the first half of an address and
start the next with the rest, or spread a detail over three or four short
messages. Each part alone passes the text filters. This module joins the
end of the text before the junction (the tail) and the start of the text
after it (the head) with a line break. It runs the text filters on that and
removes the part of a detail that crosses the junction from the head.
For messages, the tail is the end of the sender's last few messages to the
same recipient and of the recipient's latest message to the sender, joined
by line breaks (see archive.junctions), so the
message that completes a detail loses its part of it. Text parts that a
client shows one after another (a multipart/mixed of text, image, text)
are joined the same way, and both of them lose their pieces. A postcode or
street address may also come in reverse order, its first piece starting
the head ("2AB" in the subject, "LS6" at the start of the body), which
find_reversed_detail reads from short clauses at the two edges.

The checks run on the body as it will be delivered, after every other step,
so the text they read is the text the recipient reads.
"""

from __future__ import annotations

import html
import itertools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from filters.base import FilterContext, Finding, Span, merge_spans
from filters.html import extract_text, extract_text_start
from filters.mime import (
    Draft,
    Multipart,
    Node,
    TextPart,
    map_text_parts,
)
from filters.text import TEXT_FILTERS, apply_redaction, find_redaction_spans

log = logging.getLogger(__name__)

# The filters read at most this many characters on each side, so one check
# costs one filter run over about 600 characters. A contact detail written
# out in words is far shorter, but that is an estimate, not a measurement.
TAIL_CHARS = 300
HEAD_CHARS = 300

KIND = "split_detail"
# Deliberately splitting a detail is worth a safeguarding officer's look
# before routine removals, but it is not a disclosure that holds the message.
SEVERITY = "medium"

# Plain names of what each text filter finds, for findings and hold reasons.
DETAIL_NAMES = {
    "phone": "a phone number",
    "email": "an email address",
    "off_platform": "a contact handle or link for another service",
    "postcode": "a postcode",
    "street_address": "a postal address",
    "profanity": "an offensive word",
}

_PLACEHOLDERS = {
    text_filter.kind: text_filter.placeholder for text_filter in TEXT_FILTERS
}

# A number labelled as something else is not a piece of a phone number:
# "Order 452901", "SKU: 07713", "452901 views", "3 jars". The label is the
# word just before the digits (with "no", "number", "#" or ":" between) or a
# counted noun or unit just after them.
_LABEL_BEFORE = re.compile(
    r"\b(?:order|invoice|inv|ref|reference|sku|item|product|account|acct"
    r"|ticket|booking|tracking|serial|model|room|locker|candidate|centre"
    r"|center|student|page|score|result|results|total|id)"
    r"(?:\s*(?:no\.?|number|num|#|id|is|was|=|:))*\s*[:#=.-]?\s*$",
    re.IGNORECASE,
)
_COUNTED_AFTER = re.compile(
    r"\s*(?:(?P<plural>[a-z]{2,}s)|views|pts|kg|km|mb|gb|kb|ml|mg|cm|mm|mph|%)\b",
    re.IGNORECASE,
)
# Plural-looking words that follow a phone number's piece without counting it.
_NOT_COUNTED = frozenset(
    (
        "is",
        "was",
        "has",
        "this",
        "thanks",
        "yes",
        "plus",
        "its",
        "ends",
        "starts",
        "begins",
        "as",
        "us",
        "bits",
        "digits",
        "cheers",
        "thx",
        "pls",
        "please",
    )
)
_LABEL_CHARS = 40

# Maximum number of adjacent text part pairs checked, so that a message of
# many small parts costs at most this many filter runs of about 600 characters.
MAX_PART_PAIRS = 20

# The notices of removed files that filters.attachments adds to the end of
# the first plain and first HTML part, which stand after the text a client
# shows before the next part.
_TRAILING_NOTICES = re.compile(r"(?:\s*\[attachment removed: [^\]\n]*\])+\s*\Z")
_TRAILING_HTML_NOTICES = re.compile(
    r"(?:\s*<p>\[attachment removed: [^\]<>]*\]</p>)+\s*\Z"
)

# Tags and white space before the first text of an nh3-sanitised fragment.
# nh3 escapes "<" and ">" inside attribute values, so a tag ends at the first
# ">".
_LEADING_MARKUP = re.compile(r"(?:\s|<[^<>]*>)*")


@dataclass(frozen=True)
class SplitDetail:
    """A detail that runs from `tail[tail_start:]` on into `head[:head_end]`."""

    kind: str
    tail_start: int
    head_end: int


@dataclass(frozen=True)
class Joined:
    """The subject and draft after removing split details, and what was found.

    A message with hold reasons must not be delivered: a part of a detail
    could not be removed from some alternative of the body.
    """

    subject: str
    draft: Draft
    findings: tuple[Finding, ...] = ()
    hold_reasons: tuple[str, ...] = ()


def find_split_detail(
    tail: str, head: str, context: FilterContext, *, whole_halves: bool = True
) -> SplitDetail | None:
    """Find a detail that starts in `tail` and ends in `head`.

    The filters read the last TAIL_CHARS of `tail` and the first HEAD_CHARS
    of `head`, joined by a line break. A span that crosses the line break is
    returned unless the tail alone or the head alone also yields a span that
    overlaps it: such a detail is removed by the ordinary filtering of that
    side. Merged spans never overlap, so at most one span crosses.
    The offsets count from the start of `tail` and of `head` as given.
    When no span crosses, the pieces are also read in reverse order (see
    find_reversed_detail), which `whole_halves` is passed on to.
    """
    cut_tail = tail[-TAIL_CHARS:]
    cut_head = head[:HEAD_CHARS]
    junction = len(cut_tail)
    joined = f"{cut_tail}\n{cut_head}"
    crossing = _crossing_span(joined, junction, context)
    if crossing is None:
        reversed_detail = find_reversed_detail(
            tail, head, context, whole_halves=whole_halves
        )
        return reversed_detail or _house_number_then_street(tail, head, context)

    # The sides run alone only when a span crosses, which is rare, so the
    # usual cost stays one filter run.
    head_end = crossing.end - junction - 1
    if _overlaps(find_redaction_spans(cut_tail, context), crossing.start, junction):
        return None
    if _overlaps(find_redaction_spans(cut_head, context), 0, head_end):
        return None
    tail_start = len(tail) - junction + crossing.start
    return SplitDetail(crossing.kind, tail_start, head_end)


def find_reversed_detail(
    tail: str, head: str, context: FilterContext, *, whole_halves: bool = True
) -> SplitDetail | None:
    """Find an address whose first piece starts `head` and whose rest ends `tail`.

    A sender can put "2AB" in the subject and "LS6" at the start of the
    body, or the street in one message and "14, come round" in the next.
    The head's first clause, at most _MAX_PIECE_WORDS words, is joined with
    a space to the last one to _MAX_PIECE_WORDS words of the tail's last
    clause, shortest first. A postcode, or a street address whose street is
    that whole clause, counts only when it covers all of the joined text and
    neither piece alone contains a detail. So "2AB" followed by "see you at
    6" stays, because a first clause of four words is never read.

    With `whole_halves` False, a postcode whose halves are each all of their
    text is left to filters.fragments, which pairs such halves within one
    message (a subject "2AB" over a body "LS6").
    """
    cut_head = head[:HEAD_CHARS]
    cut_tail = tail[-TAIL_CHARS:]
    head_piece = _REVERSED_HEAD.match(cut_head)
    tail_clause = _REVERSED_TAIL.search(cut_tail)
    if head_piece is None or tail_clause is None:
        return None
    # The head's piece is an outward code or a house number, so it has a
    # digit. Checking that first spares the filter runs for most messages.
    first = head_piece["piece"]
    if not _has_digit(first) or _LABELLED_HOUSE_NUMBER.match(first):
        return None
    words = list(_PIECE_WORDS.finditer(cut_tail, *tail_clause.span("piece")))
    for count in range(1, min(len(words), _MAX_PIECE_WORDS) + 1):
        rest_start = words[-count].start()
        rest = cut_tail[rest_start : tail_clause.end("piece")]
        kind = _reversed_kind(first, rest, context)
        # A street must be the whole clause, so "meet me on Park Road"
        # followed by "10, ok?" (a time) stays.
        if kind == "street_address" and count < len(words):
            continue
        whole = cut_head.strip() == first and tail.strip() == rest
        if kind == "postcode" and whole and not whole_halves:
            return None
        if kind is not None:
            tail_start = len(tail) - len(cut_tail) + rest_start
            return SplitDetail(kind, tail_start, head_piece.end("piece"))
    return None


def _house_number_then_street(
    tail: str, head: str, context: FilterContext
) -> SplitDetail | None:
    """Find a bare house number ending `tail` and a street starting `head`.

    "14!" and then "Acacia Avenue btw": the filters read "14!" over a line
    break before a street as no address, so the number is joined to the
    head's first clause (at most _MAX_PIECE_WORDS words) with a space. It
    counts when an address starts at the number and neither piece alone
    contains a detail.
    """
    cut_tail = tail[-TAIL_CHARS:]
    number = _BARE_NUMBER_TAIL.search(cut_tail)
    if number is None:
        return None
    head_piece = _REVERSED_HEAD.match(head[:HEAD_CHARS])
    if head_piece is None or _has_digit(head_piece["piece"]):
        return None
    digits = number["number"]
    joined = f"{digits} {head_piece['piece']}"
    for span in find_redaction_spans(joined, context):
        if span.kind != "street_address" or span.start > 0:
            continue
        if span.end <= len(digits) + 1 or find_redaction_spans(
            head_piece["piece"], context
        ):
            return None
        tail_start = len(tail) - len(cut_tail) + number.start("number")
        head_end = head_piece.start("piece") + span.end - len(digits) - 1
        return SplitDetail("street_address", tail_start, head_end)
    return None


def _reversed_kind(first: str, rest: str, context: FilterContext) -> str | None:
    """Return the kind of a detail that is exactly `first`, a space and `rest`."""
    joined = f"{first} {rest}"
    for span in find_redaction_spans(joined, context):
        if span.kind not in _REVERSED_KINDS:
            continue
        if span.start > 0 or span.end < len(joined):
            continue
        if find_redaction_spans(first, context) or find_redaction_spans(rest, context):
            return None
        return span.kind
    return None


def _has_digit(text: str) -> bool:
    return any(character.isdigit() for character in text)


# The kinds read in reverse order over a junction. Phone numbers are left
# out, because two short numbers in reverse order are far more often a
# score, a time or a count than a split phone number.
_REVERSED_KINDS = frozenset({"postcode", "street_address"})
# NOTE: a first piece with more words after it in its clause ("LS6 see you
# soon", with no comma) is not read, so such a reversed postcode gets through.
_MAX_PIECE_WORDS = 3
# A house number labelled "number 14" or "no. 14" is filters.fragments'
# to piece together with a street anywhere in the subject or the earlier
# messages, so the reverse order leaves it.
_LABELLED_HOUSE_NUMBER = re.compile(r"(?i:number|no\.?)[ \t]*[0-9]")
# A house number that is all of the tail's last line: "14", "14!", "14b."
_BARE_NUMBER_TAIL = re.compile(
    r"(?:\A|\n)[ \t]*(?P<number>[1-9][0-9]{0,3}[A-Za-z]?)[ \t]*[.!]*\s*\Z"
)
# A piece is part of a clause, which ends at a comma, a semicolon, a colon,
# a line break or a ".", "!" or "?" before a space or the end.
_PIECE_WORD = r"[^\s,;:!?.]+(?:\.(?=\S)[^\s,;:!?.]*)*"
_PIECE_WORDS = re.compile(_PIECE_WORD)
_PIECE = rf"{_PIECE_WORD}(?:[ \t]+{_PIECE_WORD}){{0,{_MAX_PIECE_WORDS - 1}}}"
_REVERSED_HEAD = re.compile(rf"\s*(?P<piece>{_PIECE})(?=[ \t]*(?:[,;:!?.\r\n]|\Z))")
_REVERSED_TAIL = re.compile(
    rf"(?:\A|[,;:!?.\r\n])[ \t]*(?P<piece>{_PIECE_WORD}(?:[ \t]+{_PIECE_WORD})*)"
    r"[ \t]*[.!?]*\s*\Z"
)


def _crossing_span(joined: str, junction: int, context: FilterContext) -> Span | None:
    """Return the span with text on both sides of the line break at `junction`."""
    for span in find_redaction_spans(joined, context):
        before = joined[span.start : junction]
        after = joined[junction + 1 : span.end]
        if not before.strip() or not after.strip():
            continue
        if span.kind == "phone" and _has_labelled_number(joined, span):
            continue
        return span
    return None


def is_labelled_number(text: str, start: int, end: int) -> bool:
    """Check whether the digits at `text[start:end]` are labelled as non-phone."""
    if _LABEL_BEFORE.search(text[max(0, start - _LABEL_CHARS) : start]):
        return True
    counted = _COUNTED_AFTER.match(text, end)
    if counted is None:
        return False
    plural = counted["plural"]
    return plural is None or plural.lower() not in _NOT_COUNTED


def _has_labelled_number(text: str, span: Span) -> bool:
    """Check a phone span for a group of digits labelled as something else."""
    return any(
        is_labelled_number(text, match.start(), match.end())
        for match in _DIGITS.finditer(text, span.start, span.end)
    )


_DIGITS = re.compile(r"\d+")


def _overlaps(spans: list[Span], start: int, end: int) -> bool:
    return any(span.start < end and start < span.end for span in spans)


def remove_split_details(
    sent_subject: str, subject: str, draft: Draft, context: FilterContext
) -> Joined:
    """Remove details split between the subject and the body, or messages.

    `sent_subject` is the subject as sent and `subject` the filtered one.
    The earlier messages' tail comes from `context.previous_tail`. Each
    alternative at the start of the body (plain and HTML) is checked alone,
    because a client shows only one of them.
    """
    joined = _remove_subject_split(sent_subject, Joined(subject, draft), context)
    if not joined.hold_reasons:
        joined = _remove_part_splits(joined, context)
    if joined.hold_reasons or not context.previous_tail.strip():
        return joined
    return _remove_previous_split(joined, context)


def _remove_subject_split(
    sent_subject: str, joined: Joined, context: FilterContext
) -> Joined:
    if not sent_subject.strip():
        return joined
    found = _split_heads(sent_subject, joined.draft.body, context, whole_halves=False)
    if not found:
        return joined

    first = min((split for _, split in found), key=lambda split: split.tail_start)
    subject = _cut_subject(sent_subject, first, context)
    name = DETAIL_NAMES.get(first.kind, "a contact detail")
    description = f"The subject and the start of the body together hold {name}."
    subject_removal = Finding(first.kind, "subject")
    result = _cut_heads(replace(joined, subject=subject), found, description)
    return replace(result, findings=(subject_removal, *result.findings))


def _remove_previous_split(joined: Joined, context: FilterContext) -> Joined:
    # NOTE: only the body is joined to the earlier messages. A new message
    # whose subject continues their detail is not checked.
    found = _split_heads(context.previous_tail, joined.draft.body, context)
    if not found:
        return joined

    name = DETAIL_NAMES.get(found[0][1].kind, "a contact detail")
    description = (
        f"The start of this message continues {name} begun at the end of "
        "the sender's earlier messages to the same recipient."
    )
    return _cut_heads(joined, found, description)


def _remove_part_splits(joined: Joined, context: FilterContext) -> Joined:
    """Remove details split over text parts that a client shows one after another.

    Apple Mail sends "mail me: sam.j@", an image and "example.net" as three
    parts of a multipart/mixed. Both sides of the junction are in this
    message, so the end of the first part and the start of the second lose
    their pieces.
    """
    cuts: list[tuple[TextPart, TextPart, SplitDetail]] = []
    for before, after in adjacent_text_parts(joined.draft.body)[:MAX_PART_PAIRS]:
        tail = _without_notices(_visible_text(before))
        split = find_split_detail(
            tail, _visible_head(after), context, whole_halves=False
        )
        if split is not None:
            cuts.append((before, after, split))
    if not cuts:
        return joined

    name = DETAIL_NAMES.get(cuts[0][2].kind, "a contact detail")
    description = f"Two text parts shown one after the other together hold {name}."
    tails = {id(before): split for before, _, split in cuts}
    heads = {id(after): split for _, after, split in cuts}
    findings = [Finding(KIND, "message", detail=description, severity=SEVERITY)]
    failed: list[str] = []

    def cut(part: TextPart) -> TextPart:
        cut_part: TextPart | None = part
        if id(part) in tails:
            cut_part = _cut_tail(part, tails[id(part)])
        if cut_part is not None and id(part) in heads:
            cut_part = _cut_head(cut_part, heads[id(part)])
        if cut_part is None:
            failed.append(f"text/{part.subtype}")
            return part
        if cut_part is not part:
            findings.append(Finding(cuts[0][2].kind, f"text/{part.subtype}"))
        return cut_part

    # The parts are looked up by id, so the tree they came from must stay
    # alive until the cut is done, which `joined` ensures.
    return _apply_cuts(joined, cut, findings, failed, description)


def _apply_cuts(
    joined: Joined,
    cut: Callable[[TextPart], TextPart],
    findings: list[Finding],
    failed: list[str],
    description: str,
) -> Joined:
    """Apply `cut` to every text part and add `findings`, or hold the message.

    `cut` appends to `failed` the content type of each part it could not
    cut exactly. Then the message is held, with `description` as the reason.
    """
    body = map_text_parts(joined.draft.body, cut)
    all_findings = (*joined.findings, *findings)
    if failed:
        log.debug("split detail could not be removed from %s", ", ".join(failed))
        version = "HTML" if failed[0] == "text/html" else "plain text"
        reason = (
            f"{description} The relay could not remove it from the {version} version."
        )
        return replace(joined, findings=all_findings, hold_reasons=(reason,))
    draft = replace(joined.draft, body=body)
    return replace(joined, draft=draft, findings=all_findings)


def _cut_tail(part: TextPart, split: SplitDetail) -> TextPart | None:
    """Return `part` with the detail's tail part replaced, or None if not exact."""
    placeholder = _PLACEHOLDERS.get(split.kind, "[removed]")
    visible = _without_notices(_visible_text(part))
    piece = visible[split.tail_start :].rstrip()
    if part.subtype != "html":
        end = split.tail_start + len(piece)
        return replace(
            part, text=part.text[: split.tail_start] + placeholder + part.text[end:]
        )

    escaped = html.escape(piece, quote=False).replace("\xa0", "&nbsp;")
    end = _trailing_markup_start(part.text)
    if not piece or not part.text.endswith(escaped, 0, end):
        return None
    start = end - len(escaped)
    markup = part.text[:start] + html.escape(placeholder, quote=False) + part.text[end:]
    return replace(part, text=markup)


def _without_notices(text: str) -> str:
    """Return `text` without the removed-file notices that the last step added."""
    match = _TRAILING_NOTICES.search(text)
    return text if match is None else text[: match.start()]


def _trailing_markup_start(markup: str) -> int:
    """Return where the tags, white space and notices after the last text start."""
    match = _TRAILING_HTML_NOTICES.search(markup)
    end = len(markup[: match.start()].rstrip()) if match else len(markup.rstrip())
    while end and markup[end - 1] == ">":
        opening = markup.rfind("<", 0, end)
        if opening < 0 or ">" in markup[opening : end - 1]:
            break
        end = len(markup[:opening].rstrip())
    return end


def adjacent_text_parts(node: Node) -> list[tuple[TextPart, TextPart]]:
    """Return the pairs of text parts that a client shows one right after the other.

    The parts of a multipart other than alternative are shown in order, so
    the last text of one child meets the first text of the next, in each
    alternative that the children offer.
    """
    if not isinstance(node, Multipart):
        return []
    pairs = [pair for child in node.parts for pair in adjacent_text_parts(child)]
    if node.subtype == "alternative":
        return pairs
    shown = [child for child in node.parts if leading_text_parts(child)]
    for before, after in itertools.pairwise(shown):
        ends = trailing_text_parts(before)
        pairs.extend(itertools.product(ends, leading_text_parts(after)))
    return pairs


def trailing_text_parts(node: Node) -> list[TextPart]:
    """Return the text parts a reader sees last, one per alternative."""
    if isinstance(node, TextPart):
        return [node]
    if not isinstance(node, Multipart):
        return []
    if node.subtype == "alternative":
        return [part for child in node.parts for part in trailing_text_parts(child)]
    for child in reversed(node.parts):
        parts = trailing_text_parts(child)
        if parts:
            return parts
    return []


def _split_heads(
    tail: str, body: Node, context: FilterContext, *, whole_halves: bool = True
) -> list[tuple[TextPart, SplitDetail]]:
    """Return each leading text part whose start continues a detail in `tail`."""
    found = []
    for part in leading_text_parts(body):
        head = _visible_head(part)
        split = find_split_detail(tail, head, context, whole_halves=whole_halves)
        if split is not None:
            found.append((part, split))
    return found


def _cut_subject(sent_subject: str, split: SplitDetail, context: FilterContext) -> str:
    """Filter the subject again, with the split detail's part as one more span."""
    spans = find_redaction_spans(sent_subject, context)
    spans.append(Span(split.tail_start, len(sent_subject), split.kind))
    return apply_redaction(sent_subject, merge_spans(spans), "subject").text


def _cut_heads(
    joined: Joined, found: list[tuple[TextPart, SplitDetail]], description: str
) -> Joined:
    """Replace the head part of each split detail with its placeholder.

    `description` states the finding in plain words. It becomes a hold reason
    when a part cannot be removed exactly, and the message is held then.
    """
    cuts = {id(part): (part, split) for part, split in found}
    findings = [Finding(KIND, "message", detail=description, severity=SEVERITY)]
    failed: list[str] = []

    def cut(part: TextPart) -> TextPart:
        entry = cuts.get(id(part))
        if entry is None or entry[0] is not part:
            return part
        where = f"text/{part.subtype}"
        cut_part = _cut_head(part, entry[1])
        if cut_part is None:
            failed.append(where)
            return part
        findings.append(Finding(entry[1].kind, where))
        return cut_part

    return _apply_cuts(joined, cut, findings, failed, description)


def _cut_head(part: TextPart, split: SplitDetail) -> TextPart | None:
    """Return `part` with the detail's head part replaced, or None if not exact."""
    placeholder = _PLACEHOLDERS.get(split.kind, "[removed]")
    if part.subtype != "html":
        return replace(part, text=placeholder + part.text[split.head_end :])

    head_part = extract_text(part.text)[: split.head_end]
    markup = _cut_html_head(part.text, head_part, placeholder)
    return None if markup is None else replace(part, text=markup)


def _cut_html_head(markup: str, head_part: str, placeholder: str) -> str | None:
    """Replace `head_part`, the start of the fragment's text, in `markup`.

    `markup` is nh3 output, which escapes "&", "<", ">" and the no-break
    space in text. The replacement is exact only when `head_part` lies in
    one text node, so None is returned when it crosses a tag.
    """
    text = head_part.lstrip()
    escaped = html.escape(text, quote=False).replace("\xa0", "&nbsp;")
    match = _LEADING_MARKUP.match(markup)
    start = match.end() if match else 0
    if not text or not markup.startswith(escaped, start):
        return None
    end = start + len(escaped)
    return markup[:start] + html.escape(placeholder, quote=False) + markup[end:]


def leading_text_parts(node: Node) -> list[TextPart]:
    """Return the text parts a reader sees first, one per alternative.

    A multipart/alternative offers each of its parts; any other multipart
    starts with its first part that contains text.
    """
    if isinstance(node, TextPart):
        return [node]
    if not isinstance(node, Multipart):
        return []
    if node.subtype == "alternative":
        return [part for child in node.parts for part in leading_text_parts(child)]
    for child in node.parts:
        parts = leading_text_parts(child)
        if parts:
            return parts
    return []


def _visible_text(part: TextPart) -> str:
    return extract_text(part.text) if part.subtype == "html" else part.text


def _visible_head(part: TextPart) -> str:
    """Return at least the first HEAD_CHARS of the text a reader sees in `part`."""
    if part.subtype != "html":
        return part.text
    return extract_text_start(part.text, HEAD_CHARS)
