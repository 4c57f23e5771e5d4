"""Triage: find a project's sectors and score it against the home factory's priorities and every partner factory.

Pure functions over plain data (no Kafka, no database): `score` composes the rules of `classify` (or, for a
policy of the keyword era, `keywords`), `rules` and `partners`; every rule returns its points and a sentence a
staff member can read. The semantic layer is handed in (the model is loaded once per process, by the caller).
"""

from __future__ import annotations

from contracts.reference import Reference
from services.triage import keywords
from services.triage.classify import Semantic, classify
from services.triage.model import Policy, Scores
from services.triage.partners import MILITARY_SECTOR, partner_fit
from services.triage.rules import company_rules, priority_rules, readiness_rules


def score(*, declared: list[str], title: str, summary: str, data_readiness: str, stage: str, country: str,
          size: str = "sme", reference: Reference, policy: Policy, semantic: Semantic | None = None) -> Scores:
    text = f"{title}\n{summary}"
    languages = keywords.languages_named(text, policy)
    if policy.classifier is None:
        findings = keywords.classify(declared, text, policy)
        signals, text_languages = (), ()
        flags = ("military",) if any(f.sector == MILITARY_SECTOR for f in findings) else ()
    else:
        found = classify(declared, title, summary, policy.classifier, semantic, policy.home_link,
                         reference.home_place)
        findings, signals, text_languages = found.findings, found.signals, found.text_languages
        flags = tuple(signal.flag for signal in signals)
    civilian = tuple(f for f in findings if f.sector != MILITARY_SECTOR)
    return Scores(
        sectors=findings,
        priority=priority_rules(civilian, reference, policy),
        readiness=readiness_rules(data_readiness, stage, policy),
        company=company_rules(size, policy),
        partner_fit=partner_fit(findings, country, languages, reference, policy),
        languages=languages,
        flags=flags,
        signals=signals,
        text_languages=text_languages,
    )
