"""Safeguarding flags: phrases a safeguarding officer should read.

The rules live in a TOML file that each programme can edit. The packaged
default is config/safeguarding.toml, which also documents the phrase syntax.
Each rule has a category, a severity (low, medium or high), phrases or
regular expressions, and an optional `unless` list. A match is dropped when
an `unless` phrase occurs in the same sentence, which is how "meet the
deadline" or "keep it secret until the launch" stay unflagged.

This step only reads: it never changes the text, and its findings carry the
matched words so the officer can find them in the message.
"""

from __future__ import annotations

import functools
import html
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nh3

from filters.base import FilterContext, Finding
from filters.html import BLOCK_TAGS, REMOVED_WITH_CONTENT
from filters.mime import Draft, StepResult, iter_text_parts
from filters.prefilter import fold_case

DEFAULT_RULES_PATH = (
    Path(__file__).resolve().parents[1] / "config" / "safeguarding.toml"
)
SEVERITIES = ("low", "medium", "high")
KIND = "safeguarding"

# Matched text longer than this is cut, because a finding points the officer
# at the message and does not replace reading it.
MAX_MATCHED_CHARS = 100

# An `unless` phrase counts only within this many characters of the match,
# and only inside the same sentence.
SENTENCE_WINDOW_CHARS = 300

# Between two words of a phrase: any run of spaces, line breaks and
# punctuation that does not end a sentence. A blank line ends one too.
SEPARATOR = r"(?:[^\w.!?\n]|\n(?![^\S\n]*\n))+"
# Apostrophes: straight, and the right single quotation mark (U+2019) that
# many clients type instead.
APOSTROPHES = "'\u2019"
ANY_WORD = rf"\w+(?:[{APOSTROPHES}]\w+)*"
# "..." in a phrase stands for up to this many words.
GAP_WORDS = 3
SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n[^\S\n]*\n")
PHRASE_TOKEN = re.compile(r"\(([^()]*)\)|\.\.\.|[^\s()]+")
CATEGORY_NAME = re.compile(r"[a-z][a-z0-9-]*")
RULE_KEYS = {"category", "severity", "phrases", "patterns", "unless"}
VOWELS = set("aeiou")
# Escapes in a pattern that stand for a class of characters, a position or a
# control character, never for a letter.
_CASE_FREE_ESCAPES = frozenset("dswbDSWBAZntrfv")
WORD = re.compile(r"\w+")


class RulesError(ValueError):
    """An error meaning a safeguarding rules file is missing or invalid."""


@dataclass(frozen=True)
class Rule:
    """One rule of a rules file, as written there."""

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
    rules = tuple(
        _parse_rule(table, f"{source}: rule {number}")
        for number, table in enumerate(tables, start=1)
    )
    parsed = SafeguardingRules(rules, source)
    compile_rules(parsed)
    return parsed


def _parse_rule(table: Any, label: str) -> Rule:
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
        _strings(table, "phrases", label),
        _strings(table, "patterns", label),
        _strings(table, "unless", label),
    )
    if not rule.phrases and not rule.patterns:
        raise RulesError(f"{label} has no phrases and no patterns: add one")
    return rule


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
class _Phrase:
    """One compiled phrase or pattern, with the words it cannot match without.

    `required` has one set per word of the phrase: the text must contain a
    word from each set, or the phrase is skipped without running its
    pattern. Patterns have no leading `\b`, because a leading assertion
    stops Python's regex engine from skipping ahead to the possible first
    characters: one phrase took 2.4 ms instead of 0.08 ms over 100 KB of
    the filter_speed benchmark text (Python 3.11).
    `_search` checks the left edge of each match instead.
    """

    pattern: re.Pattern[str]
    required: tuple[frozenset[str], ...]
    # True for a rules-file pattern compiled without re.IGNORECASE, which
    # `_search` runs over `_Text.folded` instead of `_Text.lower`.
    folded: bool = False


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
        return _Phrase(re.compile(pattern), (), folded=True)
    return _Phrase(re.compile(pattern, re.IGNORECASE), ())


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
    pattern = re.compile(_phrase_pattern(tokens, phrase, label))
    return _Phrase(pattern, _required_words(tokens))


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
    either choice, "..." up to GAP_WORDS other words, "word*" any word
    starting with "word", and other words of three or more letters also
    match their regular endings (-s, -es, -ed, -ing).
    """
    return r"(?<!\w)" + _phrase_pattern(_tokens(phrase, label), phrase, label)


def _tokens(phrase: str, label: str) -> list[re.Match[str]]:
    if phrase.count("(") != phrase.count(")"):
        raise RulesError(f"{label} phrase {phrase!r} has unbalanced brackets")
    tokens = list(PHRASE_TOKEN.finditer(phrase.lower()))
    if not tokens or tokens[0].group() == "..." or tokens[-1].group() == "...":
        raise RulesError(
            f"{label} phrase {phrase!r} must start and end with a word, not '...'"
        )
    return tokens


def _phrase_pattern(tokens: list[re.Match[str]], phrase: str, label: str) -> str:
    parts: list[str] = []
    for token in tokens:
        if token.group() == "...":
            parts.append(f"(?:{SEPARATOR}{ANY_WORD}){{0,{GAP_WORDS}}}")
            continue
        if parts:
            parts.append(SEPARATOR)
        parts.append(_compile_token(token, phrase, label))
    return "(?:" + "".join(parts) + r")(?!\w)"


def _compile_token(token: re.Match[str], phrase: str, label: str) -> str:
    choices = token.group(1)
    if choices is None:
        return _compile_word(token.group(), phrase, label)
    options = [option.split() for option in choices.split("|")]
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
    forms = sorted(word_forms(word), key=len, reverse=True)
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
        if token.group() == "...":
            continue
        choices = token.group(1)
        options = choices.split("|") if choices is not None else [token.group()]
        keys = [_index_keys(option.split()[0]) for option in options]
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
        return word_forms(word)
    # The text splits "don't" into "don" and "t", unless it is written
    # "dont". Likewise "self-harm" is "self" and "harm", or "selfharm".
    joined = {re.sub(f"[{APOSTROPHES}-]", "", form) for form in word_forms(word)}
    return {first} | joined


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
    """A text prepared once for every rule: lower case, and its set of words."""

    original: str
    lower: str
    words: frozenset[str]
    # `lower` with the characters that re.IGNORECASE matches with an ASCII
    # letter folded to it: see prefilter.fold_case.
    folded: str


def _prepare(text: str) -> _Text:
    lower = text.lower()
    if len(lower) != len(text):
        # A few characters lower-case to two ("İ"); they stay as they are,
        # so that offsets in `lower` are offsets in `text`.
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return _Text(text, lower, frozenset(WORD.findall(lower)), fold_case(text))


def find_concerns(text: str, rules: SafeguardingRules) -> list[Concern]:
    """Return every match of every rule in `text`, in rule order."""
    prepared = _prepare(text)
    concerns: list[Concern] = []
    for rule in compile_rules(rules):
        concerns.extend(_rule_concerns(prepared, rule))
    return concerns


def _rule_concerns(text: _Text, rule: _CompiledRule) -> Iterator[Concern]:
    spans = sorted(
        span
        for phrase in rule.phrases
        if _may_match(phrase, text)
        for span in _search(phrase, text, 0, len(text.lower))
    )
    last_end = -1
    for start, end in spans:
        if start < last_end or _excepted(text, start, end, rule.unless):
            continue
        last_end = end
        matched = " ".join(text.original[start:end].split())[:MAX_MATCHED_CHARS]
        yield Concern(rule.category, rule.severity, matched, start, end)


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
    """Return the programme's rules, or the packaged ones when none are set."""
    return context.safeguarding_rules or default_rules()


def flag_text(text: str, rules: SafeguardingRules, where: str) -> list[Finding]:
    """Return one safeguarding finding per match in `text`."""
    return [
        Finding(
            KIND,
            where,
            category=concern.category,
            severity=concern.severity,
            matched=concern.matched,
        )
        for concern in find_concerns(text, rules)
    ]


def flag_subject(subject: str, context: FilterContext) -> list[Finding]:
    """Return the safeguarding findings of a message's decoded Subject."""
    return flag_text(subject, rules_for(context), "subject")


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
        findings.extend(flag_text(text, rules, where))
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
