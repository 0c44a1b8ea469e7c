"""Find links and handles that move a conversation to another service.

These go:

- links to messaging, social, video-call and file-sharing services
  ("wa.me/...", "instagram.com/sam", "zoom.us/j/...", "drive.google.com/..."),
  also when disguised ("instagram dot com slash sam", "hxxps://t[.]me/sam");
- links through URL shorteners and link-in-bio pages, because the recipient
  cannot see where they lead, and links to an IP address;
- phrases that hand out an account ("add me on snap: samj_04", "my insta is
  @sam.j", "message me on whatsapp", "snap samj04", "samj04 on snap",
  "👻 samj04", "instagram/samj"), also with the service name disguised
  ("sn4p", "instagrm", "snapchst", "s.n.a.p", "the gram"), described ("the
  yellow ghost app"), shortened ("WA: samj04", "dc samj04") or the handle
  spelled out ("s a m j 0 4", "samj underscore 04"), Discord tags
  ("samj#1234") and Switch friend codes;
- handles after a label that names no service ("username - samj04",
  "user: samjones", "find me as samj04", "samj04 everywhere", "I'm samjones
  on there");
- @handles on their own ("find me @samj_04", "@sam@mastodon.social"), and
  tokens that only a handle has ("samj_04", "#samj_04"): see _HANDLE_SHAPED;
- links to any site whose shape reaches a person: see _ANY_LINK.

"whatsapp me" and "facetime me" go even with no number or handle after
them, because they ask to move the conversation to a private channel.

Links to other sites stay. Links to YouTube, GitHub and LinkedIn go too,
although a programme for adults might want them: a channel, a profile or a
comment thread reaches the person, and removal is the safe default for young
people. No setting keeps them. Links to a YouTube video and to a GitHub
repository stay, because they share content: see _CONTENT_LINK.

Code that looks like a handle stays: decorators, CSS at-rules and npm scopes
("@property", "@media", "@types/node"), and snake_case names in a sentence
that reads as code ("Variables: total_2024, q1_sales"): see _CODE_AT_WORDS
and _reads_as_identifier.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Iterator

from filters.base import FilterContext, Span
from filters.encoded import find_encoded
from filters.link_view import link_view, may_be_disguised
from filters.prefilter import (
    fast_digit_runs,
    fold_case,
    follows_non_word,
    letter_words,
    matches_at,
    word_starts,
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
# File-sharing hosts, and design, form and page tools whose links open a
# person's file or collect responses, which makes them attachments by another
# route. Only Canva's design links go ("canva.com/design/..."), because the
# rest of canva.com is the tool's own site.
_FILE_SHARING_HOSTS = """
    drive.google.com docs.google.com dropbox.com db.tt wetransfer.com we.tl
    onedrive.live.com 1drv.ms photos.app.goo.gl photos.google.com icloud.com
    mega.nz gofile.io file.io pastebin.com hastebin.com imgur.com padlet.com
    sharepoint.com canva.com/design forms.gle forms.office.com
    jamboard.google.com sway.office.com notion.so catbox.moe mediafire.com
    sendspace.com pixeldrain.com filebin.net anonfiles.com bayfiles.com
    transfer.sh tmpfiles.org uguu.se files.fm filemail.com krakenfiles.com
    4shared.com zippyshare.com ufile.io swisstransfer.com fromsmash.com
    jumpshare.com transfernow.net
    """.split()  # noqa: SIM905 - a word list reads better as text
# Site builders and blog hosts, whose subdomains are personal pages.
_PERSONAL_PAGE_HOSTS = """
    wixsite.com weebly.com github.io gitlab.io blogspot.com wordpress.com
    neocities.org netlify.app vercel.app pages.dev glitch.me sites.google.com
    notion.site canva.site
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
# The runs of letters in each host name ("drv" and "ms" for "1drv.ms"), which
# letter_words finds in any text that contains the host.
_HOST_LABELS = tuple((host, frozenset(re.findall("[a-z]+", host))) for host in _HOSTS)
_HOST_VOCABULARY = frozenset().union(*(labels for _, labels in _HOST_LABELS))


def _index_hosts_by_label() -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Return each host of _HOST_LABELS under its longest label.

    A text contains every label of a host that occurs in it, so a lookup
    needs to try only the hosts filed under words of the text.
    """
    index: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for host, labels in _HOST_LABELS:
        index.setdefault(max(sorted(labels), key=len), []).append((host, labels))
    return index


_HOSTS_BY_LABEL = _index_hosts_by_label()
_TRAILING_PUNCTUATION = ".,;:!?"
# Links to content on YouTube and GitHub stay: a video ("youtube.com/watch?v=",
# "/shorts/", "youtu.be/ID") and a repository ("github.com/owner/repo").
# GitHub has no private messages. Channel links ("/@samj", "/channel/", "/c/",
# "/user/") and GitHub profiles ("github.com/samj") still go, because a
# channel or a profile lists the owner's other accounts.
_CONTENT_LINK = re.compile(
    r"(?:https?://)?(?:www\.|m\.)?(?P<host>youtube\.com|youtu\.be|github\.com)"
    r"(?P<path>[/?#]\S*)?",
    re.IGNORECASE,
)
_YOUTUBE_VIDEO = re.compile(
    r"/(?:watch\?v=|(?:shorts|embed|live)/)[\w-]{6,}(?![\w-])", re.IGNORECASE
)
_YOUTU_BE_VIDEO = re.compile(r"/[\w-]{6,}(?:\?\S*)?")
# First path segments on github.com that name no repository owner.
# "github.com/sponsors/samj" is a page for sending the owner money.
_GITHUB_NOT_OWNERS = frozenset({"sponsors", "orgs", "users", "settings", "login"})

# Names people use for the services in prose, including short forms, common
# misspellings ("instagrm", "watsapp") and names split by a space, dot or
# dash ("tik-tok"). "The gram" is Instagram.
_SPLIT = r"[\s.-]?"
# Descriptions that name a service without its name: Snapchat's logo is a
# yellow ghost, its photos disappear after viewing, and Twitter's is a bird.
# "The yellow ghost" without "app" counts only after "on" ("samj04 on the
# yellow ghost"), because a story or a costume may have one.
_DESCRIBED_APP = (
    r"(?:(?:yellow|little)\s+)*ghost\s+app|bird\s+app|(?<=\bon\sthe\s)yellow\s+ghost"
    r"|app\s+with\s+the\s+(?:yellow\s+)?ghost"
    r"|app\s+(?:where|that|with)\s+(?:the\s+|your\s+)?"
    r"(?:pics|photos|pictures|messages|snaps|chats|texts)\s+"
    r"(?:disappear|vanish)(?:e?s)?"
)
_SERVICE = (
    rf"(?:insta(?:{_SPLIT}gram|grm|gam)?|instgram|ig|snap(?:{_SPLIT}chats?)?|sc"
    rf"|tik{_SPLIT}tok|whats{_SPLIT}app|whatsap|watsapp|watsap|teleg(?:ram)?"
    rf"|discord|face{_SPLIT}book|fb|messenger|twitter|signal|linked\s?in|kik"
    r"|skype|threads|twitch|roblox|xbox|psn|steam|reddit|bluesky|youtube|github"
    r"|pinterest|tumblr|mastodon|wechat|viber|facetime|minecraft|fortnite"
    r"|be\s?real|yubo|amino|vsco|epic\s?games|line(?=\s+id\b)|the\s+gram"
    rf"|ins{_SPLIT}ta|{_DESCRIBED_APP})"
)
# The names that _SERVICE matches, in lower case: one word, or two words with
# one whitespace character, dot or dash between them ("tik tok").
# "line" counts only before "id", and "gram" only after "the" or "my" (see
# _POSSESSIVE and _INVITATION), but a window around any "gram" contains both.
# Descriptions (_DESCRIBED_APP) are longer, and are found near the words
# in _DESCRIPTION_ANCHORS.
# Every pattern built on _SERVICE has a word boundary before the name and a
# non-word character or the end after it, so the name is always whole words,
# and the patterns run only near such names (see _service_names), which
# ordinary mail seldom has.
_ONE_WORD_SERVICES = frozenset(
    """
    insta instagram ig snap snapchat sc tiktok whatsapp telegram discord
    facebook fb messenger twitter signal linkedin kik skype threads twitch
    roblox xbox psn steam reddit bluesky youtube github pinterest tumblr
    mastodon wechat viber facetime minecraft fortnite snapchats bereal yubo
    amino vsco epicgames instagrm instagam instgram whatsap watsapp watsap
    teleg
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words that _DESCRIBED_APP contains: a window around each contains the
# whole description.
_DESCRIPTION_ANCHORS = frozenset(
    {"ghost", "bird", "disappear", "disappears", "vanish", "vanishes"}
)
_ANCHOR_WORDS = _ONE_WORD_SERVICES | _DESCRIPTION_ANCHORS | {"gram"}
_TWO_WORD_SERVICES = (
    ("tik", "tok"),
    ("be", "real"),
    ("epic", "games"),
    ("whats", "app"),
    ("face", "book"),
    ("linked", "in"),
    ("insta", "gram"),
    ("snap", "chat"),
    ("snap", "chats"),
    ("ins", "ta"),
)
# Digits that stand for letters in a disguised service name ("sn4p",
# "1nsta", "d1scord"). "1" is tried as "i" and as "l".
_LEET_TABLES = (
    str.maketrans("013457", "oieast"),
    str.maketrans("013457", "oleast"),
)
# Short names ("ig", "fb") are left out, because "1g" and "f8" are not names.
_LEET_NAMES = frozenset(name for name in _ONE_WORD_SERVICES if len(name) >= 4)
_LEET_WORD_MAX = max(map(len, _LEET_NAMES))
_LINE_ID = re.compile(r"\s+id\b")
# "X" is a service only after an invitation ("follow me on x"), because on its
# own it is a letter, a kiss or a variable.
_INVITED_SERVICE = rf"(?:{_SERVICE}|x|gram)"
# Skype names may start with "live:", which is part of the name. A handle
# spelled out one character at a time ("s a m j 0 4", "s-a-m-j") counts too.
_HANDLE = r"(?P<handle>(?:\w[ -]){3,29}\w(?!\w)|@?(?:live:)?[\w.]{2,30}(?:#\d{4})?)"
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
_VERB_SERVICES = frozenset({"whatsapp", "facetime", "skype", "viber"})
# Words people put between a label and a handle: "my snap is I think samj".
_FILLER = (
    r"(?:(?:i\s+think|i\s+guess|i\s+believe|probably|prob|like|just|basically"
    r"|literally|actually|tbh|um+|e+rm*)[\s,]+)*"
)
# "my insta is @sam.j", "my snap's samj04", "our discord name: sam#1234".
_POSSESSIVE = re.compile(
    rf"\b(?:my|our)\s+{_SERVICE}(?:\s+{_ACCOUNT_WORD})?"
    rf"\s*(?P<label>\bis\b|'s\b|[:=-])\s*{_FILLER}{_HANDLE}",
    re.IGNORECASE,
)
# "snap: samj_04", "Insta: @sam.j", "discord id = sam#1234", "snapchat -
# samj_04". After a dash the handle must look like one, because "Signal - weak
# today" is prose.
_LABELLED = re.compile(
    rf"\b{_SERVICE}(?:\s+{_ACCOUNT_WORD})?\s*(?P<label>[:=-])\s*{_FILLER}{_HANDLE}",
    re.IGNORECASE,
)
# "on insta @sam.j", "follow me @sam_j", "insta @ sam.j": an @handle right
# after a service or an invitation, also with spaces after the "@".
_AT_HANDLE_VERBS = ("follow", "add", "dm", "message", "msg", "find")
_AT_HANDLE = re.compile(
    rf"\b(?:{_SERVICE}|(?:{'|'.join(_AT_HANDLE_VERBS)})\s+(?:me|us))"
    r"\s+(?:(?:is|at|as|on|me)\s+)?(?P<handle>@[ \t]*[\w.]{2,30})",
    re.IGNORECASE,
)
# "what's your snap? mine's samj_04": the answer to a question about a service.
_ANSWER = re.compile(
    rf"\b{_SERVICE}\s*\?\s*(?:mine|it)(?P<label>'s|\s+is)\s+{_HANDLE}",
    re.IGNORECASE,
)

# "snap is samj_04", "insta is s-a-m-j": "is" after a service name with no
# "my". Only a handle that cannot be a word counts, because "snap is fun" is
# prose.
_SERVICE_IS = re.compile(
    rf"\b{_SERVICE}(?:\s+{_ACCOUNT_WORD})?\s+is\s+{_HANDLE}", re.IGNORECASE
)
# "my gram is sam.j". Some people call their grandmother "gram", so only a
# handle that cannot be a word counts ("my gram is in hospital" stays).
_MY_GRAM = re.compile(
    rf"\b(?:my|our)\s+gram\s*(?P<label>\bis\b|'s\b|[:=-])\s*{_HANDLE}",
    re.IGNORECASE,
)
# "instagram/samj", "tiktok/@samj": a profile path with the ".com" left out,
# perhaps with the path segment of an add or profile link before the handle
# ("snap.chat/add/samj_04", "insta/u/samj").
_SLASHED = re.compile(
    rf"\b{_SERVICE}\s?/\s?(?:(?:add|u|user|users|profile|in)/)?"
    r"(?P<handle>@?[A-Za-z_][\w.]{1,29})(?![\w@])",
    re.IGNORECASE,
)
# Words after "youtube/" or "snap/" that name no account ("google/youtube").
_VERSION = re.compile(r"v?[0-9]+(?:\.[0-9]+)+", re.IGNORECASE)
_NOT_HANDLES_AFTER_SLASH = frozenset(
    """
    google email mail phone text web website app apps online video videos
    netflix spotify bbc reels stories posts shorts dms messages chat
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Words that follow "add me on snap" or "snap:" in prose and are no handle.
_NOT_HANDLES = frozenset(
    """
    is me and or but if so then too now later tonight today tomorrow soon please
    in at of by as
    pls plz the a an it its to for from with when whenever sometime sometimes
    thanks thank ok okay yes no not x xx lol haha maybe instead sometime again
    anytime instead there here this that what why how who which add message
    my our your his her their i we you he she they
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words that describe an account rather than name it: "my snap is private".
# Words ending in "ing", "ed" or "ly" count too ("my snap is glitching").
_DESCRIPTIONS = frozenset(
    """
    broken down private public blocked banned deleted new old off on full
    hacked gone dead same different rubbish bad good great fine locked open
    closed weird slow annoying boring empty active inactive just so really very
    forgotten wrong hidden taken unknown secret long short simple easy hard
    still also actually kinda pretty only all mine yours better worse back
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_LABELS_BEFORE_A_NAME = frozenset({"is", "'s", "its", "it's"})


# "snap samj04", "ig sam_jones_99", "snap me samj04", "snap me, samj
# underscore 04": a service, then a handle with no label. Only a handle that
# cannot be a word counts: see _unlabelled_handle_span.
_UNLABELLED = re.compile(
    rf"\b{_SERVICE}(?:\s+(?:me|us)(?:\s+at)?,?)?(?:\s+{_ACCOUNT_WORD})?[ \t]+"
    r"(?P<handle>@?(?:live:)?[A-Za-z_][\w.]{1,29})(?![\w@])",
    re.IGNORECASE,
)
_MIN_UNLABELLED_HANDLE = 4
# "snap?\nsamj04", "what's your insta?\nsam.j04", "Snapchat\nsamj04",
# "snap? samj04": a line that ends with a service name, perhaps asked
# about, then a handle that ends its line. The handle must not read as a
# word, as for _UNLABELLED, so "is that on snap?\nSam" keeps the name.
_HANDLE_ON_NEXT_LINE = re.compile(
    rf"\b{_SERVICE}(?:\s+{_ACCOUNT_WORD})?"
    r"(?:[ \t]*[?!]+[ \t]*(?:\r?\n[ \t]*)?|[ \t]*:?[ \t]*\r?\n[ \t]*)"
    r"(?P<handle>@?[A-Za-z_][\w.]{1,29})[ \t]*(?=\r?\n|\Z)",
    re.IGNORECASE,
)

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
# Any other word after "@" goes as a handle, except code (see
# _CODE_AT_WORDS) and a first name that addresses the partner ("thanks
# @Sam", see _is_addressed_name).
_AT_WORDS = frozenset(
    """
    home school work uni college lunch break weekend night noon midnight the
    a my your church gym club practice training library station here everyone
    all
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Code that starts with "@": Python decorators ("@property", "@app.route(")
# and CSS and Sass at-rules ("@media", "@font-face"). A name in this list
# stays anywhere. Any other "@name" stays when "(" follows it ("@retry(3)"),
# when it is an npm scope ("@types/node"), or when it starts a line and the
# next line starts a definition ("@cache\ndef load():").
# NOTE: "@samj/notes" stays as an npm scope; only a service name after the
# "/" ("@samj/insta") makes it a handle.
_CODE_AT_WORDS = frozenset(
    """
    property dataclass staticmethod classmethod abstractmethod cached_property
    lru_cache cache wraps contextmanager asynccontextmanager override overload
    final total_ordering singledispatch setter getter deleter fixture
    media import keyframes font-face supports charset namespace page layer
    container counter-style font-feature-values tailwind apply include mixin
    extend use forward
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_AT_RULE = re.compile(r"[A-Za-z_][\w-]*")
# Parts of dotted and snake_case decorator names in Flask, Django, pytest,
# Click, Celery and the standard library: "@app.route", "@login_required",
# "@pytest.fixture", "@shared_task", "@mock.patch".
_DECORATOR_PARTS = frozenset(
    """
    route get post put patch delete fixture mark parametrize skip skipif
    xfail usefixtures required exempt protect view task command group option
    argument pass context handler errorhandler request response hook
    validator receiver register listens event callback middleware property
    cache cached method methods decorator setter getter deleter wraps
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Modules and objects that dotted decorators start with.
_DECORATOR_MODULES = frozenset(
    """
    app api bp blueprint router pytest mock unittest functools typing abc
    dataclasses contextlib celery click admin models numba jit torch
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# A first name as one word with a capital: "Sam", "Alex".
_FIRST_NAME = re.compile(r"[A-Z][a-z]{1,14}")
# A greeting or a thank-you right before a name: "thanks @Sam".
_GREETING_BEFORE = re.compile(
    r"(?i:\b(?:thanks|thank\s+you|thx|ty|cheers|hi|hey|hello|morning|sorry"
    r"|congrats|congratulations|well\s+done|nice\s+one|good\s+point|agreed"
    r"|yes|no|ok|okay|great|good\s+luck|bye|night|dear))[,!]?[ \t]+$"
)
_GREETING_LOOKBACK = 24
_NPM_PACKAGE = re.compile(r"/(?P<package>[a-z0-9][\w.-]*)")
# Decorators may stack, so the lines between may hold more of them.
_DEFINITION = re.compile(
    r"[^\n]*(?:\n[ \t]*@[^\n]*)*\n[ \t]*(?:async[ \t]+def|def|class)[ \t]"
)

# A link to an IP address names no site, so it can reach anyone's server:
# "http://192.0.2.10/x", or "192.0.2.10:25565" for a game server.
# Loopback and private-network addresses (127.0.0.0/8, 10.0.0.0/8,
# 172.16.0.0/12, 192.168.0.0/16, RFC 1918) and 0.0.0.0 reach only the
# writer's own machine or network, so "http://127.0.0.1:5000" from a
# development server stays, with or without scheme and port.
_IP_LINK = re.compile(
    r"\b(?:https?|ftp)://(?P<ip>(?:[0-9]{1,3}\.){3}[0-9]{1,3})(?::[0-9]{1,5})?"
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
# A dot before a letter, which a host name has, found in the folded text.
# One pattern for this and "://" ran about ten times slower on the 100 KB
# bench body (Python 3.11), because `re` skips ahead fast only to a single
# literal first character.
_DOT_LETTER = re.compile(r"\.[a-z]")
_SPACE = re.compile(r"\s")
_LINK_INSIDE = re.compile(r"https?(?::|%3a)|www\.", re.IGNORECASE)
_IP_AND_PORT = re.compile(
    r"(?P<ip>(?:[0-9]{1,3}\.){3}[0-9]{1,3}):[0-9]{2,5}(?!\w|\.[0-9])"
)
_LOCAL_NETWORKS = tuple(
    ipaddress.IPv4Network(network)
    for network in (
        "0.0.0.0/32",
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
    )
)
_PORT = re.compile(r":[0-9]{2}")

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
    r"(?:\s+(?:is|'s)\s+(?:me|us))?"
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

# A handle spelled out in words: "samj underscore 04", "sam dot j dot 04",
# "samj then an underscore then zero four", "sam j, no spaces, then 04".
# _SPELLED_TAIL is the part after the first word, which another rule has
# already found as a handle. It needs at least one joining word, so a single
# letter or number after a handle ("my snap is samj 4 ever") stays. After
# "then" or "no spaces" alone only digits or number words count, because
# "samj04, then we can talk" is prose.
_NUMBER_WORDS = "zero|oh|one|two|three|four|five|six|seven|eight|nine"
_SPELLED_DIGITS = (
    rf"(?:[0-9]+|(?:{_NUMBER_WORDS})(?:[ \t-]+(?:{_NUMBER_WORDS})){{0,11}})(?![\w'])"
)
_JOINING_WORD = r"(?:under[ \t-]?score|dash|hyphen|dot|period|full[ \t]stop)"
_SYMBOL_JOIN = (
    r"[ \t]*,?[ \t]+(?:then[ \t]+(?:an?[ \t]+)?)?"
    rf"{_JOINING_WORD},?(?:[ \t]+then)?,?[ \t]+"
)
_SPACE_JOIN = (
    r"[ \t]*,?[ \t]+(?:(?:no[ \t]+spaces?|all[ \t]+one[ \t]+word),?[ \t]+)?then[ \t]+"
    r"|[ \t]*,[ \t]*(?:no[ \t]+spaces?|all[ \t]+one[ \t]+word),?[ \t]+"
)
_SPELLED_PART = rf"(?!{_JOINING_WORD}\b|then\b)[^\W_][\w]{{0,29}}(?![\w'])"
_SINGLE_CHARACTER = r"[ \t]+[^\W_](?![\w'])"
_SPELLED_STEP = (
    rf"(?:{_SINGLE_CHARACTER}){{0,4}}(?:{_SYMBOL_JOIN})"
    rf"(?:{_SPELLED_DIGITS}|{_SPELLED_PART})"
    rf"|(?:{_SINGLE_CHARACTER}){{0,4}}(?:{_SPACE_JOIN}){_SPELLED_DIGITS}"
)
# A handle has at most 30 characters, so a few parts are enough. The bound
# also keeps each attempt short on a long run of "a dot b dot ...".
_MAX_SPELLED_STEPS = 6
_SPELLED_TAIL = re.compile(
    rf"(?:{_SPELLED_STEP}){{1,{_MAX_SPELLED_STEPS}}}", re.IGNORECASE
)
# The start of a tail that joins with a word for a symbol, which marks the
# word before it as a handle even with no label ("snap samj underscore 04").
_SYMBOL_TAIL = re.compile(
    rf"(?:{_SINGLE_CHARACTER}){{0,4}}(?:{_SYMBOL_JOIN})"
    rf"(?:{_SPELLED_DIGITS}|{_SPELLED_PART})",
    re.IGNORECASE,
)
# Last words of a found span that end an invitation, not a handle.
_NOT_TAIL_WORDS = _ANCHOR_WORDS | {"app", "gram"}
# "sam dot j dot 04 on insta": a spelled handle before the service. Only the
# words for a symbol ("dot", "underscore") join its parts here, because with
# nothing before it "sam then 04 on insta" may be prose.
_SPELLED_ON_SERVICE = re.compile(
    rf"(?<![\w@.#'])(?P<handle>(?P<first>{_SPELLED_PART})"
    rf"(?:{_SYMBOL_JOIN}(?:{_SPELLED_DIGITS}|{_SPELLED_PART})){{1,{_MAX_SPELLED_STEPS}}})"
    rf"\s+(?:on|at|in|via)\s+(?:the\s+)?{_SERVICE}\b",
    re.IGNORECASE,
)
# A handle spelled as a run of short parts: "sam j 04", "sam jay oh four",
# "sierra alpha mike juliet zero four". A part is one letter, digits, a
# number word, the name of a letter ("jay") or a NATO spelling word, and
# spaces, "_" or "-" join the parts. After a handle that a rule has found,
# the run up to the end of the clause belongs to it (see _with_spelled_tails).
_LETTER_NAMES = frozenset(
    "jay kay zed zee aitch ess vee dee cee ef el em en ar".split()  # noqa: SIM905
)
_NATO_WORDS = frozenset(
    """
    alpha alfa bravo charlie delta echo foxtrot golf hotel india juliet juliett
    kilo lima mike november oscar papa quebec romeo sierra tango uniform victor
    whiskey whisky xray yankee zulu
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_RUN_PART = (
    rf"(?:{_NUMBER_WORDS}|{'|'.join(sorted(_LETTER_NAMES | _NATO_WORDS))}"
    r"|[0-9]+|[^\W\d_])(?![^\W_]|')"
)
_RUN_STEP = rf"[ \t_-]+{_RUN_PART}"
_MAX_RUN_STEPS = 12
# The run must reach the end of the clause: the end of the text, or a
# character that is neither a letter, a digit nor a space ("snap: sam j 04."
# or "sam j 04\n"). So "my snap is samj 4 ever" keeps "4 ever".
_RUN_TAIL = re.compile(
    rf"(?:{_RUN_STEP}){{1,{_MAX_RUN_STEPS}}}(?=[ \t]*(?:$|[^\w \t]))", re.I
)
# "sam j 04 on insta", "sam jay oh four on snap": a run before the service.
_RUN_ON_SERVICE = re.compile(
    rf"(?<![\w@.#'])(?P<handle>(?P<first>[A-Za-z][A-Za-z0-9]{{0,29}})"
    rf"(?P<parts>(?:{_RUN_STEP}){{1,{_MAX_RUN_STEPS}}}))"
    rf"[ \t]+(?:on|at|in|via)[ \t]+(?:the[ \t]+)?{_SERVICE}\b",
    re.I,
)
# "samj 04 📸": a run before the camera or ghost emoji, which stand for
# Instagram and Snapchat (see _APP_EMOJI).
_RUN_BEFORE_EMOJI = re.compile(
    rf"(?<![\w@.#'])(?P<handle>(?P<first>[A-Za-z][\w.]{{1,29}})"
    rf"(?P<parts>(?:{_RUN_STEP}){{0,{_MAX_RUN_STEPS}}}))"
    r"[ \t]*[:=-]?[ \t]*[\U0001F47B\U0001F4F8]"
)
_RUN_PART_WORDS = re.compile(r"[^\W_]+")
_NUMBER_WORD_SET = frozenset(_NUMBER_WORDS.split("|"))
# Words that start ordinary phrases before "on insta" or a number: "part 2
# on youtube", "Monday 6 30 on zoom", "follow j 04 on snap".
_NOT_RUN_STARTS = frozenset(
    """
    add follow find search look dm message msg see saw watch watched posted
    post got get go went day days monday tuesday wednesday thursday friday
    saturday sunday january february march april may june july august
    september october november december episode series season number top
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# "S-A-M-J-_-0-4": single characters joined by dashes, with letters and a
# digit or "_". _DASH_PROBE starts with a literal "-", so `re` skips ahead
# to it fast, and the full pattern is tried only where it matched.
_DASH_SPELLED = re.compile(r"(?<![\w-])(?:\w-){4,29}\w(?![\w-])")
_DASH_PROBE = re.compile(r"-\w-\w-\w-")
# "my insta is the snap one but with no underscore: samj04", "my snap
# backwards: 40_jmas": a service named earlier in the clause, then a colon
# and a token with a letter and a digit or "_". A time ("10am") stays.
_COLON_AFTER_SERVICE = re.compile(
    rf"\b{_SERVICE}\b[^\n.!?:]{{1,80}}?:[ \t]*"
    r"(?P<handle>[A-Za-z0-9_][\w.]{3,29})(?![\w@])",
    re.I,
)
_TIME_OR_SIZE = re.compile(
    r"[0-9]+(?:[.:][0-9]+)?(?:am|pm|k|m|gb|mb|kb|st|nd|rd|th|s)", re.I
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
_DISCORD_NAME_MAX = 32
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

# Misspellings of the longer service names with one letter changed,
# swapped, left out or added ("snapchst", "snpchat", "whattsapp"). Each is
# generated from the name, except real words ("discard", "twister").
_TYPO_BASES = (
    "snapchat",
    "instagram",
    "insta",
    "whatsapp",
    "telegram",
    "discord",
    "facebook",
    "twitter",
    "tiktok",
    "youtube",
    "messenger",
)
_NOT_TYPOS = frozenset({"discard", "twister", "titter", "witter", "instal", "instar"})


def _typos(name: str) -> Iterator[str]:
    """Yield the words at edit distance 1 from `name`.

    Substitutions and swaps of two neighbours come first, then deletions and
    insertions.
    """
    letters = "abcdefghijklmnopqrstuvwxyz"
    for i in range(len(name)):
        yield from (name[:i] + c + name[i + 1 :] for c in letters)
    for i in range(len(name) - 1):
        yield name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    for i in range(len(name)):
        yield name[:i] + name[i + 1 :]
    for i in range(len(name) + 1):
        yield from (name[:i] + c + name[i:] for c in letters)


def _typo_table() -> tuple[dict[str, str], frozenset[str]]:
    """Return the same-length misspellings with their names, and the others."""
    same_length: dict[str, str] = {}
    others: set[str] = set()
    for name in _TYPO_BASES:
        for typo in _typos(name):
            if typo in _ONE_WORD_SERVICES or typo in _NOT_TYPOS:
                continue
            if len(typo) == len(name):
                same_length.setdefault(typo, name)
            else:
                others.add(typo)
    return same_length, frozenset(others - same_length.keys())


# A same-length misspelling is spelled out in place like "sn4p", so every
# phrase pattern finds it. A shorter or longer one counts only before a label
# or a handle (see _nicknamed_handles).
_SAME_LENGTH_TYPOS, _OTHER_TYPOS = _typo_table()
_SAME_LENGTH_TYPO_WORDS = frozenset(_SAME_LENGTH_TYPOS)
# Shorter misspellings are often words ("inst", "instal"), so after them
# only a handle that cannot be a word counts.
_SHORT_TYPO_MAX = 6

# Short names that are also everyday abbreviations or words: "WA" is
# WhatsApp or Western Australia, "dc" Discord or Washington, "tok" TikTok
# or Tok Pisin, "snp" Snapchat or a political party. After them only a
# handle that cannot be a word counts: see _unlabelled_handle_span.
_NICKNAME = re.compile(
    r"(?:wa|dc|tok|snp|ti(?:c|ck|k)[ \t-]?to(?:c|ck|k)|i\.g\.?)(?!\w)", re.I
)
_NICKNAME_FIRST_WORDS = frozenset({"wa", "dc", "tok", "snp", "tic", "tick", "tik"})
# Service names spelled one letter at a time: "s n a p", "s.n.a.p",
# "i-n-s-t-a". The longer names come first, so that "s n a p c h a t"
# is one name and not "s n a p" followed by a handle "c h a t".
_SPELLED_BASES = (
    "instagram",
    "snapchat",
    "whatsapp",
    "facebook",
    "telegram",
    "discord",
    "twitter",
    "tiktok",
    "insta",
    "snap",
    "kik",
)
_SPELLED_NAMES = tuple(
    (frozenset(name), separator.join(name))
    for name in _SPELLED_BASES
    for separator in " .-"
)
# The label or "is" and the handle after a nickname, a misspelling or a
# spelled-out name.
_AFTER_NICKNAME = re.compile(
    rf"(?:[ \t]*(?P<label>[:=]|-(?=\s)|\bis\b)[ \t]*|[ \t]+){_FILLER}{_HANDLE}",
    re.I,
)

# A label for an account with no service named: "handle: samj_04",
# "username - samj04", "user = sam.j". These words also label prose
# ("user: please log in", "handle: with care"), so only a handle that cannot
# be a word counts.
_ACCOUNT_LABEL = re.compile(
    r"(?:user\s?name|handle|user|gamer\s?tag|screen\s?name|ign)"
    rf"[ \t]*(?P<label>[:=]|-(?=\s)|\bis\b)[ \t]*{_FILLER}{_HANDLE}",
    re.I,
)
_ACCOUNT_LABEL_WORDS = frozenset(
    {"user", "username", "handle", "gamer", "gamertag", "screen", "screenname", "ign"}
)
# "my" or "our" right before an account label.
_OWNER = re.compile(r"\b(?:my|our)\s+$", re.I)
_OWNER_MAX = 8
# With no "my" or "our", a plain word after "user:", "username:", "handle:" or
# "handle -" counts only when it is the whole value. It is one word that ends
# the clause (see _CLAUSE_END), in lower case or with a capital inside
# ("samJones"). It is neither common (_COMMON_WORDS, _NOT_HANDLES) nor a word
# that describes the account (see _describes). So "user: samjones" goes, and
# "user: please log in", "handle: with care" and "Handle: the door sticks."
# stay. A word with only its first letter capital ("User: Sam") stays too,
# because a first name alone is no handle.
# NOTE: the project has no dictionary, so a rarer word alone after a label
# ("handle: gingerly") is removed as a handle.
_PLAIN_VALUE_LABELS = frozenset(":=-")
_CLAUSE_END = re.compile(r"[ \t]*(?:$|[\r\n]|[.,;!?)](?!\w)|on\s|there\b)")
_COMMON_WORDS = frozenset(
    """
    always never often rarely seldom usually forever ever nowhere somewhere
    online offline live away around about busy free paid famous popular known
    unknown huge rubbish terrible awful useless hopeless okay fine best worst
    level noob quiet loud nice mean kind funny friend friends nobody someone
    everyone myself yourself anonymous invisible visible required optional
    none blank pending unavailable available admin administrator guest
    student pupil teacher mentor mentee parent staff visitor member default
    email address name firstname surname yours mine theirs ours below above
    later care same here there what whatever anything nothing something
    unique please enter type tbc tba unset shared confident comfortable
    nervous careful sensible honest positive negative polite respectful
    responsible awkward anxious worried excited serious genuine friendly
    helpful curious regular awesome brilliant average typical reliable
    cautious strict similar familiar grateful thankful jealous patient normal
    horrible amazing decent
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# "I'm samjones on there", "I'm samjones on snap": a name on a service that
# "there" stands for. A plain word counts by the rule for a label with no
# owner (see _PLAIN_VALUE_LABELS), and only from _MIN_PLAIN_NAME letters,
# because most first names are shorter ("I'm jess on there" stays).
_I_AM_ON = re.compile(
    r"\b(?:i['\u2019]?m|i\s+am)\s+(?P<handle>@?[A-Za-z_][\w.]{1,29})"
    rf"\s+on\s+(?:there\b|(?:the\s+)?{_SERVICE}\b)",
    re.I,
)
_MIN_PLAIN_NAME = 7
# "find me as samj04": an invitation with no service named.
_FIND_ME_AS = re.compile(
    rf"\b(?:find|search\s+for|look\s+for|add)\s+me\s+as\s+{_HANDLE}", re.I
)
# "samj04 everywhere", "I'm samj04 on everything": one handle for every
# service.
_HANDLE_EVERYWHERE = re.compile(
    r"(?<![\w@.#])(?P<handle>@?[A-Za-z_][\w.]{1,29})\s+(?:everywhere"
    r"|on\s+(?:everything|all\s+(?:the\s+|my\s+)?(?:apps|socials|platforms|sites)"
    r"|every\s+(?:app|platform|site)))\b",
    re.I,
)
# The phrases that _HANDLE_EVERYWHERE needs, each after a word it contains.
_EVERYWHERE_PHRASES = (
    ("everywhere", "everywhere"),
    ("everything", "on everything"),
    ("apps", "on all"),
    ("socials", "on all"),
    ("platforms", "on all"),
    ("sites", "on all"),
    ("app", "on every"),
    ("platform", "on every"),
    ("site", "on every"),
)
_EVERYWHERE_WORDS = frozenset(word for word, _ in _EVERYWHERE_PHRASES)
# Characters either side of "me as" or "everywhere" that the phrases above
# can reach: a handle is at most 30 characters.
_PHRASE_MARGIN = 40

# A token that can only be a handle, even with no service or label near it:
# letters, "_" and two or more digits ("samj_04", "sam_2009"), or letters with
# digits inside a part and an "_" ("samj04_", "s4m_j"). A "#" in front goes
# too ("#samj_04"). snake_case words stay when they have no digits
# ("file_name"), or one digit as a part ("python_3", "max_value_2"). They also
# stay on a line that reads as code (see _CODE_LINE), right before "(", "[",
# "=", "/", "-", "@" or a file extension, or with a part from
# _TECHNICAL_PARTS ("utf_16", "IMG_2045"). All-capital names with two or more
# "_" are constants ("MAX_RETRY_10") and stay as well.
# NOTE: an identifier quoted in prose with two digits ("total_score_12") is
# removed, and a handle shaped like a technical name ("covid_19") stays.
_HANDLE_SHAPED = re.compile(
    r"(?P<token>#?[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]*)+)(?![\w@(\[=/\\-]|\.\w)"
)
_HANDLE_SHAPE_MIN = 4
_HANDLE_SHAPE_MAX = 30
_DIGITS_AFTER_LETTER = re.compile(r"[A-Za-z][0-9]")
# Characters that may come right before a handle-shaped token: the start of
# a line or a word, or an opening bracket, quote or label.
_BEFORE_HANDLE_TOKEN = frozenset(" \t\r\n([\"'\u201c\u2018:,>")
_CODE_LINE = re.compile(
    r"`|==|!=|->|=>|\bdef\s|\bimport\s|\breturn\b|\bclass\s|\w\(|\w\["
    r"|\w[ \t]*=[ \t]*[\w\"'\[({]|[{};][ \t]*$",
    re.M,
)
_TECHNICAL_PARTS = frozenset(
    """
    utf utf8 utf16 sha sha1 sha256 sha512 md md5 int int8 int16 int32 int64
    uint uint8 uint16 uint32 uint64 float float16 float32 float64 base base64
    iso ipv4 ipv6 x86 x64 arm64 amd64 mp3 mp4 h264 win32 win64 py3 python3
    es6 css3 html5 s3 ec2 k8s i18n l10n covid img dsc dscn pxl vid scan doc
    screenshot year week page step part unit level grade lesson chapter test
    tests q v1 v2 v3 v4 v5
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Parts of a handle-shaped token that mark it as a name in code when no
# service or handle cue is near: "demo_user2", "q1_sales", "orders_2026".
# Digits at the end of a part are ignored ("admin1" is "admin").
# A year alone is no such mark, because birth years are common in handles
# ("sam_2009").
_CODE_PARTS = frozenset(
    """
    user admin id test demo table total sales orders reports level player file
    var tmp temp data db q
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words that name a piece of work, a school subject or a version. A
# handle-shaped token made only of these and numbers reads as a file name
# when no service or handle cue is near ("budget_2026", "statement_draft2",
# "Re: hw_wk3"). Digits at the end of a part are ignored, as for _CODE_PARTS,
# so "v12" is "v" and "term2" is "term".
_DOCUMENT_PARTS = frozenset(
    """
    draft drafts final finals budget budgets statement statements personal
    essay essays note notes report reports result results summary minutes
    agenda plan plans figures accounts invoice sheet spreadsheet worksheet
    slides presentation doc docs letter application form forms portfolio
    cv cvs resume cover photo photos copy edit edited new old latest rev
    ver version v y yr t wk p pt ch sec section topic module task tasks
    homework hw assignment coursework project revision practice past paper
    papers qp ms mark marks scheme answers questions quiz mock mocks exam
    exams feedback review update term terms semester sem timetable options
    maths math english science physics chemistry biology history geography
    french spanish german art music drama computing ict pe re pshe
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words in a sentence that make the snake_case names in it read as code.
_CODE_CUES = frozenset(
    """
    variable variables function functions table tables column columns folder
    folders file files filename script scripts field fields database
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_TEST_LOGIN = re.compile(
    r"\btest(?:ing)?\s+(?:accounts?|logins?)\b|\blogins?\s+for\s+testing\b", re.I
)
# Words that hand out an account, so a token near them stays a handle.
_HANDLE_CUES = frozenset(
    """
    handle handles username usernames gamertag ign socials hmu dm dms pm
    everywhere
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_ASKING_VERBS = frozenset(
    {"add", "follow", "find", "message", "msg", "text", "contact", "reach", "ping"}
)
_SNAKE_CASE = re.compile(r"(?<![\w@#])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")
# Every word that the rules for unnamed services, nicknames and misspellings
# look up in the text's words.
_HINT_WORDS = (
    _SAME_LENGTH_TYPO_WORDS
    | _OTHER_TYPOS
    | _NICKNAME_FIRST_WORDS
    | _ACCOUNT_LABEL_WORDS
    | _EVERYWHERE_WORDS
    | {"there"}
)

Offsets = Iterator[tuple[int, int]]


class OffPlatformFilter:
    """Remove links and handles for messaging, social and file-sharing services."""

    kind = "off_platform"
    placeholder = "[contact link removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        spans = self._written(text, context)
        spans.extend(
            _across_soft_breaks(text, lambda joined: self._written(joined, context))
        )
        spans.extend(
            find_encoded(
                text, lambda decoded: bool(self._written(decoded, context)), self.kind
            )
        )
        return spans

    def _written(self, text: str, context: FilterContext) -> list[Span]:
        """Find the links and handles written in `text` itself."""
        # Each pattern runs only when the text has the words or characters
        # it needs, so most text costs one lookup per pattern.
        found = letter_words(text)
        # One intersection with every word the rules below look up costs
        # less than one per rule, because `found` is the larger set.
        hints = found & _HINT_WORDS
        plain, leet_names = _plain_service_names(text, hints)
        handles = [
            *_service_phrases(plain, found | leet_names),
            *_marked_handles(text, found),
            *_nicknamed_handles(text, found, hints),
            *_unnamed_service_handles(text, found, hints),
            *_handle_shaped_tokens(text, context),
            *_dash_spelled_tokens(text),
            *_bare_handles(text, context),
        ]
        offsets = [
            *_service_links(text, found),
            *_with_spelled_tails(text, handles),
            *_ip_links(text),
            *_personal_links(text, found),
            *_disguised_links(text),
        ]
        return [Span(start, end, self.kind) for start, end in offsets]


# A line that ends with a space is a soft line break in format=flowed text
# (RFC 3676 4.2), and with DelSp=yes the client may break a line inside a
# word: "samj \n_04 on Snapchat" was "samj_04 on Snapchat". Such a break
# is joined only before "_" or ".", which start no word in prose, so two
# prose words on either side of a line break are not read as one.
_SOFT_BREAK_BEFORE_SYMBOL = re.compile(r" +\r?\n(?=[_.]\w)")


def _across_soft_breaks(text: str, find: Callable[[str], list[Span]]) -> list[Span]:
    """Return what `find` finds across soft line breaks, in offsets of `text`.

    Each break before "_" or "." is removed, with its spaces, and `find`
    reads the joined text. Only the spans that cross a removed break are
    returned, because `find` reads the rest in `text` itself.
    """
    # The pattern starts with a space, so `re` would try it at every space.
    if "\n_" not in text and "\n." not in text:
        return []
    breaks = list(_SOFT_BREAK_BEFORE_SYMBOL.finditer(text))
    if not breaks:
        return []
    pieces: list[str] = []
    origins: list[int] = []
    cursor = 0
    for soft_break in breaks:
        pieces.append(text[cursor : soft_break.start()])
        origins.extend(range(cursor, soft_break.start()))
        cursor = soft_break.end()
    pieces.append(text[cursor:])
    origins.extend(range(cursor, len(text)))
    spans = []
    for span in find("".join(pieces)):
        start, end = origins[span.start], origins[span.end - 1] + 1
        if end - start > span.end - span.start:
            spans.append(Span(start, end, span.kind))
    return spans


def _with_spelled_tails(text: str, spans: list[tuple[int, int]]) -> Offsets:
    """Extend each handle by the rest of its spelling: see _SPELLED_TAIL.

    A span that ends with a service name or a word such as "me" is an
    invitation with no handle, and stays as it is.
    """
    for start, end in spans:
        if end < len(text) and _ends_with_handle(text, start, end):
            tail = _SPELLED_TAIL.match(text, end)
            if tail is not None:
                end = tail.end()
            run = _RUN_TAIL.match(text, end)
            if run is not None and not _is_lone_letter(run.group()):
                end = run.end()
        yield start, end


def _is_lone_letter(run: str) -> bool:
    """Recognise a run of one letter, such as the kiss in "@samj x"."""
    part = run.strip(" \t_-")
    return len(part) == 1 and part.isalpha()


def _is_spelled_run(first: str, parts: str) -> bool:
    """Check that a word and the short parts after it spell a handle.

    The parts need a digit or a number word. They also need a sign that
    they spell rather than count: one letter other than "a" or "i", digits
    with a leading zero ("04"), "oh", the name of a letter, two NATO words
    or an "_". Three or more NATO words or letter names count without a
    number.
    So "sam j 04" and "sierra alpha mike juliet zero four" are handles, and
    "part 2", "Monday 6 30" and "saw mike 2" are not.
    """
    if first.lower() in _NOT_RUN_STARTS or _is_common(first.lower()):
        return False
    words = [word.lower() for word in _RUN_PART_WORDS.findall(parts)]
    numbers = [word for word in words if word.isdigit() or word in _NUMBER_WORD_SET]
    letter_names = [word for word in words if word in _LETTER_NAMES]
    nato = [word for word in words if word in _NATO_WORDS]
    if len(letter_names) + len(nato) >= 3:
        return True
    if not numbers:
        return False
    return (
        "_" in parts
        or "oh" in words
        or bool(letter_names)
        or len(nato) >= 2
        or any(len(word) == 1 and word.isalpha() and word not in "ai" for word in words)
        or any(len(word) > 1 and word.startswith("0") for word in words)
    )


def _is_common(word: str) -> bool:
    return word in _NOT_HANDLES or word in _COMMON_WORDS or word in _TECHNICAL_PARTS


def _runs_before_service(text: str, start: int, end: int) -> Offsets:
    """Find "sam j 04 on insta": see _RUN_ON_SERVICE and _is_spelled_run.

    A rejected match is tried again from its second word, so "follow sam j
    04 on insta" finds "sam j 04".
    """
    position = start
    while match := _RUN_ON_SERVICE.search(text, position, end):
        if _is_spelled_run(match.group("first"), match.group("parts")):
            yield match.span("handle")
            position = match.end()
        else:
            position = match.end("first")


def _runs_before_emoji(text: str) -> Offsets:
    """Find "samj 04 📸", or a marked handle alone before the emoji."""
    for match in _RUN_BEFORE_EMOJI.finditer(text):
        first, parts = match.group("first"), match.group("parts")
        if parts:
            accepted = _is_spelled_run(first, parts)
        else:
            accepted = _unlabelled_handle_span(match) is not None
        if accepted:
            yield match.span("handle")


def _dash_spelled_tokens(text: str) -> Offsets:
    """Find "S-A-M-J-_-0-4": see _DASH_SPELLED."""
    resume = 0
    for probe in _DASH_PROBE.finditer(text):
        if probe.start() <= resume:
            continue
        match = _DASH_SPELLED.match(text, probe.start() - 1)
        if match is None:
            continue
        resume = match.end()
        characters = match.group().replace("-", "")
        letters = sum(char.isalpha() for char in characters)
        marked = any(char.isdigit() or char == "_" for char in characters)
        if letters >= 2 and marked:
            yield match.span()


def _colon_after_service(text: str, start: int, end: int) -> Offsets:
    """Find "my insta is the snap one but with no underscore: samj04"."""
    for match in _COLON_AFTER_SERVICE.finditer(text, start, end):
        handle = match.group("handle").rstrip(".")
        has_letter = any(char.isalpha() for char in handle)
        marked = any(char.isdigit() or char == "_" for char in handle)
        if not has_letter or not marked or _TIME_OR_SIZE.fullmatch(handle):
            continue
        if _VERSION.fullmatch(handle) is None:
            yield match.start("handle"), match.start("handle") + len(handle)


def _ends_with_handle(text: str, start: int, end: int) -> bool:
    word_start = end
    while word_start > start and text[word_start - 1].isalnum():
        word_start -= 1
    word = text[word_start:end].lower()
    if not word:
        return False
    return word not in _NOT_HANDLES and word not in _NOT_TAIL_WORDS


def _plain_service_names(
    text: str, hints: frozenset[str]
) -> tuple[str, frozenset[str]]:
    """Spell out service names written with digits for letters ("sn4p").

    Misspellings of the same length ("snapchst") are spelled out too. Return
    the text with each such name in plain lower-case letters, which keeps
    every offset, and the names rewritten.
    """
    names: dict[tuple[int, int], str] = {}
    for start, end in fast_digit_runs(text):
        word = _word_around(text, start, end)
        if word is not None and word not in names:
            name = _plain_name(fold_case(text)[word[0] : word[1]])
            if name is not None:
                names[word] = name
    for typo in hints & _SAME_LENGTH_TYPO_WORDS:
        for span in _whole_words(fold_case(text), typo):
            names[span] = _SAME_LENGTH_TYPOS[typo]
    if not names:
        return text, frozenset()
    pieces = []
    cursor = 0
    for (start, end), name in sorted(names.items()):
        pieces += [text[cursor:start], name]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), frozenset(names.values())


def _nicknamed_handles(
    text: str, found: frozenset[str], hints: frozenset[str]
) -> Offsets:
    """Find a handle after a nickname, a misspelling or a spelled-out name.

    After a misspelling or a spelled-out name, a label lets any handle count
    ("snpchat: samj"), as after a service name. After a nickname, or with no
    label, only a handle that cannot be a word counts ("WA: Perth" stays).
    """
    for start, end, ambiguous in _nicknames(text, found, hints):
        # "air-dc.mail.example" is a host name, not "dc" and a handle.
        if start > 0 and text[start - 1] in _NOT_BEFORE_HANDLE:
            continue
        match = _AFTER_NICKNAME.match(text, end)
        if match is None:
            continue
        if match.group("label") and not ambiguous:
            handle = _handle_span(match)
        else:
            handle = _named_handle_span(match)
        if handle is not None:
            yield handle


def _nicknames(
    text: str, found: frozenset[str], hints: frozenset[str]
) -> Iterator[tuple[int, int, bool]]:
    """Yield the span of each nickname, misspelling and spelled-out name.

    The flag is true for names that are also everyday words.
    """
    folded = fold_case(text)
    starts = [
        start
        for word in hints & _NICKNAME_FIRST_WORDS
        for start, _ in _whole_words(folded, word)
    ]
    if "i" in found and "g" in found:
        starts.extend(start for start, _ in _whole_words(folded, "i.g"))
    for match in matches_at(_NICKNAME, text, starts):
        yield match.start(), match.end(), True
    for typo in hints & _OTHER_TYPOS:
        for start, end in _whole_words(folded, typo):
            yield start, end, len(typo) <= _SHORT_TYPO_MAX
    yield from ((start, end, False) for start, end in _spelled_names(folded, found))


def _spelled_names(folded: str, found: frozenset[str]) -> Offsets:
    """Find service names spelled one letter at a time: see _SPELLED_NAMES."""
    spelled_spans: list[tuple[int, int]] = []
    for letters, spelled in _SPELLED_NAMES:
        if not letters <= found:
            continue
        for start, end in _whole_words(folded, spelled):
            if folded[end : end + 1] == "." and spelled[1] == ".":
                end += 1
            if not any(start < last and first < end for first, last in spelled_spans):
                spelled_spans.append((start, end))
                yield start, end


def _unnamed_service_handles(
    text: str, found: frozenset[str], hints: frozenset[str]
) -> Offsets:
    """Find handles given with no service named: see _ACCOUNT_LABEL."""
    yield from _account_label_handles(text, hints)
    matches: list[re.Match[str]] = []
    if "me" in found and "as" in found:
        # "me as" is rarer than the verbs, so the pattern runs only near it.
        matches.extend(_matches_near(_FIND_ME_AS, text, ("me as",), _PHRASE_MARGIN))
    phrases = tuple(
        dict.fromkeys(phrase for word, phrase in _EVERYWHERE_PHRASES if word in hints)
    )
    if phrases:
        matches.extend(_matches_near(_HANDLE_EVERYWHERE, text, phrases, _PHRASE_MARGIN))
    if "there" in hints:
        yield from _handles_on_there(text, _phrase_windows(text, "on there"))
    for match in matches:
        handle = _named_handle_span(match)
        if handle is not None:
            yield handle


def _account_label_handles(text: str, hints: frozenset[str]) -> Offsets:
    """Find "handle: samj04", and "my username is samjones" with any name.

    After "my" or "our" the label can only introduce an account, so a plain
    word counts unless it is common or describes the account.
    """
    starts = [
        start
        for word in hints & _ACCOUNT_LABEL_WORDS
        for start in word_starts(text, word)
    ]
    for match in matches_at(_ACCOUNT_LABEL, text, starts):
        start = match.start()
        if _is_login_elsewhere(text, match.start("handle")):
            continue
        if _OWNER.search(text, max(0, start - _OWNER_MAX), start):
            handle = _handle_span(match)
        else:
            handle = _named_handle_span(match)
        if handle is None and match.group("label") in _PLAIN_VALUE_LABELS:
            handle = _plain_value_span(text, match, _MIN_UNLABELLED_HANDLE)
        if handle is not None:
            yield handle


def _plain_value_span(
    text: str, match: re.Match[str], min_length: int
) -> tuple[int, int] | None:
    """Return the span of a plain-word handle that ends the clause, if any.

    See _PLAIN_VALUE_LABELS for the rule.
    """
    name = match.group("handle").rstrip(".")
    if not _is_plain_handle(name, min_length):
        return None
    start = match.start("handle")
    end = start + len(name)
    # A spelled tail ("samj underscore 04") marks the word as a handle too.
    if _CLAUSE_END.match(text, end) is None and not _SPELLED_TAIL.match(text, end):
        return None
    return start, end


def _is_plain_handle(name: str, min_length: int) -> bool:
    if not name.isalpha() or len(name) < min_length:
        return False
    # All capitals is shouting or a heading, and a capital first letter alone
    # is a first name or the start of a sentence.
    if name.isupper() or (name[0].isupper() and name[1:].islower()):
        return False
    word = name.lower()
    return (
        word not in _COMMON_WORDS and word not in _NOT_HANDLES and not _describes(word)
    )


def _handles_on_there(text: str, windows: list[tuple[int, int]]) -> Offsets:
    """Find "I'm samjones on there" and "I'm samjones on snap": see _I_AM_ON."""
    for start, end in windows:
        for match in _I_AM_ON.finditer(text, start, end):
            handle = _named_handle_span(match)
            if handle is None:
                handle = _plain_value_span(text, match, _MIN_PLAIN_NAME)
            if handle is not None:
                yield handle


def _phrase_windows(text: str, phrase: str) -> list[tuple[int, int]]:
    """Return the stretches of text within _PHRASE_MARGIN of each `phrase`."""
    spans = list(_occurrences(fold_case(text), phrase))
    return _windows(len(text), spans, _PHRASE_MARGIN) if spans else []


def _matches_near(
    pattern: re.Pattern[str], text: str, phrases: tuple[str, ...], margin: int
) -> Iterator[re.Match[str]]:
    """Yield the matches of `pattern` within `margin` of any of `phrases`."""
    folded = fold_case(text)
    spans = [span for phrase in phrases for span in _occurrences(folded, phrase)]
    if not spans:
        return
    for start, end in _windows(len(text), spans, margin):
        yield from pattern.finditer(text, start, end)


def _named_handle_span(match: re.Match[str]) -> tuple[int, int] | None:
    """Return what _unlabelled_handle_span returns for a handle with a letter.

    So "WA 6000", a postcode of Western Australia, stays.
    """
    if not _is_named(match.group("handle")):
        return None
    return _unlabelled_handle_span(match)


def _handle_shaped_tokens(text: str, context: FilterContext) -> Offsets:
    """Find tokens that can only be handles: see _HANDLE_SHAPED.

    In a subject a token counts only with a cue in its sentence (see
    _has_handle_cue), because a bare token there is no signature line, or
    when it is the whole subject ("samj_04", "Re: samj_04") and does not
    end in a year. A token on a line that reads as code, or quoted as a
    key ('"tracked_48": 4.45'), is a name in code, and so is the same
    token anywhere else in the text unless its sentence has a cue.
    """
    if "_" not in text:
        return
    # Many tokens share a line, and searching the line once per token made
    # a long one-line body cost time quadratic in its length.
    code_lines: dict[int, bool] = {}
    candidates: list[re.Match[str]] = []
    in_code: set[str] = set()
    for start in _underscore_token_starts(text):
        match = _HANDLE_SHAPED.match(text, start)
        if match is None or not _is_handle_shaped(match.group("token")):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        if line_start not in code_lines:
            line = _line_around(text, start)
            code_lines[line_start] = _CODE_LINE.search(line) is not None
        if code_lines[line_start] or _is_quoted_key(text, *match.span()):
            in_code.add(match.group("token"))
        else:
            candidates.append(match)
    for match in candidates:
        start = match.start()
        if match.group("token") in in_code and not _names_account(text, start):
            continue
        if (
            context.in_subject
            and not _has_handle_cue(text, start)
            and not _is_whole_subject(text, *match.span())
        ):
            continue
        if _reads_as_identifier(text, match.group("token"), start):
            continue
        if _is_prose_name(text, start) or _is_login_elsewhere(text, start):
            continue
        yield match.span()
    yield from _broken_handle_tokens(text)


# Reply and forward prefixes before the rest of a subject.
_SUBJECT_PREFIXES = re.compile(r"[ \t]*(?:(?:re|fwd?|fw)[ \t]*:[ \t]*)*", re.I)


# A year at the end of a token: "sam_2009".
_YEAR_AT_END = re.compile(r"_(?:19|20)\d\d$")


def _is_whole_subject(text: str, start: int, end: int) -> bool:
    """Check whether `text[start:end]` is the subject `text`, but for prefixes.

    NOTE: a whole subject that ends in a year ("Re: sam_2009") stays,
    because such a subject also titles a thing (a photo set, a year's
    project), although a birth year is common in handles.
    """
    prefixes = _SUBJECT_PREFIXES.match(text)
    if prefixes is None or prefixes.end() != start:
        return False
    if _YEAR_AT_END.search(text, start, end) is not None:
        return False
    return text[end:].strip(" \t.!?") == ""


# Words by which a sentence gives the writer's own name or account.
_SELF_NAMING = re.compile(
    r"\b(?:me|my|mine|myself|i['\u2019]?m|i\s+am|it['\u2019]?s|aka)\b", re.I
)
# A lower-case word and a space right before a token, as inside a sentence.
_PROSE_BEFORE = re.compile(r"(?:^|[ \t])[a-z]+[ \t]+$")
_PROSE_LOOKBACK = 40


def _is_prose_name(text: str, at: int) -> bool:
    """Check whether the token at `text[at]` is a name used in running text.

    "Should the account be something like cafe_wholesale_01?" offers no
    account: the token follows a lower-case word in its sentence, and the
    sentence has no handle cue (see _has_handle_cue) and no word by which
    the writer gives a name of their own ("me", "my", "I'm"). A token alone
    on a line or after a name, as in a signature ("Sam samj_04"), is no
    such name.
    """
    line_start = text.rfind("\n", 0, at) + 1
    before = text[max(line_start, at - _PROSE_LOOKBACK) : at]
    if _PROSE_BEFORE.search(before) is None:
        return False
    if _has_handle_cue(text, at):
        return False
    return _SELF_NAMING.search(_sentence_around(text, at)) is None


# Learning platforms that schools license. None is a social or messaging
# service, so a username on one is no off-platform contact.
_LEARNING_PLATFORMS = (
    r"sparx|seneca|hegarty|my\s?maths|educake|quizlet|kahoot|duolingo|satchel"
    r"|unifrog|dr\s?frost|tassomai|bedrock|memrise|kerboodle|mathletics|lexia"
    r"|khan\s+academy|bitesize|times\s+tables\s+rock\s+stars|ttrs"
    r"|google\s+classroom|class\s?charts|arbor|firefly|show\s+my\s+homework"
)
# A site described in lower-case words: "on the school shop website". A
# brand name ("the Wickr website") is not trusted, and neither are the
# words in _SOCIAL_SITE_WORDS.
_DESCRIBED_SITE = (
    r"(?i:on|for|of|at|to)\s+(?i:the|our|my|your|their|his|her)\s+"
    r"(?P<words>(?:[a-z]+\s+){1,3})(?:website|site|portal|intranet|app)\b"
)
_OTHER_SITE = re.compile(rf"\b(?:(?i:{_LEARNING_PLATFORMS})\b|{_DESCRIBED_SITE})")
_SOCIAL_SITE_WORDS = frozenset(
    """
    chat chats chatting social dating messaging message messages messenger
    video gaming game games forum friends friend meet meetup hookup
    anonymous live stream streaming photo photos sharing private secret
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _is_login_elsewhere(text: str, at: int) -> bool:
    """Check whether a username at `text[at]` is tied to a named non-social site.

    "My Sparx Maths username is jsmith_2027" and "My username on the school
    shop website is year11_tuckshop" name where the login works, and
    neither is a social or messaging service. A sentence that names
    a social or messaging service, or has a verb such as "add" or "follow",
    is never such a case.
    """
    sentence = _sentence_around(text, at)
    offset = text.find(sentence, max(0, at - _SENTENCE_MARGIN), at + 1)
    before = sentence[: at - offset] if offset >= 0 else sentence
    words = letter_words(sentence)
    if _service_names(fold_case(sentence), words) or "@" in sentence:
        return False
    if not words.isdisjoint(_ASKING_VERBS):
        return False
    for site in _OTHER_SITE.finditer(before):
        described = site.group("words")
        if described is None or _SOCIAL_SITE_WORDS.isdisjoint(described.split()):
            return True
    return False


def _has_handle_cue(text: str, at: int) -> bool:
    """Check whether the sentence around `text[at]` offers an account.

    A service name, a word from _HANDLE_CUES, an "@" or an asking verb
    ("add samj_04", "follow me") is a cue.
    """
    return _offers_account(_sentence_around(text, at))


def _offers_account(sentence: str) -> bool:
    words = letter_words(sentence)
    if _service_names(fold_case(sentence), words) or "@" in sentence:
        return True
    return not (words.isdisjoint(_HANDLE_CUES) and words.isdisjoint(_ASKING_VERBS))


def _reads_as_identifier(text: str, token: str, at: int) -> bool:
    """Check whether a handle-shaped token reads as a name in code or of a file.

    It does when its sentence names no service and has no handle cue, and
    the token has a word from _CODE_PARTS as a part, or every part is a
    word from _DOCUMENT_PARTS or a number, or the sentence has another
    snake_case name or a word from _CODE_CUES. So "My test accounts are
    demo_user2 and level2_boss" and "Re: budget_2026" keep the names, and
    "Sam\nsamj_04" in a signature and "add me: demo_user2" lose them.
    NOTE: two handles in one sentence with no cue ("samj_04, samk_05") stay.
    """
    sentence = _sentence_around(text, at)
    words = letter_words(sentence)
    if _service_names(fold_case(sentence), words):
        return False
    if not words.isdisjoint(_HANDLE_CUES) or ("me" in words and "@" in sentence):
        return False
    if not words.isdisjoint(_ASKING_VERBS) and "me" in words:
        return False
    parts = {part.rstrip("0123456789") for part in token.lower().split("_")}
    if not parts.isdisjoint(_CODE_PARTS):
        return True
    if _names_a_document(parts):
        return True
    if len(_SNAKE_CASE.findall(sentence)) >= 2:
        return True
    return not words.isdisjoint(_CODE_CUES) or _TEST_LOGIN.search(sentence) is not None


def _names_a_document(parts: set[str]) -> bool:
    """Check whether a token's parts, without end digits, are document words."""
    words = {part.lstrip("#") for part in parts} - {""}
    return bool(words) and words <= _DOCUMENT_PARTS | _TECHNICAL_PARTS


def _sentence_around(text: str, at: int) -> str:
    """Return the sentence or line around `text[at]`, at most _SENTENCE_MARGIN
    characters either side, which keeps the cost per token bounded.
    """
    low = max(0, at - _SENTENCE_MARGIN)
    high = min(len(text), at + _SENTENCE_MARGIN)
    start = max(
        low - 1,
        text.rfind("\n", low, at),
        *(text.rfind(end, low, at) for end in (". ", "! ", "? ")),
    )
    ends = [text.find(end, at, high) for end in ("\n", ". ", "! ", "? ")]
    end = min((found for found in ends if found != -1), default=high)
    return text[start + 1 : end]


_SENTENCE_MARGIN = 300


def _broken_handle_tokens(text: str) -> Offsets:
    """Find a handle-shaped token split by a line break: "samj\n_04".

    The word that ends one line and the word that starts the next are
    joined when "_" touches the line break, and both go when the join is
    handle-shaped. Lines that read as code stay.
    """
    for line_break in _line_breaks_by_underscores(text):
        before = line_break
        if before > 0 and text[before - 1] == "\r":
            before -= 1
        start = before
        while start > 0 and _is_word(text[start - 1]):
            start -= 1
        end = line_break + 1
        while end < len(text) and _is_word(text[end]):
            end += 1
        if start > 0 and text[start - 1] not in _BEFORE_HANDLE_TOKEN:
            continue
        joined = text[start:before] + text[line_break + 1 : end]
        if _HANDLE_SHAPED.fullmatch(joined) is None or not _is_handle_shaped(joined):
            continue
        lines = _line_around(text, start) + "\n" + _line_around(text, end - 1)
        if not _CODE_LINE.search(lines):
            yield start, end


def _line_breaks_by_underscores(text: str) -> Iterator[int]:
    """Yield each line break with "_" right after it or right before it."""
    breaks = {at for at, _ in _occurrences(text, "\n_")}
    breaks.update(at + 1 for at, _ in _occurrences(text, "_\n"))
    breaks.update(at + 2 for at, _ in _occurrences(text, "_\r\n"))
    return iter(sorted(breaks))


_KEY_COLON = re.compile(r"[ \t]*:")


def _names_account(text: str, at: int) -> bool:
    """Check for a handle cue or a self-naming word around `text[at]`."""
    if _has_handle_cue(text, at):
        return True
    return _SELF_NAMING.search(_sentence_around(text, at)) is not None


def _is_quoted_key(text: str, start: int, end: int) -> bool:
    """Check whether `text[start:end]` is a quoted key: '"tracked_48": 4.45'.

    A key in JSON, a Python dict or YAML names a field, not an account.
    """
    quote = text[end : end + 1]
    if quote not in ("'", '"') or text[start - 1 : start] != quote:
        return False
    return _KEY_COLON.match(text, end + 1) is not None


def _underscore_token_starts(text: str) -> Iterator[int]:
    """Yield where the token around each "_" starts, if a handle may start there."""
    at = text.find("_")
    end = 0
    while at != -1:
        if at >= end:
            start = at
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
                start -= 1
            if start > 0 and text[start - 1] == "#":
                start -= 1
            end = at + 1
            while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                end += 1
            if start == 0 or text[start - 1] in _BEFORE_HANDLE_TOKEN:
                yield start
        at = text.find("_", at + 1)


def _is_handle_shaped(token: str) -> bool:
    name = token.lstrip("#")
    if not _HANDLE_SHAPE_MIN <= len(name) <= _HANDLE_SHAPE_MAX:
        return False
    parts = [part for part in name.lower().split("_") if part]
    if any(part in _TECHNICAL_PARTS for part in parts):
        return False
    letters = [char for char in name if char.isalpha()]
    if len(letters) < 2:
        return False
    if all(char.isupper() for char in letters) and name.count("_") >= 2:
        return False
    two_digits = any(part.isdigit() and len(part) >= 2 for part in parts)
    return two_digits or _DIGITS_AFTER_LETTER.search(name) is not None


def _line_around(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start : end if end != -1 else len(text)]


def _word_around(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Return the span of the word of letters and digits around `text[start:end]`.

    Return None when no letter touches the digits, or when the word is longer
    than any service name.
    """
    if not (_is_letter(text, start - 1) or _is_letter(text, end)):
        return None
    while start > 0 and end - start <= _LEET_WORD_MAX and _is_word(text[start - 1]):
        start -= 1
    while end < len(text) and end - start <= _LEET_WORD_MAX and _is_word(text[end]):
        end += 1
    return (start, end) if end - start <= _LEET_WORD_MAX else None


def _is_letter(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isalpha()


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _plain_name(word: str) -> str | None:
    """Return the service name that `word` spells with digits, if any."""
    for table in _LEET_TABLES:
        name = word.translate(table)
        if name in _LEET_NAMES:
            return name
    return None


def _service_links(text: str, found: frozenset[str]) -> Offsets:
    if not _names_a_host(text, found):
        return
    folded = fold_case(text)
    hosts = [
        span
        for host, labels in _HOST_LABELS
        if labels <= found
        for span in _occurrences(folded, host)
    ]
    for start, end in _windows(len(text), hosts, _LINK_MARGIN):
        for match in _SERVICE_LINK.finditer(text, start, end):
            if not _is_content_link(match.group()):
                yield match.start(), _link_end(match)


def _is_content_link(link: str) -> bool:
    """Recognise a link to a YouTube video or a GitHub repository.

    A kept link that carries another link ("...&u=https://...") still goes,
    because _personal_links checks every link.
    """
    parts = _CONTENT_LINK.fullmatch(link.rstrip(_TRAILING_PUNCTUATION))
    if parts is None:
        return False
    host = parts.group("host").lower()
    path = parts.group("path") or ""
    if host == "youtu.be":
        return _YOUTU_BE_VIDEO.fullmatch(path) is not None
    if host == "youtube.com":
        return _YOUTUBE_VIDEO.match(path) is not None
    segments = [segment for segment in path.split("/") if segment]
    return len(segments) >= 2 and segments[0].lower() not in _GITHUB_NOT_OWNERS


def _service_phrases(text: str, found: frozenset[str]) -> Offsets:
    names = _service_names(text, found)
    anchors = names + _whole_words(fold_case(text), "x") if "x" in found else names
    if anchors:
        yield from _invitations(text, _windows(len(text), anchors, _WINDOW_MARGIN))
    yield from _service_verbs(text, names)
    if not names:
        if _may_have_at_handle(text, found, names_service=False):
            yield from _handles_after(_AT_HANDLE, text, [(0, len(text))])
        return
    # Every phrase below contains a service name, so on a long text the
    # patterns run only near the names instead of at every position.
    windows = _windows(len(text), names, _WINDOW_MARGIN)
    patterns = [_POSSESSIVE, _LABELLED, _ANSWER]
    if _may_have_at_handle(text, found, names_service=True):
        patterns.insert(2, _AT_HANDLE)
    for pattern in patterns:
        yield from _handles_after(pattern, text, windows)
    for start, end in windows:
        yield from _unlabelled_handles(text, start, end)
        yield from _handles_on_next_line(text, start, end)
        for pattern in (_SERVICE_IS, _MY_GRAM):
            for match in pattern.finditer(text, start, end):
                handle = _unlabelled_handle_span(match)
                if handle is not None and _is_named(match.group("handle")):
                    yield handle
        yield from _handles_before_service(text, start, end)
        yield from _spelled_handles_before_service(text, start, end)
        yield from _runs_before_service(text, start, end)
        yield from _colon_after_service(text, start, end)
        yield from _slashed_handles(text, start, end)
    yield from _handles_on_there(text, windows)


def _spelled_handles_before_service(text: str, start: int, end: int) -> Offsets:
    """Find "sam dot j dot 04 on insta", unless it starts with a common word."""
    for match in _SPELLED_ON_SERVICE.finditer(text, start, end):
        first = match.group("first").lower()
        if first not in _NOT_HANDLES and first not in _COMMON_WORDS:
            yield match.span("handle")


def _unlabelled_handles(text: str, start: int, end: int) -> Offsets:
    """Find "snap samj04", also after a list of names ("snap insta samj04").

    A match whose handle is rejected is tried again from that handle, which
    may itself be a service name followed by the real handle.
    """
    position = start
    while match := _UNLABELLED.search(text, position, end):
        handle = _unlabelled_handle_span(match)
        if handle is None:
            position = match.start("handle")
            continue
        yield handle
        position = match.end()


def _handles_on_next_line(text: str, start: int, end: int) -> Offsets:
    """Find a handle alone on the line after a service name: "snap?\nsamj04"."""
    for match in _HANDLE_ON_NEXT_LINE.finditer(text, start, end):
        handle = _unlabelled_handle_span(match)
        if handle is not None and _is_named(match.group("handle")):
            yield handle


def _slashed_handles(text: str, start: int, end: int) -> Offsets:
    """Find "instagram/samj": the whole phrase goes, service name included.

    NOTE: any word after "service/" that is not a known non-handle is
    removed, so "youtube/cooking" loses "cooking".
    """
    for match in _SLASHED.finditer(text, start, end):
        handle = match.group("handle").rstrip(".")
        name = handle.lstrip("@").lower()
        not_handles = (_ONE_WORD_SERVICES, _NOT_HANDLES, _NOT_HANDLES_AFTER_SLASH)
        if not any(name in words for words in not_handles):
            yield match.start(), match.start("handle") + len(handle)


def _service_verbs(text: str, names: list[tuple[int, int]]) -> Offsets:
    """Find "whatsapp me" and the like, trying only where such a name starts."""
    folded = fold_case(text)
    starts = [
        start
        for start, end in names
        if "".join(folded[start:end].split()) in _VERB_SERVICES
    ]
    yield from (match.span() for match in matches_at(_SERVICE_VERB, text, starts))


def _handles_after(
    pattern: re.Pattern[str], text: str, windows: list[tuple[int, int]]
) -> Offsets:
    for start, end in windows:
        position = start
        while match := pattern.search(text, position, end):
            handle = _handle_span(match)
            if handle is not None:
                yield handle
                position = match.end()
            else:
                # A word rejected as a handle may start the next phrase.
                position = match.start("handle")


# Characters either side of a service name that a phrase naming it can
# reach; the longest labelled phrases are well under 100 characters.
_WINDOW_MARGIN = 200


# A link can run this far either side of the service's host name.
_LINK_MARGIN = 4096


def _service_names(text: str, found: frozenset[str]) -> list[tuple[int, int]]:
    """Return the spans of the service names in `text`: see _ANCHOR_WORDS."""
    folded = fold_case(text)
    spans = [
        span for name in _ANCHOR_WORDS & found for span in _whole_words(folded, name)
    ]
    for first, second in _TWO_WORD_SERVICES:
        if first in found and second in found:
            spans.extend(_word_pairs(folded, first, second))
    if "line" in found and "id" in found:
        lines = _whole_words(folded, "line")
        spans.extend(span for span in lines if _LINE_ID.match(folded, span[1]))
    return spans


def _word_pairs(folded: str, first: str, second: str) -> Iterator[tuple[int, int]]:
    """Find `first` and `second` as whole words with one separator between.

    The separator is a whitespace character, a dot or a dash.
    The longer word is searched for, because it occurs less often.
    """
    if len(second) > len(first):
        for start, end in _whole_words(folded, second):
            begin = start - 1 - len(first)
            if (
                begin >= 0
                and _is_separator(folded[start - 1])
                and folded.startswith(first, begin)
                and _is_whole_word(folded, begin, start - 1)
            ):
                yield begin, end
        return
    for start, end in _whole_words(folded, first):
        after = end + 1 + len(second)
        if (
            _is_separator(folded[end : end + 1])
            and folded.startswith(second, end + 1)
            and _is_whole_word(folded, end + 1, after)
        ):
            yield start, after


def _is_separator(char: str) -> bool:
    return char.isspace() or char in {".", "-"}


def _whole_words(folded: str, word: str) -> list[tuple[int, int]]:
    """Return the spans where `word` occurs in `folded` as a whole word."""
    return [
        (start, end)
        for start, end in _occurrences(folded, word)
        if _is_whole_word(folded, start, end)
    ]


def _occurrences(folded: str, name: str) -> Iterator[tuple[int, int]]:
    at = folded.find(name)
    while at != -1:
        end = at + len(name)
        yield at, end
        at = folded.find(name, end)


def _windows(
    length: int, spans: list[tuple[int, int]], margin: int
) -> list[tuple[int, int]]:
    """Return the merged stretches of a text within `margin` of each of `spans`.

    A text shorter than four margins is one stretch, because the windows
    would cover most of it anyway.
    """
    if length <= 4 * margin:
        return [(0, length)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        start, end = max(0, start - margin), min(length, end + margin)
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
    if "@" in text:
        for match in matches_at(_MY_AT, text, _my_at_starts(text)):
            yield from _labelled_or_marked(match, strict=False)
    if not found.isdisjoint(_SHORT_SERVICE_WORDS):
        for match in _SHORT_SERVICE.finditer(text):
            yield from _labelled_or_marked(match, strict=True)
    if "\U0001f47b" in text or "\U0001f4f8" in text:
        for match in _APP_EMOJI.finditer(text):
            yield from _labelled_or_marked(match, strict=False)
        yield from _runs_before_emoji(text)
    if "#" in text:
        yield from _discord_tags(text)
    if ("sw" in found or "code" in found) and _has_four_digits(text):
        yield from (match.span() for match in _FRIEND_CODE.finditer(text))


def _my_at_starts(text: str) -> Iterator[int]:
    """Yield where "my" or "our" ends right before whitespace and an "@"."""
    folded = fold_case(text)
    at = text.find("@")
    while at != -1:
        gap = at
        while gap > 0 and text[gap - 1].isspace():
            gap -= 1
        for word in ("my", "our"):
            start = gap - len(word)
            if gap < at and start >= 0 and folded.startswith(word, start):
                yield start
        at = text.find("@", at + 1)


def _has_four_digits(text: str) -> bool:
    """Check for a run of exactly four digits, which a friend code starts with."""
    return any(end - start == 4 for start, end in fast_digit_runs(text))


def _labelled_or_marked(match: re.Match[str], strict: bool) -> Offsets:
    """Yield a handle: after a label any name, else one that cannot be a word."""
    if match.group("label") and not strict:
        handle = _handle_span(match)
    else:
        handle = _unlabelled_handle_span(match)
    if handle is not None:
        yield handle


def _discord_tags(text: str) -> Offsets:
    for match in matches_at(_DISCORD_TAG, text, _discord_tag_starts(text)):
        if match.group("name").lower() not in _NOT_DISCORD_NAMES:
            yield match.span()


def _discord_tag_starts(text: str) -> Iterator[int]:
    """Yield where the name before each "#" starts: see _DISCORD_TAG.

    A longer run of name characters than a tag's name can hold is skipped,
    because the pattern needs a character other than these before the name.
    """
    at = text.find("#")
    while at != -1:
        start = at
        while at - start <= _DISCORD_NAME_MAX and start > 0:
            before = text[start - 1]
            if not (before.isalnum() or before in "_."):
                break
            start -= 1
        if at - start <= _DISCORD_NAME_MAX:
            yield start
        at = text.find("#", at + 1)


def _invitations(text: str, windows: list[tuple[int, int]]) -> Offsets:
    for start, end in windows:
        position = start
        while match := _INVITATION.search(text, position, end):
            handle = _handle_span(match)
            found_end = handle[1] if handle else match.end("invitation")
            found_end = match.end("name") if match.group("name") else found_end
            yield match.start(), found_end
            # The words after an invitation that are no handle may start the
            # next one ("message me on whatsapp\nmessage me on whatsapp").
            position = found_end


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
        end = match.start("handle") + len(name)
        if _is_code_at(text, match.start(), end):
            continue
        if _is_addressed_name(text, match.start(), end):
            continue
        yield match.start(), match.start("handle") + len(name)


def _is_code_at(text: str, start: int, end: int) -> bool:
    """Recognise a decorator, a CSS at-rule or an npm scope: see _CODE_AT_WORDS."""
    word = _AT_RULE.match(text, start + 1)
    if word is not None and word.group().lower() in _CODE_AT_WORDS:
        return True
    if _is_decorator_name(text[start + 1 : end]):
        return True
    after = text[end : end + 1]
    if after == "(":
        return True
    scoped = _NPM_PACKAGE.match(text, end)
    if scoped is not None:
        return scoped.group("package").lower() not in _ONE_WORD_SERVICES
    return _starts_line(text, start) and _DEFINITION.match(text, end) is not None


def _is_decorator_name(name: str) -> bool:
    """Recognise a dotted or snake_case decorator: see _DECORATOR_PARTS.

    The name has only letters between its "." and "_" marks, and either a
    part from _DECORATOR_PARTS ("@app.route", "@login_required") or a
    dotted first part from _DECORATOR_MODULES ("@pytest.mark.slow").
    """
    if "." not in name and "_" not in name:
        return False
    parts = name.lower().replace(".", "_").split("_")
    if not all(part.isalpha() for part in parts):
        return False
    if "." in name and name.split(".", 1)[0].lower() in _DECORATOR_MODULES:
        return True
    return not _DECORATOR_PARTS.isdisjoint(parts)


def _is_addressed_name(text: str, start: int, end: int) -> bool:
    """Check whether "@Name" addresses the reader by a first name.

    "Thanks @Sam, that worked!" and a line that opens "@Sam, " name the
    partner in the thread, not an account. The name is one capitalised
    word of letters only, it opens its line or follows a greeting or a
    thank-you (see _GREETINGS), and the sentence has no service name or
    handle cue (see _has_handle_cue).
    NOTE: a handle written as a capitalised word ("thanks @Samjones") stays
    too, because it cannot be distinguished from a name.
    """
    name = text[start + 1 : end]
    if _FIRST_NAME.fullmatch(name) is None:
        return False
    greeting = _GREETING_BEFORE.search(text, max(0, start - _GREETING_LOOKBACK), start)
    if greeting is None and not _starts_line(text, start):
        return False
    sentence = _sentence_around(text, start)
    return not _offers_account(sentence.replace("@", " "))


def _starts_line(text: str, at: int) -> bool:
    line_start = text.rfind("\n", 0, at) + 1
    return text[line_start:at].strip() == ""


def _starts_handle(text: str, at: int) -> bool:
    if at == 0:
        return True
    before = text[at - 1]
    return not before.isalnum() and before not in _NOT_BEFORE_HANDLE


def _is_offensive(token: str, context: FilterContext) -> bool:
    """Recognise "@ss" and the like, which the offensive-word filter removes."""
    return bool(_PROFANITY.find(token, context))


def _ip_links(text: str) -> Offsets:
    for match in matches_at(_IP_LINK, text, _scheme_starts(text)):
        if not _is_local_address(match.group("ip")):
            yield _link_span(match)
    if not _PORT.search(text):
        return
    runs = fast_digit_runs(text)
    starts = (start for start, end in runs if text[end : end + 1] == ".")
    for match in matches_at(_IP_AND_PORT, text, starts):
        if _is_local_address(match.group("ip")):
            continue
        if follows_non_word(text, match.start()) and text[match.start() - 1] != ".":
            yield match.span()


def _is_local_address(ip: str) -> bool:
    """Check whether `ip` is loopback or private: see _LOCAL_NETWORKS."""
    try:
        address = ipaddress.IPv4Address(ip)
    except ipaddress.AddressValueError:
        return False
    return any(address in network for network in _LOCAL_NETWORKS)


def _scheme_starts(text: str) -> Iterator[int]:
    """Yield where "http", "https" or "ftp" would start before each "://"."""
    at = text.find("://")
    while at != -1:
        yield from (start for start in (at - 5, at - 4, at - 3) if start >= 0)
        at = text.find("://", at + 3)


def _personal_links(text: str, found: frozenset[str]) -> Offsets:
    """Find links to other sites that reach a person: see _ANY_LINK."""
    folded = fold_case(text)
    if (
        "://" not in text
        and "xn--" not in folded
        and found.isdisjoint(_BARE_LINK_ENDINGS)
    ):
        return
    for start, end in _link_tokens(text):
        for match in _ANY_LINK.finditer(text, start, end):
            if _reaches_person(match):
                yield _link_span(match)


def _link_tokens(text: str) -> list[tuple[int, int]]:
    """Return the spans of the whitespace-delimited tokens that may hold a link.

    A match of _ANY_LINK contains no whitespace, and one that reaches a person
    has a scheme or a dot before a letter, so _ANY_LINK finds the same links
    in these tokens as in the whole text.
    """
    folded = fold_case(text)
    markers = [match.start() for match in _DOT_LETTER.finditer(folded)]
    markers.extend(start for start, _ in _occurrences(folded, "://"))
    tokens: list[tuple[int, int]] = []
    end = 0
    for at in sorted(markers):
        if at < end:
            continue
        start = at
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        space = _SPACE.search(text, at)
        end = space.start() if space else len(text)
        tokens.append((start, end))
    return tokens


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
            ip = match.groupdict().get("ip")
            if ip is None or not _is_local_address(ip):
                yield view.original_span(*_link_span(match))


def _names_a_host(text: str, found: frozenset[str]) -> bool:
    """Check whether some service host occurs in the text.

    The set lookups come first because they are cheaper than a substring
    search, and "t.me" alone passes them in most text ("don't" and "me").
    """
    if found.isdisjoint(_HOST_VOCABULARY):
        return False
    folded = fold_case(text)
    return any(
        labels <= found and host in folded
        for label in found.intersection(_HOSTS_BY_LABEL)
        for host, labels in _HOSTS_BY_LABEL[label]
    )


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
    name = trimmed.lstrip("@ \t")
    if len(name) < _MIN_LABELLED_HANDLE or name.lower() in _NOT_HANDLES:
        return None
    if not any(ch.isalpha() for ch in name):
        return None
    if _spells_abbreviation(match):
        return None

    label = (match.groupdict().get("label") or "").strip().lower()
    marked = trimmed.startswith("@") or any(ch.isdigit() or ch in "_." for ch in name)
    if label in _LABELS_BEFORE_A_NAME and not marked and _describes(name.lower()):
        return None
    if label in {"-", ","} and not marked:
        return None
    start = match.start("handle")
    plain_value = label in _PLAIN_VALUE_LABELS and not marked
    if plain_value and _starts_clause(match.string, name, start + len(trimmed)):
        return None
    return start, start + len(trimmed)


# Verbs that start a plan or an instruction after a service name and a
# colon: "Instagram: post the reel on Monday", "GitHub: push your branch".
# Verbs that ask for contact ("add", "follow", "message") are left out.
_CLAUSE_VERBS = frozenset(
    """
    post posts upload share film record shoot edit update push pull merge
    commit clone fork watch read reply comment like schedule plan pin tag
    boost check try use start keep stop make create write draft run test
    grow build launch promote feature show ask answer list publish review
    fix open close set go look learn practise practice focus aim do
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words that go on a clause after its first word: "Instagram: stories
# every day", "Facebook: reels for the launch".
_CLAUSE_FOLLOWERS = frozenset(
    """
    the a an my your our their his her its this that these those to on at
    in for with about every each some all more less and or then once twice
    daily weekly
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_NEXT_WORD = re.compile(r"[ \t]+(?P<word>[^\W_]+)")


def _starts_clause(text: str, name: str, end: int) -> bool:
    """Check whether a lower-case value after a label starts a clause.

    It does when it is a verb from _CLAUSE_VERBS with a word after it, or
    when the next word is a number or one from _CLAUSE_FOLLOWERS. So
    "Instagram: post the reel" and "For Instagram: post 3 times a week"
    keep their words, and "snap: samjones" at the end of its line goes.
    NOTE: a plain handle followed by such a word ("snap: samjones on
    weekends") stays. A value with a digit, "_", "." or "@" never
    reaches this check.
    """
    if not name.islower():
        return False
    after = _NEXT_WORD.match(text, end)
    if after is None:
        return False
    word = after.group("word").lower()
    if name in _CLAUSE_VERBS:
        return True
    return word.isdigit() or word in _CLAUSE_FOLLOWERS


# Snapchat names have three characters or more, Facebook and Telegram
# names five. A shorter value after "FB:" is a form group ("FB: 7A") or
# part of a hardware address ("3C:22:FB:7A:10:9E").
# NOTE: Instagram and TikTok allow shorter names, which are let through.
_MIN_LABELLED_HANDLE = 3
# An abbreviation in capitals right before its label, and the capitalised
# words after it: "IG = Industrial Growth".
_ABBREVIATION_BEFORE = re.compile(r"\b(?P<letters>[A-Z]{2,4})\s*$")
_TITLE_WORD = re.compile(r"[A-Z][a-z]+")


def _spells_abbreviation(match: re.Match[str]) -> bool:
    """Check whether a labelled value spells out the abbreviation before it.

    In "IG = Industrial Growth" the initials of the words after "=" are the
    letters of "IG", so the value is the expansion, not a handle.
    """
    if not match.groupdict().get("label"):
        return False
    abbreviation = _ABBREVIATION_BEFORE.search(match.string, 0, match.start("label"))
    if abbreviation is None:
        return False
    position = match.start("handle")
    for letter in abbreviation.group("letters"):
        word = _TITLE_WORD.match(match.string, position)
        if word is None or word.group()[0] != letter:
            return False
        position = word.end()
        while match.string[position : position + 1] in (" ", "\t"):
            position += 1
    return True


def _unlabelled_handle_span(match: re.Match[str]) -> tuple[int, int] | None:
    """Return the span of a handle right after a service name, if it is one.

    With no label, only a handle that cannot be a word counts: it starts
    with "@", or has a digit, "_", "." or a spelling-out space or dash
    inside, or a word for a symbol after it ("samj underscore 04"), and is
    at least _MIN_UNLABELLED_HANDLE characters long. So "snap samj04" goes
    and "insta stories" stays.
    """
    handle = match.group("handle").rstrip(".")
    name = handle.lstrip("@")
    start = match.start("handle")
    marked = (
        handle.startswith("@")
        or any(ch.isdigit() or ch in "_. -" for ch in name)
        or _SYMBOL_TAIL.match(match.string, start + len(handle)) is not None
    )
    if not marked or len(name) < _MIN_UNLABELLED_HANDLE:
        return None
    return start, start + len(handle)


def _is_named(handle: str) -> bool:
    """Check that a handle has a letter and is no version ("v2.0")."""
    has_letter = any(char.isalpha() for char in handle)
    return has_letter and _VERSION.fullmatch(handle.rstrip(".")) is None


def _describes(word: str) -> bool:
    """Recognise a word that describes an account: see _DESCRIPTIONS."""
    return word in _DESCRIPTIONS or word.endswith(("ing", "ed", "ly"))
