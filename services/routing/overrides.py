"""Staff overrides: a staff member's decision replaces the current one (aif.routing.override-requested.v1).

The new decision is made in the staff member's name, from the facts routing decided from, their reason first;
its policy version names the override (decisions.by_staff). What the previous decision set going is undone
first: the referral exchange under way is closed (a late answer changes nothing) and the project leaves its
expert (the assignment is released, not deleted) or the waiting queue. Then the new decision is announced as any
other, and a place left free goes to the waiting queue (reactions.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ApplicationScored, DecisionMade, OverrideRequested
from contracts.reference import Reference
from services.routing import referrals, store
from services.routing.capacity import hand_back
from services.routing.decisions import by_staff as decision_of
from services.runtime.dead_letter import PermanentError


async def when_override_requested(session: AsyncSession, override: OverrideRequested, reference: Reference,
                                  at: datetime) -> tuple[Envelope[ApplicationScored], DecisionMade]:
    """Undo what the current decision set going; returns the scored event the application was decided from and
    the staff member's decision, to announce. An override routing cannot carry out is a PermanentError (a dead
    letter naming why): an application it never decided, or a factory the override may not name."""
    found = await store.decided(session, override.application_id)
    if found is None:
        raise PermanentError(f"override of application {override.application_id}, which routing never decided")
    scored_event, policy_version = found
    if refusal := reference.override_refusal(override.outcome, override.factory_id, scored_event.data.referred_by):
        raise PermanentError(f"override of application {override.application_id}: {refusal}")
    await referrals.close(session, override.application_id)
    await hand_back(session, override.application_id, at)
    return scored_event, decision_of(override, scored_event.data, policy_version, reference)
