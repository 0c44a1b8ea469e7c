"""Safeguarding flags: phrases a safeguarding officer should read.

The rules live in a TOML file that each programme can edit. The packaged
default is config/safeguarding.toml, which also documents the phrase syntax.
Each rule has a category, a severity (low, medium or high), phrases or
regular expressions, and an optional `unless` list. A match is dropped when
an `unless` phrase occurs in the same sentence, which is how "meet the
deadline" or "keep it secret until the launch" stay unflagged.

Rules match a normalised view of the text, the one the contact filters use
(filters.normalise) with spaced-out letters joined and text-speak for
several words spelled out, so a zero-width space, "k e e p  i t  s e c r e t"
or "wanna" does not hide a phrase. A word that disguises a word of the
rules is respelled in that view: digits for letters ("k1ssed"), stretched
letters ("goneee") and asterisks ("d*scord"), and spaced-out letters that
run together ("l i t t l e s e c r e t") are split into rule words. A
phrase word also matches its one-word text-speak spellings ("u" for "you",
see SPELLINGS). All phrases are found in one pass over the words of that
view (see `_find_spans`).

This step only reads: it never changes the text, and its findings carry the
matched words as sent, so the officer can find them in the message.
"""

from __future__ import annotations

import bisect
import functools
import html
import operator
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import (
    accumulate,
    compress,
    count,
    filterfalse,
    pairwise,
    product,
    repeat,
)
from pathlib import Path
from typing import Any

import nh3

from filters.base import FilterContext, Finding
from filters.concern_model import Estimate, default_model, estimate_concerns
from filters.html import BLOCK_TAGS, REMOVED_WITH_CONTENT
from filters.mime import Draft, StepResult, iter_text_parts
from filters.normalise import matching_view
from filters.prefilter import fold_case
from filters.text import redact_texts

DEFAULT_RULES_PATH = (
    Path(__file__).resolve().parents[1] / "config" / "safeguarding.toml"
)
SEVERITIES = ("low", "medium", "high")
KIND = "safeguarding"
# The severity of the learned model's findings. A medium finding does not
# hold a message, so an estimate alone only puts it in front of the officer.
MODEL_SEVERITY = "medium"

# Matched text longer than this is cut, because a finding points the officer
# at the message and does not replace reading it.
MAX_MATCHED_CHARS = 100

# An `unless` phrase counts only within this many characters of the match,
# and only inside the same sentence.
SENTENCE_WINDOW_CHARS = 300

# Between two words of a phrase: any run of spaces, line breaks and
# punctuation that does not end a sentence. A blank line ends one too.
# The quantifier is possessive ("++", Python 3.11 and later) because a
# word character always follows, so giving characters back cannot help.
SEPARATOR = r"(?:[^\w.!?\n]|\n(?![^\S\n]*\n))++"
# Apostrophes: straight, and the right single quotation mark (U+2019) that
# many clients type instead.
APOSTROPHES = "'\u2019"
# One word of a "..." gap. Each run of letters is possessive: without it,
# a failed match after a gap retried every shorter piece of each skipped
# word, which made gaps the slowest part of matching. The part after an
# apostrophe may still be given back, so "said he'd kill" leaves "'d" for
# a phrase word.
ANY_WORD = rf"\w++(?:[{APOSTROPHES}]\w++)*"
# "..." in a phrase stands for up to this many words, and "...N" for up
# to N words, at most MAX_GAP_WORDS.
GAP_WORDS = 3
MAX_GAP_WORDS = 8
SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n[^\S\n]*\n")
# A token is a choice "(a|b c)", an optional choice "[a|b c]", a gap "..."
# or "...N", or a word.
PHRASE_TOKEN = re.compile(r"\(([^()\[\]]*)\)|\[([^()\[\]]*)\]|\.\.\.(\d*)|[^\s()\[\]]+")
CATEGORY_NAME = re.compile(r"[a-z][a-z0-9-]*")
# "{name}" in a phrase stands for the choices of the group `name` in the
# rules file's [groups] table.
GROUP_REFERENCE = re.compile(r"\{([^{}]*)\}")
GROUP_NAME = re.compile(r"[a-z][a-z0-9_-]*")
# A group choice is plain words, without brackets, braces, "|" or "...".
GROUP_CHOICE = re.compile(r"[^()\[\]{}|.]+(?:\.(?!\.)[^()\[\]{}|.]*)*")
RULE_KEYS = {"category", "severity", "phrases", "patterns", "unless"}
VOWELS = set("aeiou")
# Escapes in a pattern that stand for a class of characters, a position or a
# control character, never for a letter.
_CASE_FREE_ESCAPES = frozenset("dswbDSWBAZntrfv")
WORD = re.compile(r"\w+")
_WORD_SPLIT = re.compile(r"(\w+)")
# A str.translate table for ASCII text that keeps the characters `\w`
# matches and turns every other one into a space. For one character, `\w`
# matches exactly when str.isalnum() is true or the character is "_".
_NON_WORD_AS_SPACE = "".join(
    char if char.isalnum() or char == "_" else " " for char in map(chr, range(128))
)
_NON_ASCII_WORD_CHAR = re.compile(r"[^\W\x00-\x7f]")
# The gap between two letters of a spaced-out word.
_SPACED_GAP = re.compile(r" {1,3}|[._*-]")
_LINE_BREAK_SPACE = re.compile(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*")
# A run of spaced-out letters longer than this is not split into words,
# because splitting costs time in proportion to its length.
MAX_SEGMENTED_LETTERS = 60
# The words of a phrase of a rules file, for `vocabulary`.
_PHRASE_WORD = re.compile(r"[\w'\u2019*-]+")
_APOSTROPHE_OR_HYPHEN = re.compile(f"[{APOSTROPHES}-]")
# A word of the text, with any asterisks inside it ("d*scord").
_CANDIDATE_WORD = re.compile(r"\w+(?:\*+\w+)*")
_STARRED_WORD = re.compile(r"\w\*+\w")
# A digit beside a letter, or three equal letters: what `respelling` reads.
_TRIPLE_LETTER = re.compile(r"([a-z])\1\1")
_LETTER_BESIDE_DIGIT = re.compile(r"[a-z][0-9]|[0-9][a-z]")
_REPEATED_LETTER = re.compile(r"([a-z])\1{2,}")
# Digits written for the letters they resemble. "1" is read as "i" first,
# then as "l". Other digits in a word stay digits.
_DIGIT_LETTERS = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t"}
# A str.translate table that writes "?" for those digits and letters.
_DIGIT_SKELETON = str.maketrans(dict.fromkeys("013457oilesat", "?"))
# `_plain_spellings` tries at most this many spellings of one word, and
# shortens at most this many runs of equal letters in it.
MAX_SPELLINGS = 32
MAX_STRETCHED_RUNS = 4
# Words shorter than this are left as written, and a respelling needs at
# least MIN_RESPELLED_LENGTH - 1 letters, because "h3", "a5" and "aaa" are
# headings, paper sizes and noise far more often than "he", "as" and "a".
MIN_RESPELLED_LENGTH = 3


# One-word text-speak and respellings. A phrase word also matches each
# spelling of it, so "what's your snap" matches "wats ur snap". The keys are
# single words as the text splits them (\w+), in lower case.
SPELLINGS = {
    "u": "you",
    "ya": "you",
    "r": "are",
    "ur": "your",
    "urs": "yours",
    "yr": "your",
    "urself": "yourself",
    "n": "and",
    "2": "to",
    "4": "for",
    "b": "be",
    "ne": "any",
    "any1": "anyone",
    "ne1": "anyone",
    "every1": "everyone",
    "evry1": "everyone",
    "some1": "someone",
    "sum1": "someone",
    "hav": "have",
    "pls": "please",
    "plz": "please",
    "wat": "what",
    "wot": "what",
    "wats": "what's",
    "wots": "what's",
    "bout": "about",
    "abt": "about",
    "bc": "because",
    "cos": "because",
    "coz": "because",
    "cuz": "because",
    "dnt": "don't",
    "ppl": "people",
    "sum": "some",
    "smth": "something",
    "summat": "something",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmoz": "tomorrow",
    "2moro": "tomorrow",
    "2nite": "tonight",
    "tonite": "tonight",
    "b4": "before",
    "wud": "would",
    "cud": "could",
    "shud": "should",
    "fone": "phone",
    "msg": "message",
    "msgs": "messages",
    "txt": "text",
    "txts": "texts",
    "pix": "pics",
    "bf": "boyfriend",
    "gf": "girlfriend",
    "bday": "birthday",
    "thru": "through",
    "tho": "though",
    "luv": "love",
    "lookin": "looking",
    "goin": "going",
    "doin": "doing",
    "comin": "coming",
    "gettin": "getting",
    "talkin": "talking",
    "chattin": "chatting",
    "thinkin": "thinking",
    "feelin": "feeling",
    "sendin": "sending",
    "sayin": "saying",
    "wearin": "wearing",
    "tellin": "telling",
    "nothin": "nothing",
    "somethin": "something",
}
_SPELLINGS_OF: dict[str, frozenset[str]] = {
    word: frozenset(key for key, value in SPELLINGS.items() if value == word)
    for word in set(SPELLINGS.values())
}
# Text-speak for several words, spelled out in the safeguarding step's
# matching view only, so that "wanna meet" reads "want to meet". Each value
# starts and ends with a letter.
TEXT_SPEAK = {
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "hafta": "have to",
    "tryna": "trying to",
    "gimme": "give me",
    "lemme": "let me",
    "dunno": "don't know",
    "rn": "right now",
    "pfp": "profile picture",
    "gc": "group chat",
    "hmu": "hit me up",
    "irl": "in real life",
    "kms": "kill myself",
    "kys": "kill yourself",
    "no1": "no one",
}
_TEXT_SPEAK_PARTS = {
    word: tuple(_WORD_SPLIT.split(spelled)[1:-1])
    for word, spelled in TEXT_SPEAK.items()
}
# Letters that text-speak writes as words of their own ("r u a virgin"). A
# run of single letters made only of these stays apart, so it is not joined
# like "k e e p".
TEXT_SPEAK_LETTERS = frozenset("aiurnyc")


class RulesError(ValueError):
    """An error meaning a safeguarding rules file is missing or invalid."""


@dataclass(frozen=True)
class Rule:
    """One rule of a rules file, with each "{group}" replaced by its choices."""

    category: str
    severity: str
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class SafeguardingRules:
    """The rules of one file. Plain strings, so a context pickles cheaply."""

    rules: tuple[Rule, ...]
    source: str = ""

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories of the rules, in the order they first appear."""
        return tuple(dict.fromkeys(rule.category for rule in self.rules))


@dataclass(frozen=True)
class Concern:
    """One match of a rule in a text."""

    category: str
    severity: str
    matched: str
    start: int
    end: int


# Loading and checking rules files


def load_rules(path: Path) -> SafeguardingRules:
    """Read and check a rules file, raising RulesError that names the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesError(
            f"cannot read safeguarding rules {path}: {error.strerror}"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{path} is not valid TOML: {error}") from None
    return parse_rules(data, str(path))


@functools.cache
def default_rules() -> SafeguardingRules:
    """Return the packaged rules, read once per process."""
    return load_rules(DEFAULT_RULES_PATH)


def parse_rules(data: dict[str, Any], source: str) -> SafeguardingRules:
    """Check the `[[rules]]` tables of a parsed rules file and compile them once."""
    tables = data.get("rules")
    if not isinstance(tables, list) or not tables:
        raise RulesError(f"{source} has no [[rules]] tables: add at least one")
    groups = _parse_groups(data.get("groups", {}), source)
    rules = tuple(
        _parse_rule(table, f"{source}: rule {number}", groups)
        for number, table in enumerate(tables, start=1)
    )
    parsed = SafeguardingRules(rules, source)
    compile_rules(parsed)
    return parsed


def _parse_groups(table: Any, source: str) -> dict[str, str]:
    """Check the [groups] table and return each group's choices joined by "|"."""
    if not isinstance(table, dict):
        raise RulesError(f'{source} [groups] is not a table: write name = ["a b"]')
    groups: dict[str, str] = {}
    for name, choices in table.items():
        if not GROUP_NAME.fullmatch(name):
            raise RulesError(
                f"{source} group name {name!r} is invalid: use lower-case "
                'letters, digits, "_" and "-", such as "private_place"'
            )
        if not isinstance(choices, list) or not choices:
            raise RulesError(
                f'{source} group {name} must be a non-empty list, such as ["a b"]'
            )
        for choice in choices:
            if not isinstance(choice, str) or not GROUP_CHOICE.fullmatch(choice):
                raise RulesError(
                    f"{source} group {name} has the choice {choice!r}: write "
                    'plain words without brackets, braces, "|" or "..."'
                )
        groups[name] = "|".join(" ".join(choice.split()) for choice in choices)
    return groups


def expand_groups(phrase: str, groups: dict[str, str], label: str) -> str:
    """Replace each "{name}" in `phrase` with the choices of group `name`.

    A reference on its own becomes a choice "(a|b c)". Inside brackets,
    "(x|{name})" or "[{name}]", it adds its choices to theirs, because
    brackets do not nest.
    """
    pieces: list[str] = []
    cursor = 0
    for reference in GROUP_REFERENCE.finditer(phrase):
        name = reference.group(1)
        if name not in groups:
            raise RulesError(
                f"{label} phrase {phrase!r} names the unknown group {{{name}}}: "
                "define it under [groups]"
            )
        pieces.append(phrase[cursor : reference.start()])
        choices = groups[name]
        inside = _in_brackets(phrase[: reference.start()])
        pieces.append(choices if inside else f"({choices})")
        cursor = reference.end()
    pieces.append(phrase[cursor:])
    return "".join(pieces)


def _in_brackets(prefix: str) -> bool:
    """Check that `prefix` leaves a "(" or "[" open."""
    opened = prefix.count("(") + prefix.count("[")
    return opened > prefix.count(")") + prefix.count("]")


def _parse_rule(table: Any, label: str, groups: dict[str, str]) -> Rule:
    if not isinstance(table, dict):
        raise RulesError(f"{label} is not a table: write it under [[rules]]")
    unknown = sorted(set(table) - RULE_KEYS)
    if unknown:
        raise RulesError(
            f"{label} has unknown keys {unknown}: use only {sorted(RULE_KEYS)}"
        )
    category = table.get("category")
    if not isinstance(category, str) or not CATEGORY_NAME.fullmatch(category):
        raise RulesError(
            f"{label} category = {category!r} is invalid: use lower-case words "
            'joined by hyphens, such as "self-harm"'
        )
    severity = table.get("severity")
    if severity not in SEVERITIES:
        raise RulesError(
            f"{label} severity = {severity!r} is not one of {', '.join(SEVERITIES)}"
        )
    rule = Rule(
        category,
        severity,
        _phrases(table, "phrases", label, groups),
        _strings(table, "patterns", label),
        _phrases(table, "unless", label, groups),
    )
    if not rule.phrases and not rule.patterns:
        raise RulesError(f"{label} has no phrases and no patterns: add one")
    return rule


def _phrases(
    table: dict[str, Any], key: str, label: str, groups: dict[str, str]
) -> tuple[str, ...]:
    phrases = _strings(table, key, label)
    return tuple(expand_groups(phrase, groups, label) for phrase in phrases)


def _strings(table: dict[str, Any], key: str, label: str) -> tuple[str, ...]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(
        isinstance(value, str) and value.strip() for value in values
    ):
        raise RulesError(
            f'{label} {key} must be a list of non-empty strings, such as ["a b"]'
        )
    return tuple(values)


# Compiling phrases to regular expressions


@dataclass(frozen=True)
class _Anchors:
    """The words a phrase can start with, and the prefixes of "word*" starts."""

    words: frozenset[str]
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Phrase:
    """One compiled phrase or pattern, with the words it cannot match without.

    `required` has one set per word of the phrase: the text must contain a
    word from each set, or the phrase is skipped without running its
    pattern. A phrase runs only at the start of a word in `anchors`, with
    `Pattern.match`, so a text is read once for all phrases instead of once
    per phrase. Anchors are None for the patterns of a rules file and for
    a phrase that starts with an apostrophe, and `_search` looks for those
    in the whole text. `_search` checks the left edge of each match itself,
    because a leading `\b` stops Python's regex engine from skipping ahead
    to the possible first characters.
    """

    # The regular expression, compiled on first use by `pattern`.
    source: str
    required: tuple[frozenset[str], ...]
    anchors: _Anchors | None = None
    # For each anchor word, the words that can come right after it in a
    # match, or None when any word can. Checking the next word first skips
    # most `Pattern.match` calls at common first words such as "you". An
    # anchor with an apostrophe is keyed by the two words the text splits
    # it into, ("don", "t") for "don't", and maps to the word after those.
    followers: _Followers | None = None
    # True for a rules-file pattern compiled without re.IGNORECASE, which
    # `_search` runs over `_Text.folded` instead of `_Text.lower`.
    folded: bool = False
    flags: int = 0

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        """The compiled `source`.

        Compiling every phrase of the packaged rules took 1 to 2 s (Python
        3.11 on a shared two-core machine), and a short message needs few
        of them, so each is compiled when a text first reaches it. A
        phrase's syntax is checked when it is parsed.
        """
        return re.compile(self.source, self.flags)


@dataclass(frozen=True)
class _CompiledRule:
    category: str
    severity: str
    phrases: tuple[_Phrase, ...]
    unless: tuple[_Phrase, ...]


@functools.lru_cache(maxsize=8)
def compile_rules(rules: SafeguardingRules) -> tuple[_CompiledRule, ...]:
    """Compile every rule. The cache means each process compiles a file once."""
    return tuple(_compile_rule(rule, rules.source) for rule in rules.rules)


def _compile_rule(rule: Rule, source: str) -> _CompiledRule:
    label = f"{source}: {rule.category} rule"
    phrases = [_phrase(phrase, label) for phrase in rule.phrases]
    for pattern in rule.patterns:
        _check_pattern(pattern, label)
        phrases.append(_rules_file_pattern(pattern))
    unless = tuple(_phrase(phrase, label) for phrase in rule.unless)
    return _CompiledRule(rule.category, rule.severity, tuple(phrases), unless)


def _rules_file_pattern(pattern: str) -> _Phrase:
    """Compile a pattern of a rules file, which matches ignoring case.

    re.IGNORECASE makes `re` try each alternative at every position, which
    took 12 ms per 100 KB for the packaged gifts-money pattern (Python
    3.11, bench/filter_speed.py). A pattern whose letters are all lower-case
    ASCII matches folded text in the same places without the flag.
    """
    if _is_lower_case_ascii(pattern):
        return _Phrase(pattern, (), folded=True)
    return _Phrase(pattern, (), flags=re.IGNORECASE)


def _is_lower_case_ascii(pattern: str) -> bool:
    """Check that no part of `pattern` can stand for a capital or non-ASCII letter.

    Escapes for character classes ("\\S", "\\W") and control characters
    are fine. Escapes that can name any character ("\\x41", "\\u00c9",
    "\\N{...}", octal) and inline flags that turn case-insensitivity off
    fail the check, so such patterns keep re.IGNORECASE.
    """
    if "(?-" in pattern:
        return False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escaped = pattern[index + 1 : index + 2]
            if escaped.isalnum() and escaped not in _CASE_FREE_ESCAPES:
                return False
            index += 2
            continue
        if char.isalpha() and not ("a" <= char <= "z"):
            return False
        index += 1
    return True


def _phrase(phrase: str, label: str) -> _Phrase:
    tokens = _tokens(phrase, label)
    return _Phrase(
        _phrase_pattern(tokens, phrase, label),
        _required_words(tokens),
        _anchors(tokens[0]),
        _followers(tokens),
    )


# Anchor words, or the two words of an anchor with an apostrophe, mapped
# to the words that can follow them (see `_Phrase.followers`).
_Followers = dict[str | tuple[str, str], frozenset[str] | None]


def _followers(tokens: list[re.Match[str]]) -> _Followers:
    """Map each anchor word of a phrase to the words that can follow it.

    A choice "you are" gives "you" the follower "are", "you're" gives the
    two words "you" and "re" (the text splits "you're" there) the
    followers of "you", and a one-word choice takes the first words of the
    second token. A word with a hyphen or a "*", or a second token that
    may be absent, leaves the followers of its anchors unknown (None).
    """
    after = _token_keys(tokens[1]) if len(tokens) > 1 else None
    followers: _Followers = {}
    for option in _options(tokens[0]):
        words = option.split()
        next_keys = _index_keys(words[1]) if len(words) > 1 else after
        for anchor, follower in _anchor_followers(words[0], next_keys):
            known = followers.get(anchor, frozenset())
            followers[anchor] = (
                None if known is None or follower is None else known | follower
            )
    return followers


def _anchor_followers(
    word: str, next_keys: set[str] | frozenset[str] | None
) -> Iterator[tuple[str | tuple[str, str], frozenset[str] | None]]:
    following = frozenset(next_keys) if next_keys is not None else None
    pieces = re.split(f"[{APOSTROPHES}]", word)
    if _is_hyphenated_pair(word):
        # "no-one" is the words "no" and "one" in the text, or "noone".
        forms = word_forms(word)
        yield word.split("-")[0], frozenset(form.split("-")[1] for form in forms)
        for form in forms:
            yield form.replace("-", ""), following
    elif "*" in word or "-" in word or len(pieces) > 2 or "" in pieces:
        for anchor in _index_keys(word) or ():
            yield anchor, None
    elif len(pieces) == 2:
        yield (pieces[0], pieces[1]), following
        yield "".join(pieces), following
        for spelling in _SPELLINGS_OF.get(word, ()):
            yield spelling, following
    else:
        for anchor in with_spellings(word_forms(word)):
            yield anchor, following


def _is_hyphenated_pair(word: str) -> bool:
    """Check that `word` is two runs of letters joined by one hyphen."""
    head, hyphen, tail = word.partition("-")
    return bool(hyphen) and head.isalpha() and tail.isalpha()


def _token_keys(token: re.Match[str]) -> frozenset[str] | None:
    """Return the text words a required token can start with, or None."""
    if not _is_required(token):
        return None
    keys = [_index_keys(option.split()[0]) for option in _options(token)]
    if any(key is None for key in keys):
        return None
    return frozenset().union(*(key for key in keys if key is not None))


def _anchors(token: re.Match[str]) -> _Anchors | None:
    """Return the words a phrase can start at, from its first token."""
    words: set[str] = set()
    prefixes: set[str] = set()
    for option in _options(token):
        first = option.split()[0]
        if first.endswith("*"):
            # "step-d*" can start at the word "step", or at "stepdad".
            prefix = re.split(f"[{APOSTROPHES}-]", first[:-1])[0]
            if not prefix:
                return None
            prefixes.add(prefix)
            continue
        keys = _index_keys(first)
        if keys is None:
            return None
        words |= keys
    return _Anchors(frozenset(words), tuple(sorted(prefixes)))


def _check_pattern(pattern: str, label: str) -> None:
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise RulesError(
            f"{label} pattern {pattern!r} is not a valid regular expression: {error}"
        ) from None
    if compiled.search(""):
        raise RulesError(f"{label} pattern {pattern!r} matches empty text: fix it")


def compile_phrase(phrase: str, label: str = "phrase") -> str:
    """Return the regular expression for one phrase of a rules file.

    Words match whole words of lower-case text, with any spaces or
    punctuation between them except a sentence end. "(a|b c)" matches
    either choice, "[a|b c]" either choice or nothing, "..." up to
    GAP_WORDS other words and "...N" up to N, "word*" any word starting
    with "word", and other words of three or more letters also match their
    regular endings (-s, -es, -ed, -ing).
    """
    return r"(?<!\w)" + _phrase_pattern(_tokens(phrase, label), phrase, label)


def _tokens(phrase: str, label: str) -> list[re.Match[str]]:
    if phrase.count("(") != phrase.count(")") or phrase.count("[") != phrase.count("]"):
        raise RulesError(f"{label} phrase {phrase!r} has unbalanced brackets")
    tokens = list(PHRASE_TOKEN.finditer(phrase.lower()))
    covered = "".join(token.group() for token in tokens)
    if "".join(covered.split()) != "".join(phrase.lower().split()):
        raise RulesError(
            f"{label} phrase {phrase!r} has a bracket inside brackets or a stray "
            "bracket: write each choice as plain words"
        )
    if not tokens or not _is_required(tokens[0]) or _is_gap(tokens[-1]):
        raise RulesError(
            f"{label} phrase {phrase!r} must start and end with a word or a "
            "choice, not '...', and must not start with an optional '[...]'"
        )
    for token in tokens:
        _check_gap(token, phrase, label)
    return tokens


def _is_gap(token: re.Match[str]) -> bool:
    return token.group(3) is not None


def _is_required(token: re.Match[str]) -> bool:
    """Check that `token` is a word or a choice that every match contains."""
    return token.group(2) is None and not _is_gap(token)


def _check_gap(token: re.Match[str], phrase: str, label: str) -> None:
    count = token.group(3)
    if count and not 1 <= int(count) <= MAX_GAP_WORDS:
        raise RulesError(
            f"{label} phrase {phrase!r} has the gap {token.group()!r}: use "
            f"'...1' to '...{MAX_GAP_WORDS}'"
        )


def _options(token: re.Match[str]) -> list[str]:
    """Return the choices of a bracketed token, or the word itself."""
    choices = token.group(1) if token.group(1) is not None else token.group(2)
    return choices.split("|") if choices is not None else [token.group()]


def _phrase_pattern(tokens: list[re.Match[str]], phrase: str, label: str) -> str:
    parts: list[str] = []
    for token in tokens:
        if _is_gap(token):
            words = int(token.group(3) or GAP_WORDS)
            parts.append(f"(?:{SEPARATOR}{ANY_WORD}){{0,{words}}}")
        elif token.group(2) is not None:
            # An optional choice takes the separator before it along, so
            # leaving it out leaves one separator between its neighbours.
            parts.append(f"(?:{SEPARATOR}{_compile_token(token, phrase, label)})?")
        else:
            if parts:
                parts.append(SEPARATOR)
            parts.append(_compile_token(token, phrase, label))
    return "(?:" + "".join(parts) + r")(?!\w)"


def _compile_token(token: re.Match[str], phrase: str, label: str) -> str:
    if token.group(1) is None and token.group(2) is None:
        return _compile_word(token.group(), phrase, label)
    options = [option.split() for option in _options(token)]
    if not all(options):
        raise RulesError(f"{label} phrase {phrase!r} has an empty choice in brackets")
    compiled = (
        SEPARATOR.join(_compile_word(word, phrase, label) for word in words)
        for words in options
    )
    return "(?:" + "|".join(compiled) + ")"


def _compile_word(word: str, phrase: str, label: str) -> str:
    if word == "..." or not any(char.isalnum() for char in word):
        raise RulesError(
            f"{label} phrase {phrase!r} has {word!r} where a word should be"
        )
    if word.endswith("*"):
        return _literal(word[:-1]) + r"\w*"
    forms = sorted(with_spellings(word_forms(word)), key=len, reverse=True)
    return "(?:" + "|".join(_literal(form) for form in forms) + ")"


def _literal(word: str) -> str:
    # Apostrophes may be straight, curly or left out ("don't" matches "dont"),
    # and hyphens may be a space or left out ("self-harm").
    pieces = []
    for char in word:
        if char in APOSTROPHES:
            pieces.append(f"[{APOSTROPHES}]?")
        elif char == "-":
            pieces.append(r"[-\s]?")
        else:
            pieces.append(re.escape(char))
    return "".join(pieces)


def _required_words(tokens: list[re.Match[str]]) -> tuple[frozenset[str], ...]:
    required = []
    for token in tokens:
        if not _is_required(token):
            continue
        keys = [_index_keys(option.split()[0]) for option in _options(token)]
        if all(key is not None for key in keys):
            required.append(frozenset().union(*(k for k in keys if k is not None)))
    return tuple(required)


def _index_keys(word: str) -> set[str] | None:
    """Return the words of a text (split by WORD), any of which `word` needs.

    None means the word is not checked: a "word*" prefix, or a word that
    starts with an apostrophe.
    """
    if word.endswith("*"):
        return None
    first = re.split(f"[{APOSTROPHES}-]", word)[0]
    if not first:
        return None
    if first == word:
        return with_spellings(word_forms(word))
    # The text splits "don't" into "don" and "t", unless it is written
    # "dont". Likewise "self-harm" is "self" and "harm", or "selfharm".
    forms = word_forms(word)
    joined = {re.sub(f"[{APOSTROPHES}-]", "", form) for form in forms}
    return {first} | joined | (with_spellings(forms) - forms)


def with_spellings(forms: set[str]) -> set[str]:
    """Return `forms` with the SPELLINGS of each ("you" adds "u" and "ya")."""
    return forms.union(*(_SPELLINGS_OF.get(form, ()) for form in forms))


def word_forms(word: str) -> set[str]:
    """Return `word` with its regular English endings, for words of 3+ letters.

    Irregular forms ("met" for "meet") are not derived: a rules file lists
    them as choices, such as "(meet|met) up".
    """
    head, hyphen, tail = word.rpartition("-")
    if hyphen:
        # "self-harm" -> "self-harming": only the last part takes the ending.
        return {head + hyphen + form for form in word_forms(tail)}
    if len(word) < 3 or not word.isalpha():
        return {word}
    forms = {word, word + "s", word + "es", word + "ed", word + "ing"}
    if word.endswith("e"):
        forms |= {word + "d", word[:-1] + "ing"}
    if word.endswith("y") and word[-2] not in VOWELS:
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    if _doubles_final_consonant(word):
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    return forms


def _doubles_final_consonant(word: str) -> bool:
    # "chat" -> "chatting", "stop" -> "stopped": consonant, vowel, consonant.
    last, middle, first = word[-1], word[-2], word[-3]
    return (
        last not in VOWELS
        and last not in "wxy"
        and middle in VOWELS
        and first not in VOWELS
    )


# Finding concerns in text


@dataclass(frozen=True)
class _Text:
    """A text prepared once for every rule: lower case, and its set of words.

    Every field but `original` describes the matching view of the
    original text (see `_prepare`). `origins[i]` is the index in the
    original text of `lower[i]`, and None means each index maps to itself.
    """

    original: str
    lower: str
    words: frozenset[str]
    # The words of `lower` in order, and the offset in `lower` of each.
    word_list: list[str]
    word_starts: list[int]
    view: str
    origins: tuple[int, ...] | None
    # Where text-speak was spelled out, or None when nothing was.
    expansions: _Expansions | None = None

    @functools.cached_property
    def folded(self) -> str:
        """`view` in lower case, folded as prefilter.fold_case folds it."""
        return fold_case(self.view)

    def original_bounds(self, start: int, end: int) -> tuple[int, int]:
        """Return the bounds in the original text of `lower[start:end]`."""
        first, last = start, end - 1
        if self.expansions is not None:
            first = self.expansions.old_index(first, is_end=False)
            last = self.expansions.old_index(last, is_end=True)
        if self.origins is None:
            return first, last + 1
        return self.origins[first], self.origins[last] + 1


@dataclass(frozen=True)
class _Expansions:
    """The bounds of each spelled-out word, after and before spelling out.

    The lists are in text order. Offsets outside those words move by the
    length the words before them gained, which `old_index` works out with
    one binary search, so no per-character table is built.
    """

    new_starts: list[int]
    new_ends: list[int]
    old_starts: list[int]
    old_ends: list[int]

    def old_index(self, index: int, is_end: bool) -> int:
        """Return the index before spelling out of character `index` after it.

        Inside a spelled-out word, a start maps to the first character of
        the word as written and an end to its last one.
        """
        number = bisect.bisect_right(self.new_starts, index) - 1
        if number < 0:
            return index
        if index < self.new_ends[number]:
            return self.old_ends[number] - 1 if is_end else self.old_starts[number]
        return self.old_ends[number] + index - self.new_ends[number]


def _prepare(text: str, vocabulary: Vocabulary | None = None) -> _Text:
    """Return the matching view of `text` that every rule reads.

    Most text goes straight through. Spaced-out letters are joined, and
    they are split into words of `vocabulary` where they run together.
    Disguised words of `vocabulary` are respelled (see `respell`), and
    text-speak for several words is spelled out. Without `vocabulary`,
    nothing is respelled or split.
    """
    matching = matching_view(text)
    view, origins = matching.text, matching.origins
    lower = _lower_same_length(view)
    found = _words_and_starts(lower)
    if found is not None:
        words, starts = found
        distinct = frozenset(words)
        if not _needs_rewriting(
            lower, words, starts, distinct
        ) and not needs_respelling(lower, distinct, vocabulary):
            return _Text(text, lower, distinct, words, starts, view, origins)
    view, origins = _rewritten(view, origins, vocabulary)
    lower, parts, offsets = _split_words(view)
    expansions = None
    if not TEXT_SPEAK.keys().isdisjoint(parts[1::2]):
        view, lower, parts, offsets, expansions = spell_out(view, lower, parts, offsets)
    word_list = parts[1::2]
    return _Text(
        text,
        lower,
        frozenset(word_list),
        word_list,
        offsets[0::2][: len(word_list)],
        view,
        origins,
        expansions,
    )


def _rewritten(
    view: str, origins: tuple[int, ...] | None, vocabulary: Vocabulary | None
) -> tuple[str, tuple[int, ...] | None]:
    """Return `view` with spaced-out letters joined and disguised words respelled.

    `origins` maps `view` to the original text, as `_Text.origins` does,
    and the result maps the new view the same way.
    """
    _, parts, offsets = _split_words(view)
    runs = spaced_letter_runs(parts, offsets)
    if runs:
        view, joined_origins = join_spaced_letters(view, runs, vocabulary)
        origins = _composed(origins, joined_origins)
    respelled = respell(view, vocabulary) if vocabulary is not None else None
    if respelled is not None:
        view, respelled_origins = respelled
        origins = _composed(origins, respelled_origins)
    return view, origins


def _composed(origins: tuple[int, ...] | None, local: list[int]) -> tuple[int, ...]:
    """Return the original index of each character, given its index in a view."""
    if origins is None:
        return tuple(local)
    return tuple(origins[index] for index in local)


def _split_words(view: str) -> tuple[str, list[str], list[int]]:
    """Return `view` in lower case, split by `(\\w+)`, and each part's end."""
    lower = _lower_same_length(view)
    parts = _WORD_SPLIT.split(lower)
    return lower, parts, list(accumulate(map(len, parts)))


def _words_and_starts(lower: str) -> tuple[list[str], list[int]] | None:
    """Return the words of `lower` and the offset of each, as `_prepare` needs them.

    The result equals the odd items of `_split_words` and the starts of
    those items. The text becomes ASCII with a space for every character
    outside `\\w`, so that `str.split(" ")` finds the words and their
    offsets without a regular expression. On the bench bodies that took
    about 0.6 times as long as `_split_words` (Python 3.11, timeit on a
    shared 2-CPU machine). Returns None when a word character is outside
    ASCII, and the caller then uses `_split_words`.
    """
    if not lower.isascii():
        if _NON_ASCII_WORD_CHAR.search(lower):
            return None
        # Each character outside ASCII is a separator here, and so is "?".
        lower = lower.encode("ascii", "replace").decode("ascii")
    pieces = lower.translate(_NON_WORD_AS_SPACE).split(" ")
    # Piece i starts after the pieces before it and the i spaces between them.
    lengths_before = accumulate(map(len, pieces), initial=0)
    piece_starts = map(operator.add, lengths_before, count())
    return list(filter(None, pieces)), list(compress(piece_starts, pieces))


def _needs_rewriting(
    lower: str, words: list[str], starts: list[int], distinct: frozenset[str]
) -> bool:
    """Check whether the view contains spaced-out letters or text-speak.

    When it contains neither, `_prepare` needs no `_split_words` parts.
    `words` and `starts` are what `_words_and_starts(lower)` returns, and
    `distinct` is the set of `words`. Ordinary text has runs of
    one-character words that are not letters written apart, such as
    "3 4 m", so each run is checked as `spaced_letter_runs` checks it
    instead of sending the whole text down the slower path.
    """
    if not TEXT_SPEAK.keys().isdisjoint(distinct):
        return True

    def gap_after(index: int) -> str:
        return lower[starts[index] + len(words[index]) : starts[index + 1]]

    return next(_spaced_word_runs(words, gap_after), None) is not None


def spell_out(
    view: str, lower: str, parts: list[str], offsets: list[int]
) -> tuple[str, str, list[str], list[int], _Expansions]:
    """Replace each TEXT_SPEAK word of `view` with the words it stands for.

    `lower`, `parts` and `offsets` describe `view` as `_split_words`
    returns them, and the result describes the new view the same way,
    followed by where the replaced words are before and after.
    """
    expansions = _Expansions([], [], [], [])
    pieces: list[str] = []
    ends: list[int] = []
    views: list[str] = []
    lowers: list[str] = []
    next_part = 0
    shift = 0
    # compress() picks the indexes of the text-speak words at C speed, so
    # the loop runs once per replaced word instead of once per word.
    hits = compress(range(1, len(parts), 2), map(TEXT_SPEAK.__contains__, parts[1::2]))
    for index in hits:
        word = parts[index]
        start, end = offsets[index - 1], offsets[index]
        spelled = TEXT_SPEAK[word]
        cursor = offsets[next_part - 1] if next_part else 0
        pieces.extend(parts[next_part:index])
        ends.extend(map(shift.__add__, offsets[next_part:index]))
        views.extend((view[cursor:start], spelled))
        lowers.extend((lower[cursor:start], spelled))
        for piece in _TEXT_SPEAK_PARTS[word]:
            pieces.append(piece)
            ends.append((ends[-1] if ends else 0) + len(piece))
        expansions.new_starts.append(start + shift)
        expansions.new_ends.append(start + shift + len(spelled))
        expansions.old_starts.append(start)
        expansions.old_ends.append(end)
        shift += len(spelled) - (end - start)
        next_part = index + 1
    cursor = offsets[next_part - 1] if next_part else 0
    pieces.extend(parts[next_part:])
    ends.extend(map(shift.__add__, offsets[next_part:]))
    views.append(view[cursor:])
    lowers.append(lower[cursor:])
    return "".join(views), "".join(lowers), pieces, ends, expansions


def _lower_same_length(text: str) -> str:
    lower = text.lower()
    if len(lower) != len(text):
        # A few characters lower-case to two ("İ"); they stay as they are,
        # so that offsets in the lower-case text are offsets in `text`.
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lower


# Letters written apart ("k e e p  i t  s e c r e t", "s.e.c.r.e.t")


def spaced_letter_runs(parts: list[str], offsets: list[int]) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of each run of spaced-out letters.

    `parts` is a text split by `(\\w+)`, so its odd items are words and its
    even items the separators around them, and `offsets` contains the end
    of each part. A run is three or more words of one letter each, with one to
    three spaces or one of `._*-` between neighbours. Word lengths go into
    a bytes object first, so that one `bytes.find` rules out most text.
    """
    words = parts[1::2]
    runs = _spaced_word_runs(words, lambda index: parts[2 * index + 2])
    return [(offsets[2 * first], offsets[2 * last + 1]) for first, last in runs]


def _spaced_word_runs(
    words: list[str], gap_after: Callable[[int], str]
) -> Iterator[tuple[int, int]]:
    """Yield the numbers of the first and last word of each spaced-out run.

    `gap_after(i)` returns the text between word i and word i + 1.
    """
    lengths = _word_lengths(words)
    index = lengths.find(b"\x01\x01\x01")
    while index != -1:
        last = index
        while _continues_run(words, gap_after, last):
            last += 1
        if _is_spaced_word(words[index : last + 1]):
            yield index, last
        index = lengths.find(b"\x01\x01\x01", last + 1)


def _word_lengths(words: list[str]) -> bytes:
    """Return the length of each word as one byte.

    When a word has 256 characters or more, each length over 1 becomes 2,
    which still separates one-letter words from the others.
    """
    try:
        return bytes(map(len, words))
    except ValueError:
        # A word of 256 characters or more, such as a long link.
        return bytes(map(min, map(len, words), repeat(2)))


def _is_spaced_word(letters: list[str]) -> bool:
    """Check that a run of one-letter words is letters written apart.

    "r u a" is text-speak for "are you a", not a word written apart.
    """
    return (
        len(letters) >= 3
        and all(map(str.isalpha, letters))
        and not TEXT_SPEAK_LETTERS.issuperset(letters)
    )


def _continues_run(
    words: list[str], gap_after: Callable[[int], str], index: int
) -> bool:
    """Check that word `index` and the next one are letters in one run."""
    if index + 1 >= len(words) or len(words[index + 1]) != 1:
        return False
    return _SPACED_GAP.fullmatch(gap_after(index)) is not None


def join_spaced_letters(
    text: str, runs: list[tuple[int, int]], vocabulary: Vocabulary | None = None
) -> tuple[str, list[int]]:
    """Return `text` with the letters of each run joined into words.

    The gap that occurs most often in a run joins letters, and any other
    gap becomes one space between words, so "k e e p  i t" reads "keep
    it". A run with the same gap everywhere, such as "l i t t l e s e c r
    e t", is split into words of `vocabulary` when its letters are nothing
    but such words (see `segment_letters`), so it reads "little secret".
    The list contains the index in `text` of each character of the result.

    NOTE: letters that do not split into rule words stay one word, so
    "k e e p m y n u m b e r" still reads "keepmynumber" when "number" is
    the only rule word in it.
    """
    pieces: list[str] = []
    origins: list[int] = []
    cursor = 0
    for start, end in runs:
        pieces.append(text[cursor:start])
        origins.extend(range(cursor, start))
        for number, group in enumerate(_letter_groups(text, start, end)):
            if number:
                pieces.append(" ")
                origins.append(origins[-1] + 1)
            _join_group(text, group, vocabulary, pieces, origins)
        cursor = end
    pieces.append(text[cursor:])
    origins.extend(range(cursor, len(text)))
    return "".join(pieces), origins


def _letter_groups(text: str, start: int, end: int) -> list[list[int]]:
    """Return the indexes of the letters of a run, one list per word.

    The gap that occurs most often joins letters, and any other gap ends a
    word.
    """
    letters = [index for index in range(start, end) if text[index].isalpha()]
    gaps = [text[a + 1 : b] for a, b in pairwise(letters)]
    joiner = Counter(gaps).most_common(1)[0][0]
    groups = [[letters[0]]]
    for gap, index in zip(gaps, letters[1:], strict=True):
        if gap == joiner:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def _join_group(
    text: str,
    group: list[int],
    vocabulary: Vocabulary | None,
    pieces: list[str],
    origins: list[int],
) -> None:
    word = "".join(text[index] for index in group)
    lengths = segment_letters(word.lower(), vocabulary) if vocabulary else None
    boundaries = set(accumulate(lengths[:-1])) if lengths else set()
    for number, index in enumerate(group):
        if number in boundaries:
            pieces.append(" ")
            origins.append(group[number - 1] + 1)
        pieces.append(text[index])
        origins.append(index)


def segment_letters(letters: str, vocabulary: Vocabulary) -> list[int] | None:
    """Split `letters` into the fewest words of `vocabulary`, or return None.

    The result is the length of each word. None means the letters are
    already one word of `vocabulary`, cannot be split into its words, or
    are more than MAX_SEGMENTED_LETTERS long.
    """
    if len(letters) > MAX_SEGMENTED_LETTERS or letters in vocabulary.words:
        return None
    # fewest[i] is the fewest words that make up letters[:i], and last[i]
    # the length of the last of them.
    fewest = [0] + [len(letters) + 1] * len(letters)
    last = [0] * (len(letters) + 1)
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - vocabulary.longest), end):
            if (
                fewest[start] + 1 < fewest[end]
                and letters[start:end] in vocabulary.words
            ):
                fewest[end] = fewest[start] + 1
                last[end] = end - start
    if fewest[-1] > len(letters):
        return None
    lengths: list[int] = []
    end = len(letters)
    while end:
        lengths.append(last[end])
        end -= last[end]
    return lengths[::-1]


# Disguised words: digits for letters ("k1ssed"), stretched letters
# ("goneee") and asterisks for letters ("d*scord")


@dataclass(frozen=True)
class Vocabulary:
    """The words the phrases of a rules file can match, as the text splits them.

    A word with an apostrophe or a hyphen is there whole ("dont") and in
    pieces ("don", "t"), with its regular endings and text-speak spellings.
    `prefixes` are the starts of "word*" phrase words, and `longest` is the
    length of the longest word.
    """

    words: frozenset[str]
    prefixes: tuple[str, ...]
    longest: int

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        return word in self.words or word.startswith(self.prefixes)

    @functools.cached_property
    def digit_skeletons(self) -> frozenset[str]:
        """The words with each letter a digit can stand for turned into "?".

        A word with digits can be respelled only when its skeleton is one
        of these, which one set lookup checks.
        """
        return frozenset(word.translate(_DIGIT_SKELETON) for word in self.words)

    @functools.cached_property
    def by_length(self) -> dict[int, tuple[str, ...]]:
        """The words grouped by length, each group sorted."""
        groups: dict[int, list[str]] = {}
        for word in sorted(self.words):
            groups.setdefault(len(word), []).append(word)
        return {length: tuple(words) for length, words in groups.items()}


@functools.lru_cache(maxsize=8)
def vocabulary(rules: SafeguardingRules) -> Vocabulary:
    """Return the words of every phrase and `unless` phrase of `rules`."""
    words: set[str] = set()
    prefixes: set[str] = set()
    for rule in rules.rules:
        for phrase in (*rule.phrases, *rule.unless):
            for word in _PHRASE_WORD.findall(phrase.lower()):
                _add_phrase_word(word, words, prefixes)
    return Vocabulary(
        frozenset(words), tuple(sorted(prefixes)), max(map(len, words), default=0)
    )


def _add_phrase_word(word: str, words: set[str], prefixes: set[str]) -> None:
    if word.endswith("*"):
        if word[:-1].isalpha():
            prefixes.add(word[:-1])
        return
    for form in with_spellings(word_forms(word)):
        pieces = _APOSTROPHE_OR_HYPHEN.split(form)
        words.update(piece for piece in pieces if piece)
        words.add("".join(pieces))


def respell(view: str, vocabulary: Vocabulary) -> tuple[str, list[int]] | None:
    """Return `view` with each disguised word of a rule spelled plainly.

    A word is respelled when it is not a word of `vocabulary` and reading
    its digits as letters ("h4ve"), shortening each run of three or more
    equal letters ("goneee"), or reading its asterisks as letters
    ("d*scord") gives one (see `respelling`). The list contains the index
    in `view` of each character of the result. Returns None when no word
    changes.
    """
    lower = _lower_same_length(view)
    replacements = {
        word: plain
        for word in set(_CANDIDATE_WORD.findall(lower))
        if (plain := respelling(word, vocabulary)) is not None
    }
    if not replacements:
        return None
    pieces: list[str] = []
    origins: list[int] = []
    cursor = 0
    for match in _CANDIDATE_WORD.finditer(lower):
        plain = replacements.get(match.group())
        if plain is None:
            continue
        start, end = match.span()
        pieces.append(view[cursor:start])
        origins.extend(range(cursor, start))
        pieces.append(plain)
        # The last letter stands for the end of the word as written, so a
        # finding shows the whole stretched word.
        origins.extend(range(start, start + len(plain) - 1))
        origins.append(end - 1)
        cursor = end
    pieces.append(view[cursor:])
    origins.extend(range(cursor, len(view)))
    return "".join(pieces), origins


def needs_respelling(
    lower: str, words: frozenset[str], vocabulary: Vocabulary | None
) -> bool:
    """Check whether `respell` would change a text with these words.

    `words` are the words of `lower` as `_words_and_starts` splits them,
    so an asterisk inside a word is looked for in `lower` itself.
    """
    if vocabulary is None:
        return False
    if "*" in lower and _STARRED_WORD.search(lower):
        return True
    return any(
        respelling(word, vocabulary) is not None
        for word in _respelling_candidates(words, vocabulary)
    )


def _respelling_candidates(words: frozenset[str], vocabulary: Vocabulary) -> list[str]:
    """Return the words outside `vocabulary` with a digit or three equal letters.

    A word of `vocabulary` is never respelled, so only the others are
    looked at, with set operations, str methods and one regular
    expression that all run in C.
    """
    unknown = words - vocabulary.words
    skeletons = vocabulary.digit_skeletons
    found = [
        word
        for word in filterfalse(str.isalpha, unknown)
        if word.translate(_DIGIT_SKELETON) in skeletons and not word.isdigit()
    ]
    joined = " ".join(unknown)
    for match in _TRIPLE_LETTER.finditer(joined):
        start = joined.rfind(" ", 0, match.start()) + 1
        end = joined.find(" ", match.end())
        found.append(joined[start : end if end != -1 else len(joined)])
    return found


def _has_respelling_hint(word: str) -> bool:
    return bool(_LETTER_BESIDE_DIGIT.search(word) or _TRIPLE_LETTER.search(word))


def respelling(word: str, vocabulary: Vocabulary) -> str | None:
    """Return the word of `vocabulary` that `word` disguises, or None.

    `word` is lower case. Text-speak such as "b4" and words already in
    `vocabulary` are left alone. Candidates come from `_plain_spellings`,
    and the first one in `vocabulary` wins.
    """
    if "*" not in word and not _has_respelling_hint(word):
        return None
    if word in vocabulary or word in SPELLINGS or word in TEXT_SPEAK:
        return None
    if "*" in word:
        return _unstarred(word, vocabulary)
    if len(word) < MIN_RESPELLED_LENGTH:
        return None
    for candidate in _plain_spellings(word):
        if len(candidate) < MIN_RESPELLED_LENGTH - 1 or candidate == word:
            continue
        if candidate in vocabulary:
            return candidate
    return None


def _plain_spellings(word: str) -> Iterator[str]:
    """Yield plain spellings of `word`, the likeliest first.

    Digits between letters become the letters they resemble, and each run
    of three or more equal letters becomes two letters or one ("meeeet"
    tries "meet" before "met"). At most MAX_SPELLINGS candidates.
    """
    if _LETTER_BESIDE_DIGIT.search(word):
        readings = [_DIGIT_LETTERS.get(char, char) for char in word]
        decoded: Iterator[str] = map("".join, product(*readings))
    else:
        decoded = iter((word,))
    found = 0
    for spelling in decoded:
        for candidate in _shortened(spelling):
            yield candidate
            found += 1
            if found >= MAX_SPELLINGS:
                return


def _shortened(word: str) -> Iterator[str]:
    runs = list(_REPEATED_LETTER.finditer(word))
    if not runs:
        yield word
        return
    # Each run becomes two letters, then one.
    for counts in product((2, 1), repeat=min(len(runs), MAX_STRETCHED_RUNS)):
        pieces = []
        cursor = 0
        for run, keep in zip(runs, counts, strict=False):
            pieces.append(word[cursor : run.start()])
            pieces.append(run.group(1) * keep)
            cursor = run.end()
        pieces.append(word[cursor:])
        yield "".join(pieces)


def _unstarred(word: str, vocabulary: Vocabulary) -> str | None:
    """Return the word of `vocabulary` with a letter for each "*" of `word`.

    NOTE: when several words fit, such as "deck" and "dick" for "d*ck",
    the first in alphabetical order is taken.
    """
    pattern = re.compile(re.escape(word).replace(r"\*", "[a-z]"))
    candidates = vocabulary.by_length.get(len(word), ())
    return next(filter(pattern.fullmatch, candidates), None)


# Matching


# The (rule number, phrase number) of each phrase that may start at a
# word, or at a word and the word after it.
_Positions = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class _PhraseIndex:
    """The phrases that can start at each word, for one pass over the words.

    `by_pair` maps a word and the word after it to the phrases that start
    with those two words, `by_word` maps a word to the phrases whose
    second word is not known (see `_Phrase.followers`), and `by_triple`
    does the same as `by_pair` for words with an apostrophe. `by_prefix` lists
    the "word*" prefixes phrases start with, and `unanchored` the patterns
    of the rules file, which are searched for in the whole text.
    """

    by_word: dict[str, _Positions]
    by_pair: dict[tuple[str, str], _Positions]
    # The phrases that start with a word with an apostrophe, keyed by its
    # two words and then by the word after them. Each key is in `by_pair`.
    by_triple: dict[tuple[str, str], dict[str, _Positions]]
    by_prefix: tuple[tuple[str, int, int], ...]
    unanchored: _Positions
    masks: _WordMasks
    # The words of the rules, which `_prepare` respells disguised words to.
    vocabulary: Vocabulary


@dataclass(frozen=True)
class _WordMasks:
    """Bit masks that check the required words of many phrases at once.

    Each distinct set of `_Phrase.required` among the indexed phrases has
    one bit. `by_word` maps a word to the bits of the sets that contain it,
    and `needed` maps a phrase's position to the bits of all its sets. A
    phrase may match a text exactly when each bit it needs is set in the
    union of the masks of the text's words (see `_present_bits`).
    """

    by_word: dict[str, int]
    needed: dict[tuple[int, int], int]


@functools.lru_cache(maxsize=8)
def _phrase_index(rules: SafeguardingRules) -> _PhraseIndex:
    index = _IndexBuilder()
    for rule_number, rule in enumerate(compile_rules(rules)):
        for phrase_number, phrase in enumerate(rule.phrases):
            index.add((rule_number, phrase_number), phrase)
    return index.build(vocabulary(rules))


class _IndexBuilder:
    """Collect the phrase positions of a `_PhraseIndex`."""

    def __init__(self) -> None:
        self.by_word: dict[str, list[tuple[int, int]]] = {}
        self.by_pair: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.by_triple: dict[tuple[str, str], dict[str, list[tuple[int, int]]]] = {}
        self.by_prefix: list[tuple[str, int, int]] = []
        self.unanchored: list[tuple[int, int]] = []
        self.set_bits: dict[frozenset[str], int] = {}
        self.needed: dict[tuple[int, int], int] = {}

    def add(self, position: tuple[int, int], phrase: _Phrase) -> None:
        if phrase.anchors is None:
            self.unanchored.append(position)
            return
        self.needed[position] = self._bits(phrase.required)
        followers = phrase.followers or {}
        split_words = {key[0] for key in followers if isinstance(key, tuple)}
        for word in phrase.anchors.words - split_words - followers.keys():
            self.by_word.setdefault(word, []).append(position)
        for key, following in followers.items():
            if isinstance(key, str):
                self._add_word(key, following, position)
            else:
                self._add_split_word(key, following, position)
        for prefix in phrase.anchors.prefixes:
            self.by_prefix.append((prefix, *position))

    def _add_word(
        self, word: str, following: frozenset[str] | None, position: tuple[int, int]
    ) -> None:
        if following is None:
            self.by_word.setdefault(word, []).append(position)
        for follower in following or ():
            self.by_pair.setdefault((word, follower), []).append(position)

    def _add_split_word(
        self,
        pair: tuple[str, str],
        following: frozenset[str] | None,
        position: tuple[int, int],
    ) -> None:
        found = self.by_pair.setdefault(pair, [])
        if following is None:
            found.append(position)
            return
        by_next = self.by_triple.setdefault(pair, {})
        for follower in following:
            by_next.setdefault(follower, []).append(position)

    def _bits(self, required: tuple[frozenset[str], ...]) -> int:
        bits = 0
        for words in required:
            bits |= self.set_bits.setdefault(words, 1 << len(self.set_bits))
        return bits

    def _word_masks(self) -> _WordMasks:
        by_word: dict[str, int] = {}
        for words, bit in self.set_bits.items():
            for word in words:
                by_word[word] = by_word.get(word, 0) | bit
        return _WordMasks(by_word, self.needed)

    def build(self, words: Vocabulary) -> _PhraseIndex:
        return _PhraseIndex(
            {word: tuple(found) for word, found in self.by_word.items()},
            {pair: tuple(found) for pair, found in self.by_pair.items()},
            {
                pair: {word: tuple(found) for word, found in by_next.items()}
                for pair, by_next in self.by_triple.items()
            },
            tuple(self.by_prefix),
            tuple(self.unanchored),
            self._word_masks(),
            words,
        )


def find_concerns(text: str, rules: SafeguardingRules) -> list[Concern]:
    """Return every match of every rule in `text`, in rule order.

    The rules match a view of `text` in which invisible characters are
    gone, lookalike letters are plain, spaced-out letters are joined and
    text-speak is spelled out (see `_prepare`), while each concern's
    offsets and matched text come from `text` itself. Where two rules of
    one category match overlapping text, only the earlier rule's concern
    is kept, so one phrase is one concern.
    """
    index = _phrase_index(rules)
    prepared = _prepare(text, index.vocabulary)
    compiled = compile_rules(rules)
    spans = _find_spans(prepared, compiled, index)
    concerns: list[Concern] = []
    for rule, rule_spans in zip(compiled, spans, strict=True):
        concerns.extend(_rule_concerns(prepared, rule, rule_spans))
    return _without_overlaps(concerns)


def _without_overlaps(concerns: list[Concern]) -> list[Concern]:
    # The kept spans of one category never overlap, so sorted by start they
    # are sorted by end too, and only the last one starting before a new
    # concern ends can overlap it.
    distinct: list[Concern] = []
    spans: dict[str, tuple[list[int], list[int]]] = {}
    for concern in concerns:
        starts, ends = spans.setdefault(concern.category, ([], []))
        position = bisect.bisect_left(starts, concern.end)
        if position and ends[position - 1] > concern.start:
            continue
        starts.insert(position, concern.start)
        ends.insert(position, concern.end)
        distinct.append(concern)
    return distinct


def _find_spans(
    text: _Text, compiled: tuple[_CompiledRule, ...], index: _PhraseIndex
) -> list[list[tuple[int, int]]]:
    """Return the spans of each rule's phrases in `text.lower`, one list per rule.

    Each phrase is tried only where its first word, or its first two words,
    occur, and only when the text contains a word for each of its words.
    """
    spans: list[list[tuple[int, int]]] = [[] for _ in compiled]
    present = _present_bits(text, index.masks.by_word)
    needed = index.masks.needed
    for positions, offsets in _phrase_starts(text, index):
        for position in positions:
            need = needed[position]
            if present & need != need:
                continue
            rule_number, phrase_number = position
            match = compiled[rule_number].phrases[phrase_number].pattern.match
            # map() and filter() run the pattern at every offset at C speed.
            # NOTE: on the bench bodies nearly every run fails after the
            # first two words. Checking the third word first, as
            # `_Phrase.followers` does for the second, would skip most runs.
            found = list(filter(None, map(match, repeat(text.lower), offsets)))
            if found:
                spans[rule_number].extend(span.span() for span in found)
    for rule_number, phrase_number in index.unanchored:
        phrase = compiled[rule_number].phrases[phrase_number]
        if _may_match(phrase, text):
            spans[rule_number].extend(_search(phrase, text, 0, len(text.lower)))
    return spans


def _present_bits(text: _Text, masks: dict[str, int]) -> int:
    """Return the union of the masks of the words of `text` (see `_WordMasks`)."""
    return functools.reduce(operator.or_, map(masks.get, text.words, repeat(0)), 0)


def _phrase_starts(
    text: _Text, index: _PhraseIndex
) -> Iterator[tuple[_Positions, list[int]]]:
    """Yield the phrases that may start at a word of `text`, with its offsets.

    Each word, or pair or triple of neighbouring words, that is a key of
    `index` is yielded once, with the offsets in `text.lower` of all its
    occurrences, so each phrase is checked once per text.
    """
    words, starts = text.word_list, text.word_starts
    by_word = _with_prefix_words(text, index)
    at_word: dict[str, list[int]] = {}
    # compress() picks the words that start a phrase at C speed, so the
    # loop runs only where one may match.
    for number in compress(count(), map(by_word.__contains__, words)):
        at_word.setdefault(words[number], []).append(starts[number])
    for word, offsets in at_word.items():
        yield by_word[word], offsets
    yield from _pair_starts(text, index)


def _pair_starts(
    text: _Text, index: _PhraseIndex
) -> Iterator[tuple[_Positions, list[int]]]:
    words, starts = text.word_list, text.word_starts
    by_pair, by_triple = index.by_pair, index.by_triple
    at_pair: dict[tuple[str, str], list[int]] = {}
    at_triple: dict[tuple[str, str, str], list[int]] = {}
    for number in compress(count(), map(by_pair.__contains__, pairwise(words))):
        pair = (words[number], words[number + 1])
        at_pair.setdefault(pair, []).append(starts[number])
        if pair in by_triple and number + 2 < len(words):
            triple = (*pair, words[number + 2])
            if triple[2] in by_triple[pair]:
                at_triple.setdefault(triple, []).append(starts[number])
    for pair, offsets in at_pair.items():
        yield by_pair[pair], offsets
    for (first, second, third), offsets in at_triple.items():
        yield by_triple[first, second][third], offsets


def _with_prefix_words(text: _Text, index: _PhraseIndex) -> dict[str, _Positions]:
    """Return `index.by_word` with the words of `text` that match a "word*"."""
    # Words never contain a space, so " " + prefix occurs in `joined` exactly
    # when a word starts with the prefix, and the word loop runs only then.
    joined = " " + " ".join(text.words)
    found: dict[str, list[tuple[int, int]]] = {}
    for prefix, rule_number, phrase_number in index.by_prefix:
        if " " + prefix not in joined:
            continue
        for word in text.words:
            if word.startswith(prefix):
                found.setdefault(word, []).append((rule_number, phrase_number))
    if not found:
        return index.by_word
    by_word = dict(index.by_word)
    for word, positions in found.items():
        by_word[word] = by_word.get(word, ()) + tuple(positions)
    return by_word


def _rule_concerns(
    text: _Text, rule: _CompiledRule, spans: list[tuple[int, int]]
) -> Iterator[Concern]:
    last_end = -1
    for start, end in sorted(spans):
        if start < last_end or _excepted(text, start, end, rule.unless):
            continue
        last_end = end
        low, high = text.original_bounds(start, end)
        matched = matched_text(text.original[low:high])
        yield Concern(rule.category, rule.severity, matched, low, high)


def matched_text(original: str) -> str:
    """Return the text a finding shows for `original`, the words as sent.

    Whitespace that contains a line break becomes one space, so the finding
    fits on one line, and the result is cut at MAX_MATCHED_CHARS. Other
    characters, invisible ones included, stay as they were sent.
    """
    return _LINE_BREAK_SPACE.sub(" ", original.strip())[:MAX_MATCHED_CHARS]


def _may_match(phrase: _Phrase, text: _Text) -> bool:
    return all(not words.isdisjoint(text.words) for words in phrase.required)


def _search(
    phrase: _Phrase, text: _Text, start: int, end: int
) -> Iterator[tuple[int, int]]:
    subject = text.folded if phrase.folded else text.lower
    position = start
    while match := phrase.pattern.search(subject, position, end):
        first = match.start()
        if _is_word_char(subject, first) and _is_word_char(subject, first - 1):
            position = first + 1
            continue
        yield match.span()
        position = max(match.end(), first + 1)


def _is_word_char(text: str, index: int) -> bool:
    return index >= 0 and (text[index].isalnum() or text[index] == "_")


def _excepted(text: _Text, start: int, end: int, unless: tuple[_Phrase, ...]) -> bool:
    if not unless:
        return False
    low, high = sentence_around(text.lower, start, end)
    return any(
        next(_search(phrase, text, low, high), None) is not None
        for phrase in unless
        if _may_match(phrase, text)
    )


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the bounds of the sentence holding `text[start:end]`.

    The search looks at most SENTENCE_WINDOW_CHARS either side, so a long
    text without punctuation costs no more than a short one.
    """
    low = max(0, start - SENTENCE_WINDOW_CHARS)
    sentence_start = low
    for boundary in SENTENCE_END.finditer(text, low, start):
        sentence_start = boundary.end()
    high = min(len(text), end + SENTENCE_WINDOW_CHARS)
    following = SENTENCE_END.search(text, end, high)
    return sentence_start, following.start() if following else high


def rules_for(context: FilterContext) -> SafeguardingRules:
    """Return the programme's rules, or the packaged ones when none are set.

    The first call for a rules file compiles all its phrases (see
    `compile_all`), so that the relay's warm-up message pays for them
    rather than the first messages under the filter time limit.
    """
    rules = context.safeguarding_rules or default_rules()
    compile_all(rules)
    return rules


@functools.lru_cache(maxsize=8)
def compile_all(rules: SafeguardingRules) -> None:
    """Compile every phrase of `rules` and build their index, once per process.

    Loading a rules file leaves its phrases uncompiled, so that commands
    that only check the configuration start quickly.
    """
    for rule in compile_rules(rules):
        for phrase in (*rule.phrases, *rule.unless):
            phrase.pattern  # noqa: B018 - the property compiles and caches
    _phrase_index(rules)


def flag_text(
    text: str,
    rules: SafeguardingRules,
    where: str,
    context: FilterContext | None = None,
) -> list[Finding]:
    """Return one safeguarding finding per match in `text`.

    When `context` turns on `safeguarding_model`, the learned model's
    estimates for sentences that no rule flagged with the same category
    follow the rules' findings.
    """
    concerns = find_concerns(text, rules)
    findings = [
        Finding(
            KIND,
            where,
            category=concern.category,
            severity=concern.severity,
            matched=concern.matched,
        )
        for concern in concerns
    ]
    if context is not None and context.safeguarding_model:
        findings.extend(model_findings(text, concerns, where, context))
    return findings


def model_findings(
    text: str, concerns: list[Concern], where: str, context: FilterContext
) -> list[Finding]:
    """Return a finding per model estimate that no concern of its category overlaps.

    The finding's `matched` is the sentence with contact details and
    offensive words replaced by the text filters' placeholders, because
    findings are stored unencrypted and a whole sentence often carries the
    phone number or address that the filters removed. Its `detail` gives
    the estimated probability and says that no rule matched.
    """
    # NOTE: the model was trained on the packaged rules' categories. With a
    # programme's own rules file it still reports those categories, and
    # its estimates never suppress a rule of another name.
    estimates = [
        estimate
        for estimate in estimate_concerns(text, default_model())
        if not _overlaps_concern(estimate, concerns)
    ]
    sentences = [text[estimate.start : estimate.end] for estimate in estimates]
    redacted = _redacted_sentences(sentences, context)
    return [
        Finding(
            KIND,
            where,
            detail=f"model estimate {estimate.probability:.2f}, not a rule match",
            category=estimate.category,
            severity=MODEL_SEVERITY,
            matched=redacted[sentence],
        )
        for estimate, sentence in zip(estimates, sentences, strict=True)
    ]


def _redacted_sentences(sentences: list[str], context: FilterContext) -> dict[str, str]:
    """Map each of `sentences` to its redacted text, as a finding shows it.

    One `redact_texts` pass over all the sentences pays the fixed cost per
    call of each filter once: six short sentences took about 0.25 ms
    instead of 0.7 ms one by one (timeit, shared 2-CPU machine). A sentence
    that occurs twice, such as one flagged for two categories or repeated
    in a quoted reply, is redacted once.
    """
    distinct = list(dict.fromkeys(sentences))
    if not distinct:
        return {}
    redactions = redact_texts(distinct, context, "safeguarding")
    return {
        sentence: matched_text(redaction.text)
        for sentence, redaction in zip(distinct, redactions, strict=True)
    }


def _overlaps_concern(estimate: Estimate, concerns: list[Concern]) -> bool:
    return any(
        concern.category == estimate.category
        and concern.start < estimate.end
        and estimate.start < concern.end
        for concern in concerns
    )


def flag_subject(subject: str, context: FilterContext) -> list[Finding]:
    """Return the safeguarding findings of a message's decoded Subject."""
    rules = rules_for(context)
    return flag_text(subject, rules, "subject", context)


# The pipeline step


def flag_concerns(draft: Draft, context: FilterContext) -> StepResult:
    """Flag safeguarding concerns in every text part, leaving the text unchanged.

    This step runs before the contact, offensive-word and forwarded-message
    filters. The officer reviews what the participant sent, and after those
    filters "add me on snap" or an explicit word is already a placeholder
    that no rule can match.
    """
    rules = rules_for(context)
    findings: list[Finding] = []
    # NOTE: quoted earlier messages are read too, so a reply that quotes a
    # flagged message is flagged again.
    for part in iter_text_parts(draft.body):
        where = f"text/{part.subtype}"
        text = part.text if part.subtype == "plain" else html_to_text(part.text)
        findings.extend(flag_text(text, rules, where, context))
    return StepResult(draft, tuple(findings))


def html_to_text(source: str) -> str:
    """Return the visible text of an HTML part, one line per block element.

    nh3 drops scripts, styles and comments and every tag except the block
    elements, which then become line breaks, so words in two paragraphs
    never run together into one phrase.
    """
    blocks = nh3.clean(
        source,
        tags=BLOCK_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes={},
        strip_comments=True,
    )
    return html.unescape(re.sub(r"<[^>]*>", "\n", blocks))
