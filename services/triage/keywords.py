"""The keyword classifier of policy versions up to triage-2026.11.3 (English, French, German), kept so that a dry
run can compare it with the layered classifier on past applications.

Matching ignores case and accents. A keyword matches at the start of a word ('satellit' finds 'satellites'); a
keyword written '*stem' also matches inside a word, for German compounds; one written '=word' only the whole
word ('=polish' finds 'Polish' but not 'polishing'). Phrases listed under a sector's
exclusions are removed before that sector's keywords are sought ('protein language model' is no language
technology, 'cyber defence' no military purpose).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from services.triage.model import Finding, Policy


def normalise(text: str) -> str:
    """Lower case without accents, so 'Énergie', 'energie' and 'ENERGIE' read the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _pattern(keyword: str) -> re.Pattern[str]:
    if keyword.startswith("*"):
        return re.compile(re.escape(normalise(keyword[1:])))
    if keyword.startswith("="):
        return re.compile(rf"\b{re.escape(normalise(keyword[1:]))}\b")
    return re.compile(rf"\b{re.escape(normalise(keyword))}")


@cache
def _core(keyword: str) -> str:
    return normalise(keyword.lstrip("*="))


def _occurs(keyword: str, plain: str) -> bool:
    # A plain substring test first: most keywords are absent, and `in` is far cheaper than a regex.
    return _core(keyword) in plain and _pattern(keyword).search(plain) is not None


def _without(plain: str, phrases: list[str]) -> str:
    for phrase in phrases:
        if _core(phrase) in plain:
            plain = _pattern(phrase).sub(" ", plain)
    return plain


def evidence(plain: str, keywords: list[str]) -> tuple[str, ...]:
    """The keywords (shown without their '*' or '=') that occur in an already normalised text."""
    return tuple(keyword.lstrip("*=") for keyword in keywords if _occurs(keyword, plain))


def classify(declared: list[str], text: str, policy: Policy) -> tuple[Finding, ...]:
    """Sectors from the declared list and from the words of the text, each with the words that point to it."""
    plain = normalise(text)
    findings = []
    for sector in dict.fromkeys([*declared, *policy.keywords]):
        words = evidence(_without(plain, policy.exclusions.get(sector, [])), policy.keywords.get(sector, []))
        if sector in declared or words:
            findings.append(Finding(sector, sector in declared, words))
    return tuple(findings)


def languages_named(text: str, policy: Policy) -> tuple[str, ...]:
    """Countries whose national language the text names ('Greek', 'grec', 'griechisch' -> GR)."""
    plain = normalise(text)
    return tuple(country for country, names in policy.languages.items() if evidence(plain, names))
