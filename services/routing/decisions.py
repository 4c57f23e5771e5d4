"""Every decision routing announces on aif.routing.decision-made.v1 is built here: routing's first decision, the
expert an accepted project gets, a step of the referral exchange that changes the destination, a waiting project
taken on from the queue, and a staff member's override.

A decision names its policy version and the reasons it rests on: routing's own decisions `<triage version>+<routing
version>`; a project taken from the queue keeps the version of routing's decision for it; an override adds
`+override` to that version and is made in the staff member's name.
"""

from __future__ import annotations

from contracts.events import ApplicationScored, DecisionMade, OverrideRequested
from contracts.reference import Reference
from services.routing.domain import Decision, what_is_shared
from services.routing.experts import Assignment

ROUTING = "routing"
OVERRIDE = "override"
TAKEN_FROM_QUEUE = "An expert's place came free: taken on from the waiting queue."


def first(scored: ApplicationScored, decided: Decision, reference: Reference, policy_version: str) -> DecisionMade:
    """Routing's decision on a scored application: the decision's own sentences first, then that a partner's
    referral is not sent back to it, then the scoring rules the decision rests on."""
    referred = ([f"{reference.factory(scored.referred_by).name} referred the project to {reference.home_place}: "
                 "it is not offered back to them."] if scored.referred_by else [])
    return by_routing(scored, decided.outcome, decided.factory_id,
                      [*decided.reasons, *referred, *(rule.reason for rule in scored.rules)], policy_version)


def by_routing(scored: ApplicationScored, outcome: str, factory_id: str | None, reasons: list[str],
               policy_version: str) -> DecisionMade:
    """A decision routing makes on its own, under its policy `policy_version` (the referral exchange's too)."""
    return _decision(scored, outcome, factory_id, reasons, f"{scored.policy_version}+{policy_version}", ROUTING)


def with_expert(decision: DecisionMade, assignment: Assignment) -> DecisionMade:
    """An acceptance with the expert who takes the project on, or waiting for one; the assignment's sentence comes
    right after the decision's own."""
    expert = assignment.expert
    return decision.model_copy(update={
        "expert_id": expert.id if expert else None, "expert_name": expert.name if expert else None,
        "waiting_for_expert": expert is None,
        "reasons": [decision.reasons[0], assignment.reason, *decision.reasons[1:]],
    })


def taken_from_queue(scored: ApplicationScored, policy_version: str, home_factory: str,
                     assignment: Assignment) -> DecisionMade:
    """A waiting project taken on: accepted by the home factory as before, now with its expert, in routing's name
    and under the policy version of routing's decision for it; the reasons say why the expert came now."""
    assert assignment.expert is not None
    return _decision(scored, "accept_local", home_factory, [TAKEN_FROM_QUEUE, assignment.reason], policy_version,
                     ROUTING, expert_id=assignment.expert.id, expert_name=assignment.expert.name,
                     waiting_for_expert=False, from_waiting_queue=True)


def by_staff(override: OverrideRequested, scored: ApplicationScored, policy_version: str,
             reference: Reference) -> DecisionMade:
    """The staff member's decision, with their reason, and for a forward what is shared with the partner;
    `policy_version` is that of routing's decision it replaces."""
    reasons = [f"Decision changed by {override.requested_by}: {override.reason}"]
    if override.outcome == "forward" and override.factory_id:
        reasons.append(what_is_shared(scored.consent_to_share, reference.factory(override.factory_id).name))
    return _decision(scored, override.outcome, override.factory_id, reasons, f"{policy_version}+{OVERRIDE}",
                     override.requested_by)


def _decision(scored: ApplicationScored, outcome: str, factory_id: str | None, reasons: list[str],
              policy_version: str, decided_by: str, **expert: object) -> DecisionMade:
    return DecisionMade(application_id=scored.application_id, outcome=outcome, factory_id=factory_id,
                        reasons=reasons, policy_version=policy_version, decided_by=decided_by,
                        consent_to_share=scored.consent_to_share, applicant=scored.applicant, **expert)
