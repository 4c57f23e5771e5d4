"""Scoring rules against the home factory's priorities: each returns its points and a sentence a staff member can
read."""

from __future__ import annotations

from contracts.reference import Reference
from services.triage.model import Finding, Policy, Rule


def because(*findings: Finding) -> str:
    declared = any(f.declared for f in findings)
    said = ", ".join(repr(word) for f in findings for word in f.evidence)
    if declared and said:
        return f" (declared; text mentions {said})"
    return " (declared)" if declared else f" (text mentions {said})"


def priority_rules(findings: tuple[Finding, ...], reference: Reference, policy: Policy) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    budget = policy.priority_cap
    for finding in findings:
        if finding.sector in reference.priorities:
            points = min(policy.priority_sector_points, budget)
            budget -= points
            capped = "" if points else f"; the priority fit is already at its cap of {policy.priority_cap}"
            rules.append(Rule("priority-sector", points,
                              f"Sector '{finding.sector}' is one of the {reference.home_name} priorities"
                              f"{because(finding)}{capped}: +{points}"))
    elsewhere = [f for f in findings if f.sector in reference.not_prioritised]
    if elsewhere and not rules:  # one penalty, however many such sectors
        names = " and ".join(f"'{f.sector}'" for f in elsewhere)
        home = reference.home_name
        subject = (f"Sector {names} is not one of the {home} priorities; other AI Factories are further ahead in it"
                   if len(elsewhere) == 1 else
                   f"Sectors {names} are not among the {home} priorities; other AI Factories are further ahead in them")
        rules.append(Rule("not-prioritised", policy.not_prioritised_points,
                          f"{subject}{because(*elsewhere)}: {policy.not_prioritised_points}"))
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


def company_rules(size: str, policy: Policy) -> tuple[Rule, ...]:
    points = policy.company_points[size]
    return (Rule("company-type", points, f"The applicant is a{'n' if size[0] in 'aeiou' else ''} "
                                         f"{size.replace('_', ' ')}: +{points}"),)
