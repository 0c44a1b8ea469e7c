"""The message filter pipeline: raw bytes in, a clean copy and findings out.

`clean_message` parses the message once into a tree of decoded parts (see
filters.mime), runs the steps in STEPS in order, and builds the MIME entity to
deliver. A step that returns a hold reason stops the pipeline: the message is
held for review and its content is a placeholder, never the original.

`clean_message` catches every exception and holds the message instead.
"""

from __future__ import annotations

import email.message
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

from filters import (
    attachments,
    forwarded,
    fragments,
    html,
    invisible,
    junctions,
    mime,
    pasted,
    safeguarding,
)
from filters.base import FilterContext, Finding
from filters.mime import Draft, StepResult, TextPart
from filters.text import redact_text

log = logging.getLogger(__name__)

HELD_PLACEHOLDER = "This message is held for review."
INTERNAL_ERROR = "The message could not be filtered because of an internal error."


@dataclass(frozen=True)
class CleanMessage:
    """The filtered copy of a message, and what the filters removed or found.

    `content` holds only MIME headers (MIME-Version, Content-Type,
    Content-Transfer-Encoding and Content-Disposition) and the body; the relay
    adds the identity headers. A message with hold reasons is never delivered.
    """

    subject: str
    content: email.message.EmailMessage
    findings: tuple[Finding, ...]
    hold_reasons: tuple[str, ...]


def filter_plain_text(draft: Draft, context: FilterContext) -> StepResult:
    """Remove what the text filters find from every text/plain part."""
    findings: list[Finding] = []

    def clean_part(part: TextPart) -> TextPart:
        if part.subtype != "plain":
            return part
        redaction = redact_text(part.text, context, "text/plain")
        findings.extend(redaction.findings)
        return replace(part, text=redaction.text)

    body = mime.map_text_parts(draft.body, clean_part)
    return StepResult(replace(draft, body=body), tuple(findings))


STEPS: tuple[mime.Step, ...] = (
    mime.hold_oversized_text,
    mime.hold_unreadable_parts,
    # Hidden characters go first, because they can split the encoded text
    # that the later steps look for.
    invisible.remove_hidden,
    attachments.hold_encrypted,
    attachments.remove_attachments,
    attachments.remove_uuencoded,
    pasted.remove_pasted_files,
    # Safeguarding reads the text as sent, before anything else is removed.
    safeguarding.flag_concerns,
    forwarded.remove_forwarded,
    filter_plain_text,
    html.filter_html,
    attachments.add_notices,
)


def clean_message(raw: bytes, context: FilterContext) -> CleanMessage:
    """Return the clean copy of `raw` to deliver, or a held result."""
    try:
        return _clean(raw, context)
    except Exception as exc:
        # No message may crash the pipeline runner. Exception text can quote
        # message content, so only the exception type is logged above debug.
        log.error("filter pipeline failed: %s", type(exc).__name__)
        log.debug("filter pipeline failure details", exc_info=True)
        return _held("", (INTERNAL_ERROR,), ())


def _clean(raw: bytes, context: FilterContext) -> CleanMessage:
    try:
        message = mime.parse_message(raw)
    except mime.UnreadableMessage as exc:
        subject, subject_findings = filter_subject(mime.read_subject(raw), context)
        return _held(subject, (str(exc),), subject_findings)

    sent_subject = mime.subject_of(message)
    subject, subject_findings = filter_subject(sent_subject, context)
    try:
        mime.check_limits(message)
        body = mime.read_body(message)
    except mime.UnreadableMessage as exc:
        return _held(subject, (str(exc),), subject_findings)

    # A file pasted into the subject is named among the body's notices,
    # like one pasted into the body.
    notices = tuple(
        attachments.NOTICE.format(name=finding.detail)
        for finding in subject_findings
        if finding.kind == "attachment" and finding.detail == pasted.NOTICE_NAME
        for _ in range(finding.count)
    )
    draft = Draft(body, notices)
    findings: list[Finding] = list(subject_findings)
    for step in STEPS:
        result = step(draft, context)
        findings.extend(result.findings)
        if result.hold_reasons:
            return _held(subject, result.hold_reasons, findings)
        draft = result.draft

    # Details split between the subject and the body, or between messages,
    # are looked for in the text as it will be delivered.
    joined = junctions.remove_split_details(sent_subject, subject, draft, context)
    joined = fragments.remove_pieces(joined, context)
    findings.extend(joined.findings)
    if joined.hold_reasons:
        return _held(joined.subject, joined.hold_reasons, findings)

    content = mime.build_entity(joined.draft.body)
    return CleanMessage(joined.subject, content, merge_findings(findings), ())


def filter_subject(
    sent_subject: str, context: FilterContext
) -> tuple[str, list[Finding]]:
    """Return the filtered subject, and what the text and safeguarding filters found."""
    visible = invisible.clean_subject(sent_subject)
    without_files, files = pasted.strip_pasted_subject(visible.text)
    files += visible.files
    subject = redact_text(without_files, replace(context, in_subject=True), "subject")
    findings = [*subject.findings, *safeguarding.flag_subject(sent_subject, context)]
    if files:
        pasted_file = Finding("attachment", "subject", files, pasted.NOTICE_NAME)
        findings.insert(0, pasted_file)
    if visible.hidden >= invisible.MIN_REPORTED_CHARS:
        hidden = Finding(
            "attachment", "subject", visible.hidden, invisible.HIDDEN_DETAIL
        )
        findings.insert(0, hidden)
    return subject.text, findings


def _held(
    subject: str, reasons: tuple[str, ...], findings: Iterable[Finding]
) -> CleanMessage:
    log.debug("message held for review: %d reasons", len(reasons))
    content = mime.build_entity(TextPart("plain", HELD_PLACEHOLDER + "\n"))
    return CleanMessage(subject, content, merge_findings(findings), reasons)


def merge_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Merge findings that differ only in count, adding their counts."""
    counts: dict[Finding, int] = {}
    for finding in findings:
        key = replace(finding, count=1)
        counts[key] = counts.get(key, 0) + finding.count
    return tuple(replace(key, count=count) for key, count in counts.items())
