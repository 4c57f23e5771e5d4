"""The directory of solution providers, and the suggestion of providers for a project at the matching step.

The directory is data (SOLUTION_PROVIDERS_FILE; a labelled sample ships in the factory profile's journey/). A
provider is suggested when it works in one of the project's sectors or has a skill the project's summary names; it
ranks higher for each shared sector (3 points), for working in the applicant's language (2) and for each skill
named (1). Every suggestion says why, and the expert confirms or changes it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from contracts import profile, reference
from contracts.config_files import ConfigFileError, FileModel, Items, Label, load_yaml

DEFAULT_DIRECTORY = profile.selected().file("solution_providers")
LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "lb": "Luxembourgish", "el": "Greek"}
SECTOR_POINTS, LANGUAGE_POINTS, SKILL_POINTS = 3, 2, 1


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    skills: tuple[str, ...]
    sectors: tuple[str, ...]
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Directory:
    version: str
    sample: bool
    providers: tuple[Provider, ...]


@dataclass(frozen=True)
class Suggestion:
    provider: Provider
    score: int
    reasons: tuple[str, ...]


def load(path: Path | None = None) -> Directory:
    """The file given, else SOLUTION_PROVIDERS_FILE, else the sample; each file is read once (the console's pages and
    forms use it on every request)."""
    return _load(path or Path(os.environ.get("SOLUTION_PROVIDERS_FILE") or DEFAULT_DIRECTORY))


class ProviderEntry(FileModel):
    id: str
    name: str
    skills: Items[str] = ()
    sectors: Items[str] = ()
    languages: Items[str] = ()


class DirectoryFile(FileModel):
    """What SOLUTION_PROVIDERS_FILE holds."""

    version: Label
    sample: bool = False
    providers: list[ProviderEntry]


@cache
def _load(path: Path) -> Directory:
    """The directory in `path`, checked: unique ids, sectors of the vocabulary, known languages."""
    raw = load_yaml(path, DirectoryFile)
    vocabulary = reference.load().sectors
    seen = set()
    for entry in raw.providers:
        where = f"provider {entry.id!r}"
        if entry.id in seen:
            raise ConfigFileError(str(path), f"{where} appears twice")
        seen.add(entry.id)
        if unknown := [s for s in entry.sectors if s not in vocabulary]:
            raise ConfigFileError(str(path), f"{where}: unknown sector(s) {', '.join(unknown)}")
        if unknown := [lang for lang in entry.languages if lang not in LANGUAGE_NAMES]:
            raise ConfigFileError(str(path), f"{where}: unknown language(s) {', '.join(unknown)}; "
                                             f"known: {', '.join(LANGUAGE_NAMES)}")
    providers = tuple(Provider(e.id, e.name, e.skills, e.sectors, e.languages) for e in raw.providers)
    return Directory(raw.version, raw.sample, providers)


def _words(text: str) -> list[str]:
    """Lower-case words without accents, so 'Détection' and 'detection' are the same word."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", plain)


STEM = 6  # letters of a skill's word that a word of the summary must start with


def names_skill(summary_words: list[str], skill: str) -> bool:
    """Whether the summary names the skill: the first six letters of each of its words of four letters or more
    start a word of the summary, so 'fraud detection' is named by 'détecter la fraude' as by 'fraudulent claims
    detection' (a rough stem that carries across English, French and German)."""
    stems = [word[:STEM] for word in _words(skill) if len(word) >= 4]
    return bool(stems) and all(any(w.startswith(stem) for w in summary_words) for stem in stems)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def suggest(directory: Directory, *, sectors: list[str], language: str, summary: str,
            limit: int = 5) -> list[Suggestion]:
    """The providers that fit the project, best first (then by name), each with its reasons."""
    summary_words = _words(summary)
    suggestions = []
    for provider in directory.providers:
        shared = [sector for sector in sectors if sector in provider.sectors]
        skills = [skill for skill in provider.skills if names_skill(summary_words, skill)]
        if not shared and not skills:
            continue  # a shared language alone makes no fit
        reasons = []
        if shared:
            reasons.append(f"Works in {_listed(shared)}, the project's sector{'s' if len(shared) > 1 else ''}.")
        if skills:
            reasons.append(f"Has the skill{'s' if len(skills) > 1 else ''} the project names: {_listed(skills)}.")
        speaks = language in provider.languages
        if speaks:
            reasons.append(f"Works in {LANGUAGE_NAMES[language]}, the applicant's language.")
        score = SECTOR_POINTS * len(shared) + LANGUAGE_POINTS * speaks + SKILL_POINTS * len(skills)
        suggestions.append(Suggestion(provider, score, tuple(reasons)))
    suggestions.sort(key=lambda s: (-s.score, s.provider.name))
    return suggestions[:limit]
