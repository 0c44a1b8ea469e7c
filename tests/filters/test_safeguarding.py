"""Tests for the safeguarding step, its rules file and the labelled cases."""

from __future__ import annotations

import asyncio
import email
import email.policy
import pickle
import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from archive.store import Archive, StoredFinding
from bench.safeguarding_quality import CASES_DIR, load_cases, parse_case, score
from filters.base import FilterContext, Finding
from filters.pipeline import clean_message
from filters.safeguarding import (
    DEFAULT_RULES_PATH,
    RulesError,
    SafeguardingRules,
    _needs_rewriting,
    _phrase_index,
    _prepare,
    _present_bits,
    _split_words,
    _with_prefix_words,
    _words_and_starts,
    compile_phrase,
    compile_rules,
    default_rules,
    expand_groups,
    find_concerns,
    html_to_text,
    load_rules,
    parse_rules,
    spaced_letter_runs,
    word_forms,
)
from relay.config import Config, ConfigError, load_config
from relay.runner import PipelineRunner
from tests.conftest import Cast, set_config

CONTEXT = FilterContext()
REQUIRED_CATEGORIES = {
    "meeting",
    "secrecy",
    "leaving-platform",
    "gifts-money",
    "photos",
    "sexual-content",
    "self-harm",
    "abuse-disclosure",
    "bullying",
}
# Floors set a little under the values measured when the rules and cases
# were last changed (precision 0.98, recall 0.99 over all cases).
PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.92
CATEGORY_RECALL_FLOOR = 0.8


def categories(text: str) -> list[str]:
    return [concern.category for concern in find_concerns(text, default_rules())]


def rules_from(**rule: object) -> SafeguardingRules:
    return parse_rules({"rules": [rule]}, "test rules")


def message(text: str, subject: str = "Hello") -> bytes:
    mail = EmailMessage()
    mail["From"] = "Sam Jones <sam@example.org>"
    mail["To"] = "alex.k7q2@relay.example.org"
    mail["Subject"] = subject
    mail.set_content(text)
    return mail.as_bytes()


def delivered_text(raw: bytes, context: FilterContext = CONTEXT) -> str:
    result = clean_message(raw, context)
    data = result.content.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


# The packaged rules


def test_packaged_rules_cover_every_category() -> None:
    assert set(default_rules().categories) == REQUIRED_CATEGORIES


def test_self_harm_and_abuse_rules_are_high() -> None:
    for rule in default_rules().rules:
        if rule.category in ("self-harm", "abuse-disclosure"):
            assert rule.severity == "high", rule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shall we meet up on Saturday?", ["meeting"]),
        ("Meeting up would be easier.", ["meeting"]),
        ("We met up last week, let's do it again", ["meeting"]),
        ("MEET    UP after school?", ["meeting"]),
        ("meet\nup at the weekend", ["meeting"]),
        ("Don't tell your mum.", ["secrecy"]),
        ("dont tell your mum", ["secrecy"]),
        ("Don\u2019t tell your mum", ["secrecy"]),
        ("I've been self-harming", ["self-harm"]),
        ("thinking about self harm", ["self-harm"]),
        ("I feel suicidal", ["self-harm"]),
        ("My dad hits me", ["abuse-disclosure"]),
        ("Add me on Snapchat", ["leaving-platform"]),
        ("I'll send you £20", ["gifts-money"]),
        ("Send me a selfie", ["photos"]),
        ("Everyone laughs at me", ["bullying"]),
    ],
)
def test_concern_is_found(text: str, expected: list[str]) -> None:
    assert categories(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "We should meet the deadline.",
        "Keep it secret until the launch.",
        "The money management module starts on Monday.",
        "I met up with my friends at the weekend.",
        "Let's meet. Up next is the physics paper.",
        "I nearly killed myself laughing.",
        "Send me a photo of your homework.",
        "Our session is booked through the programme.",
    ],
)
def test_near_miss_is_not_flagged(text: str) -> None:
    assert categories(text) == []


# Each concept rule combines two word groups in new words: a way of
# concealing with an audience, a way of meeting with a private setting,
# a move with another channel, and so on. None of these sentences is in
# the case files.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your gran doesn't need to know we talk every night.", ["secrecy"]),
        ("Best not mention me to your form tutor, yeah?", ["secrecy"]),
        ("If your dad checks your phone, say I'm a mate from school.", ["secrecy"]),
        ("We could go bowling on Sunday, just the two of us.", ["meeting"]),
        ("I might bump into you at the bus station on Friday.", ["meeting"]),
        ("Let's carry on over Discord, it's quicker.", ["leaving-platform"]),
        ("Ring my personal number tonight instead.", ["leaving-platform"]),
        ("I've put some credit on your phone for you.", ["gifts-money"]),
        ("I'll send you one of me if you send one of you.", ["photos"]),
        ("Are you still a virgin?", ["sexual-content"]),
        ("I gave away my games, I won't need them soon.", ["self-harm"]),
        ("My stepdad burned my hand on the cooker.", ["abuse-disclosure"]),
        ("They trip me up on the stairs.", ["bullying"]),
        ("Keep schtum about the party at the flat.", ["secrecy"]),
        ("He says I can sleep over at his place after the gig.", ["meeting"]),
        ("I'll be waiting on the platform when your train gets in.", ["meeting"]),
        ("Chat to me on my personal Discord, it's easier.", ["leaving-platform"]),
        ("I stuck £40 on your card, spend it on whatever.", ["gifts-money"]),
        ("He said I can pay him back some other way.", ["gifts-money"]),
        ("The PE teacher filmed us in the showers.", ["photos"]),
        ("A man on the webcam site exposed himself.", ["sexual-content"]),
        ("She keeps talking about killing herself.", ["self-harm"]),
        ("Her boyfriend shoves me around at home.", ["abuse-disclosure"]),
        ("The other trainees keep mocking the way I talk.", ["bullying"]),
    ],
)
def test_concept_rule_finds_new_wording(text: str, expected: list[str]) -> None:
    # Two phrases of one category may match different words of a sentence.
    assert sorted(set(categories(text))) == expected


@pytest.mark.parametrize(
    "text",
    [
        "My teacher wants to see her after class about my coursework.",
        "Please do not copy or forward it to anyone else.",
        "The magician wouldn't tell anyone how the card trick works.",
        "Reading a chapter gives you something genuine to talk about.",
        "Coach made us run suicides until we dropped.",
        "Don't tell anyone but I got the apprenticeship!",
        "Between you and me, I reckon the second pitch deck is stronger.",
        "My dad will come and get me from the station after practice.",
        "The certificate is on its way to your house by recorded post.",
        "My little sister kicked me under the table and Mum told her off.",
        "Grandma sends me a tenner for every good report.",
        "We kept our quiz answers secret until the reveal.",
    ],
)
def test_concept_rule_near_miss_is_not_flagged(text: str) -> None:
    assert categories(text) == []


def test_phrase_does_not_cross_a_blank_line() -> None:
    assert categories("Shall we meet\n\nup next: physics") == []
    assert categories("Shall we meet\r\n \r\nup") == []


def test_unless_applies_only_in_the_same_sentence() -> None:
    text = "Keep it secret from everyone. The launch is on Monday."

    assert categories(text) == ["secrecy"]


def test_word_forms_add_regular_endings() -> None:
    assert word_forms("meet") == {"meet", "meets", "meetes", "meeted", "meeting"}
    assert "chatting" in word_forms("chat")
    assert "messaging" in word_forms("message")
    assert "replies" in word_forms("reply")
    assert word_forms("me") == {"me"}


def test_phrase_gap_allows_three_words() -> None:
    pattern = compile_phrase("keep ... secret")
    rules = rules_from(category="secrecy", severity="low", patterns=[pattern])

    assert len(find_concerns("keep this our little secret", rules)) == 1
    assert find_concerns("keep this one of our little secret", rules) == []


def test_concern_records_matched_text_and_offsets() -> None:
    text = "Honestly I want to kill myself today."

    [concern] = find_concerns(text, default_rules())

    assert concern.matched == "kill myself"
    assert text[concern.start : concern.end] == "kill myself"
    assert concern.severity == "high"


def test_matched_text_has_single_spaces() -> None:
    [concern] = find_concerns("shall we meet\n   up", default_rules())

    assert concern.matched == "meet up"


# Evasion: the rules match the normalised view, findings show the original


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("keep\u200b it sec\u200bret", "keep\u200b it sec\u200bret"),
        ("keep it se\u00adcret", "keep it se\u00adcret"),
        ("\uff4b\uff45\uff45\uff50 it secret", "\uff4b\uff45\uff45\uff50 it secret"),
        ("k e e p  i t  s e c r e t", "k e e p  i t  s e c r e t"),
        ("K.E.E.P I.T S.E.C.R.E.T", "K.E.E.P I.T S.E.C.R.E.T"),
        ("keep\u2003it\u00a0secret", "keep\u2003it\u00a0secret"),
    ],
)
def test_hidden_phrase_keeps_original_text(text: str, matched: str) -> None:
    [concern] = find_concerns(f"Please {text}, ok?", default_rules())

    assert concern.category == "secrecy"
    assert concern.matched == matched
    assert concern.start == len("Please ")
    assert concern.end == len("Please ") + len(text)


def test_spaced_phrase_mid_sentence_is_flagged() -> None:
    text = "I want to s e n d  y o u  a  p r e s e n t"

    [concern] = find_concerns(text, default_rules())

    assert concern.category == "gifts-money"
    assert concern.matched == "s e n d  y o u  a  p r e s e n t"


def test_spaced_word_with_one_gap_is_one_word() -> None:
    assert categories("do you have any n u d e s") == ["sexual-content"]


def test_single_letters_of_ordinary_text_stay_apart() -> None:
    # "I'm a" gives three one-letter words, but an apostrophe is no gap.
    assert categories("I'm a bit worried I can't meet the deadline.") == []
    assert categories("Options a, b and c are all fine.") == []


def test_matched_text_keeps_spaces_within_a_line() -> None:
    [concern] = find_concerns("MEET    UP after school?", default_rules())

    assert concern.matched == "MEET    UP"


# Text-speak is read as the words it stands for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wats ur snap", ["leaving-platform"]),
        ("dont tell ur mum bout this", ["secrecy"]),
        ("r u a virgin lol", ["sexual-content"]),
        ("i wanna kms", ["self-harm"]),
        ("hmu on insta", ["leaving-platform"]),
    ],
)
def test_text_speak_is_flagged(text: str, expected: list[str]) -> None:
    assert categories(text) == expected


def test_text_speak_match_shows_words_as_sent() -> None:
    text = "so wats ur snap?"

    [concern] = find_concerns(text, default_rules())

    assert concern.matched == "wats ur snap"
    assert concern.start == len("so ")
    assert concern.end == len("so wats ur snap")


def test_text_speak_offsets_after_a_spelled_out_word() -> None:
    # "gonna" reads "going to", three letters longer, before the match.
    text = "gonna say it, kill myself"

    [concern] = find_concerns(text, default_rules())

    assert concern.matched == "kill myself"
    assert text[concern.start : concern.end] == "kill myself"


def test_match_inside_spelled_out_word_shows_it_whole() -> None:
    text = "ok kms"

    [concern] = find_concerns(text, default_rules())

    assert concern.matched == "kms"
    assert (concern.start, concern.end) == (3, 6)


def test_text_speak_letters_stay_apart() -> None:
    # "r u a" would otherwise be read as the spaced-out word "rua".
    assert categories("r u a virgin") == ["sexual-content"]
    assert categories("do you have any n u d e s") == ["sexual-content"]


# Phrase syntax: optional choices and counted gaps


def test_optional_choice_may_be_left_out() -> None:
    rules = rules_from(category="x", severity="low", phrases=["send [me] your number"])

    assert len(find_concerns("send your number", rules)) == 1
    assert len(find_concerns("send me your number", rules)) == 1
    assert find_concerns("send him your number", rules) == []


def test_optional_choice_may_end_a_phrase() -> None:
    rules = rules_from(category="x", severity="low", phrases=["wake up [again]"])

    [concern] = find_concerns("never wake up again", rules)

    assert concern.matched == "wake up again"


def test_choice_matches_every_option() -> None:
    # Options that share a first word or letters ("meet", "meet up", "mum",
    # "mom") must each match, with their regular endings.
    pattern = compile_phrase("tell (mum|mom|mother|meet up|meet) now")

    for text in ["tell mum now", "tell mom now", "tell mothers now", "tell meet now"]:
        assert re.fullmatch(pattern, text), text
    assert re.fullmatch(pattern, "tell meeting up now")
    assert re.fullmatch(pattern, "tell mo now") is None


def test_gap_leaves_apostrophe_ending() -> None:
    rules = rules_from(category="x", severity="low", phrases=["said ... 'd hurt me"])

    [concern] = find_concerns("She said he'd hurt me", rules)

    assert concern.matched == "said he'd hurt me"


def test_split_anchor_matches_every_spelling() -> None:
    # The index keys "no-one" by the text words "no" and "one", and
    # "don't" by "don", "t" and the word after them.
    rules = rules_from(
        category="x", severity="low", phrases=["(no-one|don't) (knows|tell)"]
    )

    for text in ["no-one knows", "no one knows", "noone knows", "nobody knows"]:
        assert len(find_concerns(text, rules)) == (text != "nobody knows"), text
    for text in ["don't tell", "don\u2019t tell", "dont tell", "don't say"]:
        assert len(find_concerns(text, rules)) == (text != "don't say"), text


def test_counted_gap_allows_that_many_words() -> None:
    rules = rules_from(category="x", severity="low", phrases=["dad ...5 hits me"])

    assert len(find_concerns("dad gets really angry and then hits me", rules)) == 1
    assert find_concerns("dad gets really very angry and then hits me", rules) == []


# Rules files


@pytest.mark.parametrize(
    ("rule", "message_part"),
    [
        ({"category": "x", "severity": "low", "phrases": ["a ...9 b"]}, "'...8'"),
        ({"category": "x", "severity": "low", "phrases": ["a ...0 b"]}, "'...1'"),
        (
            {"category": "x", "severity": "low", "phrases": ["[a] b"]},
            "not start with an optional",
        ),
        ({"category": "x", "severity": "low", "phrases": ["a (b (c|d))"]}, "inside"),
        ({"category": "x", "severity": "low", "phrases": ["a [b"]}, "unbalanced"),
        ({"category": "x", "severity": "low", "phrases": ["a ..."]}, "start and end"),
        ({"category": "x", "severity": "urgent", "phrases": ["a b"]}, "severity"),
        ({"category": "Bad Name", "severity": "low", "phrases": ["a"]}, "category"),
        ({"category": "x", "severity": "low"}, "no phrases and no patterns"),
        ({"category": "x", "severity": "low", "phrases": ["(a|b"]}, "unbalanced"),
        ({"category": "x", "severity": "low", "phrases": ["... a"]}, "start and end"),
        ({"category": "x", "severity": "low", "phrases": ["(a|)"]}, "empty choice"),
        ({"category": "x", "severity": "low", "patterns": ["(a"]}, "not a valid"),
        ({"category": "x", "severity": "low", "patterns": ["a?"]}, "empty text"),
        ({"category": "x", "severity": "low", "phrases": [""]}, "non-empty"),
        (
            {"category": "x", "severity": "low", "phrases": ["a"], "phrase": []},
            "unknown keys",
        ),
    ],
)
def test_invalid_rule_is_rejected(rule: dict[str, object], message_part: str) -> None:
    with pytest.raises(RulesError, match=message_part):
        parse_rules({"rules": [rule]}, "test rules")


# Word groups


def test_group_reference_becomes_a_choice() -> None:
    groups = {"place": "my flat|mine"}

    assert expand_groups("come to {place}", groups, "test") == "come to (my flat|mine)"


def test_group_inside_brackets_adds_its_choices() -> None:
    groups = {"place": "my flat|mine"}

    expanded = expand_groups("come (to|round) [{place}|home]", groups, "test")

    assert expanded == "come (to|round) [my flat|mine|home]"


def test_rules_file_phrase_uses_its_groups() -> None:
    data = {
        "groups": {"place": ["my flat", "mine"]},
        "rules": [{"category": "test", "severity": "low", "phrases": ["at {place}"]}],
    }
    rules = parse_rules(data, "test rules")

    found = find_concerns("Party at my flat, then back at mine.", rules)

    assert [concern.matched for concern in found] == ["at my flat", "at mine"]
    assert rules.rules[0].phrases == ("at (my flat|mine)",)


def test_group_applies_to_unless_phrases() -> None:
    data = {
        "groups": {"team": ["the coordinator", "the team"]},
        "rules": [
            {
                "category": "test",
                "severity": "low",
                "phrases": ["meet up"],
                "unless": ["with {team}"],
            }
        ],
    }
    rules = parse_rules(data, "test rules")

    assert find_concerns("Meet up with the team on Friday.", rules) == []
    assert len(find_concerns("Meet up on Friday.", rules)) == 1


@pytest.mark.parametrize(
    ("groups", "phrase", "message_part"),
    [
        ({"place": ["mine"]}, "at {home}", "unknown group {home}"),
        ({"Place": ["mine"]}, "at mine", "group name 'Place' is invalid"),
        ({"place": []}, "at mine", "non-empty list"),
        ({"place": ["(mine)"]}, "at mine", "plain words"),
        ({"place": ["mine|yours"]}, "at mine", "plain words"),
        ({"place": ["mine ... yours"]}, "at mine", "plain words"),
    ],
)
def test_invalid_group_is_rejected(
    groups: dict[str, object], phrase: str, message_part: str
) -> None:
    data = {
        "groups": groups,
        "rules": [{"category": "x", "severity": "low", "phrases": [phrase]}],
    }

    with pytest.raises(RulesError, match=message_part):
        parse_rules(data, "test rules")


def test_groups_not_a_table_are_rejected() -> None:
    data = {
        "groups": ["mine"],
        "rules": [{"category": "x", "severity": "low", "phrases": ["a"]}],
    }

    with pytest.raises(RulesError, match=r"\[groups\] is not a table"):
        parse_rules(data, "test rules")


def test_file_without_rules_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("# nothing here\n")

    with pytest.raises(RulesError, match=r"no \[\[rules\]\] tables"):
        load_rules(path)


def test_missing_rules_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read safeguarding rules"):
        load_rules(tmp_path / "absent.toml")


def test_packaged_file_loads() -> None:
    assert load_rules(DEFAULT_RULES_PATH).rules == default_rules().rules


def test_every_packaged_phrase_compiles() -> None:
    # Phrases compile on first use, so a broken one would otherwise fail
    # only when a message first reaches it.
    for rule in compile_rules(default_rules()):
        for phrase in rule.phrases + rule.unless:
            assert phrase.pattern.pattern == phrase.source


def test_context_with_rules_pickles_for_the_filter_process() -> None:
    rules = rules_from(category="test", severity="low", phrases=["blue whale"])
    context = FilterContext(safeguarding_rules=rules)

    copy = pickle.loads(pickle.dumps(context))

    assert copy == context
    assert [c.category for c in find_concerns("a Blue Whale", rules)] == ["test"]


# The pipeline step


def test_flag_leaves_text_unchanged() -> None:
    text = "Shall we meet up on Saturday?\n"

    result = clean_message(message(text), CONTEXT)

    assert delivered_text(message(text)) == text
    assert result.findings == (
        Finding(
            "safeguarding",
            "text/plain",
            category="meeting",
            severity="medium",
            matched="meet up",
        ),
    )


def test_subject_is_flagged() -> None:
    result = clean_message(message("See you Thursday.\n", "I want to die"), CONTEXT)

    assert [(f.where, f.category) for f in result.findings] == [
        ("subject", "self-harm")
    ]


def test_repeated_phrase_is_one_finding_with_count() -> None:
    result = clean_message(message("meet up? meet up!\n"), CONTEXT)

    assert [(f.matched, f.count) for f in result.findings] == [("meet up", 2)]


def test_flag_sees_text_before_contact_filters() -> None:
    # The off-platform filter replaces the request with a placeholder, so a
    # rule run afterwards could not see "add me on snapchat".
    raw = message("Add me on snapchat: samj_04\n")

    result = clean_message(raw, CONTEXT)

    assert "snapchat" not in delivered_text(raw)
    safeguarding = [f for f in result.findings if f.kind == "safeguarding"]
    assert [f.category for f in safeguarding] == ["leaving-platform"]
    assert safeguarding[0].matched == "Add me on snapchat"


def test_html_part_is_read_as_text() -> None:
    mail = EmailMessage()
    mail["Subject"] = "Hi"
    mail.set_content("See you soon.\n")
    mail.add_alternative(
        "<html><head><style>p { meet: up }</style></head><body>"
        "<p>Shall we <b>me</b>et up?</p><p>Keep going</p><div>secret</div>"
        "</body></html>",
        subtype="html",
    )

    result = clean_message(mail.as_bytes(), CONTEXT)

    assert [(f.where, f.matched) for f in result.findings] == [("text/html", "meet up")]


def test_html_to_text_splits_blocks() -> None:
    text = html_to_text("<div>keep</div><div>it &amp; go</div><script>x</script>")

    assert text.split() == ["keep", "it", "&", "go"]
    assert "keep\n" in text


def test_programme_rules_replace_packaged_ones() -> None:
    rules = rules_from(category="test", severity="high", phrases=["blue whale"])
    context = FilterContext(safeguarding_rules=rules)

    result = clean_message(message("Meet up by the blue whale.\n"), context)

    assert [(f.category, f.matched) for f in result.findings] == [
        ("test", "blue whale")
    ]


# The labelled cases


def test_labelled_cases_meet_the_floors() -> None:
    rules = default_rules()
    cases = load_cases(CASES_DIR, rules.categories)

    scores = {item.category: item for item in score(cases, rules)}

    assert len(cases) >= 150
    assert scores["all"].precision >= PRECISION_FLOOR
    assert scores["all"].recall >= RECALL_FLOOR
    for category in REQUIRED_CATEGORIES:
        assert scores[category].recall >= CATEGORY_RECALL_FLOOR, category


def test_everyday_writing_is_never_flagged() -> None:
    rules = default_rules()
    cases = load_cases(CASES_DIR, rules.categories, "everyday.txt")

    flagged = [case.text for case in cases if find_concerns(case.text, rules)]

    assert len(cases) >= 20
    assert flagged == []


def test_case_line_formats() -> None:
    known = ("meeting", "secrecy")

    assert parse_case("# a comment", known, "x") is None
    assert parse_case("   ", known, "x") is None
    near_miss = parse_case("Note: we meet the deadline.", known, "x")
    assert near_miss is not None
    assert near_miss.categories == frozenset()
    both = parse_case("meeting,secrecy: text here", known, "x")
    assert both is not None
    assert both.categories == {"meeting", "secrecy"}
    assert both.text == "text here"
    with pytest.raises(ValueError, match="unknown category meetings"):
        parse_case("meetings: typo", known, "file.txt:3")


# Config and the runner


@pytest.fixture
async def archive(relay_dir: Path, cast: Cast) -> AsyncIterator[Archive]:
    opened = await Archive.open(relay_dir / "archive.sqlite3")
    yield opened
    await opened.close()


async def accept_from_sam(archive: Archive, raw: bytes) -> int:
    sam = await archive.participant_by_email("sam@example.org")
    alex = await archive.participant_by_email("alex@example.com")
    assert sam is not None and alex is not None
    return await archive.accept_message(
        f"Q{id(raw)}", "127.0.0.1", "sam@example.org", sam.id, [alex.id], raw
    )


async def run_one(config: Config, archive: Archive, raw: bytes) -> int:
    message_id = await accept_from_sam(archive, raw)
    runner = PipelineRunner(config, archive, asyncio.Event(), asyncio.Event())
    assert await runner.run_once()
    return message_id


async def test_high_flag_holds_when_policy_says_so(
    relay_dir: Path, archive: Archive
) -> None:
    set_config(relay_dir, "filters", "hold_flagged", "true")
    config = load_config(relay_dir / "relay.toml")

    message_id = await run_one(config, archive, message("I want to die.\n"))

    row = await archive.message(str(message_id))
    assert row is not None
    assert row["status"] == "held"
    assert row["hold_reason"] == "Flagged for a safeguarding review: self-harm"
    assert row["flag"] == "self-harm"
    assert await archive.findings(message_id) == [
        StoredFinding(
            "safeguarding", "text/plain", 1, "", "self-harm", "high", "want to die"
        )
    ]
    assert await archive.lease_delivery_jobs(10, 60) == []


async def test_high_flag_is_delivered_without_hold_policy(
    relay_dir: Path, archive: Archive
) -> None:
    config = load_config(relay_dir / "relay.toml")

    message_id = await run_one(config, archive, message("I want to die.\n"))

    row = await archive.message(str(message_id))
    assert row is not None
    assert row["status"] == "queued"
    assert row["flag"] == "self-harm"


async def test_medium_flag_is_delivered_under_hold_policy(
    relay_dir: Path, archive: Archive
) -> None:
    set_config(relay_dir, "filters", "hold_flagged", "true")
    config = load_config(relay_dir / "relay.toml")

    message_id = await run_one(config, archive, message("Shall we meet up?\n"))

    row = await archive.message(str(message_id))
    assert row is not None
    assert row["status"] == "queued"
    assert row["flag"] == "meeting"


async def test_programme_rules_file_is_used(relay_dir: Path, archive: Archive) -> None:
    (relay_dir / "safeguarding.toml").write_text(
        '[[rules]]\ncategory = "local"\nseverity = "high"\nphrases = ["blue whale"]\n'
    )
    set_config(relay_dir, "filters", "safeguarding_rules", '"safeguarding.toml"')
    set_config(relay_dir, "filters", "hold_flagged", "true")
    config = load_config(relay_dir / "relay.toml")

    message_id = await run_one(config, archive, message("The blue whale.\n"))

    assert config.filters.safeguarding_rules == relay_dir / "safeguarding.toml"
    row = await archive.message(str(message_id))
    assert row is not None
    assert row["hold_reason"] == "Flagged for a safeguarding review: local"


def test_invalid_rules_file_stops_config_load(relay_dir: Path) -> None:
    (relay_dir / "safeguarding.toml").write_text(
        '[[rules]]\ncategory = "local"\nseverity = "urgent"\nphrases = ["x"]\n'
    )
    set_config(relay_dir, "filters", "safeguarding_rules", '"safeguarding.toml"')

    with pytest.raises(ConfigError, match=r"filters\.safeguarding_rules: .*severity"):
        load_config(relay_dir / "relay.toml")


def test_config_defaults_to_packaged_rules(relay_dir: Path) -> None:
    config = load_config(relay_dir / "relay.toml")

    assert config.filters.safeguarding_rules == DEFAULT_RULES_PATH


# Finding words without a regular expression, and skipping phrases early


def test_word_split_gives_words_and_offsets() -> None:
    found = _words_and_starts("don\u2019t  tell_me 42!")

    assert found == (["don", "t", "tell_me", "42"], [0, 4, 7, 15])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "...",
        "word",
        "  keep it secret, ok?  ",
        "snake_case, 42 words\tand\x1ctabs\n\nnew paragraph",
        "curly \u2019quotes\u2019 and\u00a0no-break\u00a0spaces \U0001f600 end",
        "a " + "x" * 300 + " b",
    ],
)
def test_word_split_agrees_with_regex(text: str) -> None:
    expected = [(match.group(), match.start()) for match in re.finditer(r"\w+", text)]

    found = _words_and_starts(text)

    assert found is not None
    words, starts = found
    assert list(zip(words, starts, strict=True)) == expected


def test_word_split_declines_letters_outside_ascii() -> None:
    assert _words_and_starts("caf\u00e9 au lait") is None


def test_rewriting_needed_for_spaced_letters_and_text_speak() -> None:
    for text, expected in [
        ("k e e p it", True),
        ("s.e.c.r.e.t", True),
        ("wanna meet", True),
        ("keep it secret", False),
        ("a b", False),
        # One-character words that spaced_letter_runs does not join.
        ("r u a", False),
        ("3 4 m wide", False),
        ("k, e, e, p", False),
    ]:
        found = _words_and_starts(text)
        assert found is not None
        words, starts = found
        assert _needs_rewriting(text, words, starts, frozenset(words)) is expected, text


@pytest.mark.parametrize(
    "text", ["the river was 3 4 m wide", "r u a fan", "1 2 3 go", "x, y, z"]
)
def test_one_letter_words_prepare_alike(text: str) -> None:
    prepared = _prepare(text)

    lower, parts, offsets = _split_words(text)
    assert spaced_letter_runs(parts, offsets) == []
    assert prepared.lower == lower
    assert prepared.word_list == parts[1::2]
    assert prepared.word_starts == offsets[0::2][: len(parts) // 2]
    assert prepared.expansions is None
    assert prepared.origins is None


def test_phrase_needs_a_bit_per_required_word() -> None:
    rules = rules_from(
        category="local",
        severity="low",
        phrases=["blue whale", "red (fox|hen)", "sext*"],
    )
    index = _phrase_index(rules)
    needed = index.masks.needed

    assert needed == {(0, 0): 0b11, (0, 1): 0b1100, (0, 2): 0}
    assert index.masks.by_word["whales"] == 0b10
    assert index.masks.by_word["hen"] == 0b1000


def test_text_words_set_the_bits_they_contain() -> None:
    rules = rules_from(category="local", severity="low", phrases=["red (fox|hen)"])
    masks = _phrase_index(rules).masks.by_word

    assert _present_bits(_prepare("A red hen and a red fox."), masks) == 0b11
    assert _present_bits(_prepare("A red car."), masks) == 0b01
    assert _present_bits(_prepare("Nothing here."), masks) == 0


def test_phrase_is_found_beside_non_ascii_separators() -> None:
    text = "We can meet up\u00a0on Saturday, just the two of us \U0001f600"

    concerns = find_concerns(text, default_rules())

    assert [(c.category, c.matched, c.start, c.end) for c in concerns] == [
        ("meeting", "meet up", 7, 14),
        ("meeting", "just the two of us", 28, 46),
    ]


def test_prefix_phrase_matches_longer_word() -> None:
    rules = rules_from(category="local", severity="low", phrases=["sext*"])

    concerns = find_concerns("Stop sexting me", rules)

    assert [(c.matched, c.start, c.end) for c in concerns] == [("sexting", 5, 12)]


def test_text_without_prefix_words_keeps_word_index() -> None:
    rules = rules_from(category="local", severity="low", phrases=["sext*", "blue"])
    index = _phrase_index(rules)

    assert _with_prefix_words(_prepare("Blue sky"), index) is index.by_word
    assert _with_prefix_words(_prepare("Sexts"), index)["sexts"] == ((0, 0),)


# Study topics, invoices and disclaimers


@pytest.mark.parametrize(
    "text",
    [
        "In Romeo and Juliet both lovers commit suicide in the final act",
        "the poem is about a soldier who killed himself",
        "we studied the Holocaust",
        "Macbeth's murder of Duncan",
        "In history we learned that Hitler committed suicide in his bunker.",
        "The news said the singer's death had been ruled a suicide.",
    ],
)
def test_study_topic_is_not_flagged(text: str) -> None:
    assert categories(text) == []


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("I want to kill myself", "kill myself"),
        (
            "my friend said she will commit suicide",
            "friend said she will commit suicide",
        ),
        (
            "We read Romeo and Juliet and I keep thinking about suicide.",
            "I keep thinking about suicide",
        ),
        ("The poem made me feel suicidal.", "me feel suicidal"),
        ("Like Juliet, I'm going to commit suicide.", "I'm going to commit suicide"),
    ],
)
def test_disclosure_beside_set_text_is_high(text: str, matched: str) -> None:
    concerns = find_concerns(text, default_rules())

    assert [(c.category, c.severity, c.matched) for c in concerns] == [
        ("self-harm", "high", matched)
    ]


def test_kill_yourself_is_bullying() -> None:
    assert categories("you should kill yourself") == ["bullying"]


@pytest.mark.parametrize(
    "text",
    [
        "please pay the invoice to sort code 20-00-00, account 12345678",
        "add your bank details to the invoice template",
        "Sort code: 20-00-00\nAccount number: 12345678",
        "Open a separate business account so your sort code isn't your own.",
        "Never give your bank details to someone who messages you out of the blue.",
    ],
)
def test_invoicing_talk_is_not_flagged(text: str) -> None:
    assert categories(text) == []


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        (
            "Send me your bank details and I'll pay you back.",
            "Send me your bank details",
        ),
        ("What's your dad's sort code?", "What's your dad's sort code"),
        ("I just need ur account number", "just need ur account number"),
        (
            "Ask your mum for her card details for me.",
            "Ask your mum for her card details",
        ),
    ],
)
def test_bank_details_request_is_flagged(text: str, matched: str) -> None:
    concerns = find_concerns(text, default_rules())

    assert [(c.category, c.severity, c.matched) for c in concerns] == [
        ("gifts-money", "medium", matched)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "This email and any attachments are confidential. Do not forward it to "
        "anyone else.",
        "If you are not the intended recipient, please delete it.",
        "Please do not forward the price list to anyone outside the team.",
    ],
)
def test_disclaimer_is_not_flagged_by_rules(text: str) -> None:
    assert categories(text) == []


def test_no_forwarding_to_mum_is_secrecy() -> None:
    concerns = find_concerns("Please don't forward this to your mum.", default_rules())

    assert [(c.category, c.matched) for c in concerns] == [
        ("secrecy", "don't forward this to your mum")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "a cock pheasant, a shag on the rocks",
        "We watched a shag drying its wings on the harbour wall.",
        "Mum wants a shag pile carpet for the front room.",
        "I'm completely shagged after the cross-country run.",
        "My uncle in Perth asked if anyone had a shag, meaning a rollie.",
    ],
)
def test_shag_in_innocent_sense_is_not_flagged(text: str) -> None:
    assert categories(text) == []


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("shag me", "shag me"),
        ("wanna shag", "wanna shag"),
        ("did you shag her", "you shag"),
        ("we could shag", "could shag"),
    ],
)
def test_shag_as_sex_is_high(text: str, matched: str) -> None:
    concerns = find_concerns(text, default_rules())

    assert [(c.category, c.severity, c.matched) for c in concerns] == [
        ("sexual-content", "high", matched)
    ]


def test_personal_account_advice_about_customers_is_not_flagged() -> None:
    text = (
        "Don't share your personal account with customers - keep the shop "
        "account separate."
    )

    assert categories(text) == []


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        (
            "my number is easy, take 1 off each digit: 18811 011234",
            "my number is easy, take 1",
        ),
        ("my number backwards is 321009 00770", "my number backwards is 321009 00770"),
        ("here's my mobile", "here's my mobile"),
        ("ring me tonight", "ring me tonight"),
        (
            "I live at the house with the red door next to the chippy on Acacia",
            "I live at the",
        ),
        (
            "you know the big road by the park, I'm the fourteenth house on the left",
            "I'm the fourteenth house on",
        ),
    ],
)
def test_own_contact_details_in_words_are_flagged(text: str, matched: str) -> None:
    concerns = find_concerns(text, default_rules())

    assert [(c.category, c.severity, c.matched) for c in concerns] == [
        ("leaving-platform", "medium", matched)
    ]


def test_usual_mobile_start_is_flagged_twice() -> None:
    text = "text me, it's the usual mobile start then 900 then one two three"

    concerns = find_concerns(text, default_rules())

    assert [(c.category, c.matched) for c in concerns] == [
        ("leaving-platform", "text me,"),
        ("leaving-platform", "the usual mobile start"),
    ]


def test_call_me_when_mum_out_is_flagged() -> None:
    # The photos rule for a video call while a parent is out matches too.
    concerns = find_concerns("call me when your mum's out", default_rules())

    assert [(c.category, c.matched) for c in concerns] == [
        ("leaving-platform", "call me when"),
        ("photos", "call me when your mum's out"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "call me Sam",
        "the school's number is on the letter",
        "my number in the register is 14",
        "I live in Leeds",
        'In the film she shouts "text me!" as the train pulls away.',
        "ring the office",
        "Mum texted me when she got to work.",
        "Please don't text me during exams, I'll reply here.",
        "I still live at home with my mum.",
        "My mobile is broken so I'm on the laptop this week.",
    ],
)
def test_contact_near_miss_is_not_flagged(text: str) -> None:
    assert categories(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "I need a sextant for the DofE navigation badge.",
        "We played in a string sextet, and the church sexton opened up.",
        "I overdosed on revision this weekend lol.",
    ],
)
def test_words_starting_like_a_concern_are_not_flagged(text: str) -> None:
    assert find_concerns(text, default_rules()) == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("he sexted me last night", "sexual-content"),
        ("I took an overdose last night", "self-harm"),
    ],
)
def test_sexting_and_overdose_still_flag(text: str, category: str) -> None:
    assert [c.category for c in find_concerns(text, default_rules())] == [category]
