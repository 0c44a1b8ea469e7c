"""Tests for the cheap checks that let text filters skip their patterns.

Each check must keep every match: a text filter with its checks finds what
it found when every pattern ran over the whole text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import filters.text
from filters import prefilter
from filters.base import FilterContext, Span
from filters.safeguarding import find_concerns as find_safeguarding_concerns
from filters.safeguarding import parse_rules
from filters.text import redact_text, redact_texts

CONTEXT = FilterContext()
CASES = Path(__file__).resolve().parents[1] / "data" / "filter_cases"

# Characters that exercise case folding, leet symbols, "_" and separators.
CHARACTERS = st.sampled_from(
    [*"aAbsSiI01 _@$!+*.-\n\t", "\u0130", "\u0131", "\u017f", "\u00e9"]
)
TEXTS = st.lists(CHARACTERS, max_size=60).map("".join)


def labelled_lines() -> list[str]:
    lines = []
    for path in sorted(CASES.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                lines.append(line.partition(": ")[2] or line)
    return lines


LINES = labelled_lines()


def test_fold_case_keeps_length_and_folds_letters() -> None:
    folded = prefilter.fold_case("\u0130stanbul \u0131s \u017fo LOUD")

    assert folded == "istanbul is so loud"


@given(TEXTS)
def test_fold_case_matches_ignorecase_for_ascii(text: str) -> None:
    folded = prefilter.fold_case(text)

    assert len(folded) == len(text)
    for letter in "abis":
        ignoring_case = [m.start() for m in re.finditer(letter, text, re.IGNORECASE)]
        assert [m.start() for m in re.finditer(letter, folded)] == ignoring_case


def test_words_are_folded_word_runs() -> None:
    words = prefilter.words("Sam_J sh!t @Snap 07700 caf\u00e9")

    assert words == {"sam_j", "sh", "t", "snap", "07700", "caf\u00e9"}


@given(TEXTS)
def test_words_equal_word_runs_of_folded_text(text: str) -> None:
    expected = frozenset(re.findall(r"\w+", prefilter.fold_case(text)))

    assert prefilter.words(text) == expected


def test_token_runs_keep_symbols_and_case() -> None:
    assert prefilter.token_runs("Sh!t, @ss_hat") == {"Sh!t", "@ss_hat"}


def test_digit_runs_give_spans() -> None:
    assert prefilter.digit_runs("a 07700 b12") == ((2, 7), (9, 11))


def test_lines_with_returns_matching_strings() -> None:
    found = prefilter.lines_with(re.compile(r"(.)\1\1"), ["zzz", "ab", "fooo"])

    assert found == {"zzz", "fooo"}


def test_clear_caches_empties_every_cache() -> None:
    prefilter.words("some text")
    prefilter.clear_caches()

    assert prefilter.words.cache_info().currsize == 0
    assert prefilter.fold_case.cache_info().currsize == 0


@given(TEXTS)
def test_matches_at_every_start_equals_finditer(text: str) -> None:
    pattern = re.compile(r"[as]+\d?|!\w")

    expected = [m.span() for m in pattern.finditer(text)]
    found = prefilter.matches_at(pattern, text, range(len(text)))

    assert [m.span() for m in found] == expected


@given(TEXTS)
def test_matches_at_match_starts_equals_finditer(text: str) -> None:
    # Trying only where some match could start, plus a few other places,
    # gives finditer's matches, including where matches would overlap.
    pattern = re.compile(r"a\w*|s.")
    starts = [m.start() for m in re.finditer(r"(?=a|s)", text)] + [0, 3]

    expected = [m.span() for m in pattern.finditer(text)]
    found = prefilter.matches_at(pattern, text, starts)

    assert [m.span() for m in found] == expected


@given(TEXTS)
def test_matches_after_equals_lookbehind_pattern(text: str) -> None:
    with_lookbehind = re.compile(r"(?<!\w)[abs]\w*")
    without = re.compile(r"[abs]\w*")

    expected = [m.span() for m in with_lookbehind.finditer(text)]
    found = prefilter.matches_after(without, text, prefilter.follows_non_word)

    assert [m.span() for m in found] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to sam @ example.com", "Write to [email address removed]"),
        ("sam [at] example [dot] com", "[email address removed]"),
        ("sam(@)example.com", "[email address removed]"),
        ("sam.j at example.com", "[email address removed]"),
        ("samj at gmail.com", "[email address removed]"),
        ("sam at example dot com", "[email address removed]"),
        ("MAILTO:sam@example.com", "[email address removed]"),
        ("write to samj04 at gmail", "write to [email address removed]"),
        ("add me on Tik Tok: samj_04", "[contact link removed]"),
        ("FOLLOW ME @sam_j", "FOLLOW ME [contact link removed]"),
        ("\u0130nstagram.com/sam", "[contact link removed]"),
        ("whats app me", "[contact link removed]"),
        ("follow me on x @samj_04", "[contact link removed]"),
        ("my zipis 94103", "my zipis [postcode removed]"),
        ("Rose Cottage, Mill Lane", "[address removed]"),
        ("GIR 0AA", "[postcode removed]"),
        ("Leeds LS1 1AA", "Leeds [postcode removed]"),
        ("O7700 9OO123", "[phone number removed]"),
        (
            "oh seven seven double oh nine hundred one two three",
            "[phone number removed]",
        ),
        ("that blow-job joke", "that **** joke"),
        ("fuuuck that", "**** that"),
        ("sh!t happens", "**** happens"),
        ("f u c k off", "**** off"),
    ],
)
def test_disguised_details_pass_the_checks(text: str, expected: str) -> None:
    assert redact_text(text, CONTEXT, "text/plain").text == expected


def test_extra_phrase_outside_ascii_is_removed() -> None:
    context = FilterContext(extra_offensive_words=("gr\u00fc\u00dfe mist",))

    result = redact_text("so GR\u00dc\u00dfE mist!", context, "text/plain")

    assert result.text == "so ****!"


def test_redact_texts_splits_findings_per_text() -> None:
    texts = ["ring 07700 900123", "<b>", "or sam@example.com"]

    results = redact_texts(texts, CONTEXT, "text/html")

    assert [r.text for r in results] == [
        "ring [phone number removed]",
        "<b>",
        "or [email address removed]",
    ]
    assert [len(r.findings) for r in results] == [1, 0, 1]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(LINES),
            st.sampled_from(["07700", "900123", "sam", "@", "example.com", "snap:"]),
            st.text(max_size=12),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_redact_texts_equals_one_call_per_text(texts: list[str]) -> None:
    expected = [redact_text(text, CONTEXT, "text/html") for text in texts]

    assert redact_texts(texts, CONTEXT, "text/html") == expected


class _AcrossTexts:
    """A filter that removes any text holding a NUL, which only joined texts do."""

    kind = "phone"
    placeholder = "[removed]"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        return [Span(0, len(text), self.kind)] if "\x00" in text else []


def test_redact_texts_falls_back_when_span_crosses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(filters.text, "TEXT_FILTERS", (_AcrossTexts(),))

    results = redact_texts(["one", "two"], CONTEXT, "text/html")

    assert [r.text for r in results] == ["one", "two"]


@pytest.mark.parametrize(
    "text",
    ["I SENT YOU \u00a350", "i \u017fent you \u00a35", "they paid me \u00a3 20"],
)
def test_safeguarding_pattern_ignores_case(text: str) -> None:
    rules = parse_rules(
        {
            "rules": [
                {
                    "category": "gifts-money",
                    "severity": "medium",
                    "patterns": [r"(?:sent|paid)\s+(?:you|me)\s+\u00a3\s?\d+"],
                }
            ]
        },
        "test",
    )

    concerns = find_safeguarding_concerns(text, rules)

    assert [c.category for c in concerns] == ["gifts-money"]


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        (r"[A-Z]{2}\d", "ab1", True),
        (r"\x41b", "AB", True),
        (r"(?-i:ab)", "AB", True),
        (r"[A-Z]{2}\d", "ab", False),
    ],
)
def test_safeguarding_pattern_with_capitals_keeps_ignorecase(
    pattern: str, text: str, found: bool
) -> None:
    rules = parse_rules(
        {"rules": [{"category": "test", "severity": "low", "patterns": [pattern]}]},
        "test",
    )

    assert bool(find_safeguarding_concerns(text, rules)) is found
