"""Find email addresses, including ones disguised to slip past a filter.

Plain addresses ("sam@example.com", "<sam@example.com>", "mailto:...") are
matched strictly. Disguised ones spell out the "@" or the dots: "sam [at]
example [dot] com", "sam (at) example (dot) com", "sam dot jones at example dot
com", "sam @ example.com", "sam(@)example.com". Because "at" and "dot" are
ordinary words, a disguised address counts only when it ends in a well-known
top-level domain, or names a webmail provider ("samj04 at gmail"). Addresses
on the relay's own domain are aliases and stay. An address encoded in base64
or hex (see filters.encoded), or written downwards with one or two characters
a line (see filters.normalise), is read decoded or with its lines joined.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from filters.base import FilterContext, Span
from filters.encoded import find_hidden
from filters.normalise import MatchingView
from filters.prefilter import (
    fold_case,
    letter_words,
    matches_after,
    matches_at,
    precedes_non_word,
    word_starts,
)

log = logging.getLogger(__name__)

# RFC 5322 atext plus dots, without "/", "?" and "&", which in mail text almost
# always belong to a URL around the address. A quoted local part ("sam
# home"@example.net, RFC 5322 3.4.1) and a domain literal (sam@[192.0.2.10],
# RFC 5321 4.1.3) are addresses too, and so is a doubled "@", which a
# reader repairs at a glance. The lookbehind and the possessive
# loops keep the scan linear: a match can only start where a run of address
# characters or a quoted local part starts.
_LOCAL_CHAR = r"[\w.!#$%'*+=^`{|}~-]"
_MAX_QUOTED_LOCAL = 64
_PLAIN_ADDRESS = re.compile(
    rf"(?P<mailto>mailto:)?(?<!{_LOCAL_CHAR})"
    rf'(?P<local>"[^"\r\n]{{1,{_MAX_QUOTED_LOCAL}}}"|{_LOCAL_CHAR}++)'
    r"@{1,2}(?P<domain>\[(?:IPv6:[0-9a-f:.]{2,45}|\d{1,3}(?:\.\d{1,3}){3})\]"
    r"|[\w-]++(?:\.[\w-]++)++)",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")

# Spelled-out separators. Bracketed forms may have spaces inside and around
# them, and "-at-", "*at*" or "=at=" count as bracketed. The bare words need
# spaces on both sides. "#" and "*" stand for "@" as well, and so do "at sign" and
# "at symbol". Dots in the domain may have spaces around them ("example .
# com"); the spaced form is checked after the match, because after a bare
# "at" it is usually the end of a sentence.
_OPEN = r"[\[({<*=-]"
_CLOSE = r"[\])}>*=-]"
# The Spanish, French and German words for "@" and for the dot. "(a)" stands
# for "@" only inside real brackets, because "-a-" and "*a*" occur in prose.
_FOREIGN_AT_WORDS = ("arroba", "arobase", "klammeraffe")
_FOREIGN_DOT = r"\s+(?:punto|point|punkt)\s+"
_AT = (
    rf"(?:\s*{_OPEN}\s*(?:at|@|#)\s*{_CLOSE}\s*|\s*[\[(]\s*a\s*[\])]\s*"
    r"|\s+at(?:[\s-]?(?:sign|symbol)|\s+the)?\s+|\s+(?:arroba|arobase|klammeraffe)\s+"
    r"|\s*(?:@{1,2}|#|\*)\s*)"
)
_DOT = rf"(?:\s*{_OPEN}\s*dot\s*{_CLOSE}\s*|\s+dot\s+|{_FOREIGN_DOT}|\.)"
_DOMAIN_DOT = rf"(?:\s*{_OPEN}\s*dot\s*{_CLOSE}\s*|\s+dot\s+|{_FOREIGN_DOT}|\s?\.\s?)"
_WORD = r"[\w'+-]++"
_DISGUISED_ADDRESS = re.compile(
    rf"(?<![\w.@])(?P<local>{_WORD}(?:{_DOT}{_WORD})*+)"
    rf"(?P<at>{_AT})(?P<domain>{_WORD}(?:{_DOMAIN_DOT}{_WORD})++)",
    re.IGNORECASE,
)
_DOT_SPLIT = re.compile(_DOMAIN_DOT, re.IGNORECASE)
_SPACED_DOT = re.compile(r"\s\.|\.\s")
_SPELLED_DOT = re.compile(rf"{_OPEN}\s*dot\s*{_CLOSE}|\sdot\s", re.IGNORECASE)

# Top-level domains a disguised address must end with. An exhaustive list
# would let prose such as "meet at the dot of noon" through ("of" is no TLD,
# but many short words are).
_KNOWN_TLDS = frozenset(
    """
    com org net edu gov mil int info biz io co me uk ie us ca au nz de fr es it nl
    be ch at se no dk fi pl pt eu in sg hk za app dev online site xyz email live
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_LONGEST_KNOWN_TLD = max(len(tld) for tld in _KNOWN_TLDS)
# Words that often come before "at" in prose about a website: "look at
# bbc.co.uk" is a reading tip, not the address look@bbc.co.uk.
_PROSE_BEFORE_AT = frozenset(
    """
    look looking looked me us him her them it this that here there i'm im is are
    was were am be been online available meet see visit find found work working
    works stay staying shop study studying read and or but not only just
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# The word right before a spelled-out address, ending with one space.
_MAX_NAME_WORD = 20
_WORD_BEFORE = re.compile(r"(?<![\w'.-])([^\W\d_][\w'-]*) $")
# Words that come before an address in a sentence, never inside its name.
_NOT_NAME_WORDS = _PROSE_BEFORE_AT | frozenset(
    """
    a an the my your his our their its it's to on at via is me email e-mail mail
    address add contact reach write message try use new old personal private
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Providers whose domain alone marks "name at domain" as an address.
_WEBMAIL_DOMAINS = frozenset(
    """
    gmail.com googlemail.com hotmail.com hotmail.co.uk outlook.com live.com
    live.co.uk yahoo.com yahoo.co.uk icloud.com me.com aol.com protonmail.com
    proton.me btinternet.com sky.com
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# "samj04 at gmail": a provider's name without its domain still gives the
# address away. NOTE: this also removes "Sam at Yahoo" written about a person
# who works there, unless the word before "at" is in _PROSE_BEFORE_AT.
_WEBMAIL_NAMES = (
    "gmail|googlemail|hotmail|outlook|yahoo|icloud|protonmail|proton|btinternet"
)
_webmail_names = frozenset(_WEBMAIL_NAMES.split("|"))
_PROVIDER_ADDRESS = re.compile(
    rf"(?<![\w.@])(?P<local>{_WORD}(?:{_DOT}{_WORD})*+)\s+at\s+"
    rf"(?:{_WEBMAIL_NAMES})\b(?!\s?(?:\.|dot\b|[\[({{<]))",
    re.IGNORECASE,
)


# _DISGUISED_ADDRESS runs only when the text has what a kept match needs.
# That is a bracketed "at", or an "@" with a space beside it or a spelled-out
# dot after it, or a "#" before a domain. Or it is a bare "at" followed by a
# spelled-out dot, a webmail domain, or a domain with a dot and no space
# beside it. The checks read text from prefilter.fold_case.
_BRACKETED_AT = re.compile(rf"{_OPEN}\s*(?:at|@|#)\s*{_CLOSE}|[\[(]\s*a\s*[\])]")
_OPENING_BRACKETS = "[({<*=-"
# Whitespace must come before "at"; `_follows_space` checks it, because a
# pattern that starts with the literal "at" scans fastest.
_AT_DOTTED_DOMAIN = re.compile(
    r"at\s+(?:(?:sign|symbol)\s+)?[\w'+-]+\.[\w'+-]|at[\s-]?(?:sign|symbol)\s"
)
# "@gmail . com": a dot with a space beside it in a domain after "@".
_AT_SPACED_DOT = re.compile(r"@[\w-]+(?:\s\.|\.\s)")
# Words that stand for "@" on their own, so their presence starts the scan.
_SPELLED_AT_WORDS = frozenset(["atsign", "atsymbol", *_FOREIGN_AT_WORDS])
_HASH_BEFORE_DOMAIN = re.compile(r"[#*]\s*[\w'+-]+\s?(?:\.|\S?dot\b)")
_MAILTO = re.compile("mailto:", re.IGNORECASE)
_WEBMAIL_LABELS = tuple(
    (domain, tuple(domain.split("."))) for domain in sorted(_WEBMAIL_DOMAINS)
)
# The domains filed under their first label, which a text that names the
# domain contains as a word, so that a lookup tries only those domains.
_WEBMAIL_LABELS_BY_FIRST = {
    first: [
        (domain, labels) for domain, labels in _WEBMAIL_LABELS if labels[0] == first
    ]
    for first in {labels[0] for _, labels in _WEBMAIL_LABELS}
}


class EmailFilter:
    """Remove email addresses that are not the relay's own aliases."""

    kind = "email"
    placeholder = "[email address removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        relay_domain = context.relay_domain.lower()
        spans = _written_addresses(text, relay_domain, self.kind)
        spans.extend(
            find_hidden(
                text,
                lambda hidden: _written_addresses(hidden, relay_domain, self.kind),
                self.kind,
            )
        )
        return spans


def _written_addresses(text: str, relay_domain: str, kind: str) -> list[Span]:
    """Find the addresses written in `text` itself, in any of the forms above."""
    starts = _plain_address_starts(text)
    spans = _plain_addresses(text, starts, relay_domain, kind)
    spans.extend(_disguised_addresses(text, relay_domain, kind))
    spans.extend(_spaced_out_addresses(text, relay_domain, kind))
    spans.extend(_provider_handles(text, kind))
    spans.extend(_described_addresses(text, kind))
    spans.extend(_glued_at_addresses(text, relay_domain, kind))
    spans.extend(_reversed_addresses(text, starts, kind))
    spans.extend(_line_broken_addresses(text, starts, relay_domain, kind))
    windows = _windows_before_tlds(text)
    spans.extend(_respelled_addresses(text, windows, relay_domain, kind))
    spans.extend(_handle_and_domain_apart(text, windows, relay_domain, kind))
    spans.extend(_mailbox_then_domain(text, kind))
    return spans


def find_altered_relay_addresses(
    text: str, view: MatchingView, context: FilterContext
) -> list[Span]:
    """Find addresses on the relay's domain that `text` writes with other characters.

    The matching view reads "sam@rel\u0430y.example.org" (with a Cyrillic
    "\u0430") as the relay's domain, so EmailFilter keeps it as an alias. Mail
    to the address as written goes to another domain, so it is removed like
    any other address. The spans are offsets in `view.text`.
    """
    if view.text == text:
        return []
    relay_domain = context.relay_domain.lower()
    spans = []
    starts = _plain_address_starts(view.text)
    for match in matches_at(_PLAIN_ADDRESS, view.text, starts):
        domain = _trim_domain(match.group("domain"))
        if domain is None or domain.lower() != relay_domain:
            continue
        end = match.start("domain") + len(domain)
        written = view.original_span(Span(match.start("domain"), end, EmailFilter.kind))
        if text[written.start : written.end] != view.text[match.start("domain") : end]:
            spans.append(Span(match.start("local"), end, EmailFilter.kind))
    return spans


def _plain_addresses(
    text: str, starts: list[int], relay_domain: str, kind: str
) -> list[Span]:
    spans: list[Span] = []
    for match in matches_at(_PLAIN_ADDRESS, text, starts):
        domain = _trim_domain(match.group("domain"))
        if domain is None or domain.lower() == relay_domain:
            continue
        if _is_scaled_image_name(domain):
            continue
        if _is_service_address(text, match, domain):
            continue
        start = _skip_leading_punctuation(text, match.start("local"), match)
        end = match.start("domain") + len(domain)
        end = _extend_over_query(text, end) if match.group("mailto") else end
        start, end = _widen_over_brackets(text, start, end)
        spans.append(Span(start, end, kind))
    return spans


# Addresses that belong to a service, never to a person. "git@host" is the
# account that Git's SSH transport logs in as: "git@github.com:wickwax/shop.git"
# is a repository, and "ssh -T git@github.com" tests a key. A no-reply
# sender of a large service ("noreply@github.com") appears in pasted commit
# logs and notifications. Only these exact domains count, because a
# no-reply address on a domain of one's own would name that domain.
_GIT_USER = "git"
_SSH_PATH = re.compile(r":[\w~./-]")
_CODE_HOSTS = frozenset(
    ["github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "ssh.dev.azure.com"]
)
_NO_REPLY_USERS = frozenset(
    ["noreply", "no-reply", "donotreply", "do-not-reply", "notifications"]
)
_NO_REPLY_DOMAINS = _CODE_HOSTS | frozenset(
    ["google.com", "accounts.google.com", "microsoft.com", "apple.com", "gov.uk"]
)


def _is_service_address(text: str, match: re.Match[str], domain: str) -> bool:
    """Check whether an address is a Git remote or a large service's no-reply.

    NOTE: "git@" on any host counts when a path follows ("git@host:repo"),
    because that is an SSH remote, not a mailbox.
    """
    local = match.group("local").lower()
    domain = domain.lower()
    if local == _GIT_USER:
        end = match.start("domain") + len(domain)
        return domain in _CODE_HOSTS or _SSH_PATH.match(text, end) is not None
    return local in _NO_REPLY_USERS and domain in _NO_REPLY_DOMAINS


# The domain of an address broken over one or two line breaks, read from
# its "@": "sam.j04@exam\nple.net". An HTML part's text has a line break
# for each block element, so "<div>sam.j04@exam</div><div>ple.net</div>"
# reads the same way.
_BROKEN_DOMAIN = re.compile(
    r"@(?P<head>[\w.-]*)[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t]*"
    r"(?P<tail>\.?[\w-]+(?:\.[\w-]+)*)"
)


def _line_broken_addresses(
    text: str, starts: list[int], relay_domain: str, kind: str
) -> list[Span]:
    """Find an address whose domain runs on after a line break.

    Only a domain that is no domain before the break, and that ends with a
    top-level domain after it, counts. So "sam@example.net" at the end of a
    line leaves the next line alone.
    """
    if "\n" not in text:
        return []
    spans = []
    for start in starts:
        at = text.find("@", start)
        match = _BROKEN_DOMAIN.match(text, at)
        if match is None or _trim_domain(match.group("head")) is not None:
            continue
        head = match.group("head")
        domain = _trim_domain(head + match.group("tail"))
        if domain is None or len(domain) <= len(head) or "." not in domain:
            continue
        if domain.lower() == relay_domain:
            continue
        first = start
        while first < at and not _is_word_char(text[first]):
            first += 1
        end = match.start("tail") + len(domain) - len(head)
        spans.append(Span(first, end, kind))
    return spans


def _plain_address_starts(text: str) -> list[int]:
    """Return every position where a match of _PLAIN_ADDRESS can start.

    A match contains an "@" after a whole run of local-part characters, so it
    starts where that run starts, or at a "mailto:" right before the run.
    """
    starts = []
    at = text.find("@")
    while at != -1:
        start = _local_run_start(text, at)
        if start < at:
            starts.append(start)
            if start >= 7 and _MAILTO.fullmatch(text, start - 7, start):
                starts.append(start - 7)
        elif text[at - 1 : at] == '"':
            starts.append(_quoted_local_start(text, at - 1))
        at = text.find("@", at + 1)
    return starts


def _quoted_local_start(text: str, closing: int) -> int:
    """Return where the quoted local part that ends at `closing` opens.

    Returns `closing` itself, where no match can start, when no opening
    quote is close enough on the same line.
    """
    opening = text.rfind('"', max(0, closing - _MAX_QUOTED_LOCAL - 1), closing)
    if opening == -1 or "\n" in text[opening:closing]:
        return closing
    return opening


# A run of local-part characters, and one that may have "@" signs in it.
# `\w` matches what `str.isalnum` accepts, and "_".
_LOCAL_RUN = re.compile(rf"{_LOCAL_CHAR}*")
_LOCAL_OR_AT_RUN = re.compile(r"[\w.!#$%'*+=^`{|}~@-]*")
_FIRST_LOOK_BACK = 64


def _local_run_start(text: str, end: int) -> int:
    """Return where the run of local-part characters that ends at `end` starts.

    The run is matched forwards in the reversed text before `end`, which
    costs far less than a Python step per character.
    """
    window = _FIRST_LOOK_BACK
    while True:
        low = max(0, end - window)
        run = _LOCAL_RUN.match(text[low:end][::-1])
        length = run.end() if run else 0
        if length < end - low or low == 0:
            return end - length
        window *= 4


def _skip_leading_punctuation(text: str, start: int, match: re.Match[str]) -> int:
    """Return where the span starts: at "mailto:", or at the first word character.

    Quotes and asterisks are legal in a local part but far more often wrap the
    address ("'sam@example.com'", "*sam@example.com*").
    """
    if match.group("mailto"):
        return match.start()
    if text[start] == '"':
        # The quotes belong to a quoted local part ("sam home"@example.net).
        return start
    while start < match.end("local") and not _is_word_char(text[start]):
        start += 1
    return start


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


# The "@2x" of an image drawn for high-density screens: "logo@2x.png".
_SCALED_IMAGE = re.compile(
    r"[1-4](?:\.5)?x\.(?:png|jpe?g|gif|svg|webp|avif|tiff?|bmp|ico|heic)",
    re.IGNORECASE,
)


def _is_scaled_image_name(domain: str) -> bool:
    return _SCALED_IMAGE.fullmatch(domain) is not None


def _trim_domain(domain: str) -> str | None:
    """Return the domain without trailing junk, or None if it has no TLD.

    The pattern may swallow a trailing "." or a hyphenated word after the
    address, so labels are dropped from the right until the last one is
    alphabetic. A well-known top-level domain with digits or "_" glued to
    it ("example.net07700", "example.net_") is cut back to the domain.
    """
    if domain.startswith("[") or _IPV4.fullmatch(domain):
        return domain
    labels = domain.split(".")
    while len(labels) > 1 and not _is_tld(labels[-1]):
        glued = _GLUED_TLD.match(labels[-1])
        if glued is not None:
            tld = _known_tld_prefix(glued.group(1))
            if tld is not None:
                labels[-1] = tld
                break
        labels.pop()
    if len(labels) < 2 or any(not label or label.startswith("-") for label in labels):
        return None
    return ".".join(labels)


# Letters, then a digit or "_": a top-level domain with more glued to it.
_GLUED_TLD = re.compile(r"([^\W\d_]{2,})[\d_]")


def _known_tld_prefix(letters: str) -> str | None:
    """Return the longest well-known top-level domain that `letters` starts with.

    Words glued to an address end up in its last label, as when two
    encoded words or form fields are joined: "example.netsamj_04" gives
    "net". A prefix of two letters counts only when it is all the letters.
    """
    if letters.lower() in _KNOWN_TLDS:
        return letters
    # A two-letter prefix is too often the start of an ordinary word.
    for end in range(min(len(letters), _LONGEST_KNOWN_TLD), 2, -1):
        if letters[:end].lower() in _KNOWN_TLDS:
            return letters[:end]
    return None


def _is_tld(label: str) -> bool:
    return len(label) >= 2 and label.isalpha()


def _extend_over_query(text: str, end: int) -> int:
    """Include a mailto link's "?subject=..." part, which may repeat the address."""
    if text[end : end + 1] != "?":
        return end
    while end < len(text) and not text[end].isspace() and text[end] not in "<>\"'":
        end += 1
    return end


def _widen_over_brackets(text: str, start: int, end: int) -> tuple[int, int]:
    if start > 0 and text[start - 1] == "<" and text[end : end + 1] == ">":
        return start - 1, end + 1
    return start, end


def _disguised_addresses(text: str, relay_domain: str, kind: str) -> list[Span]:
    spans: list[Span] = []
    # Every word the checks look for is made of ASCII letters.
    found = letter_words(text)
    if _webmail_names & found:
        spans.extend(_provider_addresses(text, kind))
    if not _may_have_disguised_address(text, found):
        return spans
    for match in _disguised_matches(text):
        domain = _trim_disguised_domain(match.group("domain"))
        if domain is None or _is_plain_at(match, domain):
            continue
        labels = [label.lower() for label in _DOT_SPLIT.split(domain)]
        if ".".join(labels) == relay_domain or _reads_as_prose(match, domain):
            continue
        start = match.start()
        if match.group("at").strip().lower().startswith("at"):
            start = _start_with_spelled_name(text, _start_with_name_word(text, start))
        spans.append(Span(start, match.start("domain") + len(domain), kind))
    return spans


def _disguised_matches(text: str) -> Iterator[re.Match[str]]:
    """Yield the matches of _DISGUISED_ADDRESS, each tried again from its domain.

    In "write to me at sam dot j04 at example dot net" the first match is
    "me at sam dot j04", which has no top-level domain. A domain with dots
    may be the name of the next match, so the search goes on from there
    rather than from the end of the match.
    """
    position = 0
    while (match := _DISGUISED_ADDRESS.search(text, position)) is not None:
        yield match
        dotted = _DOT_SPLIT.search(match.group("domain")) is not None
        position = match.start("domain") if dotted else match.end()


def _provider_addresses(text: str, kind: str) -> list[Span]:
    return [
        Span(_start_with_name_word(text, match.start()), match.end(), kind)
        for match in _PROVIDER_ADDRESS.finditer(text)
        if match.group("local").lower() not in _PROSE_BEFORE_AT
    ]


def _start_with_name_word(text: str, start: int) -> int:
    """Move a spelled-out address's start back over one more word of its name.

    "sam home at gmail" stands for samhome@gmail.com, and removing only "home
    at gmail" would leave half the name behind. A word that reads as prose
    ("email me at", "is", "my") is not part of the name.
    """
    word = _WORD_BEFORE.search(text, max(0, start - _MAX_NAME_WORD - 1), start)
    if word is None or word.group(1).lower() in _NOT_NAME_WORDS:
        return start
    return word.start(1)


# Words that spell the digits and marks of a user name: "sam dot j zero
# four at example dot net" stands for sam.j04@example.net.
_SPELLED_NAME_WORDS = frozenset(
    """
    zero oh one two three four five six seven eight nine
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_SPELLED_NAME_MARK = re.compile(
    r"(?<![\w'.-])([^\W_][\w'-]*) (?:dot|underscore|dash|hyphen) $", re.IGNORECASE
)
_MAX_SPELLED_NAME_WORDS = 12


def _start_with_spelled_name(text: str, start: int) -> int:
    """Move a spelled-out address's start back over the rest of its user name.

    The name may go on with digit words and the word they follow ("j zero
    four"), and with words joined by a spelled-out "dot" or "underscore"
    ("sam dot j").
    """
    for _ in range(_MAX_SPELLED_NAME_WORDS):
        low = max(0, start - 2 * _MAX_NAME_WORD - 12)
        joined = _SPELLED_NAME_MARK.search(text, low, start)
        if joined is not None and joined.group(1).lower() not in _NOT_NAME_WORDS:
            start = joined.start(1)
            continue
        word = _WORD_BEFORE.search(text, max(0, start - _MAX_NAME_WORD - 1), start)
        if word is None or word.group(1).lower() in _NOT_NAME_WORDS:
            return start
        first_word = text[start:].split(maxsplit=1)[0].lower()
        if not _SPELLED_NAME_WORDS.intersection((word.group(1).lower(), first_word)):
            return start
        start = word.start(1)
    return start


def _spaced_out_addresses(text: str, relay_domain: str, kind: str) -> list[Span]:
    """Find addresses written one character at a time: "s a m @ e x a m p l e . n e t".

    Each such run around an "@" is read without its spaces, and the plain
    pattern decides whether it contains an address.
    """
    spans: list[Span] = []
    at = text.find(" @ ")
    while at != -1:
        start, end = _spaced_out_run(text, at + 1)
        compact = text[start:end:2]
        match = _PLAIN_ADDRESS.search(compact)
        domain = None if match is None else _trim_domain(match.group("domain"))
        if match is not None and domain and domain.lower() != relay_domain:
            last = match.start("domain") + len(domain) - 1
            spans.append(Span(start + 2 * match.start(), start + 2 * last + 1, kind))
        at = text.find(" @ ", end)
    return spans


def _spaced_out_run(text: str, at: int) -> tuple[int, int]:
    """Return the bounds of the run of single characters and single spaces at `at`."""
    start = at
    while start >= 2 and text[start - 1] == " " and _stands_alone(text, start - 2):
        start -= 2
    end = at + 1
    while end + 1 < len(text) and text[end] == " " and _stands_alone(text, end + 1):
        end += 2
    return start, end


def _stands_alone(text: str, index: int) -> bool:
    """Check that `text[index]` is visible and has a space or an edge each side.

    Punctuation that ends a sentence or clause counts as an edge after it,
    so the last letter of "... n e t." belongs to the run.
    """
    if text[index].isspace():
        return False
    before = text[index - 1] if index > 0 else " "
    following = text[index + 1 : index + 3]
    if following[:1] in _CLAUSE_ENDS and following[1:2] in ("", " ", "\n"):
        following = following[1:]
    after = following[:1] or " "
    return before.isspace() and after.isspace()


_CLAUSE_ENDS = frozenset(".,!?;:")


def _may_have_disguised_address(text: str, found: frozenset[str]) -> bool:
    """Check for what a kept match of _DISGUISED_ADDRESS needs: see _BRACKETED_AT."""
    folded = fold_case(text)
    has_at_sign = "@" in text
    if has_at_sign and ("dot" in found or _has_spaced_at_sign(text)):
        return True
    if has_at_sign and _AT_SPACED_DOT.search(text):
        return True
    if _SPELLED_AT_WORDS & found:
        return True
    if ("#" in text or "*" in text) and _HASH_BEFORE_DOMAIN.search(folded):
        return True
    if "at" in found and (
        "dot" in found
        or _names_webmail_domain(folded, found)
        or any(matches_after(_AT_DOTTED_DOMAIN, folded, _follows_space))
    ):
        return True
    has_at = has_at_sign or "at" in found or "a" in found or "#" in text
    return has_at and _has_bracketed_at(folded)


def _has_spaced_at_sign(text: str) -> bool:
    at = text.find("@")
    while at != -1:
        if text[at - 1 : at].isspace() or text[at + 1 : at + 2].isspace():
            return True
        at = text.find("@", at + 1)
    return False


def _follows_space(text: str, start: int) -> bool:
    return start > 0 and text[start - 1].isspace()


def _has_bracketed_at(folded: str) -> bool:
    for bracket in _OPENING_BRACKETS:
        position = folded.find(bracket)
        while position != -1:
            if _BRACKETED_AT.match(folded, position):
                return True
            position = folded.find(bracket, position + 1)
    return False


def _names_webmail_domain(folded: str, found: frozenset[str]) -> bool:
    return any(
        all(label in found for label in labels) and domain in folded
        for first_label in found.intersection(_WEBMAIL_LABELS_BY_FIRST)
        for domain, labels in _WEBMAIL_LABELS_BY_FIRST[first_label]
    )


def _trim_disguised_domain(domain: str) -> str | None:
    """Return the domain up to its last known TLD, or None if it has none.

    The pattern may run on over a full stop into the next sentence ("example
    dot com. Then"), so labels are dropped from the right.
    """
    label_ends = [m.start() for m in _DOT_SPLIT.finditer(domain)] + [len(domain)]
    labels = _DOT_SPLIT.split(domain)
    for count in range(len(labels), 1, -1):
        if labels[count - 1].lower() in _KNOWN_TLDS:
            return domain[: label_ends[count - 1]]
    return None


def _is_plain_at(match: re.Match[str], domain: str) -> bool:
    """Recognise "sam@example.com", which the plain pattern already finds."""
    if match.group("at") not in ("@", "@@"):
        return False
    return not _SPELLED_DOT.search(domain) and not _SPACED_DOT.search(domain)


def _reads_as_prose(match: re.Match[str], domain: str) -> bool:
    """Recognise prose such as "look at bbc.co.uk" or "the server at example.net".

    With a bare "at" or "at the" and real dots in the domain, the text
    counts as an address only when the name before "at" looks like a mailbox
    ("sam.jones", "sam_99") or the domain is a webmail provider ("sam at
    gmail.com"). A bare "at" before a dot with a space beside it is prose:
    "at home. It".
    A "#" or "*" counts only with the same spacing on both sides and a name of
    two characters or more, which leaves "C# and .NET" alone. A bracketed "(a)"
    counts only after a name that looks like a mailbox.
    """
    at = match.group("at")
    if at.strip() == "*" and _SPACED_DOT.search(domain):
        return True  # "sh*t. at last" is a starred word at a sentence end
    if at.strip() in ("#", "*"):
        return at[0].isspace() != at[-1].isspace() or len(match.group("local")) < 2
    if at.strip(" \t\n()[]").lower() == "a":
        # "(a)" also labels list items: "option (a) example.net".
        local = match.group("local")
        return not _looks_like_mailbox(local) and domain.lower() not in _WEBMAIL_DOMAINS
    if " ".join(at.lower().split()) not in ("at", "at the"):
        return False
    if _SPACED_DOT.search(domain):
        return True
    local = match.group("local").lower()
    if local in _PROSE_BEFORE_AT:
        return True
    if _SPELLED_DOT.search(domain) or domain.lower() in _WEBMAIL_DOMAINS:
        return False
    # NOTE: "sam at example.com" therefore stays, because it reads the same way
    # as "the team at example.com".
    return not any(ch.isdigit() or ch in "._+-" for ch in local)


# A webmail provider named next to a user name, with no domain written:
# "samjones2010@gmail", "sam@gmaildotcom", "my gmail is samjones2010",
# "gmail: samjones2010", "samjones2010 (gmail)", "samjones2010 on gmail".
# The provider alone tells the reader the domain. In words, Google's mail
# is also "google mail", "google" or "the google one", but "google" before
# the name of another Google service ("on google drive") is no mailbox.
_PROVIDER = rf"(?:g[ -]?mail|{_WEBMAIL_NAMES})"
_GOOGLE_SERVICES = (
    "drive|docs?|sheets?|slides|meet|classroom|forms?|maps|photos|calendar"
    "|chat|play|search|scholar|translate|cloud|keep|sites"
)
_PROVIDER_WORDS = (
    rf"(?P<provider>google[ -]?mail|google(?![ -](?:{_GOOGLE_SERVICES})\b)"
    rf"|{_PROVIDER})(?:\s+(?:one|account|address))?"
)
_PROVIDER_SUFFIX = r"(?:dotcom|dotco(?:dot)?uk|\s?(?:\.|dot)\s?com)?"
_HANDLE = r"[\w.+-]*\w"
_HANDLE_AT_PROVIDER = re.compile(
    rf"(?P<handle>{_HANDLE}) ?@{{1,2}} ?{_PROVIDER}{_PROVIDER_SUFFIX}(?![\w.])"
)
_HANDLE_NEAR_PROVIDER = re.compile(
    rf"(?<![\w.@])(?P<handle>{_HANDLE})"
    r"(?P<joint>\s+(?:on|at)\s+(?:the\s+)?|\s+at[\s-]?(?:sign|symbol)\s+|\s*\(\s*)"
    rf"{_PROVIDER_WORDS}\b\)?"
)
_PROVIDER_THEN_HANDLE = re.compile(
    rf"\b{_PROVIDER_WORDS}(?:\s+(?:address|account|id))?"
    rf"(?P<joint>\s*(?:is|:|=)\s*|\s+)(?P<handle>{_HANDLE})(?![\w@])"
)
_MIN_HANDLE = 4
_MAX_HANDLE_WINDOW = 80
# Room after a provider's name for the words that may follow it: "google
# mail", "hotmail account)".
_MAX_PROVIDER_TAIL = 12


def _provider_handles(text: str, kind: str) -> list[Span]:
    """Find a user name given with a webmail provider's name in place of a domain.

    Without an "@", the name must look like a mailbox (a digit, ".", "_"
    or "+" in it), so "my gmail is full" and "I'm on gmail" stay.
    """
    folded = fold_case(text)
    spans = []
    if "@" in text:
        starts = _handle_starts(folded)
        for match in matches_at(_HANDLE_AT_PROVIDER, folded, starts):
            spans.append(Span(match.start("handle"), match.end(), kind))
    for start, end in _provider_names(folded, letter_words(text)):
        before = _handle_before_provider(folded, start, end)
        if before and _looks_like_mailbox(before.group("handle")):
            spans.append(Span(before.start("handle"), before.end(), kind))
        after = _PROVIDER_THEN_HANDLE.match(folded, start, end + _MAX_HANDLE_WINDOW)
        if after and _names_mailbox(after) and _looks_like_mailbox(after["handle"]):
            spans.append(Span(after.start(), after.end("handle"), kind))
    return spans


def _handle_before_provider(folded: str, start: int, end: int) -> re.Match[str] | None:
    """Return the match of a user name before the provider name at `start`.

    The pattern runs only on a window around the name, because a scan of
    the whole text costs milliseconds per 100 KB. The window may hold an
    earlier provider name with its own user name, so only the match that
    ends with this name counts.
    """
    window = max(0, start - _MAX_HANDLE_WINDOW)
    limit = end + _MAX_PROVIDER_TAIL
    for match in _HANDLE_NEAR_PROVIDER.finditer(folded, window, limit):
        if match.start("provider") == start:
            return match if _names_mailbox(match) else None
    return None


def _names_mailbox(match: re.Match[str]) -> bool:
    """Check that a bare "google" in `match` names a mailbox, not the company.

    "dr.patel at google" is where someone works, and "google v2.5" a
    version, so a bare "google" counts only after "on", "at the" or an
    "(", or before "is", ":" or "=".
    """
    if match["provider"] != "google":
        return True
    joint = match["joint"].split()
    return joint not in (["at"], [])


def _provider_names(folded: str, found: frozenset[str]) -> list[tuple[int, int]]:
    """Return the bounds of each webmail provider name in `folded`."""
    names = sorted(_webmail_names & found)
    if "g" in found and "mail" in found:
        names.extend(("g mail", "g-mail"))
    if "google" in found:
        names.append("google")
    bounds = []
    for name in names:
        start = folded.find(name)
        while start != -1:
            bounds.append((start, start + len(name)))
            start = folded.find(name, start + len(name))
    return bounds


def _handle_starts(folded: str) -> list[int]:
    """Return the start of the user name before each "@", with one space allowed."""
    starts = []
    at = folded.find("@")
    while at != -1:
        end = at - 1 if folded[at - 1 : at] == " " else at
        start = _local_run_start(folded, end)
        if start < end:
            starts.append(start)
        at = folded.find("@", at + 1)
    return starts


def _looks_like_mailbox(handle: str) -> bool:
    if len(handle) < _MIN_HANDLE or not any(ch.isalpha() for ch in handle):
        return False
    return any(ch.isdigit() or ch in "._+" for ch in handle)


# An address described in parts, with no "@" and no domain written: "my
# email is sam dot jones and the rest is gmail", "it's samjones04, the
# google one", "same as my name but at outlook". A user name, then a few
# linking words, then a provider's name or "the rest is" or "at the end".
# "outlook", "live", "aol" and "proton" are also ordinary words ("my outlook
# is good", "live music"), so after them the linking words must end with
# "at", "on", "@" or "is". The patterns read text from prefilter.fold_case.
_DESCRIBED_PROVIDERS = _webmail_names | frozenset(["aol", "live", "google"])
_PROVIDERS_THAT_ARE_WORDS = frozenset(["outlook", "live", "aol", "proton"])
_PROVIDERS_NAMED_MAIL = frozenset(["gmail", "googlemail", "hotmail"])
_ADDRESS_CUES = frozenset(["email", "mail", "address", "inbox"])
# Each phrase with a word of it to look up in `letter_words` first.
_REST_PHRASES = (("the rest is", "rest"), ("at the end", "end"))
_LINKING_WORDS = (
    r"(?:and|then|but|with|on|at|the|is|it's|its|rest|end|just|plus|put|add|@)"
)
# Linking words that join a user name and a provider's name into one span:
# "samjones04 on live", "samjones04, the google one".
_JOINING_WORDS = frozenset(["on", "at", "the", "@"])
# The end of a sentence, or a word that may follow "my name at outlook", so
# "my name on outlook calendar" stays.
_AFTER_NAME_AT_PROVIDER = re.compile(r"\s*(?:[^\w\s]|\Z|(?:and|but|so|too|x+)\b)")
_DESCRIBED_HANDLE = re.compile(
    r"(?<![\w.@])(?P<handle>"
    r"[a-z][a-z0-9]*\d[a-z0-9]*"
    r"|[a-z0-9]+(?:(?:[._]|\s+(?:dot|underscore)\s+)[a-z0-9]+)+"
    r"|(?P<name>my\s+(?:full\s+|first\s+|real\s+|own\s+)?(?:name|surname))"
    rf")(?P<gap>(?:[\s,]+{_LINKING_WORDS}(?![\w']))*[\s,]*)\Z"
)
_DESCRIBED_HANDLE_PARTS = re.compile(r"[._]|\s+(?:dot|underscore)\s+")
# The words of a provider's name that may follow it: "the google one",
# "gmail.com", "hotmail account".
_PROVIDER_TAIL = re.compile(
    rf"{_PROVIDER_SUFFIX}(?P<tail>\s+(?:one|account|address|inbox|mail)\b)?"
)
# A cue such as "my email is" right before a user name, for an address
# described with "the rest is" and no provider's name.
_CUE_BEFORE_HANDLE = re.compile(
    r"\b(?:e-?mail|mail|address|inbox)(?:'s|\s+address)?"
    r"(?:\s+(?:is|was|starts|starts\s+with|begins\s+with))?\s*:?\s*"
)
_ADDRESS_CUE = re.compile(r"\b(?:e-?mail|mail|address|inbox)\b")
_SENTENCE_END = re.compile(r"[.!?;]\s|\n")
_MAX_DESCRIPTION = 100
_MIN_DESCRIBED_HANDLE = 4


def _described_addresses(text: str, kind: str) -> list[Span]:
    """Find a user name with the provider or the rest of the address described.

    The user name is a word of letters and digits ("samjones04"), or words
    joined by ".", "_" or a spelled-out dot ("sam dot jones"), or "my name".
    Only the user name and the provider's name are removed.
    """
    # NOTE: the user name must come before the provider's name. "gmail, and
    # the name is samjones04" stays unless `_provider_handles` finds it.
    found = letter_words(text)
    providers = _DESCRIBED_PROVIDERS & found
    phrases = [
        phrase
        for phrase, word in _REST_PHRASES
        if word in found and not _ADDRESS_CUES.isdisjoint(found)
    ]
    if not providers and not phrases:
        return []
    folded = fold_case(text)
    spans = []
    for provider in sorted(providers):
        for start in word_starts(text, provider):
            end = start + len(provider)
            if precedes_non_word(folded, end):
                spans.extend(_handle_before_provider_name(folded, start, end, kind))
    for phrase in phrases:
        for start in word_starts(text, phrase):
            spans.extend(_handle_before_rest(folded, start, kind))
    return spans


def _sentence_around(folded: str, start: int, end: int) -> tuple[int, int]:
    """Return the bounds of the sentence around `folded[start:end]`, within a window."""
    low = max(0, start - _MAX_DESCRIPTION)
    breaks = [match.end() for match in _SENTENCE_END.finditer(folded, low, start)]
    high = min(len(folded), end + _MAX_DESCRIPTION)
    after = _SENTENCE_END.search(folded, end, high)
    return (breaks[-1] if breaks else low), (after.start() if after else high)


def _handle_before_provider_name(
    folded: str, start: int, end: int, kind: str
) -> list[Span]:
    """Return the spans of a user name and the provider's name at `start`."""
    tail = _PROVIDER_TAIL.match(folded, end)
    provider_end = tail.end() if tail else end
    has_tail = bool(tail and tail["tail"])
    sentence_start, sentence_end = _sentence_around(folded, start, provider_end)
    handle = _DESCRIBED_HANDLE.search(folded, sentence_start, start)
    if handle is None:
        return []

    provider = folded[start:end]
    gap_words = handle["gap"].replace(",", " ").split()
    last_word = gap_words[-1] if gap_words else ""
    if not _may_name_provider(provider, last_word, has_tail):
        return []
    provider_span = Span(start, provider_end, kind)
    if handle["name"] is not None:
        # "same as my name but at outlook": only the provider is a detail.
        if last_word in ("at", "on", "@") and _AFTER_NAME_AT_PROVIDER.match(
            folded, provider_end
        ):
            return [provider_span]
        return []

    has_cue = (
        has_tail
        or provider in _PROVIDERS_NAMED_MAIL
        or _ADDRESS_CUE.search(folded, sentence_start, sentence_end) is not None
    )
    if not has_cue or not _is_described_handle(handle["handle"]):
        return []
    if set(gap_words) <= _JOINING_WORDS:
        return [Span(handle.start("handle"), provider_end, kind)]
    return [Span(handle.start("handle"), handle.end("handle"), kind), provider_span]


def _may_name_provider(provider: str, last_word: str, has_tail: bool) -> bool:
    """Check that a provider's name that is also a word follows a linking word.

    `last_word` is the last linking word before the name. A bare "google"
    names the company unless "on" or "at" comes before it or a word such as
    "one" or "mail" follows it.
    """
    if provider in _PROVIDERS_THAT_ARE_WORDS:
        return last_word in ("at", "on", "@", "is")
    if provider == "google":
        return has_tail or last_word in ("at", "on")
    return True


def _handle_before_rest(folded: str, start: int, kind: str) -> list[Span]:
    """Return the span of a user name that an address cue introduces before `start`.

    "my email is samjones04 and the rest is the usual": the user name must
    follow a cue such as "email is", because "the rest is" also ends
    ordinary sentences.
    """
    low = max(0, start - _MAX_DESCRIPTION)
    if all(folded.find(cue, low, start) == -1 for cue in _ADDRESS_CUES):
        return []  # most "at the end" in mail is no address
    sentence_start, _ = _sentence_around(folded, start, start)
    for cue in _CUE_BEFORE_HANDLE.finditer(folded, sentence_start, start):
        handle = _DESCRIBED_HANDLE.fullmatch(folded, cue.end(), start)
        if handle is None or handle["name"] is not None:
            continue
        if _is_described_handle(handle["handle"]):
            return [Span(handle.start("handle"), handle.end("handle"), kind)]
    return []


def _is_described_handle(handle: str) -> bool:
    """Check a user name of `_DESCRIBED_HANDLE` for the look of a mailbox.

    It has four letters or digits or more, no part that prose puts before an
    address (`_NOT_NAME_WORDS`), and no top-level domain after a dot, so "is
    dot com" and "e.g" are no user names.
    """
    parts = _DESCRIBED_HANDLE_PARTS.split(handle)
    if sum(len(part) for part in parts) < _MIN_DESCRIBED_HANDLE:
        return False
    if any(part in _NOT_NAME_WORDS for part in parts):
        return False
    return len(parts) == 1 or parts[-1] not in _KNOWN_TLDS


# "sam.homeATexample.net": an upper-case "AT" between lower-case words.
_GLUED_AT = re.compile(
    r"(?P<local>[a-z0-9][a-z0-9._+-]*)AT"
    r"(?P<domain>[a-z0-9][a-z0-9-]*(?:(?:\.|DOT)[a-z0-9-]+)+)(?![\w@])"
)


def _glued_at_addresses(text: str, relay_domain: str, kind: str) -> list[Span]:
    if "AT" not in text:
        return []
    spans = []
    for match in matches_at(_GLUED_AT, text, _glued_at_starts(text)):
        domain = match.group("domain").replace("DOT", ".")
        labels = domain.split(".")
        if labels[-1] in _KNOWN_TLDS and domain != relay_domain:
            spans.append(Span(match.start(), match.end(), kind))
    return spans


def _glued_at_starts(text: str) -> list[int]:
    starts = []
    at = text.find("AT")
    while at != -1:
        start = _local_run_start(text, at)
        if start < at and not text[start - 1 : start].isalnum():
            starts.append(start)
        at = text.find("AT", at + 2)
    return starts


def _reversed_addresses(text: str, starts: list[int], kind: str) -> list[Span]:
    """Find an address written backwards: "moc.liamg@0102senojmas".

    Only a reversed text whose top-level domain is a well-known one counts,
    because a reversed local part rarely ends in one by chance.
    """
    spans: list[Span] = []
    for start in starts:
        run = _LOCAL_OR_AT_RUN.match(text, start)
        end = run.end() if run else start
        written = text[start:end].rstrip(".")
        match = _PLAIN_ADDRESS.fullmatch(written[::-1])
        if match is None:
            continue
        domain = _trim_domain(match.group("domain"))
        if domain is not None and domain.rsplit(".", 1)[-1].lower() in _KNOWN_TLDS:
            spans.append(Span(start, start + len(written), kind))
    return spans


# Top-level domains that a respelled address must end with. Those that are
# also common words ("at", "it", "me", "in", "be", "no", "us", "live", ...)
# are left out, because in "meet at school net" every separator is a space.
_STRICT_TLDS = frozenset(
    """
    com org net edu gov uk ie ca au nz de fr es nl ch se dk fi pl pt eu io biz
    info xyz
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Spellings of "@" and of the dot beyond those of _DISGUISED_ADDRESS: "[@]",
# "-at-", "at-sign", "at the", "4t", "ät", "arroba", "[.]", "(.)", "-dot-", "d0t",
# "full stop", "period", "punkt", "dotnet", and ",", ";", ":", "_", "·" or
# "•" between two labels. Each is read as "@" or "." and the result must be
# an address.
_RESPELLED_AT = (
    r"\s*[\[({<]\s*(?:at|@|a|4t)\s*[\])}>]\s*"
    r"|(?<=\w)-(?:at|@|4t)-(?=\w)"
    r"|\s+(?:at[\s-](?:sign|symbol)|4t|@t|\u00e4t|arroba|arobase|klammeraffe)\s+"
    r"|\s+at\s+the\s+|\s+at\s+"
)
_RESPELLED_DOT = (
    r"\s*[\[({<]\s*(?:dot|d0t|\.)\s*[\])}>]\s*"
    r"|(?<=\w)-(?:dot|d0t)-(?=\w)"
    r"|\s+(?:dot|d0t|full[\s-]stop|period|point|punkt|punto)\s+"
    r"|(?<=[^\W_])[,;:_\u00b7\u2022](?=[^\W_])"
    r"|\s*dot(?=(?:com|net|org|uk)\b)"
)
_RESPELLING = re.compile(
    rf"(?P<at>{_RESPELLED_AT})|(?P<dot>{_RESPELLED_DOT})", re.IGNORECASE
)
# Rarer spellings: " @ ", "on", "chez", "bei", the Italian, Dutch and
# Polish words for "@", "ponto", "punt" and "kropka" for the dot, a spaced
# "•", and a top-level domain named after the domain ("example, the .net
# one"). Each branch adds to the cost of every window, so these are tried
# only in a window that contains one of _RARE_SPELLING_MARKS.
# A domain in brackets after the name stands for "@" too: "sam dot j04
# (example dot net)".
# "@" may also be described in words, with a bracket, a "+" or a linking
# word on each side: "sam.j04 then the at sign then example.net",
# "sam.j04 + at symbol + example.net", "sam.j04 [the curly a] example.net".
_LINKING_WORD = r"(?:then|and|plus|followed\s+by)"
_DESCRIBED_AT = (
    rf"\s*(?:[\[({{<+]\s*|(?<=\s){_LINKING_WORD}\s+)?(?:the\s+|an?\s+)?"
    r"(?<![^\s\[({<+])(?:at[\s-]?(?:sign|symbol)|@[\s-]?(?:sign|symbol)|curly\s+a)"
    rf"(?!\w)\s*(?:[\])}}>+]|(?<=\s){_LINKING_WORD}(?!\w))?\s*"
)
_RARE_AT = (
    rf"{_DESCRIBED_AT}"
    r"|\s+(?:chiocciola|apenstaartje|malpa|ma\u0142pa)\s+"
    r"|\s+\(\s*(?=[\w-]+(?:(?:\s*\.\s*|\s+dot\s+)[\w-]+)+)"
    r"|\s+(?:on|chez|bei)\s+"
    r"|\s+@\s*|@\s+"
)
_RARE_DOT = (
    r"\s+(?:ponto|punt|kropka)\s+"
    r"|(?<=[^\W_])\s*[\u00b7\u2022\u2219\u22c5]\s*(?=[^\W_])"
    r"|,?\s+the\s+(?:\.|dot\s*)(?=(?:com|net|org|co\.uk|org\.uk)\b)"
)
# A top-level domain written one letter at a time: "example.n e t".
_SPACED_LETTERS = r"(?<=\.)[a-z](?: [a-z]){1,3}(?![\w])"
_ALL_RESPELLINGS = re.compile(
    rf"(?P<at>{_RESPELLED_AT}|{_RARE_AT})|(?P<dot>{_RESPELLED_DOT}|{_RARE_DOT})"
    rf"|(?P<letters>{_SPACED_LETTERS})",
    re.IGNORECASE,
)
_RARE_SPELLING_MARKS = (
    *("chez", " bei ", "chiocciola", "apenstaartje", "malpa", "ma\u0142pa"),
    *("ponto", " punt ", "kropka", "\u00b7", "\u2022", "\u2219", "\u22c5"),
    *(" the .", " the dot", " @", "@ ", " ("),
    *(" sign", " symbol", "curly a"),
)
_SPELLED_DOT_WORDS = (" dot ", " point ", " punkt ", " punto ", " ponto ", " punt ")
_ON_DOMAIN = re.compile(r" on [\w-]+\.[a-z]")
_SPACED_LETTERS_MARK = re.compile(r"\.[a-z] [a-z]", re.IGNORECASE)
# Spellings that prose also contains: "the team at example.net", "option
# (a) example.net", "she is on example.net", "dinner chez example.net",
# "Sam at Example, the .NET team". With only these, the name must look like
# a mailbox.
_PROSE_SPELLINGS = frozenset(
    [
        *("at", "at the", "on", "chez", "bei", ".", "(a)", "[a]", "{a}", "<a>"),
        *(", the .", "the .", ", the dot", "the dot", "("),
    ]
)
# Spellings of "@" that prose uses most ("the guide on bbc.co.uk", "the docs
# (python.org)"). With one of these the name must have letters, a digit and
# a ".", "_" or "+" (see _is_hint_handle), and must not end in a file
# extension ("clip2.mp4 on example.net").
_WEAK_AT_SPELLINGS = frozenset(["on", "("])
# A spelling of "@" with linking words, such as "then the at sign then".
_LINKED_SPELLING = re.compile(rf"\b(?:{_LINKING_WORD}|the)\b")
_FILE_EXTENSIONS = frozenset(
    """
    mp3 mp4 m4a m4v 3gp 7z h264 pdf doc docx xls xlsx ppt pptx odt txt csv
    png jpg jpeg gif heic webp mov avi zip py js ts html css json md
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# A top-level domain after a dot or one of its respellings: one of these
# characters, or "dot" or "d0t" glued to it ("gmaildotcom"). The patterns
# read text from prefilter.fold_case.
_TLD_SEPARATORS = frozenset(" \t\n._,;:\u00b7\u2022])}>-")
_WHOLE_TLDS = {tld: re.compile(rf"{tld}(?![\w])") for tld in _STRICT_TLDS}
_TLD_AFTER_SPELLED_DOT = re.compile(
    rf"d[o0]t(?:{'|'.join(sorted(_STRICT_TLDS))})(?![\w])"
)
_SPACED_TLD = re.compile(r"\.[ \t]?([a-z](?: [a-z]){1,3})(?![\w])")
_CANONICAL_ADDRESS = re.compile(
    r"(?<![\w.@])(?P<local>[\w+'-]+(?:\.[\w+'-]+)*)@"
    r"(?P<domain>[\w-]+(?:\.[\w-]+)*)"
    rf"(?: (?P<spaced_tld>{'|'.join(sorted(_STRICT_TLDS))}))?(?![\w@])",
    re.IGNORECASE,
)


def _respelled_addresses(
    text: str, windows: list[tuple[int, int]], relay_domain: str, kind: str
) -> list[Span]:
    """Find an address written with other words or marks for "@" and the dots.

    "sam.j04 [@] example [.] net", "sam.j04-at-example-dot-net" and
    "sam.j04@example,net" count when the domain ends in a top-level domain
    of `_STRICT_TLDS`. A bare "at" counts only after a name that looks like
    a mailbox, or before a spelled-out dot. A space in place of the last dot
    ("samj04 at example net") counts only after a mailbox-like name, so
    "Paris at dusk net worth" stays.
    """
    spans = []
    for window_start, window_end in windows:
        window = text[window_start:window_end]
        if not _may_spell_at(window):
            continue
        canonical, origins, respelled = _respelled_view(window)
        for match in _CANONICAL_ADDRESS.finditer(canonical):
            if not any(match.start() <= at < match.end() for at, _ in respelled):
                continue
            if _is_respelled_address(match, respelled, relay_domain):
                start = window_start + origins[match.start()]
                end = window_start + origins[match.end()]
                if _is_bracketed_domain(match, respelled, text, end):
                    end += 1
                spans.append(Span(start, end, kind))
    return spans


def _is_bracketed_domain(
    match: re.Match[str], respelled: list[tuple[int, str]], text: str, end: int
) -> bool:
    """Check whether the domain of a match was given in brackets, closed at `end`."""
    if text[end : end + 1] != ")":
        return False
    return any(
        spelling == "(" and match.start() <= at < match.end()
        for at, spelling in respelled
    )


# Every spelling of "@" in _RESPELLED_AT contains one of these, so a window
# without any of them is skipped before the costlier respellings pattern.
_AT_MARKS = (
    *("@", "at", "4t", "\u00e4t", "arob", "klammer", "a)", "a]", "a}", "a>"),
    "curly a",
    *(" on ", "chez", " bei ", "chiocciola", "apenstaartje", "malpa", "ma\u0142pa"),
    " (",
)


def _word_start(text: str, index: int) -> int:
    """Move `index` back to the start of the word it falls in."""
    while index > 0 and not text[index - 1].isspace():
        index -= 1
    return index


def _may_spell_at(window: str) -> bool:
    folded = window.lower()
    return any(mark in folded for mark in _AT_MARKS)


# The maximum length of text before a top-level domain that is searched for
# an address written out in words. Run over whole bodies, the
# respellings pattern made EmailFilter about fifteen times slower on the
# 200 KB body of bench.filter_speed.
_MAX_RESPELLED_ADDRESS = 120


def _windows_before_tlds(text: str) -> list[tuple[int, int]]:
    """Return the merged stretches of `text` that end with a top-level domain."""
    windows: list[tuple[int, int]] = []
    for end in _tld_ends(text):
        start = _word_start(text, max(0, end - _MAX_RESPELLED_ADDRESS))
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _tld_ends(text: str) -> list[int]:
    """Return where each top-level domain after a dot or a respelled dot ends.

    Only the domains that are words of `letter_words(text)` are searched
    for, each with a pattern that starts with its own letters. One pattern
    that started with the separators tried a match at every space, and took
    seven to fifteen times as long on the bench.filter_speed bodies.
    """
    folded = fold_case(text)
    found = letter_words(text)
    ends = set()
    for tld in _STRICT_TLDS & found:
        for match in _WHOLE_TLDS[tld].finditer(folded):
            if folded[match.start() - 1 : match.start()] in _TLD_SEPARATORS:
                ends.add(match.end())
    ends.update(match.end() for match in _TLD_AFTER_SPELLED_DOT.finditer(folded))
    if any(found.issuperset(tld) for tld in _STRICT_TLDS):
        # Each letter of a top-level domain is a word of its own: "n e t".
        for match in _SPACED_TLD.finditer(folded):
            if match.group(1).replace(" ", "") in _STRICT_TLDS:
                ends.add(match.end())
    return sorted(ends)


def _respelling_pattern(text: str) -> re.Pattern[str]:
    """Return _ALL_RESPELLINGS if `text` may use a rare spelling, else _RESPELLING."""
    folded = text.lower()
    if any(mark in folded for mark in _RARE_SPELLING_MARKS):
        return _ALL_RESPELLINGS
    # "on" is common in prose, so it counts only with a spelled-out dot or
    # right before a domain ("sam.j04 on example.net").
    if " on " in folded and any(dot in folded for dot in _SPELLED_DOT_WORDS):
        return _ALL_RESPELLINGS
    if " on " in folded and _ON_DOMAIN.search(folded):
        return _ALL_RESPELLINGS
    if _SPACED_LETTERS_MARK.search(text):
        return _ALL_RESPELLINGS
    return _RESPELLING


def _respelled_view(text: str) -> tuple[str, list[int], list[tuple[int, str]]]:
    """Return `text` with each respelling read as "@" or ".", and the offsets.

    The offsets list has one entry per character of the result, and one
    more for its end. The respellings are (offset in the result, spelling).
    """
    pieces: list[str] = []
    origins: list[int] = []
    respelled: list[tuple[int, str]] = []
    cursor = 0
    for match in _respelling_pattern(text).finditer(text):
        pieces.append(text[cursor : match.start()])
        origins.extend(range(cursor, match.start()))
        if match.lastgroup == "letters":
            letters = match.group().replace(" ", "")
            pieces.append(letters)
            origins.extend(range(match.start(), match.end(), 2))
            cursor = match.end()
            continue
        position = len(origins)
        respelled.append((position, " ".join(match.group().lower().split())))
        pieces.append("@" if match.group("at") is not None else ".")
        origins.append(match.start())
        cursor = match.end()
    pieces.append(text[cursor:])
    origins.extend(range(cursor, len(text) + 1))
    return "".join(pieces), origins, respelled


def _is_respelled_address(
    match: re.Match[str], respelled: list[tuple[int, str]], relay_domain: str
) -> bool:
    local = match.group("local")
    domain = match.group("domain").lower()
    spaced_tld = match.group("spaced_tld")
    labels = domain.split(".")
    if spaced_tld is not None:
        labels.append(spaced_tld.lower())
    if len(labels) < 2 or labels[-1] not in _STRICT_TLDS:
        return False
    if ".".join(labels) == relay_domain:
        return False
    if local.lower() in _NOT_NAME_WORDS:
        return False
    spellings = {
        spelling for at, spelling in respelled if match.start() <= at < match.end()
    }
    if not spellings.isdisjoint(_WEAK_AT_SPELLINGS):
        extension = local.rsplit(".", 1)[-1].lower()
        return _is_hint_handle(local.lower()) and extension not in _FILE_EXTENSIONS
    if spaced_tld is not None or spellings <= _PROSE_SPELLINGS:
        return _looks_like_mailbox(local)
    if any(_LINKED_SPELLING.search(spelling) for spelling in spellings):
        # "Press the at sign then example.net" is an instruction.
        return _looks_like_mailbox(local)
    return True


# A mailbox name and a domain given apart, with a hint that together they
# make an address: "My email starts sam.j04. It's an example.net one."
_MAX_HINT_WINDOW = 80
_HINT_DOMAIN = re.compile(r"(?<![\w@.])[a-z0-9-]+(?:\.[a-z0-9-]+)+(?![\w@]|\.\w)")
_HINT_HANDLE = re.compile(r"(?<![\w@.])[a-z][\w+-]*(?:\.[\w+-]+)*(?![\w@]|\.\w)")
_ADDRESS_HINT_WORDS = frozenset(
    ["email", "mail", "address", "username", "inbox", "mailbox", "domain"]
)
# "domain" right before the domain, which gives the name before it as the
# mailbox: "sam.j04, the domain is example.net". Anywhere else in the
# sentence the word is no hint, because talk about websites uses it.
_DOMAIN_LABEL = re.compile(r"\bdomain(?:\s+is|'s|\s*[:=])\s*$")
_DOMAIN_LABEL_WINDOW = 24


def _handle_and_domain_apart(
    text: str, windows: list[tuple[int, int]], relay_domain: str, kind: str
) -> list[Span]:
    """Find a mailbox name and a domain written apart, with an email hint.

    The name must have letters, a digit and a ".", "_" or "+" ("sam.j04"),
    the domain must end in a top-level domain of `_STRICT_TLDS`, and the
    two must stand within 80 characters of each other. The hint is the
    word "email", "mail", "address", "username", "inbox" or "mailbox", or
    an "@" sign, in the name's own sentence: "My email starts sam.j04" is
    one. "I renamed the script to stock.count_v2", after a sentence about
    email, has no hint. The word "domain" right before the domain is a hint for
    a name before it: "sam.j04, the domain is example.net".
    """
    found = letter_words(text)
    if _STRICT_TLDS.isdisjoint(found):
        return []
    if "@" not in text and _ADDRESS_HINT_WORDS.isdisjoint(found):
        return []
    folded = fold_case(text)
    domains = [
        match.span()
        for window_start, window_end in windows
        for match in _HINT_DOMAIN.finditer(folded, window_start, window_end)
        if _is_hint_domain(match.group(), relay_domain)
    ]
    spans = []
    for start, end in domains:
        window_start = max(0, start - _MAX_HINT_WINDOW)
        window_end = end + _MAX_HINT_WINDOW
        for handle in _HINT_HANDLE.finditer(folded, window_start, window_end):
            between = folded[min(handle.end(), end) : max(handle.start(), start)]
            # filters.text joins separate HTML text nodes with a NUL.
            if (
                _is_hint_handle(handle.group())
                and "\x00" not in between
                and _is_hinted(folded, handle, start)
            ):
                spans.append(Span(handle.start(), handle.end(), kind))
                spans.append(Span(start, end, kind))
    return spans


def _is_hinted(folded: str, handle: re.Match[str], domain_start: int) -> bool:
    """Check for an email hint around a name, or "domain" labelling the domain."""
    if _hinted_sentence(folded, handle.start(), handle.end()):
        return True
    if handle.end() > domain_start:
        return False
    before = max(handle.end(), domain_start - _DOMAIN_LABEL_WINDOW)
    return _DOMAIN_LABEL.search(folded, before, domain_start) is not None


# Where a sentence ends: ".", "!" or "?" before a space or line break, a
# blank line, or the NUL that filters.text puts between HTML text nodes. A
# single line break is no end, because plain-text mail is wrapped.
_HINT_SENTENCE_END = re.compile(r"[.!?]+(?=\s)|\n[ \t]*\n|\x00")
_SENTENCE_HINT = re.compile(
    r"@|(?<![a-z])(?:e-?mail|mail|address|username|inbox|mailbox)(?![a-z])"
)


def _hinted_sentence(folded: str, start: int, end: int) -> bool:
    """Check the sentence around `folded[start:end]` for an email hint.

    Only `_MAX_HINT_WINDOW` characters either side are read, which keeps
    the cost of each name small in a long body.
    """
    begin = max(0, start - _MAX_HINT_WINDOW)
    for before in _HINT_SENTENCE_END.finditer(folded, begin, start):
        begin = before.end()
    stop = min(len(folded), end + _MAX_HINT_WINDOW)
    after = _HINT_SENTENCE_END.search(folded, end, stop)
    if after is not None:
        stop = after.start()
    return _SENTENCE_HINT.search(folded, begin, stop) is not None


def _is_hint_domain(domain: str, relay_domain: str) -> bool:
    return domain.rsplit(".", 1)[-1] in _STRICT_TLDS and domain != relay_domain


def _is_hint_handle(handle: str) -> bool:
    """Check for a mailbox name: letters, a digit and ".", "_" or "+" ("sam.j04")."""
    if handle.rsplit(".", 1)[-1] in _KNOWN_TLDS or len(handle) < 4:
        return False
    letters = sum(ch.isalpha() for ch in handle)
    has_digit = any(ch.isdigit() for ch in handle)
    return letters >= 2 and has_digit and any(ch in "._+" for ch in handle)


# "my email is sam j 04 and the domain is example net": the mailbox name
# after an email cue, then the domain after "domain is", with spaces or
# spelled-out dots for the dots. The name with its spaces dropped must
# look like a mailbox (see _looks_like_mailbox), so "my email is the same
# and the domain is example.net" stays.
_SEPARATOR = r"(?:[ \t]*\.[ \t]*|[ \t]+dot[ \t]+|[ \t]+)"
_MAILBOX_THEN_DOMAIN = re.compile(
    r"\b(?:e-?mail(?:[ \t]+address)?|address)[ \t]*(?:is|'s|:|=)[ \t]+"
    r"(?P<local>[a-z0-9][\w.+-]*(?:[ \t]+[\w.+-]+){0,5}?)[ \t]*,?[ \t]+"
    r"(?:and[ \t]+)?(?:the[ \t]+)?domain[ \t]*(?:is|'s|:|=)[ \t]+"
    rf"(?P<domain>[\w-]+(?:{_SEPARATOR}[\w-]+){{0,3}}?{_SEPARATOR}"
    rf"(?:{'|'.join(sorted(_STRICT_TLDS))}))(?![\w])"
)


def _mailbox_then_domain(text: str, kind: str) -> list[Span]:
    """Find a mailbox name and its domain given in words: see _MAILBOX_THEN_DOMAIN."""
    if "domain" not in letter_words(text):
        return []
    spans = []
    for match in _MAILBOX_THEN_DOMAIN.finditer(fold_case(text)):
        if _looks_like_mailbox("".join(match.group("local").split())):
            spans.append(Span(match.start("local"), match.end("domain"), kind))
    return spans
