"""The factory profile: the directory of data that makes an instance of Aiguillage one factory's, selected by one
setting, FACTORY_PROFILE (unset: `profiles/default`, a link to the profile the repository runs by default). Every
service reads the same one.

`profile.yaml` holds the factory's identity (its id in the network's reference file, its names, country, the
sender of its emails, its public address), the languages it writes to applicants in, its priorities and, in each
language, the words that name it; beside it are the files the services read as policy and data:

    profile.yaml
    triage/policy.yaml              triage's scoring policy (triage/policies/: earlier ones, for dry runs)
    routing/policy.yaml             routing's thresholds
    routing/experts.yaml            the experts who take accepted projects
    journey/solution_providers.sample.yaml, journey/datasets.sample.yaml   what an expert suggests

Each file but the earlier triage policies is required. A profile without one, or of the wrong shape, stops the
service at start-up with the file and each missing or wrong field.

The texts of the pages, emails and reasons name the factory by `$word` (`$name`, `$of_country`, ...), which
`Profile.worded` fills with the profile's word in the text's language: a text's grammar stays the service's, the
names the profile's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Literal, TypeVar

from contracts.config_files import ConfigFileError, FileModel, Items, load_yaml

DEFAULT_PROFILE = Path(__file__).parents[1] / "profiles" / "default"
Language = Literal["en", "fr", "de"]  # those the pages and emails are written in
LANGUAGES: tuple[Language, ...] = ("en", "fr", "de")
T = TypeVar("T")
FileName = Literal["triage_policy", "earlier_triage_policies", "routing_policy", "experts", "solution_providers",
                   "datasets"]
FILES: dict[FileName, str] = {
    "triage_policy": "triage/policy.yaml",
    "earlier_triage_policies": "triage/policies",
    "routing_policy": "routing/policy.yaml",
    "experts": "routing/experts.yaml",
    "solution_providers": "journey/solution_providers.sample.yaml",
    "datasets": "journey/datasets.sample.yaml",
}
OPTIONAL: frozenset[FileName] = frozenset({"earlier_triage_policies"})  # a profile may keep none


class Priorities(FileModel):
    """The sectors the factory prioritises, those outside its scope, and those it chose not to prioritise."""

    source: str = ""
    sectors: Items[str]
    not_in_scope: Items[str] = ()
    not_prioritised: Items[str] = ()


class Words(FileModel):
    """The words that name the factory and its country in one language, as the texts use them (each profile's
    `profile.yaml` shows them in use)."""

    country: str  # the country as subject or object, with the article the language gives it
    in_country: str  # 'in <country>', with the language's preposition
    of_country: str  # the country's, as a possessive
    the_priorities: str  # its priorities compared with a partner: 'the <country> priorities'
    priorities: str  # its priority sectors in a few words
    priorities_in_full: str  # the same, with the sectors each one covers


class WordsByLanguage(FileModel):
    en: Words
    fr: Words
    de: Words


class ProfileFile(FileModel):
    """What `profile.yaml` holds."""

    factory_id: str
    name: str
    short_name: str
    country: str
    sender: str
    public_base_url: str | None = None  # None: the address the applicant called
    supercomputer: str  # the one applicants' projects run on
    languages: Items[Language]  # those it writes to applicants in
    priorities: Priorities
    words: WordsByLanguage


@dataclass(frozen=True)
class Profile:
    directory: Path
    identity: ProfileFile

    def words(self, language: Language) -> dict[str, str]:
        """What each `$word` of a text in `language` stands for."""
        identity = self.identity
        return {"name": identity.name, "short_name": identity.short_name, "supercomputer": identity.supercomputer,
                **getattr(identity.words, language).model_dump()}

    def worded(self, texts: T, language: Language = "en") -> T:
        """`texts` with each `$word` the profile's word: a text, a tuple of texts, or a dict of them whose keys
        are languages (each text in its key's language) or anything else (nested dicts, in `language`)."""
        if isinstance(texts, str):
            return Template(texts).substitute(self.words(language))  # type: ignore[return-value]
        if isinstance(texts, tuple):
            return tuple(self.worded(text, language) for text in texts)  # type: ignore[return-value]
        if isinstance(texts, dict):
            return {key: self.worded(value, key if key in LANGUAGES else language)  # type: ignore[return-value]
                    for key, value in texts.items()}
        raise TypeError(f"no words to fill in {texts!r}")

    def file(self, name: FileName) -> Path:
        """One of the files beside `profile.yaml` (FILES says where each lies)."""
        return self.directory / FILES[name]


@cache
def load(directory: Path) -> Profile:
    """The profile in `directory`; a missing or wrong `profile.yaml`, or a missing file beside it, raises
    ConfigFileError naming the file and each missing or wrong field."""
    loaded = Profile(directory, load_yaml(directory / "profile.yaml", ProfileFile))
    for name in FILES:
        if name not in OPTIONAL and not loaded.file(name).is_file():
            raise ConfigFileError(str(loaded.file(name)), f"missing: every factory profile holds its {FILES[name]} "
                                                          "(contracts/profile.py)")
    return loaded


def selected() -> Profile:
    """The profile FACTORY_PROFILE names (a directory), else the default one."""
    return load(Path(os.environ.get("FACTORY_PROFILE") or DEFAULT_PROFILE))
