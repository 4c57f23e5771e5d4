"""Partner fit: how well each of the other AI Factories suits the project, with reasons.

Sector overlap first (a stated focus counts more than a mention, a declared sector, or one the text shows with
strong evidence, more than one only a weak cue suggests); then the applicant's country (the factory's own, or one
of its consortium or antennas); and for a
language-technology project, the country whose national language it serves (a Greek language model belongs
with the Greek factory; a consortium partner's language counts less).
"""

from __future__ import annotations

from contracts.reference import Factory, Reference
from services.triage.model import Finding, Fit, Policy

LANGUAGE_SECTOR = "language"
MILITARY_SECTOR = "defence"


def _fit(factory: Factory, findings: list[Finding], country: str, languages: tuple[str, ...],
         policy: Policy) -> Fit:
    score, reasons, focus = 0, [], []
    sectors = [finding.sector for finding in findings]
    for finding in findings:
        sector, declared = finding.sector, finding.declared or finding.strong
        if sector in factory.sectors:
            points = policy.partner_focus_points if declared else policy.partner_text_only_focus_points
            score += points
            focus.append(sector)
            reasons.append(f"{factory.acronym} names '{sector}' as a focus: +{points}")
        elif sector in factory.other_sectors:
            points = policy.partner_mention_points if declared else policy.partner_text_only_mention_points
            score += points
            reasons.append(f"{factory.acronym} also works on '{sector}': +{points}")
    if "cross-sector" in factory.sectors and sectors:
        score += policy.partner_generalist_points
        reasons.append(f"{factory.acronym} serves every sector: +{policy.partner_generalist_points}")
    if LANGUAGE_SECTOR in sectors:
        for language_country in languages:
            if language_country == factory.country:
                score += policy.language_host_points
                reasons.append(f"{factory.acronym} is the AI Factory of {language_country}, whose language the "
                               f"project serves: +{policy.language_host_points}")
            elif language_country in factory.partner_countries:
                score += policy.language_consortium_points
                reasons.append(f"{language_country}, whose language the project serves, is a partner of "
                               f"{factory.acronym}: +{policy.language_consortium_points}")
    same_country = factory.tied_to(country)
    if score and same_country:
        score += policy.partner_same_country_points
        where = ("is in the applicant's country" if factory.country == country else
                 "has the applicant's country in its consortium" if country in factory.partner_countries else
                 "has an antenna in the applicant's country")
        reasons.append(f"{factory.acronym} {where} ({country}): +{policy.partner_same_country_points}")
    # How specialised the factory is in what the project does: a short focus list naming the sector beats a long one.
    specialisation = round(len(focus) / len(factory.sectors), 3) if focus else 0.0
    return Fit(factory.id, score, tuple(reasons), tuple(focus), same_country, specialisation)


def partner_fit(findings: tuple[Finding, ...], country: str, languages: tuple[str, ...], reference: Reference,
                policy: Policy) -> tuple[Fit, ...]:
    """Every partner factory's fit, best first (ties broken by specialisation, then id: the order is stable)."""
    civilian = [f for f in findings if f.sector != MILITARY_SECTOR]
    fits = [_fit(factory, civilian, country, languages, policy) for factory in reference.partners]
    return tuple(sorted(fits, key=lambda fit: (-fit.score, -fit.specialisation, fit.factory_id)))
