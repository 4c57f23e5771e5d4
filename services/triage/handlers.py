"""Triage's reaction: an application was submitted, so score it."""

from __future__ import annotations

from contracts.events import (
    Applicant, ApplicationScored, ApplicationSubmitted, PartnerFit, RuleResult, SectorFinding, Signal,
    referring_partner,
)
from contracts.reference import Reference
from services.triage import domain
from services.triage.classify import Semantic
from services.triage.model import Policy


def when_application_submitted_score_it(
    submitted: ApplicationSubmitted, reference: Reference, policy: Policy, semantic: Semantic | None = None
) -> ApplicationScored:
    project = submitted.project
    scores = domain.score(
        declared=project.declared_sectors, title=project.title, summary=project.summary,
        data_readiness=project.data_readiness, stage=project.stage, country=submitted.company.country,
        size=submitted.company.size, reference=reference, policy=policy, semantic=semantic,
    )
    return ApplicationScored(
        application_id=submitted.application_id,
        policy_version=policy.version,
        sectors=[SectorFinding(sector=f.sector, declared=f.declared, evidence=list(f.evidence), layer=f.layer,
                               strong=f.strong if f.layer else None, similarity=f.similarity)
                 for f in scores.sectors],
        priority_score=scores.priority_score,
        readiness_score=scores.readiness_score,
        total_score=scores.total_score,
        rules=[RuleResult(rule=r.rule, points=r.points, reason=r.reason)
               for r in (*scores.priority, *scores.readiness, *scores.company)],
        partner_fit=[PartnerFit(factory_id=f.factory_id, score=f.score, reasons=list(f.reasons),
                                focus_sectors=list(f.focus_sectors), same_country=f.same_country,
                                specialisation=f.specialisation or None)
                     for f in scores.partner_fit],
        languages=list(scores.languages),
        company_country=submitted.company.country,
        company_size=submitted.company.size,
        summary=project.summary, data_readiness=project.data_readiness, stage=project.stage,
        flags=list(scores.flags),
        signals=[Signal(flag=s.flag, evidence=list(s.evidence), reason=s.reason) for s in scores.signals],
        text_languages=list(scores.text_languages),
        referred_by=referring_partner(submitted.channel), hops=submitted.hops, offer=submitted.offer,
        consent_to_share=submitted.consent.share_with_partner_factories,
        applicant=Applicant(
            company_name=submitted.company.name, contact_name=submitted.contact.name,
            email=submitted.contact.email, language=submitted.contact.language, project_title=project.title,
        ),
    )
