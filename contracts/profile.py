"""The factory profile: the directory of data that makes an instance of Aiguillage one factory's (today
`profiles/lux-aif/`), selected by one setting, FACTORY_PROFILE. Every service reads the same one.

`profile.yaml` holds the factory's identity (its id in the network's reference file, its names, country, the
sender of its emails, its public address), the languages it writes to applicants in and its priorities; beside
it are the files the services read as policy and data:

    profile.yaml
    triage/policy.yaml              triage's scoring policy (triage/policies/: earlier ones, for dry runs)
    routing/policy.yaml             routing's thresholds
    routing/experts.yaml            the experts who take accepted projects
    journey/solution_providers.sample.yaml, journey/datasets.sample.yaml   what an expert suggests

A profile of the wrong shape stops the service at start-up with the file and each wrong field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from contracts.config_files import FileModel, Items, load_yaml

DEFAULT_PROFILE = Path(__file__).parents[1] / "profiles" / "lux-aif"


class Priorities(FileModel):
    """The sectors the factory prioritises, those outside its scope, and those it chose not to prioritise."""

    source: str = ""
    sectors: Items[str]
    not_in_scope: Items[str] = ()
    not_prioritised: Items[str] = ()


class ProfileFile(FileModel):
    """What `profile.yaml` holds."""

    factory_id: str
    name: str
    short_name: str
    country: str
    sender: str
    public_base_url: str | None = None  # None: the address the applicant called
    languages: Items[Literal["en", "fr", "de"]]  # among those the pages and emails are written in
    priorities: Priorities


@dataclass(frozen=True)
class Profile:
    directory: Path
    identity: ProfileFile

    @property
    def factory_id(self) -> str:
        return self.identity.factory_id

    @property
    def priorities(self) -> Priorities:
        return self.identity.priorities

    @property
    def triage_policy(self) -> Path:
        return self.directory / "triage" / "policy.yaml"

    @property
    def earlier_triage_policies(self) -> Path:
        return self.directory / "triage" / "policies"

    @property
    def routing_policy(self) -> Path:
        return self.directory / "routing" / "policy.yaml"

    @property
    def experts(self) -> Path:
        return self.directory / "routing" / "experts.yaml"

    @property
    def solution_providers(self) -> Path:
        return self.directory / "journey" / "solution_providers.sample.yaml"

    @property
    def datasets(self) -> Path:
        return self.directory / "journey" / "datasets.sample.yaml"


@cache
def load(directory: Path) -> Profile:
    """The profile in `directory`; a missing or wrong `profile.yaml` raises ConfigFileError naming it and each
    wrong field."""
    return Profile(directory, load_yaml(directory / "profile.yaml", ProfileFile))


def selected() -> Profile:
    """The profile FACTORY_PROFILE names (a directory), else Luxembourg's."""
    return load(Path(os.environ.get("FACTORY_PROFILE") or DEFAULT_PROFILE))
