"""The plain data of triage: its policy, what it finds, and the rules' results. No behaviour here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Policy:
    version: str
    priority_sector_points: int
    priority_cap: int
    not_prioritised_points: int
    data_readiness_points: dict[str, int]
    stage_points: dict[str, int]
    company_points: dict[str, int]
    partner_focus_points: int
    partner_mention_points: int
    partner_text_only_focus_points: int
    partner_text_only_mention_points: int
    partner_generalist_points: int
    partner_same_country_points: int
    language_host_points: int
    language_consortium_points: int
    keywords: dict[str, list[str]]
    exclusions: dict[str, list[str]] = field(default_factory=dict)
    languages: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """A sector of the project, with the words of its text that point to it."""

    sector: str
    declared: bool
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    rule: str
    points: int
    reason: str


@dataclass(frozen=True)
class Fit:
    factory_id: str
    score: int
    reasons: tuple[str, ...]
    focus_sectors: tuple[str, ...] = ()
    same_country: bool = False


@dataclass(frozen=True)
class Scores:
    sectors: tuple[Finding, ...]
    priority: tuple[Rule, ...]
    readiness: tuple[Rule, ...]
    company: tuple[Rule, ...]
    partner_fit: tuple[Fit, ...]
    languages: tuple[str, ...] = ()  # countries whose national language the text names
    flags: tuple[str, ...] = ()

    @property
    def priority_score(self) -> int:
        return sum(rule.points for rule in self.priority)

    @property
    def readiness_score(self) -> int:
        return sum(rule.points for rule in self.readiness)

    @property
    def total_score(self) -> int:
        return self.priority_score + self.readiness_score + sum(rule.points for rule in self.company)
