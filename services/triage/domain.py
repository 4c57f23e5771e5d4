"""Triage rules: find a project's sectors and score it against the L-AIF priorities and every partner factory.

Pure functions over plain data; every rule returns its points and a sentence a staff member can read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from contracts.reference import Reference

MILITARY_SECTOR = "defence"


@dataclass(frozen=True)
class Policy:
    version: str
    priority_sector_points: int
    priority_cap: int
    not_prioritised_points: int
    data_readiness_points: dict[str, int]
    stage_points: dict[str, int]
    partner_focus_points: int
    partner_mention_points: int
    partner_generalist_points: int
    partner_same_country_points: int
    keywords: dict[str, list[str]]


@dataclass(frozen=True)
class Finding:
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


@dataclass(frozen=True)
class Scores:
    sectors: tuple[Finding, ...]
    priority: tuple[Rule, ...]
    readiness: tuple[Rule, ...]
    partner_fit: tuple[Fit, ...]
    flags: tuple[str, ...] = field(default=())

    @property
    def priority_score(self) -> int:
        return sum(rule.points for rule in self.priority)

    @property
    def readiness_score(self) -> int:
        return sum(rule.points for rule in self.readiness)


def normalise(text: str) -> str:
    """Lower case without accents, so 'Énergie', 'energie' and 'ENERGIE' read the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _pattern(keyword: str) -> re.Pattern[str]:
    """'*stem' matches anywhere in a word (German compounds), any other keyword only at a word's start."""
    if keyword.startswith("*"):
        return re.compile(re.escape(normalise(keyword[1:])))
    return re.compile(rf"\b{re.escape(normalise(keyword))}")


def _shown(keyword: str) -> str:
    return keyword.lstrip("*")


def classify(declared: list[str], text: str, policy: Policy) -> tuple[Finding, ...]:
    """Sectors from the declared list and from the words of the text, each with the words that point to it."""
    plain = normalise(text)
    findings = []
    for sector in dict.fromkeys([*declared, *policy.keywords]):
        evidence = tuple(_shown(k) for k in policy.keywords.get(sector, ()) if _pattern(k).search(plain))
        if sector in declared or evidence:
            findings.append(Finding(sector, sector in declared, evidence))
    return tuple(findings)


def priority_rules(findings: tuple[Finding, ...], reference: Reference, policy: Policy) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    budget = policy.priority_cap
    for finding in findings:
        if finding.sector in reference.priorities:
            points = min(policy.priority_sector_points, budget)
            budget -= points
            capped = "" if points else f"; the priority fit is already at its cap of {policy.priority_cap}"
            rules.append(Rule("priority-sector", points,
                              f"Sector '{finding.sector}' is an L-AIF priority{_because(finding)}{capped}: +{points}"))
    elsewhere = [f for f in findings if f.sector in reference.not_prioritised]
    if elsewhere and not rules:  # one penalty, however many such sectors
        names = " and ".join(f"'{f.sector}'" for f in elsewhere)
        subject = (f"Sector {names} is not an L-AIF priority; other AI Factories are further ahead in it"
                   if len(elsewhere) == 1 else
                   f"Sectors {names} are not L-AIF priorities; other AI Factories are further ahead in them")
        rules.append(Rule("not-prioritised", policy.not_prioritised_points,
                          f"{subject}{_because(*elsewhere)}: {policy.not_prioritised_points}"))
    if not findings:
        rules.append(Rule("no-sector", 0, "No sector was declared or recognised in the text: 0"))
    return tuple(rules)


def readiness_rules(data_readiness: str, stage: str, policy: Policy) -> tuple[Rule, ...]:
    data_points = policy.data_readiness_points[data_readiness]
    stage_points = policy.stage_points[stage]
    return (
        Rule("data-readiness", data_points, f"Data readiness is '{data_readiness}': +{data_points}"),
        Rule("project-stage", stage_points, f"Project stage is '{stage}': +{stage_points}"),
    )


def partner_fit(findings: tuple[Finding, ...], country: str, reference: Reference, policy: Policy) -> tuple[Fit, ...]:
    """Every partner factory's fit with the project, best first (ties broken by id, so the order is stable)."""
    sectors = [f.sector for f in findings if f.sector != MILITARY_SECTOR]
    fits = []
    for factory in reference.partners:
        score, reasons = 0, []
        for sector in sectors:
            if sector in factory.sectors:
                score += policy.partner_focus_points
                reasons.append(f"{factory.acronym} names '{sector}' as a focus: +{policy.partner_focus_points}")
            elif sector in factory.other_sectors:
                score += policy.partner_mention_points
                reasons.append(f"{factory.acronym} also works on '{sector}': +{policy.partner_mention_points}")
        if "cross-sector" in factory.sectors and sectors:
            score += policy.partner_generalist_points
            reasons.append(f"{factory.acronym} serves every sector: +{policy.partner_generalist_points}")
        if score and factory.country == country:
            score += policy.partner_same_country_points
            reasons.append(f"{factory.acronym} is in the applicant's country ({country}): "
                           f"+{policy.partner_same_country_points}")
        fits.append(Fit(factory.id, score, tuple(reasons)))
    return tuple(sorted(fits, key=lambda fit: (-fit.score, fit.factory_id)))


def score(*, declared: list[str], text: str, data_readiness: str, stage: str, country: str,
          reference: Reference, policy: Policy) -> Scores:
    findings = classify(declared, text, policy)
    flags = ("military",) if any(f.sector == MILITARY_SECTOR for f in findings) else ()
    return Scores(
        sectors=findings,
        priority=priority_rules(findings, reference, policy),
        readiness=readiness_rules(data_readiness, stage, policy),
        partner_fit=partner_fit(findings, country, reference, policy),
        flags=flags,
    )


def _because(*findings: Finding) -> str:
    declared = any(f.declared for f in findings)
    evidence = [word for f in findings for word in f.evidence]
    said = ", ".join(repr(word) for word in evidence)
    if declared and evidence:
        return f" (declared; text mentions {said})"
    return " (declared)" if declared else f" (text mentions {said})"
