"""Tests for disguised words, severities and false flags of the safeguarding step.

The sentences come from an outside tester's messages and from ordinary
mail that was flagged by mistake. They are also in
tests/data/safeguarding_cases/attack_r10.txt.
"""

from __future__ import annotations

import pytest

from filters.base import FilterContext
from filters.safeguarding import (
    default_rules,
    find_concerns,
    flag_text,
    respelling,
    segment_letters,
    vocabulary,
)


def flags(text: str) -> set[tuple[str, str]]:
    return {(c.category, c.severity) for c in find_concerns(text, default_rules())}


# Disguised words


@pytest.mark.parametrize(
    ("text", "category", "matched"),
    [
        ("h4ve u ever k1ssed any1", "sexual-content", "k1ssed any1"),
        ("ur b0dy is getting so grown up", "sexual-content", "ur b0dy is"),
        ("top up ur f0ne?", "gifts-money", "top up ur f0ne"),
        (
            "this is our l i t t l e s e c r e t ok",
            "secrecy",
            "our l i t t l e s e c r e t",
        ),
        (
            "noooo one would even notice if i was goneee",
            "self-harm",
            "noooo one would even notice if i",
        ),
        ("dont want 2 b here ne more", "self-harm", "dont want 2 b here ne more"),
        ("lets talk on d*scord instead", "leaving-platform", "talk on d*scord"),
    ],
)
def test_disguised_word_is_read_plainly(text: str, category: str, matched: str) -> None:
    concerns = find_concerns(text, default_rules())

    assert [(c.category, c.matched) for c in concerns] == [(category, matched)]


@pytest.mark.parametrize(
    ("word", "plain"),
    [
        ("k1ssed", "kissed"),
        ("b0dy", "body"),
        ("goneee", "gone"),
        ("noooo", "no"),
        ("meeeet", "meet"),
        ("d*scord", "discord"),
    ],
)
def test_respelling_finds_rule_word(word: str, plain: str) -> None:
    assert respelling(word, vocabulary(default_rules())) == plain


@pytest.mark.parametrize("word", ["2nd", "10am", "h3", "a5", "aaa", "zzz", "b4"])
def test_ordinary_word_with_digits_is_not_respelled(word: str) -> None:
    assert respelling(word, vocabulary(default_rules())) is None


def test_run_together_letters_split_into_rule_words() -> None:
    words = vocabulary(default_rules())

    assert segment_letters("littlesecret", words) == [6, 6]
    assert segment_letters("secret", words) is None
    assert segment_letters("qzxv", words) is None


# Severities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i cut again", ("self-harm", "high")),
        ("i wrote letters to everyone just in case", ("self-harm", "high")),
        ("i have bruises but i said i fell in PE", ("abuse-disclosure", "high")),
        ("he makes me do stuff n says its normal", ("abuse-disclosure", "high")),
        ("send me one where i can see more of u", ("photos", "high")),
        ("what r u wearing rn", ("sexual-content", "high")),
        ("can i see u in ur swimming stuff from the trip", ("photos", "high")),
        ("meet me at the station, come alone", ("meeting", "high")),
        ("they keep telling me to kys", ("bullying", "high")),
        ("a man from online wants me to meet him", ("meeting", "high")),
    ],
)
def test_urgent_concern_is_high(text: str, expected: tuple[str, str]) -> None:
    assert expected in flags(text)


def test_isolation_talk_is_medium_secrecy() -> None:
    assert flags("im the only one who really cares bout u") == {("secrecy", "medium")}


# False flags


@pytest.mark.parametrize(
    "text",
    [
        "Just delete the message.",
        "Don't store it, delete the message and tell her never to send card "
        "details by email.",
        "Shall we meet on Teams on Tuesday at 6?",
        "Don't tell anyone your password, not even me!",
        "I'm exhausted and I keep thinking I'm going to fail everything",
        "Don't tell anyone the answers to the quiz before the class does it!",
        "Gutted about the match, I wanted to die when we missed that penalty lol",
        "Can you send me a picture of your science poster so I can give feedback?",
        "I got 2nd place at 10am, the A5 leaflets are done",
    ],
)
def test_ordinary_mail_is_not_flagged(text: str) -> None:
    # The learned model is on, as in the relay's default configuration.
    findings = flag_text(text, default_rules(), "text/plain", FilterContext())

    assert findings == []


def test_you_are_pretty_good_is_not_flagged() -> None:
    assert flags("You're really pretty good at this already.") == set()
