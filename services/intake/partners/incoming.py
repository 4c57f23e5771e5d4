"""Incoming referrals: a partner factory sends a project that fits the home factory, and intake takes it in as an
application like any other, with 'partner:<factory-id>' as its channel (routing never offers it back).

The partner's own referral id names the application: the same referral sent twice, even as two different
messages, is one application.

A partner that runs Aiguillage itself offers the project instead (aif.referrals.to.<home>.v1, copied from its
cluster by MirrorMaker): the offer becomes an application that answers it (`offer`); routing accepts or declines
it by the home factory's own policy and answers the partner. The partner's application id names it here: offered
again, it is the same application, taken in once. An offer the applicant did not consent to share, one whose hop
list names the home factory already, or one made to another factory is refused (a dead letter naming why).
"""

from __future__ import annotations

import uuid

from contracts import reference
from contracts.envelope import Envelope, now
from contracts.events import (
    PARTNER_CHANNEL, ApplicationSubmitted, Company, Consent, OfferAnswered, Project, ReferralIncoming, ReferralOffered,
)
from contracts.topics import APPLICATION_SUBMITTED
from services.intake.applications.take_in import take_in
from services.intake.models import ApplicationRecord
from services.runtime.dead_letter import PermanentError
from services.runtime.reactions import Tx

_REFERRAL_NAMESPACE = uuid.UUID("0d7c3c1e-5a2b-4f0e-8e43-2b6f1d9a7c10")


def application_id_of(referral: ReferralIncoming) -> str:
    return str(uuid.uuid5(_REFERRAL_NAMESPACE, f"{referral.from_factory}/{referral.referral_id}"))


def application_id_of_offer(offer: ReferralOffered) -> str:
    return str(uuid.uuid5(_REFERRAL_NAMESPACE, f"offer:{offer.from_factory}/{offer.application_id}"))


def summary_of(referral: ReferralIncoming, unknown_sectors: list[str]) -> str:
    name = reference.load().factory(referral.from_factory).name
    parts = [f"Referred by {name} (their reference {referral.referral_id})"]
    if referral.note:
        parts.append(f"their note: {referral.note}")
    if unknown_sectors:
        parts.append(f"sectors not in our vocabulary left out: {', '.join(unknown_sectors)}")
    return "; ".join(parts)


async def when_referral_incoming(tx: Tx, envelope: Envelope[ReferralIncoming]) -> None:
    """Take the partner's referral in as an application (signed by that partner, checked before this runs)."""
    referral = envelope.data
    application_id = application_id_of(referral)
    if await tx.get(ApplicationRecord, application_id) is not None:
        return  # the partner sent this referral before
    known = reference.load().sectors
    unknown = [sector for sector in referral.project.declared_sectors if sector not in known]
    project = referral.project.model_copy(update={
        "declared_sectors": [s for s in dict.fromkeys(referral.project.declared_sectors) if s in known]})
    submitted = ApplicationSubmitted(application_id=application_id, submitted_at=now(),
                                     channel=PARTNER_CHANNEL + referral.from_factory, company=referral.company,
                                     contact=referral.contact, project=project, consent=referral.consent,
                                     hops=[referral.from_factory])
    event = tx.follow_up(envelope.id, APPLICATION_SUBMITTED, submitted, subject=application_id,
                         correlation_id=envelope.correlationid)
    take_in(tx, event, summary_of(referral, unknown))


async def when_offer_arrives(tx: Tx, envelope: Envelope[ReferralOffered]) -> None:
    """Take a partner instance's offer in as an application that answers it (signed by the offering factory,
    checked before this runs)."""
    offer, data = envelope.data, reference.load()
    if offer.factory_id != data.home_factory:
        raise PermanentError(f"offer {offer.offer_id} is made to {offer.factory_id}, not to {data.home_factory}")
    if data.home_factory in offer.hops:
        raise PermanentError(f"offer {offer.offer_id}: application {offer.application_id} came through "
                             f"{data.home_factory} already (hops {' > '.join(offer.hops)}); it is not taken in twice")
    if not offer.consent_to_share or offer.contact is None or offer.company_name is None:
        raise PermanentError(f"offer {offer.offer_id} from {offer.from_factory}: the applicant did not consent to "
                             "share their data with partner factories, so nothing of it is taken in")
    application_id = application_id_of_offer(offer)
    if await tx.get(ApplicationRecord, application_id) is not None:
        return  # offered before: one application, taken in once
    project, known = offer.project, data.sectors
    submitted = ApplicationSubmitted(
        application_id=application_id, submitted_at=now(), channel=PARTNER_CHANNEL + offer.from_factory,
        company=Company(name=offer.company_name, size=offer.company_size or "sme",
                        country=offer.company_country or data.factory(offer.from_factory).country),
        contact=offer.contact,
        project=Project(title=project.title, summary=project.summary, stage=project.stage,
                        data_readiness=project.data_readiness,
                        declared_sectors=[sector for sector in project.sectors if sector in known]),
        consent=Consent(share_with_partner_factories=True), hops=offer.hops,
        offer=OfferAnswered(factory_id=offer.from_factory, offer_id=offer.offer_id,
                            application_id=offer.application_id))
    event = tx.follow_up(envelope.id, APPLICATION_SUBMITTED, submitted, subject=application_id,
                         correlation_id=envelope.correlationid)
    name = data.factory(offer.from_factory).name
    take_in(tx, event, f"Offered by {name} (attempt {offer.attempt}, its application {offer.application_id}), "
                       f"to be answered by {offer.answer_by:%Y-%m-%d %H:%M} UTC")
