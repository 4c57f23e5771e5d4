"""Triage: find a project's sectors and score it against the L-AIF priorities and every partner factory.

Pure functions over plain data (no Kafka, no database): `score` composes the rules of `classify`, `rules` and
`partners`; every rule returns its points and a sentence a staff member can read.
"""

from __future__ import annotations

from contracts.reference import Reference
from services.triage.classify import classify, languages_named
from services.triage.model import Policy, Scores
from services.triage.partners import MILITARY_SECTOR, partner_fit
from services.triage.rules import company_rules, priority_rules, readiness_rules


def score(*, declared: list[str], text: str, data_readiness: str, stage: str, country: str, size: str = "sme",
          reference: Reference, policy: Policy) -> Scores:
    findings = classify(declared, text, policy)
    languages = languages_named(text, policy)
    return Scores(
        sectors=findings,
        priority=priority_rules(findings, reference, policy),
        readiness=readiness_rules(data_readiness, stage, policy),
        company=company_rules(size, policy),
        partner_fit=partner_fit(findings, country, languages, reference, policy),
        languages=languages,
        flags=("military",) if any(f.sector == MILITARY_SECTOR for f in findings) else (),
    )
