"""Find links and handles that move a conversation to another service.

Two kinds of text go: links to messaging, social and file-sharing services
("wa.me/...", "instagram.com/sam", "drive.google.com/..."), and phrases that
hand out an account on one ("add me on snap: samj_04", "my insta is @sam.j",
"message me on whatsapp"). Links to other sites stay.
"""

from __future__ import annotations

import logging
import re

from filters.base import FilterContext, Span
from filters.prefilter import fold_case, words

log = logging.getLogger(__name__)

# Hosts whose links reach a person or a shared file. A host also matches its
# subdomains ("chat.whatsapp.com", "vm.tiktok.com", "m.facebook.com").
_MESSAGING_HOSTS = """
    instagram.com instagr.am ig.me snapchat.com tiktok.com wa.me whatsapp.com
    t.me telegram.me telegram.dog discord.gg discord.com discordapp.com
    facebook.com fb.com fb.me m.me messenger.com twitter.com x.com
    signal.me signal.group linkedin.com lnkd.in kik.me threads.net bsky.app
    """.split()  # noqa: SIM905 - a word list reads better as text
_FILE_SHARING_HOSTS = """
    drive.google.com docs.google.com dropbox.com db.tt wetransfer.com we.tl
    onedrive.live.com 1drv.ms photos.app.goo.gl photos.google.com
    """.split()  # noqa: SIM905 - a word list reads better as text
_SERVICE_LINK = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:[\w-]+\.)*"
    rf"(?:{'|'.join(map(re.escape, _MESSAGING_HOSTS + _FILE_SHARING_HOSTS))})"
    r"(?![\w-])(?:[/?#][^\s<>\"'()\[\]]*)?",
    re.IGNORECASE,
)
_HOST_LABELS = tuple(
    (host, frozenset(host.split(".")))
    for host in _MESSAGING_HOSTS + _FILE_SHARING_HOSTS
)
_HOST_VOCABULARY = frozenset().union(*(labels for _, labels in _HOST_LABELS))
_TRAILING_PUNCTUATION = ".,;:!?"

# Names people use for the services in prose, including short forms.
_SERVICE = (
    r"(?:insta(?:gram)?|ig|snap(?:chat)?|sc|tik\s?tok|whats\s?app|telegram"
    r"|discord|face\s?book|fb|messenger|twitter|signal|linked\s?in|kik|skype"
    r"|threads|twitch|roblox|xbox|psn|steam|reddit|bluesky)"
)
# The words (runs of `\w`) that a match of _SERVICE is made of, in lower case.
# A pattern built on _SERVICE runs only when one of these groups of words
# occurs in the text, which ordinary mail seldom has.
_SERVICE_WORDS = (
    *(
        frozenset({name})
        for name in """
        insta instagram ig snap snapchat sc tiktok whatsapp telegram discord
        facebook fb messenger twitter signal linkedin kik skype threads twitch
        roblox xbox psn steam reddit bluesky
        """.split()  # noqa: SIM905 - a word list reads better as text
    ),
    frozenset({"tik", "tok"}),
    frozenset({"whats", "app"}),
    frozenset({"face", "book"}),
    frozenset({"linked", "in"}),
)
# "X" is a service only after an invitation ("follow me on x"), because on its
# own it is a letter, a kiss or a variable.
_INVITED_SERVICE = rf"(?:{_SERVICE}|x)"
_HANDLE = r"(?P<handle>@?[\w.]{2,30}(?:#\d{4})?)"
_ACCOUNT_WORD = r"(?:user\s?name|name|handle|user|id|tag|account|acc|profile)"

# "add me on snap", "message me on whatsapp", "hit me up on discord: sam#1234".
# The whole invitation goes, with the handle if one follows.
# A person's name after a comma ("find me on facebook, Sam Jones") is the
# handle too.
_INVITATION = re.compile(
    r"\b(?P<invitation>(?:add|follow|find|message|msg|dm|pm|text|call|ring"
    r"|contact|reach|hit|chat\s+(?:to|with)|talk\s+to|speak\s+to|friend|ping)"
    r"\s+(?:me|us)(?:\s+up)?\s+(?:on|at|via|over|through|in)\s+(?:the\s+)?"
    rf"{_INVITED_SERVICE}\b)"
    r"(?:,?\s*(?P<name>(?-i:[A-Z][a-z]+(?:[ ][A-Z][a-z]+){1,2}))\b"
    r"|\s*(?P<label>[:=@-]|\bas\b|\bat\b|\bis\b|\bits\b|\bit's\b)?"
    rf"\s*{_HANDLE})?",
    re.IGNORECASE,
)
# "whatsapp me", "facetime me": the service used as a verb.
_SERVICE_VERB = re.compile(r"\b(?:whats\s?app|facetime)\s+(?:me|us)\b", re.IGNORECASE)
_SERVICE_VERB_WORDS = (
    frozenset({"whatsapp"}),
    frozenset({"whats", "app"}),
    frozenset({"facetime"}),
)
# "my insta is @sam.j", "my snap's samj04", "our discord name: sam#1234".
_POSSESSIVE = re.compile(
    rf"\b(?:my|our)\s+{_SERVICE}(?:\s+{_ACCOUNT_WORD})?"
    rf"\s*(?P<label>\bis\b|'s\b|[:=-])\s*{_HANDLE}",
    re.IGNORECASE,
)
# "snap: samj_04", "Insta: @sam.j", "discord id = sam#1234", "snapchat -
# samj_04". After a dash the handle must look like one, because "Signal - weak
# today" is prose.
_LABELLED = re.compile(
    rf"\b{_SERVICE}(?:\s+{_ACCOUNT_WORD})?\s*(?P<label>[:=-])\s*{_HANDLE}",
    re.IGNORECASE,
)
# "on insta @sam.j", "follow me @sam_j": an @handle right after a service or
# an invitation.
_AT_HANDLE_VERBS = ("follow", "add", "dm", "message", "msg", "find")
_AT_HANDLE = re.compile(
    rf"\b(?:{_SERVICE}|(?:{'|'.join(_AT_HANDLE_VERBS)})\s+(?:me|us))"
    r"\s+(?:(?:is|at|as|on|me)\s+)?(?P<handle>@[\w.]{2,30})",
    re.IGNORECASE,
)
# "what's your snap? mine's samj_04": the answer to a question about a service.
_ANSWER = re.compile(
    rf"\b{_SERVICE}\s*\?\s*(?:mine|it)(?P<label>'s|\s+is)\s+{_HANDLE}",
    re.IGNORECASE,
)

# Words that follow "add me on snap" or "snap:" in prose and are no handle.
_NOT_HANDLES = frozenset(
    """
    is me and or but if so then too now later tonight today tomorrow soon please
    pls plz the a an it its to for from with when whenever sometime sometimes
    thanks thank ok okay yes no not x xx lol haha maybe instead sometime again
    anytime instead there here this that what why how who which add message
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words that describe an account rather than name it: "my snap is private".
# Words ending in "ing", "ed" or "ly" count too ("my snap is glitching").
_DESCRIPTIONS = frozenset(
    """
    broken down private public blocked banned deleted new old off on full
    hacked gone dead same different rubbish bad good great fine locked open
    closed weird slow annoying boring empty active inactive just so really very
    still also actually kinda pretty only all mine yours better worse back
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_LABELS_BEFORE_A_NAME = frozenset({"is", "'s", "its", "it's"})


class OffPlatformFilter:
    """Remove links and handles for messaging, social and file-sharing services."""

    kind = "off_platform"
    placeholder = "[contact link removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        # Each pattern runs only when the text has the words it needs, so
        # most text costs one lookup in its set of words per pattern.
        found = words(text)
        spans: list[Span] = []
        if _names_a_host(text, found):
            spans.extend(
                Span(match.start(), _link_end(match), self.kind)
                for match in _SERVICE_LINK.finditer(text)
            )
        names_service = _has_any(found, _SERVICE_WORDS)
        if names_service or "x" in found:
            spans.extend(self._invitations(text))
        if _has_any(found, _SERVICE_VERB_WORDS):
            spans.extend(
                Span(m.start(), m.end(), self.kind)
                for m in _SERVICE_VERB.finditer(text)
            )
        patterns = [_POSSESSIVE, _LABELLED, _ANSWER] if names_service else []
        if _may_have_at_handle(text, found, names_service):
            patterns.insert(2, _AT_HANDLE)
        for pattern in patterns:
            for match in pattern.finditer(text):
                handle = _handle_span(match)
                if handle is not None:
                    spans.append(Span(*handle, self.kind))
        return spans

    def _invitations(self, text: str) -> list[Span]:
        spans = []
        for match in _INVITATION.finditer(text):
            handle = _handle_span(match)
            end = handle[1] if handle else match.end("invitation")
            end = match.end("name") if match.group("name") else end
            spans.append(Span(match.start(), end, self.kind))
        return spans


def _has_any(found: frozenset[str], groups: tuple[frozenset[str], ...]) -> bool:
    """Check whether every word of at least one of `groups` is in `found`."""
    return any(group <= found for group in groups)


def _names_a_host(text: str, found: frozenset[str]) -> bool:
    """Check whether some service host occurs in the text.

    Each label of a host in a link is a whole run of word characters, because
    dots, slashes and the pattern's lookarounds bound it. The set lookups
    come first because they are cheaper than a substring search, and "t.me"
    alone passes them in most text ("don't" and "me").
    """
    if found.isdisjoint(_HOST_VOCABULARY):
        return False
    folded = fold_case(text)
    return any(labels <= found and host in folded for host, labels in _HOST_LABELS)


def _may_have_at_handle(text: str, found: frozenset[str], names_service: bool) -> bool:
    """Check for what _AT_HANDLE needs: an "@" after whitespace, and an anchor."""
    if not names_service and not (
        ("me" in found or "us" in found) and not found.isdisjoint(_AT_HANDLE_VERBS)
    ):
        return False
    at = text.find("@")
    while at != -1:
        if at > 0 and text[at - 1].isspace():
            return True
        at = text.find("@", at + 1)
    return False


def _link_end(match: re.Match[str]) -> int:
    """Return where a link ends once sentence punctuation after it is dropped."""
    return match.start() + len(match.group().rstrip(_TRAILING_PUNCTUATION))


def _handle_span(match: re.Match[str]) -> tuple[int, int] | None:
    """Return the span of the handle a match found, or None if it reads as prose.

    Common words never count ("add me on snap tonight"), nor do names without
    a letter ("discord = 12"). After "is" or "'s" a plain word also must not
    describe the account, because "my snap is broken" names no account.
    NOTE: a description missing from _DESCRIPTIONS ("my snap is cool") is
    removed as if it were a handle.
    """
    handle = match.group("handle")
    if handle is None:
        return None
    trimmed = handle.rstrip(".")
    name = trimmed.lstrip("@")
    if len(name) < 2 or name.lower() in _NOT_HANDLES:
        return None
    if not any(ch.isalpha() for ch in name):
        return None

    label = (match.groupdict().get("label") or "").strip().lower()
    marked = trimmed.startswith("@") or any(ch.isdigit() or ch in "_." for ch in name)
    if label in _LABELS_BEFORE_A_NAME and not marked and _describes(name.lower()):
        return None
    if label == "-" and not marked:
        return None
    start = match.start("handle")
    return start, start + len(trimmed)


def _describes(word: str) -> bool:
    """Recognise a word that describes an account: see _DESCRIPTIONS."""
    return word in _DESCRIPTIONS or word.endswith(("ing", "ed", "ly"))
