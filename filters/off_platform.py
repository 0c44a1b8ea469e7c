"""Find links and handles that move a conversation to another service.

These go:

- links to messaging, social, video-call and file-sharing services
  ("wa.me/...", "instagram.com/sam", "zoom.us/j/...", "drive.google.com/..."),
  also when disguised ("instagram dot com slash sam", "hxxps://t[.]me/sam");
- links through URL shorteners and link-in-bio pages, because the recipient
  cannot see where they lead, and links to an IP address;
- phrases that hand out an account ("add me on snap: samj_04", "my insta is
  @sam.j", "message me on whatsapp", "snap samj04", "samj04 on snap",
  "👻 samj04"), Discord tags ("samj#1234") and Switch friend codes;
- @handles on their own ("find me @samj_04", "@sam@mastodon.social");
- links to any site whose shape reaches a person: see _ANY_LINK.

"whatsapp me" and "facetime me" go even with no number or handle after
them, because they ask to move the conversation to a private channel.

Links to other sites stay. Links to YouTube, GitHub and LinkedIn go too,
although a programme for adults might want them: a channel, a profile or a
comment thread reaches the person, and removal is the safe default for young
people. No setting keeps them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from filters.base import FilterContext, Span
from filters.link_view import link_view, may_be_disguised
from filters.prefilter import (
    digit_runs,
    fold_case,
    follows_non_word,
    matches_at,
    words,
)
from filters.profanity import ProfanityFilter

log = logging.getLogger(__name__)

# Hosts whose links reach a person or a shared file. A host also matches its
# subdomains ("chat.whatsapp.com", "vm.tiktok.com", "m.facebook.com"). An
# entry with a path ("open.spotify.com/user") matches only links under it,
# because the rest of that site shares music, not people.
_MESSAGING_HOSTS = """
    instagram.com instagr.am ig.me snapchat.com tiktok.com wa.me whatsapp.com
    t.me telegram.me telegram.dog discord.gg discord.com discordapp.com
    facebook.com fb.com fb.me m.me messenger.com twitter.com x.com
    signal.me signal.group linkedin.com lnkd.in kik.me threads.net bsky.app
    reddit.com redd.it twitch.tv youtube.com youtu.be github.com roblox.com
    steamcommunity.com s.team xbox.com matrix.to line.me lin.ee viber.com
    viber.me wechat.com weixin.qq.com skype.com pinterest.com pin.it
    tumblr.com mastodon.social mastodon.online mstdn.social bsky.social vsco.co
    open.spotify.com/user yubo.live bere.al bereal.com amino.com aminoapps.com
    kick.com
    """.split()  # noqa: SIM905 - a word list reads better as text
_VIDEO_CALL_HOSTS = """
    zoom.us meet.google.com teams.microsoft.com teams.live.com whereby.com
    facetime.apple.com webex.com meet.jit.si
    """.split()  # noqa: SIM905 - a word list reads better as text
# Shorteners and link-in-bio pages hide where a link goes.
_SHORTENER_HOSTS = """
    bit.ly t.co tinyurl.com goo.gl ow.ly is.gd buff.ly rebrand.ly cutt.ly
    linktr.ee beacons.ai tiny.cc shorturl.at rb.gy t.ly lnk.bio bio.link
    carrd.co about.me
    """.split()  # noqa: SIM905 - a word list reads better as text
_FILE_SHARING_HOSTS = """
    drive.google.com docs.google.com dropbox.com db.tt wetransfer.com we.tl
    onedrive.live.com 1drv.ms photos.app.goo.gl photos.google.com icloud.com
    mega.nz gofile.io file.io pastebin.com hastebin.com imgur.com padlet.com
    """.split()  # noqa: SIM905 - a word list reads better as text
# Site builders and blog hosts, whose subdomains are personal pages.
_PERSONAL_PAGE_HOSTS = """
    wixsite.com weebly.com github.io gitlab.io blogspot.com wordpress.com
    neocities.org netlify.app vercel.app pages.dev glitch.me sites.google.com
    """.split()  # noqa: SIM905 - a word list reads better as text
_HOSTS = (
    _MESSAGING_HOSTS
    + _VIDEO_CALL_HOSTS
    + _SHORTENER_HOSTS
    + _FILE_SHARING_HOSTS
    + _PERSONAL_PAGE_HOSTS
)
_SERVICE_LINK = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:[\w-]+\.)*"
    rf"(?:{'|'.join(map(re.escape, _HOSTS))})"
    r"(?![\w-])(?:[/?#][^\s<>\"'()\[\]]*)?",
    re.IGNORECASE,
)
_HOST_LABELS = tuple((host, frozenset(re.split(r"[./]", host))) for host in _HOSTS)
_HOST_VOCABULARY = frozenset().union(*(labels for _, labels in _HOST_LABELS))
_TRAILING_PUNCTUATION = ".,;:!?"

# Names people use for the services in prose, including short forms.
_SERVICE = (
    r"(?:insta(?:gram)?|ig|snap(?:chats?)?|sc|tik\s?tok|whats\s?app|telegram"
    r"|discord|face\s?book|fb|messenger|twitter|signal|linked\s?in|kik|skype"
    r"|threads|twitch|roblox|xbox|psn|steam|reddit|bluesky|youtube|github"
    r"|pinterest|tumblr|mastodon|wechat|viber|facetime|minecraft|fortnite"
    r"|be\s?real|yubo|amino|vsco|epic\s?games|line(?=\s+id\b))"
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
        roblox xbox psn steam reddit bluesky youtube github pinterest tumblr
        mastodon wechat viber facetime minecraft fortnite snapchats bereal yubo
        amino vsco epicgames
        """.split()  # noqa: SIM905 - a word list reads better as text
    ),
    frozenset({"tik", "tok"}),
    frozenset({"be", "real"}),
    frozenset({"epic", "games"}),
    frozenset({"line", "id"}),
    frozenset({"whats", "app"}),
    frozenset({"face", "book"}),
    frozenset({"linked", "in"}),
)
# "X" is a service only after an invitation ("follow me on x"), because on its
# own it is a letter, a kiss or a variable.
_INVITED_SERVICE = rf"(?:{_SERVICE}|x)"
# Skype names may start with "live:", which is part of the name.
_HANDLE = r"(?P<handle>@?(?:live:)?[\w.]{2,30}(?:#\d{4})?)"
_ACCOUNT_WORD = (
    r"(?:user\s?name|name|handle|user|id|tag|account|acc|profile|gamer\s?tag|gt"
    r"|ign|server|realm|friend\s?code|channel|page)"
)

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
    r"|\s*(?P<label>[:=@,-]|\bas\b|\bat\b|\bis\b|\bits\b|\bit's\b)?"
    rf"\s*{_HANDLE})?",
    re.IGNORECASE,
)
# "whatsapp me", "facetime me": the service used as a verb.
_SERVICE_VERB = re.compile(
    r"\b(?:whats\s?app|facetime|skype|viber)\s+(?:me|us)\b", re.IGNORECASE
)
_SERVICE_VERB_WORDS = (
    frozenset({"whatsapp"}),
    frozenset({"whats", "app"}),
    frozenset({"facetime"}),
    frozenset({"skype"}),
    frozenset({"viber"}),
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


# "snap samj04", "ig sam_jones_99", "snap me samj04": a service, then a
# handle with no label. Only a handle that cannot be a word counts: see
# _unlabelled_handle_span.
_UNLABELLED = re.compile(
    rf"\b{_SERVICE}(?:\s+(?:me|us))?(?:\s+{_ACCOUNT_WORD})?[ \t]+"
    r"(?P<handle>@?(?:live:)?[A-Za-z_][\w.]{1,29})(?![\w@])",
    re.IGNORECASE,
)
_MIN_UNLABELLED_HANDLE = 4

# "@sam@mastodon.social" on the fediverse, "@sam:matrix.org" on Matrix.
_FEDERATED_HANDLE = re.compile(r"@[\w.-]{1,30}[@:][\w-]+(?:\.[\w-]+)+")
# "find me @samj_04", "I'm @samj_04 everywhere": an @handle with no service
# named. The pattern starts with a literal "@", so that `re` skips ahead to
# it, and _starts_handle checks the character before it.
_BARE_HANDLE = re.compile(r"@(?P<handle>[A-Za-z_][\w.]{1,29})(?![\w@]|:\w)")
# Characters that put an "@" inside an address or a link rather than before
# a handle: "sam@example.org", "youtube.com/@sam".
_NOT_BEFORE_HANDLE = frozenset(".@+/-=_")
# "working @home", "see you @school": "@" as shorthand for "at".
# NOTE: any other word after "@" is removed as a handle, including a name
# used as a mention ("thanks @Sam").
_AT_WORDS = frozenset(
    """
    home school work uni college lunch break weekend night noon midnight the
    a my your church gym club practice training library station here everyone
    all
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# A link to an IP address names no site, so it can reach anyone's server:
# "http://192.0.2.10/x", or "192.0.2.10:25565" for a game server.
_IP_LINK = re.compile(
    r"\b(?:https?|ftp)://(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?::[0-9]{1,5})?"
    r"(?:[/?#][^\s<>\"'()\[\]]*)?",
    re.IGNORECASE,
)
# Links to any other site stay, because mentors share ordinary links
# ("ucas.com", "bbc.co.uk/bitesize") and no list of safe sites can be
# complete. A link to another site goes only when its shape reaches a person
# or hides where it leads. These shapes are:
# - a host name that looks like a username ("samj04.com", "samj04.example.net");
# - a profile path ("/@sam", "/~sam", "/u/sam");
# - a user name before the host ("https://bbc.co.uk@evil.example");
# - a punycode host ("xn--...") or a host written as one number;
# - another link inside it, as in a redirector ("google.com/url?q=...").
# The whole link goes in each case, never a part of it.
# NOTE: ordinary sites whose name ends in digits ("office365.com") are
# removed too, because the filter cannot tell them from a personal site.
_ANY_LINK = re.compile(
    r"(?<![\w.@/-])(?:(?P<scheme>(?:https?|ftp)://)"
    r"(?P<userinfo>[^\s/?#@<>\"'()\[\]]+@)?)?"
    r"(?P<host>(?:[a-z0-9][\w-]{0,62}\.)+[a-z][a-z0-9-]{1,62}|[0-9]{8,10}"
    r"|0x[0-9a-f]{8})(?![\w-])(?::[0-9]{1,5})?(?P<path>[/?#][^\s<>\"'()\[\]]*)?",
    re.IGNORECASE,
)
# Top-level domains that make a bare name with a dot ("samj04.com") a link.
# Without a scheme, other endings are more often file names ("cv.pdf").
_BARE_LINK_ENDINGS = frozenset(
    """
    com net org io co uk me xyz app dev site online page info biz tv gg ly
    social live us eu blog website club store shop link
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# A host label that looks like a username: letters, then two or more
# digits ("samj04"), or an underscore anywhere.
_USERNAME_LABEL = re.compile(r"[a-z]+[_-]?[0-9]{2,}|\w*_\w*", re.IGNORECASE)
_PROFILE_SEGMENTS = frozenset(
    """
    u user users profile profiles people member members in add
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_LINK_INSIDE = re.compile(r"https?(?::|%3a)|www\.", re.IGNORECASE)
_IP_AND_PORT = re.compile(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}:[0-9]{2,5}(?![\w.])")

# Names that a sender may split with a space inside a disguised link:
# "insta gram . com".
_JOINABLE_NAMES = frozenset(
    label for host in _HOSTS for label in host.split(".")[:-1] if len(label) >= 4
)
_PROFANITY = ProfanityFilter()

# "samj04 on snap", "follow sam_j on insta": the handle before the service.
# Without a verb in front, only a handle that cannot be a word counts, as in
# _UNLABELLED, because "photos on insta" is prose.
_HANDLE_ON_SERVICE = re.compile(
    r"(?:\b(?P<verb>add|follow|find|search(?:\s+for)?|look\s+up|dm|message)\s+)?"
    r"(?<![\w@.#])(?P<handle>@?[A-Za-z_][\w.]{1,29})"
    rf"\s+(?:on|at|in|via)\s+(?:the\s+)?{_SERVICE}\b",
    re.IGNORECASE,
)
# Words that follow "add" or "follow" before "on snap" and name no account.
_NOT_HANDLES_AFTER_VERB = frozenset(
    """
    him her them us me everyone everybody people someone somebody friends along
    back
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# "my @ is samj04": the "@" itself stands for the service.
_MY_AT = re.compile(
    rf"\b(?:my|our)\s+@\s*(?P<label>\bis\b|'s\b|[:=-])\s*{_HANDLE}",
    re.IGNORECASE,
)
# "tt: samj04" (TikTok), "tg: @samj" (Telegram). Both are also everyday
# abbreviations ("TT: Monday" for table tennis), so the handle must be marked.
_SHORT_SERVICE = re.compile(rf"\b(?:tt|tg)\s*(?P<label>[:=])\s*{_HANDLE}", re.I)
_SHORT_SERVICE_WORDS = frozenset({"tt", "tg"})
# The ghost (U+1F47B) stands for Snapchat and the camera (U+1F4F8) for
# Instagram: "👻 samj04", "📸: sam.j".
_APP_EMOJI = re.compile(
    rf"[\U0001F47B\U0001F4F8]\ufe0f?[ \t]*(?P<label>[:=-])?[ \t]*{_HANDLE}"
)
# A Discord tag: "samj#1234". Some references share the shape, so those
# names stay ("order#1234").
_DISCORD_TAG = re.compile(r"(?<![\w#@./])(?P<name>[A-Za-z_][\w.]{1,31})#[0-9]{4}(?!\w)")
_NOT_DISCORD_NAMES = frozenset(
    """
    issue ticket order ref reference no number case room item page id invoice
    job pr bug task question q
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# A Nintendo Switch friend code: "SW-1234-5678-9012", or its twelve digits
# after "friend code".
_FRIEND_CODE = re.compile(
    r"(?:\bSW-?|\bfriend\s?code\s*(?:is\s+|[:=]\s*)?(?:SW-?)?)"
    r"[0-9]{4}[- ][0-9]{4}[- ][0-9]{4}(?![\w-])",
    re.IGNORECASE,
)

Offsets = Iterator[tuple[int, int]]


class OffPlatformFilter:
    """Remove links and handles for messaging, social and file-sharing services."""

    kind = "off_platform"
    placeholder = "[contact link removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        # Each pattern runs only when the text has the words or characters
        # it needs, so most text costs one lookup per pattern.
        found = words(text)
        offsets = [
            *_service_links(text, found),
            *_service_phrases(text, found),
            *_marked_handles(text, found),
            *_bare_handles(text, context),
            *_ip_links(text),
            *_personal_links(text, found),
            *_disguised_links(text),
        ]
        return [Span(start, end, self.kind) for start, end in offsets]


def _service_links(text: str, found: frozenset[str]) -> Offsets:
    if not _names_a_host(text, found):
        return
    hosts = {host for host, labels in _HOST_LABELS if labels <= found}
    for start, end in _windows_around(text, hosts, _LINK_MARGIN, whole_words=False):
        for match in _SERVICE_LINK.finditer(text, start, end):
            yield match.start(), _link_end(match)


def _service_phrases(text: str, found: frozenset[str]) -> Offsets:
    names_service = _has_any(found, _SERVICE_WORDS)
    if names_service or "x" in found:
        names = {"x"} if "x" in found else set()
        yield from _invitations(text, _service_windows(text, found, names))
    if _has_any(found, _SERVICE_VERB_WORDS):
        yield from (match.span() for match in _SERVICE_VERB.finditer(text))
    if not names_service:
        if _may_have_at_handle(text, found, names_service):
            yield from _handles_after(_AT_HANDLE, text, [(0, len(text))])
        return
    # Every phrase below contains a service name, so on a long text the
    # patterns run only near the names instead of at every position.
    windows = _service_windows(text, found)
    patterns = [_POSSESSIVE, _LABELLED, _ANSWER]
    if _may_have_at_handle(text, found, names_service):
        patterns.insert(2, _AT_HANDLE)
    for pattern in patterns:
        yield from _handles_after(pattern, text, windows)
    for start, end in windows:
        for match in _UNLABELLED.finditer(text, start, end):
            handle = _unlabelled_handle_span(match)
            if handle is not None:
                yield handle
        yield from _handles_before_service(text, start, end)


def _handles_after(
    pattern: re.Pattern[str], text: str, windows: list[tuple[int, int]]
) -> Offsets:
    for start, end in windows:
        for match in pattern.finditer(text, start, end):
            handle = _handle_span(match)
            if handle is not None:
                yield handle


# Characters either side of a service name that a phrase naming it can
# reach; the longest labelled phrases are well under 100 characters.
_WINDOW_MARGIN = 200


# A link can run this far either side of the service's host name.
_LINK_MARGIN = 4096


def _service_windows(
    text: str, found: frozenset[str], extra: set[str] | None = None
) -> list[tuple[int, int]]:
    """Return the merged stretches of `text` within reach of a service name."""
    names = {word for group in _SERVICE_WORDS if group <= found for word in group}
    return _windows_around(text, names | (extra or set()), _WINDOW_MARGIN)


def _windows_around(
    text: str, names: set[str], margin: int, *, whole_words: bool = True
) -> list[tuple[int, int]]:
    """Return the merged stretches within `margin` of each occurrence of `names`."""
    if len(text) <= 4 * margin:
        return [(0, len(text))]
    folded = fold_case(text)
    stretches: list[tuple[int, int]] = []
    for name in names:
        at = folded.find(name)
        while at != -1:
            end = at + len(name)
            if not whole_words or _is_whole_word(folded, at, end):
                start = max(0, at - margin)
                stretches.append((start, min(len(text), end + margin)))
            at = folded.find(name, end)
    stretches.sort()
    merged: list[tuple[int, int]] = []
    for start, end in stretches:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _is_whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_" or after.isalnum() or after == "_")


def _handles_before_service(text: str, start: int, end: int) -> Offsets:
    for match in _HANDLE_ON_SERVICE.finditer(text, start, end):
        handle = _unlabelled_handle_span(match)
        if handle is None and match.group("verb"):
            handle = _plain_handle_span(match)
        if handle is not None:
            yield handle


def _plain_handle_span(match: re.Match[str]) -> tuple[int, int] | None:
    """Return the span of a lower-case word handle after "add" or "follow"."""
    name = match.group("handle")
    if not name.islower() or len(name) < _MIN_UNLABELLED_HANDLE:
        return None
    if name in _NOT_HANDLES or name in _NOT_HANDLES_AFTER_VERB:
        return None
    return match.span("handle")


def _marked_handles(text: str, found: frozenset[str]) -> Offsets:
    """Find handles marked by "my @", a short service name, an emoji or a tag."""
    patterns = []
    if "@" in text:
        patterns.append(_MY_AT)
    if not found.isdisjoint(_SHORT_SERVICE_WORDS):
        patterns.append(_SHORT_SERVICE)
    if "\U0001f47b" in text or "\U0001f4f8" in text:
        patterns.append(_APP_EMOJI)
    for pattern in patterns:
        for match in pattern.finditer(text):
            yield from _labelled_or_marked(match, strict=pattern is _SHORT_SERVICE)
    if "#" in text:
        yield from _discord_tags(text)
    if "sw" in found or "code" in found:
        yield from (match.span() for match in _FRIEND_CODE.finditer(text))


def _labelled_or_marked(match: re.Match[str], strict: bool) -> Offsets:
    """Yield a handle: after a label any name, else one that cannot be a word."""
    if match.group("label") and not strict:
        handle = _handle_span(match)
    else:
        handle = _unlabelled_handle_span(match)
    if handle is not None:
        yield handle


def _discord_tags(text: str) -> Offsets:
    for match in _DISCORD_TAG.finditer(text):
        if match.group("name").lower() not in _NOT_DISCORD_NAMES:
            yield match.span()


def _invitations(text: str, windows: list[tuple[int, int]]) -> Offsets:
    matches = (m for start, end in windows
               for m in _INVITATION.finditer(text, start, end))  # fmt: skip
    for match in matches:
        handle = _handle_span(match)
        end = handle[1] if handle else match.end("invitation")
        end = match.end("name") if match.group("name") else end
        yield match.start(), end


def _bare_handles(text: str, context: FilterContext) -> Offsets:
    if "@" not in text:
        return
    for match in _FEDERATED_HANDLE.finditer(text):
        if _starts_handle(text, match.start()):
            yield match.span()
    for match in _BARE_HANDLE.finditer(text):
        if not _starts_handle(text, match.start()):
            continue
        name = match.group("handle").rstrip(".")
        if name.lower() in _AT_WORDS or _is_offensive("@" + name, context):
            continue
        yield match.start(), match.start("handle") + len(name)


def _starts_handle(text: str, at: int) -> bool:
    if at == 0:
        return True
    before = text[at - 1]
    return not before.isalnum() and before not in _NOT_BEFORE_HANDLE


def _is_offensive(token: str, context: FilterContext) -> bool:
    """Recognise "@ss" and the like, which the offensive-word filter removes."""
    return bool(_PROFANITY.find(token, context))


def _ip_links(text: str) -> Offsets:
    if "://" in text:
        yield from (_link_span(match) for match in _IP_LINK.finditer(text))
    runs = digit_runs(text)
    starts = (start for start, end in runs if text[end : end + 1] == ".")
    for match in matches_at(_IP_AND_PORT, text, starts):
        if follows_non_word(text, match.start()) and text[match.start() - 1] != ".":
            yield match.span()


def _personal_links(text: str, found: frozenset[str]) -> Offsets:
    """Find links to other sites that reach a person: see _ANY_LINK."""
    folded = fold_case(text)
    if (
        "://" not in text
        and "xn--" not in folded
        and found.isdisjoint(_BARE_LINK_ENDINGS)
    ):
        return
    for match in _ANY_LINK.finditer(text):
        if _reaches_person(match):
            yield _link_span(match)


def _reaches_person(match: re.Match[str]) -> bool:
    host = match.group("host").lower()
    labels = host.split(".")
    if not match.group("scheme"):
        return labels[-1] in _BARE_LINK_ENDINGS and _has_personal_shape(match)
    if match.group("userinfo") or "." not in host:
        return True
    return _has_personal_shape(match)


def _has_personal_shape(match: re.Match[str]) -> bool:
    labels = match.group("host").lower().split(".")
    if any(label.startswith("xn--") for label in labels):
        return True
    if any(_USERNAME_LABEL.fullmatch(label) for label in labels[:-1]):
        return True
    path = match.group("path") or ""
    if _LINK_INSIDE.search(path):
        return True
    first = path.lstrip("/").split("/", 1)[0]
    return first[:1] in {"@", "~"} or first.lower() in _PROFILE_SEGMENTS


def _disguised_links(text: str) -> Offsets:
    """Find service links written with disguised dots or slashes: see link_view."""
    if not may_be_disguised(text):
        return
    view = link_view(text, _JOINABLE_NAMES)
    if view is None:
        return
    for pattern in (_SERVICE_LINK, _IP_LINK):
        for match in pattern.finditer(view.text):
            yield view.original_span(*_link_span(match))


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


def _link_span(match: re.Match[str]) -> tuple[int, int]:
    return match.start(), _link_end(match)


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
    if label in {"-", ","} and not marked:
        return None
    start = match.start("handle")
    return start, start + len(trimmed)


def _unlabelled_handle_span(match: re.Match[str]) -> tuple[int, int] | None:
    """Return the span of a handle right after a service name, if it is one.

    With no label, only a handle that cannot be a word counts: it starts
    with "@", or has a digit, "_" or "." inside, and is at least
    _MIN_UNLABELLED_HANDLE characters long. So "snap samj04" goes and
    "insta stories" stays.
    """
    handle = match.group("handle").rstrip(".")
    name = handle.lstrip("@")
    marked = handle.startswith("@") or any(ch.isdigit() or ch in "_." for ch in name)
    if not marked or len(name) < _MIN_UNLABELLED_HANDLE:
        return None
    start = match.start("handle")
    return start, start + len(handle)


def _describes(word: str) -> bool:
    """Recognise a word that describes an account: see _DESCRIPTIONS."""
    return word in _DESCRIPTIONS or word.endswith(("ing", "ed", "ly"))
