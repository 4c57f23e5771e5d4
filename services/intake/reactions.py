"""intake's one table from topic to reaction: what the service consumes (main.py) and what the read model's
rebuild replays (rebuild.py).

The consumer group ids are the names under which Kafka keeps each reader's offsets: renaming one makes it read
its topics again from the start (tests/unit/test_consumer_groups.py holds them).
"""

from __future__ import annotations

from contracts import reference
from contracts.topics import (
    APPLICATION_SCORED, DECISION_MADE, EMAIL_SENT, ERASURE_REQUESTED, JOURNEY_STEP_RECORDED, REFERRAL_UPDATED,
    REFERRALS_INCOMING,
    offers_arriving, referrals_to,
)
from services.intake import privacy
from services.intake.partners import bridge, incoming
from services.intake.read_model import updates
from services.runtime.partners import PartnerKeys
from services.runtime.reactions import Reactions, on

SERVICE = "intake"


def reactions(partner_keys: PartnerKeys) -> Reactions:
    """`partner_keys`: those of the partners that may refer projects to the home factory (their messages are checked
    against them before the reaction runs)."""
    return Reactions(SERVICE, (
        on(REFERRALS_INCOMING, "intake.incoming-referrals", incoming.when_referral_incoming, signed_by=partner_keys),
        # The offers of partners that run Aiguillage themselves, copied from their clusters by MirrorMaker.
        on(offers_arriving(reference.load().home_factory), "intake.offers", incoming.when_offer_arrives,
           signed_by=partner_keys),
        # Every partner's offers, read by one consumer, for the partners that fetch them over the bridge.
        on([referrals_to(factory.id) for factory in reference.load().partners], "intake.partner-bridge",
           bridge.when_offered),
        on(APPLICATION_SCORED, "intake.read-model.scored", updates.when_application_scored),
        on(DECISION_MADE, "intake.read-model.decisions", updates.when_decision_made),
        on(REFERRAL_UPDATED, "intake.read-model.referrals", updates.when_referral_updated),
        on(EMAIL_SENT, "intake.read-model.emails", updates.when_email_sent),
        # intake's own journey records, read back: found already, or written anew into a rebuilt database; also
        # those of an erased application, whose journey goes on (recorded after the erasure, they name no one;
        # one recorded before is either found, anonymised, or erased again by the erasure that follows it).
        on(JOURNEY_STEP_RECORDED, "intake.read-model.journey", updates.when_journey_step_recorded, erased_too=True),
        # intake's own erasures, read back: found done already, or done anew into a rebuilt database.
        on(ERASURE_REQUESTED, "intake.privacy", privacy.when_erasure_requested),
    ))
