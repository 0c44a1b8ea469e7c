"""Pieces of a phone number or postcode spread over one message, or a few.

A sender can give a mobile number in pieces that no filter reads as a
number: "ends in 900123, starts with 07700", "my number starts 07700. I'm
in year 9. It ends 900123.", or "0770", "0900" and "123" on lines of their
own. Postcodes go the same way: "LS6 is the first bit and 2AB is the
second". The text filters read a number or a postcode where it is written
whole, and filters.junctions joins only the edges of the subject, the body
and earlier messages, so such pieces reach the partner.

This step runs on the delivered text, after every other step, so whole
numbers are already placeholders. It collects the groups of digits or
number words left in the subject and every text part, and those in the
ends of the earlier messages (`FilterContext.previous_tail`: the sender's
recent messages and the partner's latest message to the sender).
It removes a group that starts a UK mobile ("07700") together with the
groups that complete its eleven digits. A start of five or six digits
counts alone, and a shorter one ("0770") only with a word about numbers
nearby. A group from an earlier message cannot be taken back, so the
pieces in this message are removed and the split is flagged for the
safeguarding officer. The two halves of a UK postcode, and a house number
and a street given apart, are treated the same way, and so is a postcode
spelled with a word for each letter ("L for Leeds", "Lima Sierra").

NOTE: only UK mobiles, UK postcodes and house number with street are
pieced together. A landline or a foreign number given in pieces still gets
through, and so do pieces spread over more than the earlier messages' ends.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from filters.base import FilterContext, Finding
from filters.html import extract_text
from filters.junctions import KIND as SPLIT_KIND
from filters.junctions import SEVERITY as SPLIT_SEVERITY
from filters.junctions import Joined, is_labelled_number
from filters.mime import TextPart, iter_text_parts, map_text_parts
from filters.phones import spelled_digit_runs
from filters.postal import (
    house_and_street_apart,
    is_uk_postcode,
    nato_letter,
    postcode_halves_apart,
)

log = logging.getLogger(__name__)

PHONE_PLACEHOLDER = "[phone number removed]"
POSTCODE_PLACEHOLDER = "[postcode removed]"
ADDRESS_PLACEHOLDER = "[address removed]"

# A group of 3 to 7 digits standing alone: not part of a longer number, a
# decimal, a time, a date, a price, a percentage or a word.
_DIGIT_GROUP = re.compile(r"(?<![\w.,:/£$€+#-])\d{3,7}(?![\w%:/]|[.,]\d|-\d)")
_MIN_GROUP_DIGITS = 3
_MAX_GROUP_DIGITS = 7
_MOBILE_DIGITS = 11
_MOBILE_START = "07"
# A start this long is a phone number's start whatever the words around it.
_MIN_UNCUED_START = 5
# Words that tie short pieces to a phone number. The phrases read lower-case
# text.
_PHONE_CUES = re.compile(
    r"\b(?:number|num|no|digits|mobile|mob|phone|cell|ring|call|text|txt"
    r"|whatsapp|starts?|ends?|ending|begins?|rest|bit|bits|part|half|first"
    r"|last|then)\b"
)
_CUE_WINDOW = 60
# A start given alone needs a word about phones, not just any "number is":
# "my locker number is 07342" names no phone.
_LONE_START_CUES = re.compile(
    r"\b(?:mobile|mob|phone|cell|ring|call|text|txt|whatsapp|digits"
    r"|my (?:number|num|no)|(?:starts?|begins?)(?: with)?"
    r"|first (?:bit|part|half|digits))\b"
)
# Words that correct a number just removed: "07700 900124 sorry, it's 900123".
_CORRECTION_CUES = re.compile(
    r"\b(?:sorry|typo|wait|actually|i mean|meant|correction|oops|wrong)\b"
)
# How far after a removed number, in characters, a correction may stand.
_CORRECTION_WINDOW = 80
# The rest of a number whose start an earlier message lost: a group of at
# least this many digits near a word about numbers or at the top of a text.
_MIN_REST_DIGITS = 5
_TOP_CHARS = 20
# The farthest, in characters, that a piece may stand from a start in the
# same text, the most groups tried with one start and the most starts
# tried, which bound the pairs tried in a long table of numbers.
_MAX_PIECE_DISTANCE = 400
_MAX_PARTNERS = 40
_MAX_STARTS = 20
# How far apart, in characters, short pieces with no such word may stand.
_MAX_UNCUED_SPREAD = 40

# The two halves of a UK postcode, each alone: "LS6" and "2AB".
_OUTWARD = re.compile(r"(?<![\w-])[A-Z]{1,2}[0-9][A-Z0-9]?(?![\w-])")
_INWARD = re.compile(r"(?<![\w-])[0-9][ABD-HJLNP-UW-Z]{2}(?![\w-])")
# A text this short that contains half a postcode is a note, not a timetable.
SHORT_NOTE_CHARS = 40
_POSTCODE_CUES = re.compile(
    r"\b(?:post ?code"
    r"|(?:first|second|other|last|start|end|beginning) (?:bit|half|part))\b"
)
_POSTCODE_CUE_WORDS = ("code", "bit", "half", "part")
# filters.postal pairs halves at most 200 characters apart, so a half
# further into a body than this cannot pair with one before the body.
_HALVES_HEAD_CHARS = 220


@dataclass(frozen=True)
class Piece:
    """A piece of a detail to remove: its text, the detail's kind and why."""

    text: str
    kind: str
    reason: str


SPREAD_PHONE = (
    "Pieces of a phone number were spread over this message or the sender's"
    " earlier messages."
)
LONE_START = (
    "The start of a mobile number was given alone, and the rest may follow in"
    " another message."
)
REST_AFTER_REMOVAL = (
    "This message may continue a phone number already removed from the"
    " sender's earlier messages."
)
CORRECTION = "Digits right after a removed phone number may correct or finish it."
SPREAD_ADDRESS = (
    "A house number and a street were given apart, in the subject and the"
    " body or in this message and the sender's earlier messages."
)
SPREAD_POSTCODE = (
    "The two halves of a postcode were given apart in this message or the"
    " earlier messages of the conversation."
)
SPELLED_POSTCODE = (
    "A postcode was spelled out with words for its letters, such as"
    ' "L for Leeds" or "Lima".'
)


def remove_pieces(joined: Joined, context: FilterContext) -> Joined:
    """Replace the pieces of phone numbers and postcodes spread over the message."""
    texts = [joined.subject, *(_visible_text(part) for part in _parts(joined))]
    earlier = context.previous_tail
    pieces = [
        *find_phone_pieces(texts, earlier),
        *find_postcode_pieces(texts, earlier),
        *find_spelled_postcodes(texts, earlier),
        *find_address_pieces(texts, earlier),
    ]
    if not pieces:
        return joined

    kinds = dict.fromkeys(piece.kind for piece in pieces)
    reasons = dict.fromkeys(piece.reason for piece in pieces)
    findings = [Finding(kind, "message") for kind in kinds]
    findings.extend(
        Finding(SPLIT_KIND, "message", detail=reason, severity=SPLIT_SEVERITY)
        for reason in reasons
    )
    log.debug("removing %d pieces of split details", len(pieces))
    subject = _replace_pieces(joined.subject, pieces)
    body = map_text_parts(
        joined.draft.body,
        lambda part: replace(part, text=_replace_pieces(part.text, pieces)),
    )
    result = replace(
        joined,
        subject=subject,
        draft=replace(joined.draft, body=body),
        findings=(*joined.findings, *findings),
    )
    # In HTML a tag or an entity inside a piece ("07<b>700</b>") hides it
    # from the replacement, so a piece still visible holds the message.
    if any(_still_visible(part, pieces) for part in _parts(result)):
        log.debug("a piece of a split detail could not be removed")
        reason = (
            f"{next(iter(reasons))} The relay could not remove every piece "
            "from the HTML version."
        )
        return replace(result, hold_reasons=(*result.hold_reasons, reason))
    return result


def _still_visible(part: TextPart, pieces: list[Piece]) -> bool:
    """Check whether the visible text of `part` still contains one of `pieces`."""
    visible = _visible_text(part)
    return any(
        re.search(_PIECE_PATTERNS[piece.kind].format(re.escape(piece.text)), visible)
        for piece in pieces
    )


def find_phone_pieces(texts: list[str], earlier: str) -> list[Piece]:
    """Return the digit groups of `texts` that together with others make a mobile.

    Groups in `earlier` may complete a number, but only the groups of
    `texts` are returned, because only they can still be removed.
    """
    own = [group for text in texts for group in _digit_groups(text)]
    if not own:
        return []
    previous = list(_digit_groups(earlier))
    found = _split_numbers(own, previous)
    for piece in _rests_after_removal(own, earlier):
        found.setdefault(piece.text, piece)
    return list(found.values())


def _split_numbers(own: list[_Group], previous: list[_Group]) -> dict[str, Piece]:
    """Return the own groups that start a mobile or complete one, by text."""
    own_ids = {id(group) for group in own}
    found: dict[str, Piece] = {}
    starts = [g for g in [*own, *previous] if g.digits.startswith(_MOBILE_START)]
    for start in starts[:_MAX_STARTS]:
        rest = _completion(start, own, previous)
        if rest is not None and _is_plausible(start, rest):
            pieces = [start, *rest]
            reason = SPREAD_PHONE
        elif _is_cued_start(start) and id(start) in own_ids:
            # "my number starts 07700": the rest may come in a later message.
            pieces = [start]
            reason = LONE_START
        else:
            continue
        for group in pieces:
            if id(group) in own_ids:
                found.setdefault(group.written, Piece(group.written, "phone", reason))
    return found


def _rests_after_removal(own: list[_Group], earlier: str) -> Iterator[Piece]:
    """Yield the groups that may finish or correct a number already removed.

    The earlier messages may have lost a number or its start, so its rest
    may come now: "bit 2: 900123", or 900123 alone at the top. In the same
    text, "07700 900124 sorry typo, last bit is 900123" loses the number
    but not the correction after it.
    """
    removed_before = PHONE_PLACEHOLDER in earlier
    for group in own:
        if len(group.digits) < _MIN_REST_DIGITS:
            continue
        if removed_before and (_has_cue_near(group) or group.start <= _TOP_CHARS):
            yield Piece(group.written, "phone", REST_AFTER_REMOVAL)
        elif _corrects_removed_number(group):
            yield Piece(group.written, "phone", CORRECTION)


def _corrects_removed_number(group: _Group) -> bool:
    """Check for a removed number just before `group` and a cue word near it.

    The placeholder itself contains "number", so only the words between it
    and the group, and those after the group, are read for a cue.
    """
    text = group.text
    window_start = max(0, group.start - _CORRECTION_WINDOW)
    placeholder = text.rfind(PHONE_PLACEHOLDER, window_start, group.start)
    if placeholder < 0:
        return False
    end = group.start + len(group.written)
    words = text[placeholder + len(PHONE_PLACEHOLDER) : group.start]
    words += " " + text[end : end + _CUE_WINDOW]
    low = words.lower()
    return bool(_PHONE_CUES.search(low) or _CORRECTION_CUES.search(low))


def find_postcode_pieces(texts: list[str], earlier: str) -> list[Piece]:
    """Return the outward and inward codes of `texts` that pair into a postcode.

    Room and form codes ("M4", "9LB") pair by chance, so the halves count
    when the new message has a word such as "postcode" or "first bit", or
    when each half is all of its text (a subject "2AB" over a body "LS6"),
    or when the earlier messages have the word and every text that contains
    a half is a short note (SHORT_NOTE_CHARS).
    """
    own = "\n".join(texts)
    cued_here = _has_postcode_cue(own)
    cued_before = _has_postcode_cue(earlier)
    if cued_here or cued_before:
        joined = f"{own}\n{earlier}"
    else:
        # Without a cue only halves that are all of their text can pair, so
        # the other texts need no search.
        joined = "\n".join(text for text in texts if _is_half(text.strip()))
    outwards = {match.group() for match in _OUTWARD.finditer(joined)}
    inwards = {match.group() for match in _INWARD.finditer(joined)}
    holders = {half: _holders(half, texts) for half in outwards | inwards}
    found: dict[str, Piece] = {}
    for outward, inward in itertools.product(outwards, inwards):
        if not is_uk_postcode(outward, inward):
            continue
        halves = [half for half in (outward, inward) if holders[half]]
        if not halves:
            continue
        texts_with_halves = [text for half in halves for text in holders[half]]
        short = all(len(text.strip()) <= SHORT_NOTE_CHARS for text in texts_with_halves)
        # A subject "2AB" over a body "LS6": each half is all of its text.
        bare = len(halves) == 2 and all(
            text.strip() == half for half in halves for text in holders[half]
        )
        if cued_here or bare or (short and cued_before):
            for half in halves:
                found[half] = Piece(half, "postcode", SPREAD_POSTCODE)
    for half in _halves_after_earlier(texts, earlier):
        found.setdefault(half, Piece(half, "postcode", SPREAD_POSTCODE))
    return list(found.values())


def _halves_after_earlier(texts: list[str], earlier: str) -> Iterator[str]:
    """Yield the halves in `texts` that pair with a half before them, uncued.

    "the bus is the LS6 one" and then "and the rest is 2AB": the halves
    pass the guards filters.postal uses for halves apart in one text. The
    subject, then the start of each body text, is read after the earlier
    messages' ends. Halves in one body text were paired by filters.postal.
    """
    subject, *bodies = texts
    before = f"{earlier}\n{subject}" if earlier else subject
    first_new = len(before) - len(subject)
    for body in bodies or [""]:
        window = f"{before}\n{body[:_HALVES_HEAD_CHARS]}"
        for start, end in postcode_halves_apart(window):
            if start >= first_new:
                yield window[start:end]


def _has_postcode_cue(text: str) -> bool:
    # Every cue contains one of these words, and a search for them is much
    # faster than the pattern over a long text.
    low = text.lower()
    if not any(word in low for word in _POSTCODE_CUE_WORDS):
        return False
    return _POSTCODE_CUES.search(low) is not None


def _is_half(text: str) -> bool:
    return bool(_OUTWARD.fullmatch(text) or _INWARD.fullmatch(text))


def _holders(half: str, texts: list[str]) -> list[str]:
    """Return the texts that contain `half` as a word of its own."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(half)}(?![\w-])")
    return [text for text in texts if pattern.search(text)]


def find_spelled_postcodes(texts: list[str], earlier: str) -> list[Piece]:
    """Return the postcodes of `texts` spelled with a word for each letter.

    "L for Leeds, S for Sam, 6 like my age, then 2 A B" and "Lima Sierra
    six two Alpha Bravo" read as LS6 2AB. Each text is read after the
    earlier messages' ends, so "LS6" there and "2 Alpha Bravo" here count
    too, and only the part in this message is returned.
    """
    found: dict[str, Piece] = {}
    for text in texts:
        if _SPELLING_GATE.search(text) is None:
            continue
        before = f"{earlier}\n" if earlier else ""
        joined = before + text
        for spelled in _spelled_postcodes(joined):
            new = [chars for chars in spelled if chars.start >= len(before)]
            if new:
                piece = joined[new[0].start : new[-1].end]
                found.setdefault(piece, Piece(piece, "postcode", SPELLED_POSTCODE))
    return list(found.values())


# A letter named by a word: "L for Leeds", "S as in Sam".
_LETTER_FOR_WORD = r"\b[A-Za-z] (?:for|as in) [A-Za-z]+\b"
_SPELLING_GATE = re.compile(
    rf"{_LETTER_FOR_WORD}|\b(?i:alpha|alfa|bravo|charlie|delta|echo|foxtrot"
    r"|golf|hotel|india|juliett?|kilo|lima|mike|november|oscar|papa|quebec"
    r"|romeo|sierra|tango|uniform|victor|whiske?y|xray|yankee|zulu)\b"
)
# A clause break, a letter named by a word, or any other word.
_SPELLING_TOKEN = re.compile(
    rf"(?P<stop>[,;:!?\n]|\b(?:then|and|followed by)\b)"
    rf"|(?P<named>{_LETTER_FOR_WORD})"
    r"|(?P<word>[\w']+)"
)
_SPELLED_DIGITS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine".split()  # noqa: SIM905
    )
}
# A chunk of a postcode written plainly: "LS6", "2", "A".
_PLAIN_CHUNK = re.compile(r"[A-Z0-9]{1,4}")
# Words after the characters of a clause that explain them ("6 like my age
# when I moved"). A longer aside ends the spelling.
_MAX_ASIDE_WORDS = 8
_POSTCODE_CHARS = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")


@dataclass(frozen=True)
class _Spelled:
    """Characters of a postcode read from one word or "X for Word"."""

    chars: str
    start: int
    end: int
    # Whether a word names the letter ("L for Leeds", "Lima"), not a plain
    # letter or digit.
    named: bool


def _spelled_postcodes(text: str) -> Iterator[list[_Spelled]]:
    """Yield the postcodes spelled in runs of clauses.

    Characters run on over clause breaks, and each clause may add an aside
    after its characters. Words before a clause's first characters, or an
    aside longer than _MAX_ASIDE_WORDS, end the run.
    """
    run: list[_Spelled] = []
    clause_has_chars = False
    aside_words = 0
    for token in _SPELLING_TOKEN.finditer(text):
        if token["stop"] is not None:
            clause_has_chars, aside_words = False, 0
            continue
        spelled = _spelled_characters(token)
        if spelled is not None and aside_words == 0:
            run.append(spelled)
            clause_has_chars = True
        elif not clause_has_chars:
            # Words before the first characters of a clause ("mine is LS6")
            # end the run, and the characters after them start a new one.
            yield from _postcodes_in_run(run)
            run = []
        elif aside_words < _MAX_ASIDE_WORDS:
            aside_words += 1
        else:
            yield from _postcodes_in_run(run)
            run, clause_has_chars, aside_words = [], False, 0
    yield from _postcodes_in_run(run)


def _spelled_characters(token: re.Match[str]) -> _Spelled | None:
    start, end = token.span()
    if token["named"] is not None:
        return _Spelled(token["named"][0].upper(), start, end, named=True)
    word = token["word"]
    letter = nato_letter(word)
    if letter is not None:
        return _Spelled(letter, start, end, named=True)
    digit = _SPELLED_DIGITS.get(word.lower())
    if digit is not None:
        return _Spelled(digit, start, end, named=False)
    if _PLAIN_CHUNK.fullmatch(word):
        return _Spelled(word, start, end, named=False)
    return None


def _postcodes_in_run(run: list[_Spelled]) -> Iterator[list[_Spelled]]:
    """Yield the longest postcodes in `run` that have at least one named letter."""
    first = 0
    while first < len(run):
        last = _longest_postcode_end(run, first)
        if last is None:
            first += 1
            continue
        yield run[first : last + 1]
        first = last + 1


def _longest_postcode_end(run: list[_Spelled], first: int) -> int | None:
    chars = ""
    found = None
    for last in range(first, len(run)):
        chars += run[last].chars
        if len(chars) > len("AA9A9AA"):
            break
        if not _POSTCODE_CHARS.fullmatch(chars):
            continue
        if not is_uk_postcode(chars[:-3], chars[-3:]):
            continue
        if any(spelled.named for spelled in run[first : last + 1]):
            found = last
    return found


def find_address_pieces(texts: list[str], earlier: str) -> list[Piece]:
    """Return the house numbers and street names of `texts` given apart.

    "my house number is 14", then "and the street is Acacia Avenue": each
    body text is read after the earlier messages' ends and after the
    subject (`texts[0]`), and the subject after the earlier messages' ends.
    What filters.postal finds apart in the subject or a body is returned.
    """
    subject, *bodies = texts
    pairs = [(earlier, text, False) for text in [subject, *bodies]]
    pairs.extend((subject, body, True) for body in bodies)
    found: dict[str, Piece] = {}
    for before, after, before_is_new in pairs:
        if not before.strip() or not after.strip():
            continue
        joined = f"{before}\n{after}"
        first_new = 0 if before_is_new else len(before) + 1
        for start, end in house_and_street_apart(joined):
            if start >= first_new:
                piece = joined[start:end]
                found.setdefault(piece, Piece(piece, "street_address", SPREAD_ADDRESS))
    return list(found.values())


@dataclass(frozen=True)
class _Group:
    """A group of digits or number words, with its offset and its text."""

    digits: str
    start: int
    text: str
    written: str


def _digit_groups(text: str) -> Iterator[_Group]:
    """Yield the groups of 3 to 7 digits that no label marks as something else."""
    for group in _all_digit_groups(text):
        if not is_labelled_number(text, group.start, group.start + len(group.written)):
            yield group


def _all_digit_groups(text: str) -> Iterator[_Group]:
    """Yield the groups of 3 to 7 digits, written in digits or in words."""
    for match in _DIGIT_GROUP.finditer(text):
        yield _Group(match.group(), match.start(), text, match.group())
    for start, end, digits in spelled_digit_runs(text):
        if _MIN_GROUP_DIGITS <= len(digits) <= _MAX_GROUP_DIGITS:
            yield _Group(digits, start, text, text[start:end])
    yield from _thousands_sums(text)


_UNIT_WORDS = {
    word: value
    for value, word in enumerate(
        (
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
        )
    )
} | {"oh": 0}
_TEEN_WORDS = {
    word: value + 10
    for value, word in enumerate(
        (
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        )
    )
}
_TENS_WORDS = {
    word: value * 10 + 20
    for value, word in enumerate(
        (
            "twenty",
            "thirty",
            "forty",
            "fifty",
            "sixty",
            "seventy",
            "eighty",
            "ninety",
        )
    )
}
_CARDINAL_WORDS = {**_UNIT_WORDS, **_TEEN_WORDS, **_TENS_WORDS, "hundred": 100}
_CARDINAL_WORD = "|".join(sorted(_CARDINAL_WORDS, key=len, reverse=True))
# Up to 999 in digits or words: "900", "nine hundred", "one two three".
_SMALL_NUMBER = rf"(?:\d{{1,3}}|(?:(?:{_CARDINAL_WORD}|and)\b[\s-]*){{1,6}})"
# A sum that hides six digits: "900k + 123", "nine hundred thousand plus 123".
_THOUSANDS_SUM = re.compile(
    rf"(?<![\w.,])(?P<high>{_SMALL_NUMBER})\s*(?:thousand|grand|k)\b\s*"
    rf"(?:\+|plus|and|add)\s*(?P<low>{_SMALL_NUMBER})(?![\w.,])",
    re.IGNORECASE,
)


def _thousands_sums(text: str) -> Iterator[_Group]:
    """Yield the sums of thousands and a rest, as the six digits they make."""
    lower = text.lower()
    if "k" not in lower and "thousand" not in lower and "grand" not in lower:
        return
    for match in _THOUSANDS_SUM.finditer(text):
        high = _small_number(match["high"])
        low = _small_number(match["low"])
        if high is None or low is None or not 0 < high < 1000 or low >= 1000:
            continue
        written = match.group().rstrip()
        yield _Group(f"{high}{low:03d}", match.start(), text, written)


def _small_number(written: str) -> int | None:
    """Return the value of "123", "nine hundred", or digit words "one two three"."""
    written = written.strip().lower()
    if written.isdigit():
        return int(written)
    words = [word for word in re.split(r"[\s-]+", written) if word and word != "and"]
    if not words or any(word not in _CARDINAL_WORDS for word in words):
        return None
    if len(words) > 1 and all(word in _UNIT_WORDS for word in words):
        return int("".join(str(_UNIT_WORDS[word]) for word in words))
    value = 0
    for word in words:
        if word == "hundred":
            value = max(value, 1) * 100
        else:
            value += _CARDINAL_WORDS[word]
    return value


def _is_plausible(start: _Group, rest: tuple[_Group, ...]) -> bool:
    """Check that a start and its completion read as one number's pieces.

    A start of five or six digits is one, and so is a shorter start with a
    word about numbers near it. Without such a word, the pieces must stand
    close together in one text: "0770", "0900" and "123" a line each.
    """
    if len(start.digits) >= _MIN_UNCUED_START or _has_cue_near(start):
        return True
    if any(group.text is not start.text for group in rest):
        return False
    offsets = [start.start, *(group.start for group in rest)]
    return max(offsets) - min(offsets) <= _MAX_UNCUED_SPREAD


def _is_cued_start(group: _Group) -> bool:
    if len(group.digits) < _MIN_UNCUED_START:
        return False
    return _has_cue_near(group, _LONE_START_CUES)


def _has_cue_near(group: _Group, cues: re.Pattern[str] = _PHONE_CUES) -> bool:
    low = max(0, group.start - _CUE_WINDOW)
    window = group.text[low : group.start + len(group.written) + _CUE_WINDOW]
    return cues.search(window.lower()) is not None


def _completion(
    start: _Group, own: list[_Group], previous: list[_Group]
) -> tuple[_Group, ...] | None:
    """Return one or two other groups whose digits complete `start` to a mobile.

    Single groups are tried before pairs, and at least one group of the new
    message must take part.
    """
    needed = _MOBILE_DIGITS - len(start.digits)
    others = [
        group
        for group in [*own, *previous]
        if group is not start and _is_near(start, group)
    ][:_MAX_PARTNERS]
    own_ids = {id(group) for group in own}
    for size in (1, 2):
        for combination in itertools.combinations(others, size):
            if sum(len(group.digits) for group in combination) != needed:
                continue
            involved = (start, *combination)
            if not any(id(group) in own_ids for group in involved):
                continue
            if any(group.digits.startswith(_MOBILE_START) for group in combination):
                continue
            return combination
    return None


def _is_near(start: _Group, group: _Group) -> bool:
    """Check that `group` is within reach of `start`, or in another text.

    A long table of numbers would otherwise give pairs to try without end.
    """
    if group.text is not start.text:
        return True
    return abs(group.start - start.start) <= _MAX_PIECE_DISTANCE


def _replace_pieces(text: str, pieces: Iterable[Piece]) -> str:
    for piece in pieces:
        pattern = _PIECE_PATTERNS[piece.kind]
        placeholder = _PLACEHOLDERS[piece.kind]
        text = re.sub(pattern.format(re.escape(piece.text)), placeholder, text)
    return text


_PIECE_PATTERNS = {
    "phone": r"(?<![\w.,:/£$€+#-]){}(?![\w%:/]|[.,]\d|-\d)",
    "postcode": r"(?<![\w-]){}(?![\w-])",
    "street_address": r"(?<![\w-]){}(?![\w-])",
}
_PLACEHOLDERS = {
    "phone": PHONE_PLACEHOLDER,
    "postcode": POSTCODE_PLACEHOLDER,
    "street_address": ADDRESS_PLACEHOLDER,
}


def _parts(joined: Joined) -> list[TextPart]:
    return list(iter_text_parts(joined.draft.body))


def _visible_text(part: TextPart) -> str:
    return extract_text(part.text) if part.subtype == "html" else part.text
