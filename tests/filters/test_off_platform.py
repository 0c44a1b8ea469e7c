"""Tests for the filter of links and handles on other services."""

from __future__ import annotations

import pytest

from filters.base import FilterContext, Finding, Redaction, redact
from filters.off_platform import OffPlatformFilter

CONTEXT = FilterContext()
REMOVED = "[contact link removed]"


def clean(text: str) -> Redaction:
    return redact(text, [OffPlatformFilter()], CONTEXT, "text/plain")


@pytest.mark.parametrize(
    "link",
    [
        "https://www.instagram.com/sam.j/",
        "instagram.com/sam.j",
        "https://snapchat.com/add/samj04",
        "https://www.tiktok.com/@samj",
        "vm.tiktok.com/ZMabc123",
        "https://wa.me/447700900123",
        "https://chat.whatsapp.com/AbCdEf123",
        "t.me/samj",
        "https://discord.gg/abc123",
        "https://discord.com/invite/abc123",
        "https://www.facebook.com/sam.jones",
        "m.facebook.com/sam.jones",
        "fb.me/samj",
        "m.me/samj",
        "https://twitter.com/samj",
        "https://x.com/samj",
        "signal.me/#p/+447700900123",
        "https://www.linkedin.com/in/sam-jones",
        "https://drive.google.com/file/d/abc/view?usp=sharing",
        "https://docs.google.com/document/d/xyz/edit",
        "https://www.dropbox.com/s/abc/photo.jpg?dl=0",
        "https://wetransfer.com/downloads/abc",
        "https://1drv.ms/u/s!abc",
        "https://onedrive.live.com/?id=1",
        "HTTPS://WWW.INSTAGRAM.COM/SAMJ",
        "https://photos.app.goo.gl/AbC123",
        "https://api.whatsapp.com/send?phone=447700900789",
        "https://t.me/+AbCdEf",
        "we.tl/t-AbC123",
    ],
)
def test_service_links_are_removed(link: str) -> None:
    result = clean(f"See {link}. Bye")

    assert result.text == f"See {REMOVED}. Bye"
    assert result.findings == [Finding("off_platform", "text/plain", 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add me on snap: samj_04", REMOVED),
        ("Add me on Snapchat samj_04 x", f"{REMOVED} x"),
        ("my insta is @sam.j", f"my insta is {REMOVED}"),
        ("my insta is @sam.j.", f"my insta is {REMOVED}."),
        ("my snap is samj04", f"my snap is {REMOVED}"),
        ("my snap's samj04", f"my snap's {REMOVED}"),
        ("our discord name: sam#1234", f"our discord name: {REMOVED}"),
        ("snap: samjones", f"snap: {REMOVED}"),
        ("Insta: @sam.j", f"Insta: {REMOVED}"),
        ("follow me on insta @sam.j", REMOVED),
        ("on tiktok @samj!", f"on tiktok {REMOVED}!"),
        ("follow me @sam_j", f"follow me {REMOVED}"),
        ("message me on whatsapp", REMOVED),
        ("Message me on WhatsApp tonight", f"{REMOVED} tonight"),
        ("add me on snap tonight", f"{REMOVED} tonight"),
        ("hit me up on discord: sam#1234", REMOVED),
        ("whatsapp me", REMOVED),
        ("Just WhatsApp me later", f"Just {REMOVED} later"),
        ("snap me @samj04", f"snap me {REMOVED}"),
        ("sc: samj_04", f"sc: {REMOVED}"),
        ("my sc is samj_04", f"my sc is {REMOVED}"),
        ("follow me on x @samj04", REMOVED),
        ("add me on snap its samj_04", REMOVED),
        ("find me on facebook, Sam Jones", REMOVED),
        ("my snap is samjones", f"my snap is {REMOVED}"),
        ("snapchat - samj_04", f"snapchat - {REMOVED}"),
        ("what's your snap? mine's samj_04", f"what's your snap? mine's {REMOVED}"),
    ],
)
def test_handles_and_invitations_are_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "Read https://www.bbc.co.uk/news/education today.",
        "Your coordinator is at https://mentoring.example.org/help",
        "Look at example.org/x.com and fox.com.",
        "I love TikTok videos about cooking.",
        "My snap is broken again.",
        "Signal - weak today, sorry.",
        "I saw it on Instagram last week.",
        "The snap election surprised everyone.",
        "Email sam@facebook.com",
        "My snap is private now.",
        "My insta is glitching again.",
        "My snap is literally broken.",
        "The answer was x = 12 and y = 4.",
        "Signal - weak, try later.",
        "My snap score is 40000.",
        "Twitter is now called X.",
    ],
)
def test_ordinary_links_and_mentions_stay(text: str) -> None:
    result = clean(text)

    assert result.text == text
    assert result.findings == []


def test_two_links_count_as_two() -> None:
    result = clean("wa.me/447700900123 or t.me/samj")

    assert result.text == f"{REMOVED} or {REMOVED}"
    assert result.findings == [Finding("off_platform", "text/plain", 2)]
