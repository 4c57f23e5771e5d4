"""Reading an application's text: cleaned of markup and noise, its language told, its sentences and words found.

The language is told by lingua (its models ship in the wheel), among the official languages of the AI
Factories' countries and, so that a text in none of them is recognised as such, a few others applicants may
write in. lingua has no Luxembourgish model: a text it reads as German (or French) is Luxembourgish when
clearly more of its words are Luxembourgish words than German ones (simplemma's dictionaries, as the lexicon keeps
them).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

NETWORK_LANGUAGES = ("en", "fr", "de", "lb", "it", "es", "pt", "nl", "pl", "el", "sv", "fi", "da", "cs", "sk", "sl",
                     "hr", "bg", "ro", "lt", "lv", "et", "hu")
# Told apart so that they are not mistaken for a language of the network; none is read for sectors.
OTHER_LANGUAGES = ("tr", "ru", "uk", "sq", "ca", "nb", "ar", "zh", "ja")

_TAG = re.compile(r"<[^>]{0,200}>")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def normalise(text: str) -> str:
    """Lower case without accents, so 'Énergie', 'energie' and 'ENERGIE' read the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Text:
    title: str
    summary: str
    languages: tuple[str, ...]  # the languages it is written in, most of it first; empty when none is told
    problems: tuple[str, ...]  # what makes it unreadable, in words staff understand

    @property
    def whole(self) -> str:
        return f"{self.title}\n{self.summary}"


def clean(raw: str) -> str:
    """The words of a text: HTML tags and entities, control characters, emoji and other symbols removed."""
    text = html.unescape(_TAG.sub(" ", raw))
    kept = [c if unicodedata.category(c)[0] in "LNPZ" or c == "\n" else " " for c in text]
    return re.sub(r"[ \t\r\f\v\u00a0\u2028\u2029\u0085]+", " ", "".join(kept)).strip()


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def sentences(text: str, limit: int) -> list[str]:
    """Up to `limit` sentences of at least three words, the longest kept when there are more."""
    parts = [part.strip() for part in _SENTENCE_END.split(text) if len(words(part)) >= 3]
    if len(parts) <= limit:
        return parts
    kept = set(sorted(range(len(parts)), key=lambda i: -len(parts[i]))[:limit])
    return [part for i, part in enumerate(parts) if i in kept]


@cache
def _detector():
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    codes = [code for code in (*NETWORK_LANGUAGES, *OTHER_LANGUAGES) if code != "lb"]
    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]
    # Low accuracy mode uses the trigram models only: 40 MB instead of 600, and good on texts of a sentence or more.
    return (LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode()
            .with_preloaded_language_models().build())


def _luxembourgish(text: str) -> bool:
    """More of its words are Luxembourgish only than German only, by the dictionaries' lists of known words (the
    German one is large and knows many Luxembourgish function words; the words only one language has decide)."""
    from services.triage.lexicon import known

    tokens = [normalise(word) for word in words(text)]
    luxembourgish, german = known("lb", tokens), known("de", tokens)
    return int((luxembourgish & ~german).sum()) > int((german & ~luxembourgish).sum())


def detect(text: str, *, second_share: float = 0.25) -> tuple[str, ...]:
    """The languages of the text: the most likely one, and a second one when it holds a good share (mixed text)."""
    if len(words(text)) < 2:
        return ()
    values = _detector().compute_language_confidence_values(text)
    found = [(v.language.iso_code_639_1.name.lower(), v.value) for v in values[:2] if v.value > 0]
    if not found:
        return ()
    languages = [found[0][0]] + [code for code, value in found[1:] if value >= second_share]
    if languages[0] in ("de", "fr") and _luxembourgish(text):
        languages.insert(0, "lb")
    return tuple(dict.fromkeys(languages))


def read(title: str, summary: str, *, min_words: int = 6, max_noise_share: float = 0.5) -> Text:
    """The text cleaned and its languages told, with the problems that make it hard to read."""
    title, summary = clean(title), clean(summary)
    whole = f"{title}\n{summary}"
    tokens = words(whole)
    problems = []
    if len(tokens) < min_words:
        problems.append(f"the description has only {len(tokens)} word{'s' * (len(tokens) != 1)}")
    raw_length = len(title) + len(summary)
    letters = sum(len(token) for token in tokens)
    if raw_length >= 40 and letters / raw_length < max_noise_share:
        problems.append("most of the description is not words (symbols, numbers or markup)")
    languages = detect(whole)
    if tokens and len(tokens) >= 2 and not set(languages) & set(NETWORK_LANGUAGES):
        problems.append("it is written in a language outside the network's languages"
                        + (f" ({languages[0]})" if languages else ""))
    # A text that mixes two languages of the network is read in both: no problem.
    network = tuple(code for code in languages if code in NETWORK_LANGUAGES)
    return Text(title, summary, network, tuple(problems))
