"""Staff overrides: a staff member's decision replaces the current one (aif.routing.override-requested.v1).

The new decision is made in the staff member's name, from the facts routing decided from, their reason first;
its policy version names the override. What the previous decision set going is undone first: the referral
exchange under way is closed (a late answer changes nothing) and the project leaves its expert (the assignment
is released, not deleted) or the waiting queue. Then the new decision is announced as any other
(services/routing/main.py: an expert for an acceptance, an exchange with the chosen partner for a forward the
applicant consented to share), and a place left free goes to the waiting queue (services/routing/release.py).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ApplicationScored, DecisionMade, OverrideRequested
from contracts.reference import Reference
from services.routing import referrals
from services.routing.capacity import hand_back
from services.routing.domain import what_is_shared
from services.routing.models import DecidedApplication
from services.runtime.dead_letter import PermanentError

OVERRIDE = "override"


def decision_of(override: OverrideRequested, scored: ApplicationScored, policy_version: str,
                reference: Reference) -> DecisionMade:
    """The staff member's decision, with their reason, and for a forward what is shared with the partner."""
    reasons = [f"Decision changed by {override.requested_by}: {override.reason}"]
    if override.outcome == "forward" and override.factory_id:
        reasons.append(what_is_shared(scored.consent_to_share, reference.factory(override.factory_id).name))
    return DecisionMade(application_id=override.application_id, outcome=override.outcome,
                        factory_id=override.factory_id, reasons=reasons, policy_version=f"{policy_version}+{OVERRIDE}",
                        decided_by=override.requested_by, consent_to_share=scored.consent_to_share,
                        applicant=scored.applicant)


async def when_override_requested(session: AsyncSession, override: OverrideRequested,
                                  reference: Reference) -> tuple[Envelope[ApplicationScored], DecisionMade]:
    """Undo what the current decision set going; returns the scored event the application was decided from and
    the staff member's decision, to announce. An override routing cannot carry out is a PermanentError (a dead
    letter naming why): an application it never decided, or a factory the override may not name."""
    decided = await session.get(DecidedApplication, override.application_id)
    if decided is None:
        raise PermanentError(f"override of application {override.application_id}, which routing never decided")
    scored_event = Envelope[ApplicationScored].model_validate_json(decided.scored_event)
    if refusal := reference.override_refusal(override.outcome, override.factory_id, scored_event.data.referred_by):
        raise PermanentError(f"override of application {override.application_id}: {refusal}")
    await referrals.close(session, override.application_id)
    await hand_back(session, override.application_id)
    return scored_event, decision_of(override, scored_event.data, decided.policy_version, reference)
