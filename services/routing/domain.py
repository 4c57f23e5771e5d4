"""Routing rules: accept locally, forward to the best partner, decline (outside the civilian scope) or review.

A pure function over the scores; every decision carries the sentences it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["accept_local", "forward", "decline", "review"]


@dataclass(frozen=True)
class Policy:
    version: str
    accept_priority_min: int
    accept_readiness_min: int
    forward_min_score: int
    forward_margin: int


@dataclass(frozen=True)
class Candidate:
    factory_id: str
    name: str
    score: int


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    factory_id: str | None
    reasons: tuple[str, ...]


def decide(*, home_factory: str, priority_score: int, readiness_score: int, flags: list[str],
           best_partner: Candidate | None, consent_to_share: bool, policy: Policy) -> Decision:
    if "military" in flags:
        return Decision("decline", None, (
            "The project describes a military or weapons purpose. The EuroHPC AI Factories serve civilian "
            "applications only, so no AI Factory of the network can take it on.",
        ))
    fits_home = priority_score >= policy.accept_priority_min
    ready = readiness_score >= policy.accept_readiness_min
    partner_better = best_partner is not None and best_partner.score >= max(
        policy.forward_min_score, priority_score + policy.forward_margin)

    if partner_better:
        assert best_partner is not None
        return Decision("forward", best_partner.factory_id, (
            f"{best_partner.name} fits the project better (fit {best_partner.score}) than the L-AIF priorities "
            f"(fit {priority_score}).",
            _consent_sentence(best_partner, consent_to_share),
        ))
    if fits_home and ready:
        return Decision("accept_local", home_factory, (
            f"The project fits the L-AIF priorities (fit {priority_score}, at least {policy.accept_priority_min}) "
            f"and is ready enough (readiness {readiness_score}, at least {policy.accept_readiness_min}).",
        ))
    if fits_home:
        return Decision("review", None, (
            f"The project fits the L-AIF priorities (fit {priority_score}) but its readiness ({readiness_score}) is "
            f"below {policy.accept_readiness_min}: an intake expert will look at it.",
        ))
    return Decision("review", None, (
        f"Neither the L-AIF priorities (fit {priority_score}) nor a partner factory "
        f"(best fit {best_partner.score if best_partner else 0}) reach {policy.forward_min_score}: "
        "an intake expert will look at it.",
    ))


def _consent_sentence(partner: Candidate, consent_to_share: bool) -> str:
    if consent_to_share:
        return f"With the applicant's consent, the application is passed on to {partner.name}."
    return (f"The applicant did not consent to sharing with partner factories, so nothing was sent: "
            f"they are invited to apply to {partner.name} directly.")
