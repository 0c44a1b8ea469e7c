"""Find offensive words with better-profanity's word list and a fast matcher.

better-profanity's own censor() tries every spelling variant of every word at
each position. It took about 2 s on a 10 KB message (better-profanity 0.7.0,
one core of an AMD EPYC server), so this module loads only its word list and
matches whole tokens against a set. Disguises are undone before the lookup:
leetspeak ("sh1t", "@ss"), stretched letters ("fuuuck"), and letters spaced or
dotted out ("f u c k", "f.u.c.k"). Matching whole tokens keeps place names
such as Scunthorpe, Penistone and Sussex intact.

Each distinct token of a text is looked up once. Only where a token that may
be offensive occurs is the text then read in context. On ordinary text that
costs one scan for the tokens and one lookup per distinct token.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from filters.base import FilterContext, Span
from filters.prefilter import (
    LEET_SYMBOLS,
    fast_digit_runs,
    fold_case,
    letter_runs,
    letter_words,
    lines_with,
    matches_after,
    matches_at,
    token_runs,
    words,
)

log = logging.getLogger(__name__)

_WORDLIST_PACKAGE = "better_profanity"
_WORDLIST_FILE = "profanity_wordlist.txt"

# Entries of better-profanity 0.7.0's list whose usual meaning in a mentoring
# conversation is harmless: words people use about themselves ("I felt
# stupid in maths"), health, school history and religion, everyday nouns
# and verbs, people's names, the anatomical terms that biology and PSHE
# lessons use, and "arian", Welsh for money. Removing them would mangle
# ordinary mail, hide a disclosure from the partner ("dad came home drunk")
# and tell a young person that "gay" is a swear word. A programme that wants any of them
# removed lists it in extra_offensive_words.
EVERYDAY_WORDS = frozenset(
    """
    gay gays lesbians queer queers transsexual
    sex sexual hiv herpes menses menstruate menstruation ovary ovum ovums tampon
    uterus womb
    testes testis
    god omg hitler nazi nazism reich slave kill murder napalm sniper
    damn damned hell
    dong enlargement erect facial fat hemp hoar loin loins mams maxi naked
    niggle oral organ pawn pot revue rum sandbar seaman seamen slope snatch
    strip stroke teat thrust unwed virgin wad weed whiz woody foobar
    hump nappy pasty pee vixen xx xxx
    stupid ugly drunk hookah
    asanchez guido len paddy pollock wang yury
    anus breasts clitoris foreskin glans hymen labia nipple nipples penis
    pubic pubis rectal rectum scrotum semen sperm testicle urine vagina vulva
    arian
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Words that are also first names or surnames. Written with a capital next to
# another capitalised word ("Dick Whittington", "Moby Dick", "Willy Wonka",
# "Fanny Price"), they are read as a name and kept. Anywhere else they go.
NAME_WORDS = frozenset({"dick", "fanny", "willy"})
# Words after which a capitalised NAME_WORDS entry is a first name in any
# case: relatives, forms of address and naming verbs ("my great-grandmother
# Fanny", "my uncle Dick", "a girl called Fanny"). "my", "your" and "her"
# are not among them, so "her Fanny" is still removed.
NAME_INTRODUCERS = frozenset(
    """
    aunt auntie aunty uncle cousin gran granny grandma grandmother nan nana
    nanna grandad granddad grandpa grandfather mum mother mom dad father
    sister brother daughter son niece nephew wife husband friend mrs miss
    ms mr sir lady lord saint st called named
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Titles before a surname. A capitalised listed word after one is a
# surname whatever the word: "Mrs Cumming", "Dr Butt".
HONORIFICS = frozenset(
    "mr mrs ms miss mx dr sir dame lady lord prof professor rev".split()  # noqa: SIM905
)
# Street types after a place name: "Cock Lane", "Butt Road". A capitalised
# listed word right before a capitalised one of these names the street.
STREET_TYPES = frozenset(
    """
    lane street road close hill avenue way row court place square green
    walk yard alley gardens terrace crescent drive mews passage wharf bridge
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Surnames that the list spells like an insult. Written with a capital
# ("Hoare's Bank"), they are kept wherever they stand.
SURNAMES = frozenset({"hoare"})
# Listed words that also name an animal, a place or a sports position. Each
# is kept, spelled plainly, when its sentence has one of the words that
# select that sense, unless the word is aimed at a person (see
# _is_aimed_at_person) or follows another listed word ("stupid ass").
BREEDING_WORDS = frozenset(
    """
    puppy puppies pup pups litter litters whelp whelps whelped whelping dog
    dogs spaniel spaniels breed breeds breeder breeders breeding bred kennel
    kennels stud studs crufts sire sires sired dam dams hound hounds terrier
    terriers retriever retrievers labrador labradors collie collies whippet
    whippets lurcher lurchers greyhound greyhounds beagle beagles poodle
    poodles pedigree
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# The donkey of the Bible and of A Midsummer Night's Dream.
DONKEY_WORDS = frozenset(
    """
    donkey donkeys mule mules ox oxen colt colts foal foals bray brays brayed
    braying manger saddled balaam balaams nativity titania oberon
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Bird names shared by the male bird ("a cock pheasant") and the seabird
# ("a shag on the rocks"), which birdwatchers list side by side.
BIRD_NAMES = frozenset(
    """
    pheasant pheasants partridge partridges grouse robin robins sparrow
    sparrows blackbird blackbirds chaffinch chaffinches cormorant cormorants
    gannet gannets puffin puffins guillemot guillemots razorbill razorbills
    kittiwake kittiwakes gull gulls heron herons curlew curlews seabird
    seabirds birdwatching rspb frigatebird frigatebirds albatross albatrosses
    petrel petrels shearwater shearwaters fulmar fulmars skua skuas tern
    terns pelican pelicans penguin penguins eider eiders
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# "bird" and "chick" are also slang for a woman, so they select only the
# farmyard sense of "cock", not the seabird sense of "shag".
FARM_BIRD_WORDS = BIRD_NAMES | frozenset(
    """
    bird birds hen hens chicken chickens chick chicks rooster roosters
    cockerel cockerels poultry coop farmyard crow crows crowed crowing
    feathers
    """.split()  # noqa: SIM905 - a word list reads better as text
)
SEABIRD_WORDS = BIRD_NAMES | frozenset({"cliff", "cliffs", "nest", "nesting"})
# A dyke in the Fens or the Netherlands is a drainage ditch or a bank.
DRAINAGE_WORDS = frozenset(
    """
    flood floods flooded flooding fen fens fenland drain drains drainage
    ditch ditches embankment canal canals dutch holland netherlands levee
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words of garden-bird study, which select the bird sense of "tit": "the
# tit feeding study", "tit nest boxes". "bird" and "chick" are left out for
# the reason given at FARM_BIRD_WORDS.
TIT_WORDS = BIRD_NAMES | frozenset(
    """
    feeding feeder feeders nest nests nestbox nestboxes nesting fledgling
    fledglings eggs clutch species plumage ornithology ornithologist
    ornithologists birdsong wren wrens finch finches nuthatch nuthatches
    suet peanuts woodland
    """.split()  # noqa: SIM905 - a word list reads better as text
)
RUGBY_WORDS = frozenset(
    """
    rugby scrum scrums lineout lineouts prop props flanker flankers
    tighthead loosehead ruck rucks maul mauls sevens
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@dataclass(frozen=True)
class SecondSense:
    """A harmless sense of some listed words, and what selects it in a sentence."""

    words: frozenset[str]
    context: frozenset[str]
    # Nouns after the word's possessive that only the harmless sense has:
    # "an ass's head", "the cock's comb".
    possessed: frozenset[str] = frozenset()
    # Whether the word is a position in a team sport, which a play verb
    # right before it ("playing hooker") or an age group in its sentence
    # ("for the under 16s") also selects.
    sport_position: bool = False
    # Words right before the listed word that select the offensive sense
    # whatever the sentence is about: "her tits" is never a bird.
    not_after: frozenset[str] = frozenset()


SECOND_SENSES = (
    SecondSense(frozenset({"bitch", "bitches"}), BREEDING_WORDS),
    SecondSense(
        frozenset({"ass", "asses"}),
        DONKEY_WORDS,
        possessed=frozenset({"head", "ears", "milk", "colt", "foal", "jawbone"}),
    ),
    SecondSense(
        frozenset({"cock", "cocks"}),
        FARM_BIRD_WORDS,
        possessed=frozenset({"comb", "crow", "feathers", "tail", "wattle"}),
    ),
    SecondSense(frozenset({"shag", "shags"}), SEABIRD_WORDS),
    SecondSense(
        frozenset({"tit", "tits"}),
        TIT_WORDS,
        not_after=frozenset({"her", "his", "my", "your", "their", "our", "nice"}),
    ),
    SecondSense(frozenset({"dyke", "dykes"}), DRAINAGE_WORDS),
    SecondSense(frozenset({"hooker", "hookers"}), RUGBY_WORDS, sport_position=True),
)
# Listed words that are the plain, neutral term for what they name, as in
# history lessons and set texts ("Jack the Ripper's victims were
# prostitutes"). They are kept unless aimed at a person.
NEUTRAL_TERMS = frozenset({"prostitute", "prostitutes"})
# Words that make a listed word a place name when it is written with a
# capital next to another capitalised word: "Offa's Dyke", "Dyke Road".
PLACE_WORDS = frozenset({"dyke", "dykes"})

# Listed words that are harmless in a fixed phrase: birds, household things,
# school subjects. The listed word is kept only inside the phrase.
HARMLESS_PHRASES = (
    "blue tit",
    "great tit",
    "coal tit",
    "marsh tit",
    "willow tit",
    "crested tit",
    "bearded tit",
    "long-tailed tit",
    "door knob",
    "knob of butter",
    "a screw",
    "the screw",
    "screw top",
    "screw cap",
    "homo sapiens",
    "homo erectus",
    "homo habilis",
    "homo neanderthalensis",
    "moby dick",
    "pussy willow",
    "prick your finger",
    "prick the",
    "pin prick",
    "cock-up",
    "spotted dick",
    "oilseed rape",
    "rape seed",
    "cum laude",
    "William the Bastard",
    "shag pile",
    "shag carpet",
    "cock-a-leekie",
    "cock-a-doodle-doo",
)

# Leetspeak letters. "1" and "!" stand for "i" or "l", so both readings are tried.
_LEET_I = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "3": "e",
        "0": "o",
        "$": "s",
        "5": "s",
        "7": "t",
        "+": "t",
        "1": "i",
        "!": "i",
    }
)
_LEET_L = str.maketrans({"1": "l", "!": "l"})
_VOWELS = "aeiou"

# A token is a run of letters, digits and leet symbols; "_" splits tokens so
# that "f_u_c_k" reads as spaced-out letters. prefilter.token_runs finds
# tokens joined by "_", because one character class scans about twice as
# fast as the alternation `(?:[^\W_]|[@$!+*])+`, and few runs need splitting.
_UNDERSCORE = re.compile("_")
_LEET_SYMBOL = re.compile(f"[{re.escape(LEET_SYMBOLS)}]")
# In ASCII text after prefilter.fold_case, a token is a run of letters,
# digits and leet symbols. "_" ends a token there.
_TOKEN_RUN = re.compile(f"[a-z0-9{re.escape(LEET_SYMBOLS)}]+")
_LETTER_RUN = re.compile("[a-z]+")
# The maximal runs of letters and digits in a multi-word entry.
_ALNUM_RUN = re.compile(r"[^\W_]+")
_SPACED = re.compile(
    r"(?<![^\W_])[^\W_](?P<sep>[ ._*-])[^\W_](?:(?P=sep)[^\W_]){1,40}(?![^\W_])"
)
_STRETCHED = re.compile(r"(.)\1{2,}")
_THREE_IN_A_ROW = re.compile(r"(.)\1\1")
_PHRASE_SEPARATOR = re.compile(r"[\s_-]+")
_SEPARATORS = " ._*-"
# Patterns for the first separator of a possible spaced-out run: one after
# a letter that starts a token, and before a letter, the same separator and
# a letter. English text has single-letter words ("a", "I"), but seldom two
# in a row, so few places match. Each pattern starts with a literal, which
# `re` skips ahead to about twice as fast as to a character class (Python
# 3.11), and consumes only the separator, so overlapping runs are all found.
_SPACED_STARTS = tuple(
    (
        separator,
        re.compile(
            rf"{re.escape(separator)}(?<=(?<![^\W_])[^\W_].)"
            rf"(?=[^\W_]{re.escape(separator)}[^\W_])"
        ),
    )
    for separator in _SEPARATORS
)
# For _ascii_spaced_starts: every ASCII letter and digit becomes "a" and
# every other byte a space.
_ALNUM_AS_A = bytes(
    0x61 if chr(byte).isascii() and chr(byte).isalnum() else 0x20 for byte in range(256)
)
_THREE_SHORT_WORDS = re.compile(b" a a a")
# "Dick" next to another capitalised word is a name, unless that word is one
# of these, which start an insult as easily as a name.
_NOT_NAMES = frozenset({"A", "An", "The", "You", "Your", "Such", "What", "Big"})
# Words that aim a listed word at a person, whatever its sentence is about,
# when one of them is among the two words before it ("you stupid bitch").
_ADDRESSING_WORDS = frozenset({"you", "u", "ya", "ye", "ur", "youre"})
_SENTENCE_MARGIN = 200
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n\s*\n")
_ASCII_WORD = re.compile(r"[a-z]+(?:['\u2019][a-z]+)?")
# Single-letter words that may stand before or after a spaced-out word:
# "a f u c k", "f u c k u".
_LETTER_WORDS = frozenset("aiu")
# Each word of a harmless phrase may take a plural "s": "blue tits".
_HARMLESS = re.compile(
    "|".join(
        r"\b" + r"s?[\s-]+".join(map(re.escape, re.split(r"[\s-]+", p))) + r"s?\b"
        for p in HARMLESS_PHRASES
    ),
    re.IGNORECASE,
)
# Latin "cum" ("with") joining two words: "kitchen-cum-diner",
# "Chorlton-cum-Hardy".
_JOINING_CUM = re.compile(r"(?<=[^\W\d_]-)cum(?=-[^\W\d_])", re.IGNORECASE)
# A word aimed at a person has one of _ADDRESSING_WORDS among the two words
# before it, or one of these right after it: "bitch please", "shag me".
_AIMED_AFTER = re.compile(
    r"[ \t]+(?:please|me|you|u|ya|her|him|them|us|his|your|ur)\b", re.IGNORECASE
)
_PLAY_VERBS = frozenset({"play", "plays", "playing", "played"})
# An age group in youth sport: "under 16s", "U16", "under-12s".
_AGE_GROUP = re.compile(r"\b(?:under|u)[ -]?\d{1,2}s?\b", re.IGNORECASE)
_POSSESSED = re.compile(r"['\u2019]s\s+([a-z]+)", re.IGNORECASE)
# Verbs that give a name, and the pronouns that may stand between them and
# the name: "we call him Dick", "they named her Fanny".
_NAMING_VERBS = frozenset(
    """
    call calls called calling name names named naming nickname nicknamed
    christened
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_NAMED_PRONOUNS = frozenset({"him", "her", "them", "me", "it", "us"})
_POSSESSIVE_END = re.compile(r"['\u2019]s$")
# Words before a NEUTRAL_TERMS entry that call a person by it: "she's a
# prostitute". A dog or a bird is "she" too, so the other senses ignore them.
_PERSON_SUBJECTS = frozenset({"shes", "hes", "theyre", "youre", "ur"})


@dataclass(frozen=True)
class _WordSets:
    """The word list prepared for lookups, for one pair of programme settings."""

    single: frozenset[str]
    spaced: frozenset[str]
    # Multi-word entries, longest first.
    phrases: tuple[str, ...]
    # For each multi-word entry, the lower-case runs of letters and digits
    # that a text needs before the entry can match in it. The set is empty
    # for an entry with a character outside ASCII, because the case-folding
    # in prefilter.fold_case is exact only for ASCII letters.
    phrase_words: tuple[frozenset[str], ...]
    # The index in `phrases` of each entry, filed under the longest of its
    # `phrase_words`, which a text must contain for the entry to match.
    phrases_by_word: dict[str, list[int]]
    # The indices of the entries with no `phrase_words`, tried in any text.
    phrases_without_words: tuple[int, ...]


class ProfanityFilter:
    """Remove offensive words, written plainly or disguised."""

    kind = "profanity"
    placeholder = "****"

    def find(self, text: str, context: FilterContext) -> list[Span]:
        words = _word_sets(
            frozenset(w.lower() for w in context.extra_offensive_words),
            frozenset(w.lower() for w in context.allowed_offensive_words),
        )
        tokens = _distinct_tokens(text)
        found = [
            *_plain_words(text, tokens, words),
            *_spaced_words(text, words),
            *_phrase_spans(text, tokens, words),
        ]
        if not found:
            return []
        harmless = [
            *(m.span() for m in _HARMLESS.finditer(text)),
            *(m.span() for m in _JOINING_CUM.finditer(text)),
        ]
        return [
            Span(start, end, self.kind)
            for start, end in found
            if not any(s <= start and end <= e for s, e in harmless)
        ]


def _load_wordlist() -> tuple[str, ...]:
    path = resources.files(_WORDLIST_PACKAGE).joinpath(_WORDLIST_FILE)
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip().lower() for line in lines if line.strip())


_WORDLIST = _load_wordlist()


@lru_cache(maxsize=16)
def _word_sets(extra: frozenset[str], allowed: frozenset[str]) -> _WordSets:
    """Build the lookup sets: the list minus everyday and allowed words, plus extras."""
    entries = (set(_WORDLIST) - EVERYDAY_WORDS) | extra
    # An allowed word also allows its listed disguises: "hell" allows "he11".
    entries = {entry for entry in entries if not _readings(entry) & allowed}
    single: set[str] = set()
    spaced: set[str] = set()
    phrases: list[str] = []
    for entry in entries:
        if _is_spelled_out(entry):
            spaced.add(_join_letters(entry))
        elif _PHRASE_SEPARATOR.search(entry):
            phrases.append(entry)
        else:
            single.add(entry)
    phrases.sort(key=len, reverse=True)
    phrase_words = tuple(_phrase_words(phrase) for phrase in phrases)
    by_word: dict[str, list[int]] = {}
    for index, needed in enumerate(phrase_words):
        if needed:
            by_word.setdefault(max(sorted(needed), key=len), []).append(index)
    return _WordSets(
        single=frozenset(single),
        spaced=frozenset(spaced | single),
        phrases=tuple(phrases),
        phrase_words=phrase_words,
        phrases_by_word=by_word,
        phrases_without_words=tuple(
            index for index, needed in enumerate(phrase_words) if not needed
        ),
    )


def _phrase_words(phrase: str) -> frozenset[str]:
    if not phrase.isascii():
        return frozenset()
    return frozenset(_ALNUM_RUN.findall(phrase))


def _phrase_spans(
    text: str, tokens: set[str], words_sets: _WordSets
) -> list[tuple[int, int]]:
    """Find the multi-word entries in `text`.

    Only entries whose words all occur in the text go into the pattern.
    Leaving out entries that cannot match anywhere changes no match.
    """
    candidates = _candidate_phrases(text, tokens, words_sets)
    if not candidates:
        return []
    if not all(phrase.isascii() for phrase in candidates):
        return [match.span() for match in _phrase_pattern(candidates).finditer(text)]
    folded_text = fold_case(text)
    folded = _folded_phrase_pattern(candidates)
    first_words = {_PHRASE_SEPARATOR.split(phrase)[0] for phrase in candidates}
    if "" in first_words:
        matches = matches_after(folded, folded_text, _starts_token)
        return [match.span() for match in matches]
    starts = [
        start
        for start in _occurrences(folded_text, first_words)
        if _starts_token(folded_text, start)
    ]
    return [match.span() for match in matches_at(folded, folded_text, starts)]


def _occurrences(text: str, needles: set[str]) -> Iterator[int]:
    """Yield every position where one of `needles` occurs in `text`.

    A match of an entry starts with the entry's first word, so trying the
    phrase pattern only where a first word occurs finds every match, and
    `str.find` skips ahead far faster than `re` can.
    """
    for needle in needles:
        position = text.find(needle)
        while position != -1:
            yield position
            position = text.find(needle, position + 1)


def _candidate_phrases(
    text: str, tokens: set[str], words_sets: _WordSets
) -> tuple[str, ...]:
    """Return the entries whose words each occur in `text`, longest first.

    A word of an entry matches a whole run of letters and digits of the
    text, because the phrase pattern's edges and separators are neither.
    """
    found = _letter_and_digit_runs(text, tokens)
    indices = [*words_sets.phrases_without_words]
    for word in found.intersection(words_sets.phrases_by_word):
        indices.extend(words_sets.phrases_by_word[word])
    return tuple(
        words_sets.phrases[index]
        for index in sorted(indices)
        if words_sets.phrase_words[index] <= found
    )


def _letter_and_digit_runs(text: str, tokens: set[str]) -> set[str]:
    """Return the lower-cased runs of letters and digits of `text`, and tokens.

    The tokens in the set contain "_" or a leet symbol, so no word of an
    entry equals one. `tokens` are the tokens of `text`. The result may be
    `tokens` itself, so the caller must not change it.
    """
    if text.isascii():
        # The tokens of ASCII text are lower-case already (_distinct_tokens).
        if not any(symbol in text for symbol in LEET_SYMBOLS):
            return tokens
        with_symbols = lines_with(_LEET_SYMBOL, tokens)
        if not with_symbols:
            return tokens
        parts = (part for token in with_symbols for part in _LEET_SYMBOL.split(token))
        return tokens.union(parts)

    # A run of letters and digits is a `\\w` run of the text, or a part of
    # one between "_", after prefilter.words has split it at leet symbols.
    found = set(words(text))
    for word in [word for word in found if "_" in word]:
        found.update(word.split("_"))
    return found


def _starts_token(text: str, start: int) -> bool:
    return start == 0 or not text[start - 1].isalnum()


def _is_spelled_out(entry: str) -> bool:
    """Recognise list entries written as spaced letters: "f.u.c.k", "s-h-1-t"."""
    parts = [p for p in re.split(r"[ ._-]", entry) if p]
    return len(parts) >= 3 and all(len(p) == 1 for p in parts)


def _join_letters(entry: str) -> str:
    return "".join(ch for ch in entry if ch not in _SEPARATORS).translate(_LEET_I)


@lru_cache(maxsize=64)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Compile multi-word entries ("blow job", "son-of-a-bitch") into one pattern.

    The lookahead on first characters lets most positions fail before the
    engine tries each alternative in turn.
    """
    first_chars = re.escape("".join(sorted({p[0] for p in phrases})))
    return re.compile(
        rf"(?<![^\W_])(?=[{first_chars}]){_phrase_alternatives(phrases)}(?![^\W_])",
        re.IGNORECASE,
    )


@lru_cache(maxsize=64)
def _folded_phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Compile ASCII entries for text from prefilter.fold_case.

    Without re.IGNORECASE and any leading assertion, `re` can skip ahead to
    the first letters; `_starts_token` does the lookbehind's work.
    """
    return re.compile(rf"{_phrase_alternatives(phrases)}(?![^\W_])")


def _phrase_alternatives(phrases: tuple[str, ...]) -> str:
    alternatives = (
        r"[\s_-]+".join(map(re.escape, _PHRASE_SEPARATOR.split(p))) for p in phrases
    )
    return f"(?:{'|'.join(alternatives)})"


def _readings(token: str) -> set[str]:
    """Return the words a lower-case token may stand for once disguises are undone."""
    if token.isalpha() and not _STRETCHED.search(token):
        return {token}
    readings = {token}
    for leet in (token.translate(_LEET_I), token.translate(_LEET_L).translate(_LEET_I)):
        readings.add(leet)
        if "*" in leet:
            readings.update(leet.replace("*", vowel) for vowel in _VOWELS)
    for reading in list(readings):
        readings.add(_STRETCHED.sub(r"\1", reading))
        readings.add(_STRETCHED.sub(r"\1\1", reading))
    return readings


def _plain_words(
    text: str, tokens: set[str], words: _WordSets
) -> Iterator[tuple[int, int]]:
    if text.isascii():
        candidates = _listed_lower_tokens(tokens, words.single)
        searched = fold_case(text)
    else:
        candidates = _candidate_tokens(tokens, words.single)
        searched = text
    if not candidates:
        return
    for start, end in _token_spans(searched, candidates):
        for core_start, core_end in _token_cores(text[start:end]):
            core_start, core_end = start + core_start, start + core_end
            core = text[core_start:core_end]
            if not any(ch.isalpha() for ch in core):
                continue
            hits = _readings(core.lower()) & words.single
            if _is_code(core):
                continue
            if not hits or _is_name(text, core_start, core_end, hits):
                continue
            if _is_second_sense(text, core_start, core_end, hits, words.single):
                continue
            yield core_start, core_end
            break


def _candidate_tokens(tokens: set[str], single: frozenset[str]) -> frozenset[str]:
    """Return the `tokens` that contain a listed word.

    The name rules are left for _plain_words, which reads each occurrence
    in context. Set operations and `map` keep the per-token work in C for
    alphabetic tokens, which are most of them.
    """
    alphabetic = set(filter(str.isalpha, tokens))
    candidates = {
        token for token in tokens - alphabetic if _has_listed_core(token, single)
    }

    lowered = set(map(str.lower, alphabetic))
    # An alphabetic token without stretched letters reads only as itself.
    listed = lowered & single
    unusual = lines_with(_THREE_IN_A_ROW, lowered)
    unusual.update(itertools.filterfalse(str.isalpha, lowered))
    listed.update(word for word in unusual if _readings(word) & single)
    if listed:
        candidates.update(token for token in alphabetic if token.lower() in listed)
    return frozenset(candidates)


def _listed_lower_tokens(tokens: set[str], single: frozenset[str]) -> frozenset[str]:
    """Return what `_candidate_tokens` returns for lower-case ASCII `tokens`.

    Such a token is made of a-z, digits and leet symbols, so `str.isalpha`
    tells the plain words from the tokens with a digit or a symbol.
    """
    candidates = {token for token in tokens & single if token.isalpha()}
    odd = set(itertools.filterfalse(str.isalpha, tokens))
    candidates.update(token for token in odd if _has_listed_core(token, single))

    stretched = _with_three_in_a_row(tokens) - odd
    candidates.update(word for word in stretched if _readings(word) & single)
    return frozenset(candidates)


def _with_three_in_a_row(tokens: set[str]) -> set[str]:
    """Return the ASCII `tokens` in which a character occurs three times in a row.

    XOR of the joined tokens' bytes, read as one integer, with itself
    shifted by one byte leaves a zero byte wherever a byte equals the one
    before it, so two zero bytes in a row end a triple. That costs about a
    third of a `(.)\\1\\1` search (timeit, Python 3.11).
    """
    joined = "\n".join(tokens).encode("ascii")
    number = int.from_bytes(joined, "big")
    repeats = (number ^ (number >> 8)).to_bytes(len(joined), "big")
    found = set()
    position = repeats.find(b"\0\0")
    while position != -1:
        start = joined.rfind(b"\n", 0, position) + 1
        end = joined.find(b"\n", position)
        end = len(joined) if end == -1 else end
        found.add(joined[start:end].decode("ascii"))
        position = repeats.find(b"\0\0", end)
    return found


def _has_listed_core(token: str, single: frozenset[str]) -> bool:
    for start, end in _token_cores(token):
        core = token[start:end]
        if any(ch.isalpha() for ch in core) and _readings(core.lower()) & single:
            return True
    return False


def _distinct_tokens(text: str) -> set[str]:
    """Return the set of tokens of `text`, in lower case if `text` is ASCII."""
    if text.isascii():
        return _ascii_tokens(text)

    tokens = set(token_runs(text))
    joined = lines_with(_UNDERSCORE, tokens)
    if joined:
        tokens -= joined
        tokens.update(part for token in joined for part in token.split("_") if part)
    return tokens


def _ascii_tokens(text: str) -> set[str]:
    """Return the tokens of ASCII `text` in lower case, from the shared letter runs.

    A token is a run of _TOKEN_RUN. Most tokens are letters alone, and each
    such token is a run of prefilter.letter_runs, which the other filters
    need anyway, so no scan of every token is needed here. The tokens with
    a digit or a leet symbol are read around those characters. A run of
    letters that occurs only inside such tokens is no token of its own.
    """
    tokens = set(letter_words(text))
    odd = _odd_tokens(text)
    if not odd:
        return tokens
    inside: dict[str, int] = {}
    for token in odd:
        for part in _LETTER_RUN.findall(token):
            inside[part] = inside.get(part, 0) + 1
    tokens.update(odd)
    runs = letter_runs(text)
    tokens.difference_update(
        part for part, count in inside.items() if runs.count(part) == count
    )
    return tokens


def _odd_tokens(text: str) -> list[str]:
    """Return each token of ASCII `text` with a digit or a leet symbol, in order.

    A token that occurs several times is listed each time.
    """
    folded = fold_case(text)
    positions = [start for start, _ in fast_digit_runs(text)]
    for symbol in LEET_SYMBOLS:
        position = text.find(symbol)
        while position != -1:
            positions.append(position)
            position = text.find(symbol, position + 1)
    tokens = []
    token_end = 0
    for position in sorted(positions):
        if position < token_end:
            continue
        # Only letters come before the first digit or symbol of a token.
        start = position
        while start > 0 and "a" <= folded[start - 1] <= "z":
            start -= 1
        run = _TOKEN_RUN.match(folded, position)
        token_end = run.end() if run else position + 1
        tokens.append(folded[start:token_end])
    return tokens


def _token_spans(text: str, tokens: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Yield the span of every whole token of `text` that is one of `tokens`.

    The pattern has no leading lookbehind, so that `re` can skip ahead to
    the tokens' first characters. `_follows_non_token` checks the character
    before each match instead.
    """
    alternatives = "|".join(map(re.escape, sorted(tokens, key=len, reverse=True)))
    pattern = re.compile(rf"(?:{alternatives})(?![^\W_])(?![@$!+*])")
    for match in matches_after(pattern, text, _follows_non_token):
        yield match.span()


def _follows_non_token(text: str, start: int) -> bool:
    return start == 0 or not (
        text[start - 1].isalnum() or text[start - 1] in LEET_SYMBOLS
    )


def _token_cores(token: str) -> list[tuple[int, int]]:
    """Return the token, then the token without symbols at its edges.

    "shit!" and "@dick" are ordinary words with punctuation or a handle's "@"
    attached, but "sh!t" and "@ss" use the same symbols as letters. An
    alphabetic token is its only core.
    """
    end = len(token)
    if token.isalpha():
        return [(0, end)]
    stripped_end = end - (len(token) - len(token.rstrip("!*+")))
    stripped_start = len(token) - len(token.lstrip("@"))
    cores = [(0, end), (0, stripped_end), (stripped_start, stripped_end)]
    return [(s, e) for s, e in dict.fromkeys(cores) if s < e]


def _is_code(core: str) -> bool:
    """Return whether `core` is a capital and digits: a road or a model, "A55".

    Read as leetspeak, "A55" is "ass", but the A55 to Holyhead and a Galaxy
    A55 phone are far more common in a mentee's mail.
    """
    return len(core) > 1 and core[0].isupper() and core[1:].isdigit()


def _is_name(text: str, start: int, end: int, hits: set[str]) -> bool:
    """Apply the name rules of NAME_WORDS ("Dick") and SURNAMES ("Hoare")."""
    word = text[start:end]
    if hits <= SURNAMES and word[:1].isupper():
        return True
    if word.istitle() and _words_before(text, start)[1] in HONORIFICS:
        return True  # "Mrs Cumming", "Mr Dick"
    if word.istitle() and _STREET_AFTER.match(text, end):
        return True  # "the Cock Lane ghost"
    if not hits <= NAME_WORDS | PLACE_WORDS or not word.istitle():
        return False
    if _has_capitalised_neighbour(text, start, end):
        return True
    if not hits <= NAME_WORDS:
        return False
    previous, last = _words_before(text, start)
    if last in NAME_INTRODUCERS:
        return True
    return last in _NAMED_PRONOUNS and previous in _NAMING_VERBS


_STREET_AFTER = re.compile(
    rf"[ \t]+(?:{'|'.join(sorted(word.title() for word in STREET_TYPES))})\b"
)


def _has_capitalised_neighbour(text: str, start: int, end: int) -> bool:
    """Check for a capitalised word beside `text[start:end]`, as in a name.

    "and", "&" or "or" may stand between them, as in a list of characters
    ("Fanny and Willy"). The words in _NOT_NAMES do not count.
    """
    before = re.search(
        r"([A-Z][\w'\u2019]*)\.?(?: (?:and|&|or))? $", text[max(0, start - 40) : start]
    )
    after = re.match(r"(?: (?:and|&|or))? ([A-Z][\w'\u2019]*)", text[end : end + 40])
    # A possessive "'s" would fail str.istitle: "Offa's Dyke".
    neighbours = [
        _POSSESSIVE_END.sub("", m.group(1)) for m in (before, after) if m is not None
    ]
    return any(n.istitle() and n not in _NOT_NAMES for n in neighbours)


def _words_before(text: str, start: int) -> tuple[str, str]:
    """Return the two lower-case words of letters right before `text[start]`.

    A word that is missing is "". The last word may end with a full stop
    ("Mr. Dick").
    """
    match = re.search(
        r"(?:([A-Za-z]+) )?([A-Za-z]+)\.? $", text[max(0, start - 40) : start]
    )
    if match is None:
        return "", ""
    return (match.group(1) or "").lower(), match.group(2).lower()


def _is_second_sense(
    text: str, start: int, end: int, hits: set[str], listed: frozenset[str]
) -> bool:
    """Check whether the word at `text[start:end]` has a harmless sense there.

    See SECOND_SENSES and NEUTRAL_TERMS. A disguise ("b1tch", "c0ck") is
    always an insult.
    NOTE: an insult in a sentence about the harmless sense ("that bitch
    kicked my dog", "he's a cock, said the farmer to the hens") is kept.
    """
    if not text[start:end].isalpha():
        return False
    sense = next((sense for sense in SECOND_SENSES if hits <= sense.words), None)
    if sense is None and not hits <= NEUTRAL_TERMS:
        return False
    before, after = _sentence_words(text, start, end)
    if _is_aimed_at_person(text, end, before):
        return False
    if before[-1:] and before[-1] in listed:
        return False
    if sense is None:
        return _PERSON_SUBJECTS.isdisjoint(before[-2:])
    if before[-1:] and before[-1] in sense.not_after:
        return False
    return not sense.context.isdisjoint(before + after) or _has_sense_marker(
        text, start, end, sense, before
    )


def _is_aimed_at_person(text: str, end: int, before: list[str]) -> bool:
    """Check whether the word that ends at `end` addresses or targets a person."""
    if not _ADDRESSING_WORDS.isdisjoint(before[-2:]):
        return True
    return _AIMED_AFTER.match(text, end) is not None


def _has_sense_marker(
    text: str, start: int, end: int, sense: SecondSense, before: list[str]
) -> bool:
    """Check for what selects `sense` other than its context words.

    These are a noun after the word's possessive with an article before it
    ("an ass's head", but not "your ass's head") and, for a sports position,
    a play verb right before it ("playing hooker", "plays at hooker") or an
    age group in its sentence ("under 16s").
    """
    possessed = _POSSESSED.match(text, end)
    if (
        possessed is not None
        and possessed.group(1).lower() in sense.possessed
        and before[-1:] in (["a"], ["an"], ["the"])
    ):
        return True
    if not sense.sport_position:
        return False
    if before[-1:] and before[-1] in _PLAY_VERBS:
        return True
    if before[-2:-1] and before[-2] in _PLAY_VERBS and before[-1] == "at":
        return True
    head, tail = _sentence_around(text, start, end)
    return _AGE_GROUP.search(head) is not None or _AGE_GROUP.search(tail) is not None


def _sentence_words(text: str, start: int, end: int) -> tuple[list[str], list[str]]:
    """Return the lower-case words of the sentence before and after `text[start:end]`.

    Apostrophes are dropped ("you're" is "youre"). The sentence is cut at
    _SENTENCE_MARGIN characters either side.
    """
    head, tail = _sentence_around(text, start, end)
    before = [_drop_apostrophe(word) for word in _ASCII_WORD.findall(head)]
    after = [_drop_apostrophe(word) for word in _ASCII_WORD.findall(tail)]
    return before, after


def _sentence_around(text: str, start: int, end: int) -> tuple[str, str]:
    """Return the lower-case text of the sentence before and after `text[start:end]`.

    The sentence is cut at _SENTENCE_MARGIN characters either side.
    """
    head = fold_case(text[max(0, start - _SENTENCE_MARGIN) : start])
    tail = fold_case(text[end : end + _SENTENCE_MARGIN])
    return _SENTENCE_END.split(head)[-1], _SENTENCE_END.split(tail)[0]


def _drop_apostrophe(word: str) -> str:
    return word.replace("'", "").replace("\u2019", "")


def _spaced_words(text: str, words: _WordSets) -> Iterator[tuple[int, int]]:
    """Find offensive words spelled with one separator between letters."""
    starts = _spaced_starts(text)
    if not starts:
        return
    for match in matches_at(_SPACED, text, starts):
        positions = [
            i for i in range(match.start(), match.end()) if text[i] not in _SEPARATORS
        ]
        found = _spaced_word(text, positions, words.spaced)
        if found is not None:
            yield found


def _spaced_starts(text: str) -> list[int]:
    """Return positions that include every start of a `_SPACED` match."""
    if text.isascii():
        return list(_ascii_spaced_starts(text))
    return [
        match.start() - 1
        for separator, pattern in _SPACED_STARTS
        if separator in text
        for match in pattern.finditer(text)
    ]


def _ascii_spaced_starts(text: str) -> Iterator[int]:
    """Yield where ASCII `text` has three one-character words in a row.

    Every `_SPACED` match starts so. With letters and digits as "a" and
    every other character as a space, such a place reads " a a a". A `re`
    search for that literal skips ahead faster than the `_SPACED_STARTS`
    patterns, which test a lookbehind at every separator, and faster than
    `bytes.find`, whose skip table is no help in text of two byte values.
    """
    shape = b" " + text.encode("ascii").translate(_ALNUM_AS_A)
    match = _THREE_SHORT_WORDS.search(shape)
    while match is not None:
        # shape[start] is the space before the first word, which is
        # text[start - 1], so the word starts at text[start].
        yield match.start()
        match = _THREE_SHORT_WORDS.search(shape, match.start() + 1)


def _spaced_word(
    text: str, positions: list[int], spaced: frozenset[str]
) -> tuple[int, int] | None:
    """Return the span of the word a spaced-out run spells, or None.

    The whole run must be one listed word, apart from a single-letter word at
    either end. Words inside a run do not count, because letter-spaced
    headings such as "A S S E S S M E N T" would lose their first letters.
    """
    letters = "".join(text[i] for i in positions).lower()
    for first, last in _trimmed_ranges(letters):
        word = letters[first:last]
        if len(word) < 3 or not any(ch.isalpha() for ch in word):
            continue
        if _readings(word) & spaced:
            return positions[first], positions[last - 1] + 1
    return None


def _trimmed_ranges(letters: str) -> list[tuple[int, int]]:
    """Return the run, then the run without a single-letter word at either end."""
    lead = 1 if letters[0] in _LETTER_WORDS else 0
    trail = 1 if letters[-1] in _LETTER_WORDS else 0
    ranges = [(0, len(letters)), (lead, len(letters)), (0, len(letters) - trail)]
    ranges.append((lead, len(letters) - trail))
    return list(dict.fromkeys(ranges))
