"""Routing's reaction: an application was scored, so decide where it goes."""

from __future__ import annotations

from pathlib import Path

import yaml

from contracts.events import ApplicationScored, DecisionMade
from contracts.reference import Reference
from services.routing.domain import Candidate, Policy, decide

DEFAULT_POLICY = Path(__file__).parent / "policy.yaml"


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    return Policy(**yaml.safe_load(path.read_text(encoding="utf-8")))


def when_application_scored_decide_route(scored: ApplicationScored, reference: Reference,
                                         policy: Policy) -> DecisionMade:
    best = next((fit for fit in scored.partner_fit if fit.score > 0), None)
    candidate = Candidate(best.factory_id, reference.factory(best.factory_id).name, best.score) if best else None
    decision = decide(
        home_factory=reference.home_factory, priority_score=scored.priority_score,
        readiness_score=scored.readiness_score, flags=scored.flags, best_partner=candidate,
        consent_to_share=scored.consent_to_share, policy=policy,
    )
    return DecisionMade(
        application_id=scored.application_id, outcome=decision.outcome, factory_id=decision.factory_id,
        # The decision's own sentences first, then the scoring rules it rests on.
        reasons=[*decision.reasons, *(rule.reason for rule in scored.rules)], policy_version=f"{scored.policy_version}+{policy.version}",
        decided_by="routing", consent_to_share=scored.consent_to_share, applicant=scored.applicant,
    )
