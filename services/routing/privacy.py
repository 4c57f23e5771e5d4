"""Erasure, routing's side: what each decision was made from and the referral exchange lose the applicant's
contact data and words; the expert assignments and the waiting queue, which hold none, stay as they are (they are
the experts' load)."""

from __future__ import annotations

from sqlmodel import col, select

from contracts.envelope import Envelope
from contracts.events import ErasureRequested
from services.routing.models import DecidedApplication, ReferralCase, ReferralOffer
from services.runtime import privacy
from services.runtime.reactions import Tx


async def when_erasure_requested(tx: Tx, envelope: Envelope[ErasureRequested]) -> None:
    application_id = envelope.data.application_id
    decided = await tx.get(DecidedApplication, application_id)
    if decided is not None:
        decided.scored_event = privacy.anonymised_envelope(decided.scored_event)
        tx.add(decided)
    case = await tx.get(ReferralCase, application_id)
    if case is not None:
        case.scored = privacy.anonymised_json(case.scored) or case.scored
        tx.add(case)
    offers = (await tx.exec(select(ReferralOffer).where(col(ReferralOffer.application_id) == application_id))).all()
    for offer in offers:
        if offer.reason is not None:  # a partner's own words about the project
            offer.reason = privacy.ERASED
            tx.add(offer)
    await privacy.register(tx.session, envelope.data)
