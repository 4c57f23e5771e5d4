"""Incoming referrals: a partner factory sends a project that fits the home factory, and intake takes it in as an
application like any other, with 'partner:<factory-id>' as its channel (routing never offers it back).

The partner's own referral id names the application: the same referral sent twice, even as two different
messages, is one application.
"""

from __future__ import annotations

import uuid

from contracts import reference
from contracts.envelope import Envelope, now
from contracts.events import PARTNER_CHANNEL, ApplicationSubmitted, ReferralIncoming
from contracts.topics import APPLICATION_SUBMITTED
from services.intake.applications.take_in import take_in
from services.intake.models import ApplicationRecord
from services.runtime.reactions import Tx

_REFERRAL_NAMESPACE = uuid.UUID("0d7c3c1e-5a2b-4f0e-8e43-2b6f1d9a7c10")


def application_id_of(referral: ReferralIncoming) -> str:
    return str(uuid.uuid5(_REFERRAL_NAMESPACE, f"{referral.from_factory}/{referral.referral_id}"))


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
                                     contact=referral.contact, project=project, consent=referral.consent)
    event = tx.follow_up(envelope.id, APPLICATION_SUBMITTED, submitted, subject=application_id,
                         correlation_id=envelope.correlationid)
    take_in(tx, event, summary_of(referral, unknown))
