"""The lexical layer's vocabulary, compiled per language: every inflected form of every term, and compounds split.

A term is written once, in its base form, in `vocabulary/` (curated terms per language, and terms taken from
official multilingual classifications). Compiling a language:
- lemmatises each word of each term with simplemma's dictionary for that language, and inverts that
  dictionary: every form whose lemma is a term's word ('Versicherungen', 'versicherte') leads to it;
- adds the word's Snowball stem, for forms the dictionary lacks;
- for languages that write compounds as one word (German, Luxembourgish, Dutch, Swedish, Danish, Finnish), keeps the set of
  the dictionary's words (as 32-bit hashes), so that 'Betrugserkennung' splits into 'Betrug' + 'Erkennung' and
  'Waffelfabrik' into 'Waffel' + 'Fabrik' (never 'Waffe' + 'lfabrik'): a word matches inside a compound only
  where the whole compound splits into known words.
Compiling reads the dictionaries (about a minute for every language); the result is kept in a cache file keyed by
the vocabulary's content and the libraries' versions, built by `python -m services.triage.lexicon build` (or on
first use, in a child process).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import re
import subprocess
import sys
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import Field

from contracts.config_files import FileModel, load_yaml
from services.triage.language import NETWORK_LANGUAGES, normalise, words

log = logging.getLogger(__name__)

VOCABULARY_DIR = Path(__file__).parent / "vocabulary"
CACHE_DIR = Path(os.environ.get("LEXICON_CACHE_DIR", Path(__file__).parents[2] / "var" / "cache"))
FORMAT = 7  # raise when the compiled form changes

# Letters that join the parts of a compound ('Betrug-s-erkennung', 'arbeid-s-markt').
LINKS = {"de": ("s", "es", "n", "en", "e", "er", "ns"), "lb": ("s", "en", "e", "n"), "nl": ("s", "e", "en"),
         "sv": ("s", "a", "u", "o", "e"), "da": ("s", "e"), "fi": ()}
STEMMERS = {"en": "english", "fr": "french", "de": "german", "lb": "german", "it": "italian", "es": "spanish",
            "pt": "portuguese", "nl": "dutch", "pl": "polish", "el": "greek", "sv": "swedish", "fi": "finnish",
            "da": "danish", "cs": "czech", "sk": "czech", "hr": "serbian", "ro": "romanian", "lt": "lithuanian",
            "et": "estonian", "hu": "hungarian"}
SIMPLEMMA = {"hr": "hbs"}  # simplemma's code where it differs
MIN_PART = 3
MIN_SINGLE = 4  # the shortest word that is a term on its own (acronyms in capitals excepted)
MIN_STEMMED = 5  # the shortest word read through its stem when the dictionary does not know its form


@dataclass(frozen=True, slots=True)  # a hundred thousand of them: no __dict__ each
class Term:
    sector: str  # a sector id; for `civilian` terms the sector they speak against
    keys: tuple[str, ...]
    text: str  # as written in the vocabulary
    kind: str  # "strong", "weak", "not" (a phrase that is not the sector), "civilian"
    source: str  # "curated", "eurovoc", ...


@dataclass
class Forms:
    """Every inflected form of the vocabulary's words, by a 64-bit hash (a dictionary of strings would hold
    hundreds of thousands of Python objects per language): sorted hashes, and beside each the key it leads to."""

    keys: tuple[str, ...]
    hashes: np.ndarray  # uint64, sorted; a form leading to two keys appears twice
    leads_to: np.ndarray  # int32: the index in `keys` of each hash's key

    @classmethod
    def of(cls, forms: dict[str, set[str]]) -> Forms:
        keys = tuple(sorted({key for found in forms.values() for key in found}))
        number = {key: i for i, key in enumerate(keys)}
        pairs = sorted((_hash64(form), number[key]) for form, found in forms.items() for key in found)
        return cls(keys, np.array([h for h, _ in pairs], dtype=np.uint64),
                   np.array([k for _, k in pairs], dtype=np.int32))

    def get(self, form: str) -> frozenset[str]:
        h = np.uint64(_hash64(form))
        start, end = np.searchsorted(self.hashes, h, "left"), np.searchsorted(self.hashes, h, "right")
        return frozenset(self.keys[i] for i in self.leads_to[start:end])

    def __len__(self) -> int:
        return len(self.hashes)


def _hash64(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass
class Compiled:
    language: str
    forms: Forms
    stems: dict[str, frozenset[str]]
    terms: dict[str, tuple[Term, ...]]  # by the key of their first word
    known: np.ndarray | None = None  # sorted hashes of the dictionary's words, for splitting compounds
    stats: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hit:
    term: Term
    surface: str  # the words of the text, as written
    start: int  # index of the first word
    end: int  # index after the last word
    in_title: bool
    inside_compound: bool


def _hash(word: str) -> int:
    return zlib.crc32(word.encode("utf-8"))


@lru_cache(maxsize=None)
def _stemmer(language: str):
    import Stemmer

    name = STEMMERS.get(language)
    return Stemmer.Stemmer(name) if name else None


def stem(language: str, word: str) -> str | None:
    stemmer = _stemmer(language)
    return stemmer.stemWord(word) if stemmer else None


# ---------------------------------------------------------------------------------------------------------------
# The vocabulary as written


EUROVOC_FILES = (VOCABULARY_DIR / "eurovoc.jsonl", VOCABULARY_DIR / "eurovoc_sectors.yaml")


class SectorTerms(FileModel):
    strong: list[str] = []  # each shows the sector alone
    weak: list[str] = []  # only beside another cue


class CuratedFile(FileModel):
    """`vocabulary/curated/<language>.yaml`: the team's terms of one language."""

    language: str | None = None  # None: the file's name
    sectors: dict[str, SectorTerms] = {}
    not_: dict[str, list[str]] = Field({}, alias="not")  # by sector: phrases that look like its terms but are not
    civilian: list[str] = []  # words that make a military-looking text civilian


class EurovocSectorsFile(FileModel):
    """`vocabulary/eurovoc_sectors.yaml`: the sector of each EuroVoc microthesaurus, by its id."""

    source_id: str
    microthesauri: dict[str, str]


_QUALIFIER = re.compile(r"\s*\([^)]*\)")


def read_terms() -> dict[str, list[tuple[str, str, str, str]]]:
    """(sector, text, kind, source) of every term, by language: curated terms, then EuroVoc's."""
    terms: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for path in sorted((VOCABULARY_DIR / "curated").glob("*.yaml")):
        raw = load_yaml(path, CuratedFile)
        language = raw.language or path.stem
        for sector, kinds in raw.sectors.items():
            terms[language] += [(sector, text, "strong", "curated") for text in kinds.strong]
            terms[language] += [(sector, text, "weak", "curated") for text in kinds.weak]
        for sector, phrases in raw.not_.items():
            terms[language] += [(sector, text, "not", "curated") for text in phrases]
        terms[language] += [("defence", text, "civilian", "curated") for text in raw.civilian]
    mapping = load_yaml(VOCABULARY_DIR / "eurovoc_sectors.yaml", EurovocSectorsFile).microthesauri
    lines = (VOCABULARY_DIR / "eurovoc.jsonl").read_text(encoding="utf-8").splitlines()[1:]  # the first: the header
    for descriptor in map(json.loads, lines):
        sector = mapping.get((descriptor.get("microthesaurus") or {}).get("id"))
        if sector:
            for language, labels in descriptor["labels"].items():
                terms[language] += [(sector, _QUALIFIER.sub("", label), "weak", "eurovoc") for label in labels]
    return terms


def digest(language: str) -> str:
    """What a language's compiled vocabulary depends on: its curated file, EuroVoc, the libraries, this format."""
    import simplemma
    import Stemmer

    h = hashlib.sha256(f"{FORMAT} {language} {simplemma.__version__} {Stemmer.version()}".encode())
    for path in (VOCABULARY_DIR / "curated" / f"{language}.yaml", *EUROVOC_FILES):
        if path.exists():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------------------
# Compiling


def _lemma(language: str, word: str) -> str:
    import simplemma

    try:
        return simplemma.lemmatize(word, lang=SIMPLEMMA.get(language, language))
    except ValueError:  # a language simplemma lacks
        return word


def _key(language: str, word: str) -> str:
    """A term word's key: its lemma, unless the lemmatiser made another word of it ('ERA5' is no 'essere')."""
    plain, lemma = normalise(word), normalise(_lemma(language, word))
    return lemma if len(lemma) >= MIN_PART and lemma[:3] == plain[:3] else plain


@lru_cache(maxsize=500_000)
def _normalised(word: str) -> str:
    return normalise(word)


def _dictionary(language: str):
    """simplemma's (form, lemma) pairs for a language; none for a language it lacks."""
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    try:
        return DefaultDictionaryFactory(cache_max_size=1).get_dictionary(SIMPLEMMA.get(language, language)).items()
    except ValueError:
        return ()


def known_words(language: str) -> np.ndarray:
    """The sorted hashes of every word simplemma knows in a language (cached apart: the vocabulary does not change
    them)."""
    import simplemma

    path = CACHE_DIR / f"known-{language}-{simplemma.__version__}.npy"
    if path.exists():
        return np.load(path)
    known = set()
    for form, lemma in _dictionary(language):
        known.add(_hash(_normalised(form)))
        known.add(_hash(_normalised(lemma)))
    array = np.array(sorted(known), dtype=np.uint32)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial.npy")
    np.save(partial, array)
    partial.replace(path)
    return array


def _ambiguous_made_weak(language: str, written: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """A term written as strong for two sectors shows neither alone ('malattia' of plants and of people): weak."""
    sectors: dict[str, set[str]] = defaultdict(set)
    for sector, text, kind, _ in written:
        if kind == "strong":
            sectors[normalise(text)].add(sector)
    return [(sector, text, "weak" if kind == "strong" and len(sectors[normalise(text)]) > 1 else kind, source)
            for sector, text, kind, source in written]


def compile_language(language: str, written: list[tuple[str, str, str, str]]) -> Compiled:
    started = time.process_time()
    terms: dict[str, list[Term]] = defaultdict(list)
    forms: dict[str, set[str]] = defaultdict(set)
    keys: set[str] = set()
    written = _ambiguous_made_weak(language, written)
    for sector, text, kind, source in written:
        parts = words(text)
        if not parts:
            continue
        term_keys = tuple(_key(language, part) for part in parts)
        # A single short word is most often a function word of some language ('cada', 'ska', 'die'); an acronym
        # written in capitals ('AML', 'EEG') is kept.
        if len(term_keys) == 1 and len(term_keys[0]) < (2 if text.isupper() else MIN_SINGLE):
            continue
        term = Term(sector, term_keys, text, kind, source)
        terms[term_keys[0]].append(term)
        for part, key in zip(parts, term_keys, strict=True):
            keys.add(key)
            forms[normalise(part)].add(key)
            forms[key].add(key)
    for form, lemma in _dictionary(language):
        key = _normalised(lemma)
        if key in keys:
            plain = _normalised(form)
            if plain[:2] == key[:2]:  # an inflected form keeps its stem's start; the dictionary has strays
                forms[plain].add(key)
    stems: dict[str, set[str]] = defaultdict(set)
    if _stemmer(language):
        for key in keys:
            stems[stem(language, key)].add(key)
    known = known_words(language) if language in LINKS else None
    compiled = Compiled(
        language, Forms.of(forms), {s: frozenset(k) for s, k in stems.items()},
        {key: tuple(t) for key, t in terms.items()},
        known,
        {"terms": sum(map(len, terms.values())), "forms": len(forms), "known_words": 0 if known is None else len(known),
         "seconds": round(time.process_time() - started, 1)})
    return compiled


def _cache_file(language: str) -> Path:
    return CACHE_DIR / f"lexicon-{language}-{digest(language)}.pickle"


def build(languages: tuple[str, ...] = NETWORK_LANGUAGES) -> None:
    """Compile each language whose cache file is missing or stale (`python -m services.triage.lexicon build`)."""
    stale = [language for language in languages if not _cache_file(language).exists()]
    written = read_terms() if stale else {}
    for number, language in enumerate(stale, 1):
        compiled = compile_language(language, written.get(language, []))
        path = _cache_file(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(pickle.dumps(compiled, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(path)  # nothing half-written is ever read
        for old in path.parent.glob(f"lexicon-{language}-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
        stats = compiled.stats
        print(f"lexicon {number:2}/{len(stale)} {language}: {stats['terms']} terms, {stats['forms']} forms, "
              f"{stats['known_words']} known words for compounds ({stats['seconds']} s)", file=sys.stderr, flush=True)


@lru_cache(maxsize=1)
def load() -> dict[str, Compiled]:
    """The compiled vocabulary of every language, compiled first (in a child process) where the cache lacks it."""
    if any(not _cache_file(language).exists() for language in NETWORK_LANGUAGES):
        log.warning("compiling the lexicon into %s (a minute or two, once)", CACHE_DIR)
        subprocess.run([sys.executable, "-m", "services.triage.lexicon", "build"], check=True,
                       env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    return {language: pickle.loads(_cache_file(language).read_bytes()) for language in NETWORK_LANGUAGES}


# ---------------------------------------------------------------------------------------------------------------
# Matching


class Matcher:
    """Finds the vocabulary's terms in a text of a given language."""

    def __init__(self, compiled: Compiled):
        self.c = compiled

    @lru_cache(maxsize=32768)  # noqa: B019 - one matcher per language, kept for the process's life
    def _direct(self, word: str) -> frozenset[str]:
        found = self.c.forms.get(word)
        if found:
            return found
        stemmed = stem(self.c.language, word) if len(word) >= MIN_STEMMED else None
        if stemmed and len(stemmed) < MIN_SINGLE:
            return frozenset()
        return self.c.stems.get(stemmed, frozenset()) if stemmed else frozenset()

    def keys(self, word: str) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
        """The keys of a word (normalised), and those of the parts of a compound when the word is one."""
        direct = self._direct(word)
        if direct or self.c.known is None or len(word) < 2 * MIN_PART + 1:
            return direct, ()
        return direct, tuple(k for k in (self._direct(part) for part in self.split(word)) if k)

    @lru_cache(maxsize=65536)  # noqa: B019 - one matcher per language, kept for the process's life
    def split(self, word: str) -> tuple[str, ...]:
        """The parts of a compound, each a known word (a joining letter dropped), fewest parts first; () if none."""
        n, links, known = len(word), LINKS.get(self.c.language, ()), self.c.known
        spans = [(i, j) for i in range(n) for j in range(i + MIN_PART, n + 1) if (i, j) != (0, n)]
        hashes = np.array([_hash(word[i:j]) for i, j in spans], dtype=np.uint32)
        index = np.searchsorted(known, hashes)
        index[index >= len(known)] = 0
        is_word = {span for span, hit in zip(spans, known[index] == hashes, strict=True) if hit}
        best: list[tuple[int, tuple[str, ...]] | None] = [None] * (n + 1)
        best[0] = (0, ())
        for j in range(MIN_PART, n + 1):
            for i in range(0, j - MIN_PART + 1):
                if best[i] is None:
                    continue
                part = None
                if (i, j) in is_word:
                    part = word[i:j]
                elif j < n:
                    part = next((word[i:j - len(link)] for link in links
                                 if word[j - len(link):j] == link and (i, j - len(link)) in is_word), None)
                if part is not None:
                    candidate = (best[i][0] + 1, (*best[i][1], part))
                    if best[j] is None or candidate[0] < best[j][0]:
                        best[j] = candidate
        return best[n][1] if best[n] and best[n][0] >= 2 else ()

    def find(self, tokens: list[tuple[str, bool]]) -> list[Hit]:
        """Every term in the tokens (each a word as written and whether it is in the title)."""
        plain = [normalise(surface) for surface, _ in tokens]
        keyed = [self.keys(word) for word in plain]
        hits = []
        for start, (direct, parts) in enumerate(keyed):
            for key in sorted(direct):  # in a fixed order: the same text always gives the same hits
                for term in self.c.terms.get(key, ()):
                    end = start + len(term.keys)
                    if end <= len(keyed) and all(k in keyed[start + offset][0]
                                                 for offset, k in enumerate(term.keys[1:], 1)):
                        hits.append(Hit(term, " ".join(s for s, _ in tokens[start:end]), start, end,
                                        tokens[start][1], False))
            for part in parts:
                for key in sorted(part):
                    for term in self.c.terms.get(key, ()):
                        if len(term.keys) == 1:
                            hits.append(Hit(term, tokens[start][0], start, start + 1, tokens[start][1], True))
        return hits


def known(language: str, words_: list[str]) -> np.ndarray:
    """For each (normalised) word, whether the language's dictionary knows it; all False for a language without
    the list of known words."""
    compiled = load().get(language)
    if compiled is None or compiled.known is None or not words_:
        return np.zeros(len(words_), dtype=bool)
    hashes = np.array([_hash(word) for word in words_], dtype=np.uint32)
    index = np.minimum(np.searchsorted(compiled.known, hashes), len(compiled.known) - 1)
    return compiled.known[index] == hashes


@lru_cache(maxsize=None)
def matcher(language: str) -> Matcher | None:
    compiled = load().get(language)
    return Matcher(compiled) if compiled else None


if __name__ == "__main__":
    if sys.argv[1:] == ["build"]:
        from services.triage import lexicon  # the module itself, so that what is pickled names it, not __main__

        lexicon.build()
    else:
        print("usage: python -m services.triage.lexicon build", file=sys.stderr)
        sys.exit(2)
