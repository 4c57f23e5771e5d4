"""Reference facts: the sector vocabulary and the AI Factories, read from `data/ai_factories.yaml`, seen from the
home factory that the factory profile (contracts/profile.py) names, with its priorities.

A new sector or factory is an edit of that file, not of code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from contracts import profile
from contracts.config_files import ConfigFileError, FileModel, IsoDate, Items, Label, load_yaml

DATA_FILE = Path(__file__).parent / "data" / "ai_factories.yaml"


@dataclass(frozen=True)
class Factory:
    id: str
    name: str
    acronym: str
    country: str
    host: str
    sectors: tuple[str, ...]
    other_sectors: tuple[str, ...]
    website: str | None
    partner_countries: tuple[str, ...] = ()  # countries of the consortium besides the host's
    antenna_countries: tuple[str, ...] = ()  # countries whose AI Factory antenna is linked to it
    referrals_since: str | None = None  # from when routing may choose it (ISO date); None: never
    confidence: str = "low"  # how firmly the sources state its sectors: high, medium or low
    selected: str = ""  # when EuroHPC selected it (ISO date)

    def tied_to(self, country: str) -> bool:
        """The factory is in the country, or the country is in its consortium or has an antenna linked to it."""
        return country == self.country or country in self.partner_countries or country in self.antenna_countries

    @property
    def referral_topic(self) -> str:
        """Where routing offers this factory a referral (the partner message API)."""
        return f"aif.referrals.to.{self.id}.v1"

    @property
    def contact(self) -> str:
        """How an applicant reaches the factory: its web site, else its host."""
        return f"https://{self.website}" if self.website else self.host


@dataclass(frozen=True)
class Reference:
    version: str
    home_factory: str
    home_name: str  # its short name, as the reasons write it
    home_place: str  # its country's name in English, as the reasons write it
    priorities: tuple[str, ...]
    not_in_scope: tuple[str, ...]
    not_prioritised: tuple[str, ...]
    sectors: dict[str, str]
    factories: tuple[Factory, ...]

    @property
    def partners(self) -> tuple[Factory, ...]:
        """The factories routing may offer a project to: every one but the home factory that takes referrals."""
        return tuple(f for f in self.factories if f.id != self.home_factory and f.referrals_since)

    def factory(self, factory_id: str) -> Factory:
        for factory in self.factories:
            if factory.id == factory_id:
                return factory
        raise KeyError(f"unknown factory id {factory_id!r}")

    def override_refusal(self, outcome: str, factory_id: str | None, referred_by: str | None = None) -> str | None:
        """Why a staff override to `outcome` may not name `factory_id`, or None when it may: a forward goes to a
        partner factory, never back to the one that referred the project; an acceptance is the home factory's."""
        if outcome == "forward":
            if not factory_id:
                return "a forward names the partner AI Factory it goes to"
            if factory_id not in {partner.id for partner in self.partners}:
                return f"{factory_id!r} is not a partner AI Factory: a forward goes to one of them"
            if factory_id == referred_by:
                return (f"{self.factory(factory_id).name} referred the project to {self.home_place}: it is not "
                        "forwarded back to them")
        if outcome == "accept_local" and factory_id != self.home_factory:
            return f"an acceptance is by the home factory {self.home_factory!r}, not {factory_id!r}"
        return None


class FactoryEntry(FileModel):
    """One factory under `ai_factories` or `later_ai_factories`."""

    id: str
    name: str
    acronym: str | None = None  # None: its id
    country: str
    partners: Items[str] = ()  # countries of the consortium besides the host's ('NO' quoted: YAML reads NO as false)
    host: str = ""
    supercomputer: str = ""
    batch: int | None = None
    selected: IsoDate = ""
    referrals_since: IsoDate | None = None
    sectors: Items[str] = ()
    sectors_other_mentions: Items[str] = ()
    website: str | None = None  # an address, or a note ('unconfirmed (...)')
    confidence: Literal["high", "medium", "low"] = "low"
    sources: Items[str] = ()


class AntennaEntry(FileModel):
    """One AI Factory antenna: its country counts as tied to the factories it is linked to."""

    country: str
    name: str = ""
    host: str = ""
    linked: Items[str] | Literal["unconfirmed"]
    sectors: Items[str] = ()
    note: str = ""


class ReferenceFile(FileModel):
    """What `data/ai_factories.yaml` holds."""

    version: Label = "unversioned"
    about: str = ""
    sector_vocabulary: dict[str, str]
    ai_factories: Items[FactoryEntry]
    later_ai_factories: Items[FactoryEntry] = ()
    ai_factory_antennas: Items[AntennaEntry] = ()


def _factory(entry: FactoryEntry, antennas: tuple[AntennaEntry, ...]) -> Factory:
    return Factory(
        id=entry.id,
        name=entry.name,
        acronym=entry.acronym or entry.id,
        country=entry.country,
        host=entry.host,
        sectors=entry.sectors,
        other_sectors=entry.sectors_other_mentions,
        website=_address(entry.website),
        partner_countries=entry.partners,
        antenna_countries=tuple(a.country for a in antennas if isinstance(a.linked, tuple) and entry.id in a.linked),
        referrals_since=entry.referrals_since,
        confidence=entry.confidence,
        selected=entry.selected,
    )


def _address(website: str | None) -> str | None:
    """A web address, or None where the reference only has a note ('unconfirmed (...)')."""
    return website if website and " " not in website else None


@cache
def load(path: Path = DATA_FILE) -> Reference:
    """The reference file seen from the selected profile's factory; a file of the wrong shape, or a profile whose
    factory the file does not hold in the profile's country, stops the caller with the file, the key and what it
    expected."""
    raw, home = load_yaml(path, ReferenceFile), profile.selected()
    identity, priorities = home.identity, home.identity.priorities
    countries = {entry.id: entry.country for entry in (*raw.ai_factories, *raw.later_ai_factories)}
    if countries.get(identity.factory_id) != identity.country:
        raise ConfigFileError(str(home.directory / "profile.yaml"),
                              f"factory_id, country: {path} holds no factory {identity.factory_id!r} in "
                              f"{identity.country!r}")
    return Reference(
        version=raw.version,
        home_factory=identity.factory_id,
        home_name=identity.short_name,
        home_place=home.words("en")["country"],
        priorities=priorities.sectors,
        not_in_scope=priorities.not_in_scope,
        not_prioritised=priorities.not_prioritised,
        sectors=dict(raw.sector_vocabulary),
        factories=tuple(_factory(entry, raw.ai_factory_antennas)
                        for entry in (*raw.ai_factories, *raw.later_ai_factories)),
    )
