"""Tests for the learned concern model and its place in the safeguarding step."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from bench.safeguarding_quality import CASES_DIR
from bench.train_concern_model import ORDINARY_PATH, model_json, train
from filters.base import FilterContext, Finding
from filters.concern_model import (
    DEFAULT_MODEL_PATH,
    WINDOW_WORDS,
    ModelError,
    _sentences,
    default_model,
    estimate_concerns,
    load_model,
    sentence_spans,
    words_of,
)
from filters.mime import Draft, read_body
from filters.safeguarding import default_rules, flag_concerns, flag_text
from relay.config import ConfigError, load_config
from relay.runner import filter_context
from tests.conftest import set_config

CONTEXT = FilterContext()
# The rules miss this sentence, and the model flags it as leaving-platform.
OTHER_ADDRESS = (
    "If it's easier you can text me or email my other address, I check that one more."
)


def probabilities(text: str) -> dict[str, float]:
    model = default_model()
    values = model.probabilities(words_of(text))
    return {
        category: round(value, 4)
        for category, value in zip(model.categories, values, strict=True)
    }


def draft_of(text: str) -> Draft:
    raw = (
        "From: Sam Jones <sam@example.org>\r\n"
        "To: alex.k7q2@relay.example.org\r\n"
        "Subject: Hello\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n"
    ).encode()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return Draft(read_body(message))


def lines_of(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


# Loading


def test_packaged_model_has_the_rules_categories() -> None:
    model = default_model()

    assert model.categories == default_rules().categories
    assert dict(zip(model.categories, model.thresholds, strict=True)) == {
        "meeting": 0.8,
        "secrecy": 0.8,
        "leaving-platform": 0.8,
        "gifts-money": 0.8,
        "photos": 0.8,
        "sexual-content": 0.9,
        "self-harm": 0.8,
        "abuse-disclosure": 0.9,
        "bullying": 0.8,
    }


def test_packaged_model_is_loaded_once() -> None:
    assert default_model() is default_model()


def test_packaged_model_file_is_small() -> None:
    assert DEFAULT_MODEL_PATH.stat().st_size < 1_000_000


def test_invalid_json_raises_model_error(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("{not json")

    with pytest.raises(ModelError, match="is not valid JSON"):
        load_model(path)


def test_wrong_format_names_the_rebuild_command(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{"format": 2}')

    with pytest.raises(ModelError, match=r"bench\.train_concern_model train"):
        load_model(path)


def test_missing_model_file_raises_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read model"):
        load_model(tmp_path / "absent.json")


def test_threshold_outside_zero_to_one_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(
        '{"format": 1, "categories": ["meeting"], "biases": {"meeting": -1},'
        ' "thresholds": {"meeting": 1.5}, "weights": {}}'
    )

    with pytest.raises(ModelError, match="not a model file"):
        load_model(path)


# Scores


def test_scores_of_a_few_sentences() -> None:
    assert probabilities(OTHER_ADDRESS)["leaving-platform"] == 0.9651
    assert probabilities("Shall we meet up at the park on Saturday, just us?")[
        "meeting"
    ] == pytest.approx(0.998, abs=0.0005)
    assert max(probabilities("I got a B in maths.").values()) < 0.05


def test_words_drop_apostrophes_and_case() -> None:
    assert words_of("Don\u2019t TELL anyone, OK?") == ["dont", "tell", "anyone", "ok"]


def test_sentences_end_at_punctuation_and_blank_lines() -> None:
    text = "First one. Second one!\n\nThird one\n\n...\n"

    spans = [text[start:end] for start, end in sentence_spans(text)]

    assert spans == ["First one.", " Second one!", "Third one\n\n"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "...\n\n!",
        "Don\u2019t TELL anyone, OK?  snake_case 42. Last one",
        "Costs \u00a35 \U0001f600 or \u20ac6.\n\nThe end\u2026 right?",
        "A caf\u00e9 in Z\u00fcrich. Then home.",
        "\u039f\u0394\u039f\u03a3. Next.",
        "The \u212a sign. The \u2160 numeral. The \u24b6 circle.",
        "\u0130stanbul is big. Yes.",
        "it's ' quoted ' '' text's end",
    ],
)
def test_sentence_words_match_words_of(text: str) -> None:
    # _sentences finds the words of every sentence in one pass over the
    # text. It must give what words_of gives for each sentence alone.
    expected = [
        (start, end, words_of(text[start:end])) for start, end in sentence_spans(text)
    ]

    assert list(_sentences(text)) == expected


def test_long_sentence_is_scored_in_windows() -> None:
    filler = " ".join(["maths"] * (WINDOW_WORDS * 2))
    text = f"{filler} {OTHER_ADDRESS}"

    [estimate] = estimate_concerns(text, default_model())

    assert estimate.category == "leaving-platform"
    assert estimate.start == len(filler) + 1
    assert text[estimate.end - 4 : estimate.end] == "more"


# Findings


def test_model_finding_fields() -> None:
    findings = flag_text(OTHER_ADDRESS, default_rules(), "text/plain", CONTEXT)

    assert findings == [
        Finding(
            "safeguarding",
            "text/plain",
            detail="model estimate 0.97, not a rule match",
            category="leaving-platform",
            severity="medium",
            matched=OTHER_ADDRESS,
        )
    ]


def test_model_finding_hides_contact_details() -> None:
    text = (
        "If it's easier you can text me on 07700 900183 or email my other "
        "address sam.j@example.com, I check that one more."
    )

    [finding] = flag_text(text, default_rules(), "text/plain", CONTEXT)

    assert finding.category == "leaving-platform"
    assert "07700" not in finding.matched
    assert "sam.j@example.com" not in finding.matched
    assert finding.matched.startswith("If it's easier you can text me on [")


def test_model_adds_nothing_where_a_rule_flags_the_category() -> None:
    text = "Shall we meet up at the park on Saturday, just us?"

    findings = flag_text(text, default_rules(), "text/plain", CONTEXT)

    assert [finding.category for finding in findings] == ["meeting", "meeting"]
    assert all(finding.detail == "" for finding in findings)


def test_flag_concerns_adds_model_findings_by_default() -> None:
    result = flag_concerns(draft_of(OTHER_ADDRESS), FilterContext())

    assert [finding.detail for finding in result.findings] == [
        "model estimate 0.97, not a rule match"
    ]


def test_switch_off_leaves_rules_only() -> None:
    context = FilterContext(safeguarding_model=False)

    result = flag_concerns(draft_of(OTHER_ADDRESS), context)

    assert result.findings == ()


def test_no_model_flags_on_everyday_lines() -> None:
    model = default_model()

    for line in lines_of(CASES_DIR / "everyday.txt"):
        assert estimate_concerns(line, model) == [], line


def test_no_model_flags_on_ordinary_lines() -> None:
    model = default_model()

    for line in lines_of(ORDINARY_PATH):
        assert estimate_concerns(line, model) == [], line


# Config


def test_config_turns_model_on_by_default(relay_dir: Path) -> None:
    config = load_config(relay_dir / "relay.toml")

    assert config.filters.safeguarding_model is True
    assert filter_context(config).safeguarding_model is True


def test_config_turns_model_off(relay_dir: Path) -> None:
    set_config(relay_dir, "filters", "safeguarding_model", "false")

    config = load_config(relay_dir / "relay.toml")

    assert config.filters.safeguarding_model is False
    assert filter_context(config).safeguarding_model is False


def test_config_rejects_a_quoted_boolean(relay_dir: Path) -> None:
    set_config(relay_dir, "filters", "safeguarding_model", '"no"')

    with pytest.raises(
        ConfigError,
        match=r"filters\.safeguarding_model = 'no' is not a boolean: write it as "
        "true or false",
    ):
        load_config(relay_dir / "relay.toml")


# Training


def test_training_twice_gives_the_same_file() -> None:
    # The packaged file is not compared, because it changes only when
    # someone retrains, while the case files it came from change more often.
    first = model_json(train())
    second = model_json(train())

    assert first == second
    assert first.startswith('{\n "biases": {\n  "abuse-disclosure": ')


def test_repeated_sentence_reuses_its_score() -> None:
    model = load_model(DEFAULT_MODEL_PATH)
    text = f"{OTHER_ADDRESS} I got a B in maths. {OTHER_ADDRESS}"
    fresh = estimate_concerns(text, model)
    assert len(model.seen) == 2
    assert estimate_concerns(text, model) == fresh
    assert [e.category for e in fresh] == ["leaving-platform", "leaving-platform"]
    model.seen.clear()
    assert estimate_concerns(text, model) == fresh


# Disclaimers


@pytest.mark.parametrize(
    "text",
    [
        "This email and any attachments are confidential and intended only for "
        "the addressee. Do not forward it to anyone else.",
        "If you are not the intended recipient, please delete it.",
        "If this email reached you by mistake, please tell the sender and delete "
        "it, and do not copy or forward it to anyone else.",
        "Please keep the figures confidential until the client signs the contract.",
    ],
)
def test_disclaimer_gets_no_estimate(text: str) -> None:
    assert estimate_concerns(text, default_model()) == []


def test_mail_hidden_from_parent_is_secrecy() -> None:
    text = "Delete this email once you've read it and don't show it to your dad."

    estimates = estimate_concerns(text, default_model())

    assert [estimate.category for estimate in estimates] == ["secrecy"]


def test_each_model_finding_hides_its_own_details() -> None:
    # The flagged sentences are redacted in one pass, and each finding must
    # still get its own sentence, including a sentence that occurs twice.
    first = (
        "If it's easier you can text me on 07700 900183 or email my other "
        "address sam.j@example.com, I check that one more."
    )
    second = "You can always text me on 07700 900456, I check it more than this."
    text = f"{first} {second} {first}"

    findings = flag_text(text, default_rules(), "text/plain", CONTEXT)

    matched = [finding.matched for finding in findings]
    assert len(matched) == 3
    assert matched[0].startswith("If it's easier you can text me on [phone")
    assert matched[1] == (
        "You can always text me on [phone number removed], I check it more than this."
    )
    assert matched[2] == matched[0]


def test_pair_weights_hold_every_bigram() -> None:
    model = default_model()

    expected = sum(len(following) for following in model.bigrams.values())

    assert len(model.pair_weights) == expected
    for (first, second), weights in list(model.pair_weights.items())[:50]:
        assert model.bigrams[first][second] is weights


# Keeping to the programme's rules


@pytest.mark.parametrize(
    "text",
    [
        "Better not to share usernames for games or other sites here - the "
        "programme asks us to keep everything in this mail.",
        "Don't share your personal account with customers - keep the shop "
        "account separate.",
        "a cock pheasant, a shag on the rocks",
    ],
)
def test_rule_keeping_gets_no_estimate(text: str) -> None:
    assert estimate_concerns(text, default_model()) == []
