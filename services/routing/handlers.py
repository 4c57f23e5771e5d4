"""Routing's reaction: an application was scored, so decide where it goes."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from contracts import profile
from contracts.config_files import FileModel, load_yaml
from contracts.events import ApplicationScored, DecisionMade, PartnerFit
from contracts.reference import Factory, Reference
from services.routing import decisions
from services.routing.domain import Candidate, Case, Policy, Scope, Sector, decide

DEFAULT_POLICY = profile.selected().file("routing_policy")


class PolicyFile(FileModel):
    """routing/policy.yaml of the factory profile: the rules' thresholds (services/routing/domain.py says what each
    one does)."""

    version: str
    accept_readiness_min: int
    forward_min_score: int
    tie_margin: int = Field(default=0, ge=0)
    purpose_sectors: list[str] = []
    declared_only_min: int = Field(default=3, ge=1)


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    """The policy; a key the file should not hold, or a value of the wrong type, stops the service at start-up."""
    policy = load_yaml(path, PolicyFile)
    return Policy(**{**policy.model_dump(), "purpose_sectors": tuple(policy.purpose_sectors)})


def eligible_partners(scored: ApplicationScored) -> list[PartnerFit]:
    """The partners the project may go to: never back to the partner that referred it to us, nor to any factory
    it came through (its hops), and none at all for an offer, which is answered, never passed on."""
    if scored.offer is not None:
        return []
    came_through = {scored.referred_by, *scored.hops}
    return [fit for fit in scored.partner_fit if fit.factory_id not in came_through]


def case_of(scored: ApplicationScored, reference: Reference) -> Case:
    return Case(
        sectors=tuple(Sector(s.sector, s.declared, len(s.evidence)) for s in scored.sectors),
        readiness=scored.readiness_score,
        candidates=tuple(_candidate(f, reference.factory(f.factory_id)) for f in eligible_partners(scored)),
        flags=tuple(scored.flags), languages=tuple(scored.languages), consent_to_share=scored.consent_to_share,
        signals={signal.flag: signal.reason for signal in scored.signals},
        offered_by=reference.factory(scored.offer.factory_id).name if scored.offer else None,
    )


CONFIDENCE = {"high": 2, "medium": 1, "low": 0}


def _candidate(fit: PartnerFit, factory: Factory) -> Candidate:
    return Candidate(fit.factory_id, factory.name, fit.score, tuple(fit.focus_sectors), fit.same_country,
                     fit.specialisation or 0.0, "cross-sector" in factory.sectors,
                     (CONFIDENCE.get(factory.confidence, 0), factory.selected))


def scope_of(reference: Reference) -> Scope:
    home = reference.factory(reference.home_factory)
    return Scope(reference.home_factory, home.country, reference.priorities, reference.not_prioritised,
                 reference.home_name)


def when_application_scored_decide_route(scored: ApplicationScored, reference: Reference,
                                         policy: Policy) -> DecisionMade:
    return decisions.first(scored, decide(case_of(scored, reference), scope_of(reference), policy), reference,
                           policy.version)
