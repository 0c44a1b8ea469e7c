"""MIME parsing, limits, text decoding and encoding for the filter pipeline.

The pipeline parses a message once into a small tree of `Node`s: decoded text
bodies, opaque parts (attachments, images, signatures, forwarded messages) and
multiparts. Later steps work on `str` and never see transfer encodings or
charsets. `build_entity` turns the tree back into a MIME entity whose text is
UTF-8 in quoted-printable or base64, so the output is 7-bit and no line
reaches the 998-byte limit of RFC 5322 section 2.1.1.

Structure is parsed with the `compat32` policy because its parser is lenient
with broken headers; only the Subject goes through the modern header parser.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import email.utils
import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from email.charset import ALIASES
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesHeaderParser

from filters.base import FilterContext, Finding

log = logging.getLogger(__name__)

# NOTE: these limits are estimates of what real mentoring mail needs, not
# measurements. Typical client mail nests 3 to 5 levels and has a few parts.
MAX_DEPTH = 20
MAX_PARTS = 200
MAX_TEXT_CHARS = 1_000_000

# Supersets of common charsets, tried in order when the bytes are invalid in
# the declared charset. Mail written in Windows cp932 is often labelled
# shift_jis, for example, and mislabelled UTF-8 or cp1252 is common.
SUPERSETS: dict[str, tuple[str, ...]] = {
    "ascii": ("utf-8", "cp1252"),
    "utf-8": ("cp1252",),
    "iso8859-1": ("cp1252",),
    "shift_jis": ("cp932",),
    "euc_jp": ("euc_jis_2004",),
    "iso2022_jp": ("iso2022_jp_2", "iso2022_jp_ext"),
    "gb2312": ("gbk", "gb18030"),
    "gbk": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "euc_kr": ("cp949",),
}

# Labels that name no charset at all. Text with one of these labels is
# accepted only if it is valid UTF-8, which includes plain ASCII.
UNLABELLED = {"", "unknown", "unknown-8bit", "x-unknown", "x-user-defined", "default"}

PYTHON_ONLY_CODECS = {
    "idna",
    "punycode",
    "undefined",
    "unicode-escape",
    "raw-unicode-escape",
}

# C0 control characters other than tab, line feed, form feed and carriage
# return. Text in which more than 1% of characters are these is binary data.
CONTROL_CHARS = frozenset(chr(c) for c in range(32)) - set("\t\n\f\r")
MAX_CONTROL_RATIO = 0.01


class UnreadableMessage(Exception):
    """An error meaning the message cannot be filtered. Its text is the hold reason."""


class UndecodableText(ValueError):
    """An error meaning a text part cannot be decoded. Its text is the hold reason."""


@dataclass(frozen=True)
class TextPart:
    """A decoded text body, whose `subtype` is "plain" or "html"."""

    subtype: str
    text: str


@dataclass(frozen=True)
class OpaquePart:
    """A part that is not a text body: an attachment, image, signature or similar."""

    content_type: str
    filename: str = ""
    smime_type: str = ""


@dataclass(frozen=True)
class UnreadablePart:
    """A text body whose bytes could not be decoded."""

    content_type: str
    reason: str


@dataclass(frozen=True)
class Multipart:
    """A multipart entity, whose `subtype` is the part after "multipart/"."""

    subtype: str
    parts: tuple[Node, ...]


Node = TextPart | OpaquePart | UnreadablePart | Multipart


@dataclass(frozen=True)
class Draft:
    """The message body as it moves through the pipeline steps.

    `notices` contains one line per removed file. The last step adds them to
    the text parts.
    """

    body: Node
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepResult:
    """A step's output: the new draft, what it removed, and any hold reasons."""

    draft: Draft
    findings: tuple[Finding, ...] = ()
    hold_reasons: tuple[str, ...] = ()


Step = Callable[[Draft, FilterContext], StepResult]


# Parsing and limits


def parse_message(raw: bytes) -> Message:
    """Parse `raw` leniently; raise UnreadableMessage if it nests too deeply."""
    try:
        return email.message_from_bytes(raw, policy=email.policy.compat32)
    except RecursionError:
        # The parser recurses once per nested multipart, so a deep enough
        # nest exhausts the stack before check_limits can measure it.
        raise UnreadableMessage(
            f"The message nests MIME parts more than {MAX_DEPTH} levels deep."
        ) from None


def check_limits(message: Message) -> None:
    """Raise UnreadableMessage if the message nests too deeply or has too many parts."""
    depth, count = measure(message)
    if depth > MAX_DEPTH:
        raise UnreadableMessage(
            f"The message nests MIME parts {depth} levels deep, "
            f"more than the limit of {MAX_DEPTH}."
        )
    if count > MAX_PARTS:
        raise UnreadableMessage(
            f"The message has {count} MIME parts, more than the limit of {MAX_PARTS}."
        )


def measure(message: Message) -> tuple[int, int]:
    """Return the nesting depth and the part count, without recursion."""
    max_depth = 0
    count = 0
    stack: list[tuple[Message, int]] = [(message, 1)]
    while stack:
        part, depth = stack.pop()
        count += 1
        max_depth = max(max_depth, depth)
        if count > MAX_PARTS or max_depth > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in _children(part))
    return max_depth, count


def _children(part: Message) -> list[Message]:
    try:
        payload = part.get_payload()
    except (LookupError, ValueError):
        # The email package decodes a non-multipart payload by its charset
        # here, which fails on a charset name with a NUL byte in it.
        return []
    if not isinstance(payload, list):
        return []
    return [child for child in payload if isinstance(child, Message)]


# Reading the tree


def read_body(message: Message) -> Node:
    """Turn a parsed message into a tree of decoded text and opaque parts.

    Call `check_limits` first, because this recurses once per nesting level.
    """
    content_type = message.get_content_type()
    children = _children(message)
    if content_type.startswith("multipart/") and children:
        subtype = content_type.partition("/")[2]
        return Multipart(subtype, tuple(read_body(child) for child in children))
    if not is_text_body(message):
        return _read_opaque(message)
    try:
        text = decode_part(message)
    except UndecodableText as exc:
        return UnreadablePart(content_type, str(exc))
    return TextPart(_text_subtype(content_type), text)


def _read_opaque(part: Message) -> OpaquePart:
    # Many clients put RFC 2047 encoded words in file names, and
    # get_filename returns them undecoded.
    filename = decode_header_text(part.get_filename() or "")
    smime_type = part.get_param("smime-type")
    if smime_type is None:
        return OpaquePart(part.get_content_type(), filename)
    value = email.utils.collapse_rfc2231_value(smime_type)
    return OpaquePart(part.get_content_type(), filename, value.lower())


def is_text_body(part: Message) -> bool:
    """Return whether a leaf part is a text body rather than an attachment.

    A text body is text/plain or text/html with no file name and no
    "attachment" disposition (RFC 2183). A multipart with no usable boundary
    is read as plain text, because the parser could not split it.
    """
    content_type = part.get_content_type()
    is_text = content_type in ("text/plain", "text/html")
    if not is_text and not content_type.startswith("multipart/"):
        return False
    if part.get_filename():
        return False
    return part.get_content_disposition() != "attachment"


def _text_subtype(content_type: str) -> str:
    return "html" if content_type == "text/html" else "plain"


# The transfer encodings that Python's email package decodes. With any
# other ("x-gzip64"), get_payload returns the encoded bytes unchanged, and
# the filters would pass text that the recipient's program may decode.
KNOWN_TRANSFER_ENCODINGS = frozenset(
    """
    7bit 8bit binary quoted-printable base64 uuencode x-uuencode uue x-uue
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def decode_part(part: Message) -> str:
    """Decode a text part's transfer encoding and charset."""
    # Compared as get_payload compares it, so " base64 " counts as unknown.
    encoding = str(part.get("content-transfer-encoding", "7bit")).lower()
    if encoding not in KNOWN_TRANSFER_ENCODINGS:
        raise UndecodableText(
            f"The {part.get_content_type()} part uses the unknown transfer"
            f" encoding {encoding[:40]!r}, so its text cannot be read."
        )
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    label = part.get_content_charset() or "us-ascii"
    text = decode_text(data, label)
    if _looks_binary(text):
        raise UndecodableText(
            f"The {part.get_content_type()} part contains binary data, not text."
        )
    reason = _misdeclared_charset(text, data, label)
    if reason is not None:
        raise UndecodableText(f"The {part.get_content_type()} part {reason}")
    return text


# Charsets of Latin script, in which English, Welsh and other European
# writing is mostly ASCII. Bytes of another charset read through one of
# them (EBCDIC cp500 read as ISO-8859-1) give mostly control characters,
# signs and accented letters, which the filters cannot read but the
# partner can decode back.
_LATIN_CHARSETS = frozenset(
    """
    us-ascii ascii iso-8859-1 latin1 latin-1 iso-8859-15 windows-1252 cp1252
    iso-8859-2 windows-1250 iso-8859-3 iso-8859-4 iso-8859-9 windows-1254
    iso-8859-13 windows-1257 iso-8859-14 iso-8859-16
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_MIN_CHARS_TO_JUDGE = 40
_MIN_ASCII_SHARE = 0.5
# A UTF-7 shifted sequence: "+" and base64 up to an optional "-".
_UTF7_SHIFT = re.compile(r"\+[A-Za-z0-9+/]{2,}-?")
_MIN_UTF7_SHIFTS = 3


def _is_mostly_foreign(text: str) -> bool:
    """Check for enough visible characters, less than half of them printable ASCII."""
    if text.isascii():
        return False
    visible = [char for char in text if not char.isspace()]
    ascii_chars = sum(char.isascii() and char.isprintable() for char in visible)
    return (
        len(visible) >= _MIN_CHARS_TO_JUDGE
        and ascii_chars < len(visible) * _MIN_ASCII_SHARE
    )


def _misdeclared_charset(text: str, data: bytes, label: str) -> str | None:
    """Return why `text` does not read as text in charset `label`, or None."""
    name = label.strip().lower()
    if name in _LATIN_CHARSETS and _is_mostly_foreign(text):
        # A file pasted as yEnc is mostly bytes above 0x7F too, and the
        # pasted-file step removes it, so only the text around it counts.
        from filters.pasted import strip_pasted_files  # pasted imports mime

        if _is_mostly_foreign(strip_pasted_files(text)[0]):
            return f"does not read as text in its declared charset {name[:40]!r}."
    if "utf-7" not in name and len(_UTF7_SHIFT.findall(text)) >= _MIN_UTF7_SHIFTS:
        try:
            shifted = data.decode("utf-7")
        except UnicodeError:
            return None
        if shifted != text:
            return f"declares the charset {name[:40]!r} but holds UTF-7 text."
    return None


def decode_text(data: bytes, label: str) -> str:
    """Decode `data` as charset `label`, trying known supersets if that fails.

    Raise UndecodableText if the charset is unknown and the bytes are not
    UTF-8, or if the bytes are invalid in the charset and its supersets.
    """
    label = label.strip().lower()
    codec = _lookup_codec(label)
    if codec is None:
        return _decode_unlabelled(data, label)

    for candidate in (codec, *SUPERSETS.get(codec, ())):
        try:
            return _replace_surrogates(data.decode(candidate))
        except UnicodeError:
            # Codecs such as idna raise UnicodeError, not UnicodeDecodeError.
            continue
    raise UndecodableText(f"A text part has bytes that are not valid {label}.")


def _lookup_codec(label: str) -> str | None:
    if label in UNLABELLED:
        return None
    try:
        info = codecs.lookup(ALIASES.get(label, label))
    except (LookupError, ValueError):
        # ValueError: a label with a NUL byte in it.
        return None
    # codecs.lookup also finds bytes-to-bytes codecs such as "base64" or
    # "zlib", and Python-only text codecs, none of which are MIME charsets.
    if not getattr(info, "_is_text_encoding", True):
        return None
    if info.name in PYTHON_ONLY_CODECS:
        return None
    return info.name


def _decode_unlabelled(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UndecodableText(
            f"A text part declares the unknown charset {label!r}."
        ) from None


def _looks_binary(text: str) -> bool:
    if "\0" in text:
        return True
    controls = sum(text.count(char) for char in CONTROL_CHARS)
    return controls > len(text) * MAX_CONTROL_RATIO


def _replace_surrogates(text: str) -> str:
    # Some decoders (utf-7, for one) can return lone surrogates, which
    # cannot be encoded as UTF-8 on the way out.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def read_subject(raw: bytes) -> str:
    """Return the decoded Subject of a raw message, or "" if it has none.

    RFC 2047 encoded words are decoded, and raw 8-bit UTF-8 is accepted as
    RFC 6532 allows. Line breaks and other control characters become spaces.
    """
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    return subject_of(headers)


def subject_of(message: Message) -> str:
    """Return the decoded Subject of a message from `parse_message`, as read_subject.

    Both parse the header block with the same parser, so a message that is
    parsed anyway needs no second parse for its Subject.
    """
    value = next(
        (value for name, value in message.raw_items() if name.lower() == "subject"),
        None,
    )
    if value is None:
        return ""
    return decode_header_text(value)


def decode_header_text(value: str) -> str:
    """Decode the encoded words and raw 8-bit UTF-8 in a header or parameter value.

    Line breaks and other control characters become spaces.
    """
    try:
        decoded = str(email.policy.default.header_fetch_parse("Subject", value))
    except Exception:
        # A broken header must not stop the pipeline.
        log.debug("header could not be decoded; using its raw text", exc_info=True)
        decoded = value.encode("utf-8", "replace").decode("utf-8")
    return "".join(map(_header_char, decoded)).strip()


def _header_char(char: str) -> str:
    """Return a space for a character that would break a header line.

    Control characters (C0, DEL and C1) and the Unicode line and paragraph
    separators all count, because `str.splitlines` splits on several of them.
    """
    if unicodedata.category(char) == "Cc" or char.splitlines() != [char]:
        return " "
    return char


# Walking and rewriting the tree


def iter_text_parts(node: Node) -> Iterator[TextPart]:
    """Yield every text part of the tree in document order."""
    if isinstance(node, TextPart):
        yield node
    elif isinstance(node, Multipart):
        for child in node.parts:
            yield from iter_text_parts(child)


def iter_leaves(node: Node) -> Iterator[Node]:
    """Yield every part of the tree that is not a multipart."""
    if isinstance(node, Multipart):
        for child in node.parts:
            yield from iter_leaves(child)
    else:
        yield node


def map_text_parts(node: Node, change: Callable[[TextPart], TextPart]) -> Node:
    """Return a copy of the tree with `change` applied to every text part."""
    if isinstance(node, TextPart):
        return change(node)
    if isinstance(node, Multipart):
        return replace(
            node, parts=tuple(map_text_parts(child, change) for child in node.parts)
        )
    return node


def map_counted_parts(
    node: Node, change: Callable[[TextPart], tuple[TextPart, int]]
) -> tuple[Node, int]:
    """Return a copy of the tree with `change` applied to every text part, and a count.

    `change` returns each part with the number of things it removed. The
    alternatives of multipart/alternative carry the same content, so such a
    multipart counts as its largest alternative, while other multiparts add up.
    """
    if isinstance(node, TextPart):
        return change(node)
    if not isinstance(node, Multipart):
        return node, 0

    results = [map_counted_parts(child, change) for child in node.parts]
    counts = [count for _, count in results]
    total = max(counts, default=0) if node.subtype == "alternative" else sum(counts)
    return replace(node, parts=tuple(child for child, _ in results)), total


def flatten(node: Multipart) -> Node | None:
    """Drop an empty multipart and replace one with a single child by that child."""
    if not node.parts:
        return None
    if len(node.parts) == 1:
        return node.parts[0]
    return node


# Building the output entity


def build_entity(body: Node) -> EmailMessage:
    """Build a deliverable MIME entity from a tree of text parts and multiparts.

    Only text parts and multiparts are built; other parts must be removed
    first. Multiparts other than alternative become mixed.
    """
    entity = _build(body, EmailMessage, inline=False)
    assert isinstance(entity, EmailMessage)
    if "MIME-Version" not in entity:
        entity["MIME-Version"] = "1.0"
    return entity


def _build(node: Node, factory: type[MIMEPart], inline: bool) -> MIMEPart:
    if isinstance(node, TextPart):
        return _build_text(node, factory, inline)
    if isinstance(node, Multipart):
        return _build_multipart(node, factory)
    raise TypeError(f"cannot build a deliverable part from {node!r}")


def _build_text(part: TextPart, factory: type[MIMEPart], inline: bool) -> MIMEPart:
    entity = factory(policy=email.policy.SMTP)
    entity.set_content(
        part.text,
        subtype=part.subtype,
        charset="utf-8",
        cte=choose_transfer_encoding(part.text),
        disposition="inline" if inline else None,
    )
    return entity


def _build_multipart(node: Multipart, factory: type[MIMEPart]) -> MIMEPart:
    subtype = "alternative" if node.subtype == "alternative" else "mixed"
    entity = factory(policy=email.policy.SMTP)
    # Quoted-printable writes "=" only as "=3D" or a soft line break, and
    # base64 has no "_", so this boundary cannot occur in any child's body.
    boundary = f"=_{uuid.uuid4().hex}"
    entity["Content-Type"] = f'multipart/{subtype}; boundary="{boundary}"'
    for child in node.parts:
        entity.attach(_build(child, MIMEPart, inline=subtype == "mixed"))
    return entity


def choose_transfer_encoding(text: str) -> str:
    """Return "quoted-printable" for mostly ASCII text, else "base64"."""
    if text.isascii():
        return "quoted-printable"
    # Every non-ASCII character takes two to four bytes in UTF-8.
    extra_bytes = len(text.encode("utf-8")) - len(text)
    return "base64" if extra_bytes * 2 > len(text) else "quoted-printable"


# Steps that hold a message the pipeline cannot filter


def hold_oversized_text(draft: Draft, context: FilterContext) -> StepResult:
    """Hold a message whose text parts together exceed MAX_TEXT_CHARS."""
    size = sum(len(part.text) for part in iter_text_parts(draft.body))
    if size <= MAX_TEXT_CHARS:
        return StepResult(draft)
    reason = (
        f"The message has {size} characters of text, "
        f"more than the limit of {MAX_TEXT_CHARS}."
    )
    return StepResult(draft, hold_reasons=(reason,))


def hold_unreadable_parts(draft: Draft, context: FilterContext) -> StepResult:
    """Hold a message with a text part whose charset or bytes are unreadable."""
    reasons = tuple(
        leaf.reason
        for leaf in iter_leaves(draft.body)
        if isinstance(leaf, UnreadablePart)
    )
    return StepResult(draft, hold_reasons=reasons)
