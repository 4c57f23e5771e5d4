"""Reference facts: the sector vocabulary and the AI Factories, read from `data/ai_factories.yaml`.

A new sector or factory is an edit of that file, not of code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

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
                return (f"{self.factory(factory_id).name} referred the project to Luxembourg: it is not forwarded "
                        "back to them")
        if outcome == "accept_local" and factory_id != self.home_factory:
            return f"an acceptance is by the home factory {self.home_factory!r}, not {factory_id!r}"
        return None


def _factory(raw: dict, antennas: list[dict]) -> Factory:
    return Factory(
        id=raw["id"],
        name=raw["name"],
        acronym=raw.get("acronym", raw["id"]),
        country=raw["country"],
        host=raw.get("host", ""),
        sectors=tuple(raw.get("sectors", ())),
        other_sectors=tuple(raw.get("sectors_other_mentions", ())),
        website=_address(raw.get("website")),
        partner_countries=tuple(str(country) for country in raw.get("partners", ())),
        antenna_countries=tuple(str(a["country"]) for a in antennas
                                if isinstance(a.get("linked"), list) and raw["id"] in a["linked"]),
        referrals_since=str(raw["referrals_since"]) if raw.get("referrals_since") else None,
        confidence=str(raw.get("confidence", "low")),
        selected=str(raw.get("selected", "")),
    )


def _address(website: str | None) -> str | None:
    """A web address, or None where the reference only has a note ('unconfirmed (...)')."""
    return website if website and " " not in website else None


@cache
def load(path: Path = DATA_FILE) -> Reference:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    home = raw["home_priorities"]
    return Reference(
        version=str(raw.get("version", "unversioned")),
        home_factory=raw["home_factory"],
        priorities=tuple(home["sectors"]),
        not_in_scope=tuple(home.get("not_in_scope", ())),
        not_prioritised=tuple(home.get("not_prioritised", ())),
        sectors=dict(raw["sector_vocabulary"]),
        factories=tuple(_factory(f, raw.get("ai_factory_antennas") or [])
                        for f in (*raw["ai_factories"], *(raw.get("later_ai_factories") or []))),
    )
