"""The one registry of topics: no service writes a topic name by hand.

Every topic is keyed by application id, so one application's events stay in order, and has a dead-letter twin.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from pydantic import BaseModel

from contracts import events
from contracts.envelope import schema_uri

DLQ_SUFFIX = ".dlq"
DEFAULT_PARTITIONS = 3
# The erasure registry is compacted and kept for ever, one record per application (PRIVACY.md); how long the
# other topics keep their records, those with personal data shortest, is infra/topics.py's RETENTION.
REGISTRY_CONFIG = (("cleanup.policy", "compact"), ("retention.ms", "-1"))


@dataclass(frozen=True)
class Topic:
    name: str
    payload: type[BaseModel]
    writer: str
    event_type: str
    schema_version: int = 1
    partitions: int = DEFAULT_PARTITIONS
    key: str = "application_id"
    # On a topic partner factories write: the payload field naming the partner, who must sign the message
    # (contracts/signing.py).
    signed_by: str | None = None
    # On a topic another factory reads, written here: the payload field naming this factory, which signs each
    # message with its own key (the outbox relay does).
    signs: str | None = None
    # Whether its messages carry contact data (names, email addresses, the project's own words): see PRIVACY.md.
    personal_data: bool = False
    # Kafka topic configs of its own, beyond its retention (infra/topics.py creates it with them; its .dlq twin
    # is a dead-letter topic like any other).
    config: tuple[tuple[str, str], ...] = ()

    @property
    def signer(self) -> str | None:
        """The payload field naming the factory that signs each message: the partner that writes it, or this
        factory on what it writes for another; None for a topic no other factory reads or writes."""
        return self.signed_by or self.signs

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX

    @property
    def dataschema(self) -> str:
        """The `dataschema` of its events: readers refuse any other."""
        return schema_uri(self.event_type, self.schema_version)


APPLICATION_SUBMITTED = Topic(
    "aif.intake.application-submitted.v1", events.ApplicationSubmitted, "intake",
    "lu.aif.intake.application-submitted", personal_data=True,
)
APPLICATION_SCORED = Topic(
    "aif.triage.application-scored.v1", events.ApplicationScored, "triage", "lu.aif.triage.application-scored",
    personal_data=True,
)
DECISION_MADE = Topic(
    "aif.routing.decision-made.v1", events.DecisionMade, "routing", "lu.aif.routing.decision-made",
    personal_data=True,
)
EMAIL_SENT = Topic("aif.notify.email-sent.v1", events.EmailSent, "notify", "lu.aif.notify.email-sent",
                   personal_data=True)
# A command, not a fact: staff (through intake's console) ask routing to make their decision the current one.
OVERRIDE_REQUESTED = Topic(
    "aif.routing.override-requested.v1", events.OverrideRequested, "intake", "lu.aif.routing.override-requested",
    personal_data=True,  # the staff member's reason is free text about the applicant
)
REFERRAL_UPDATED = Topic(
    "aif.routing.referral-updated.v1", events.ReferralUpdated, "routing", "lu.aif.routing.referral-updated",
    personal_data=True,
)
REFERRAL_REPLIES = Topic(
    "aif.referrals.replies.v1", events.ReferralReplied, "partner factories", "lu.aif.referrals.replied",
    signed_by="factory_id", personal_data=True,  # the partner's free-text reason
)
REFERRALS_INCOMING = Topic(
    "aif.referrals.incoming.v1", events.ReferralIncoming, "partner factories", "lu.aif.referrals.incoming",
    key="referral_id", signed_by="from_factory", personal_data=True,
)

# Written by intake's staff console when an expert records a step of an accepted project's journey, an exit or a
# correction; routing frees the expert when the journey closes, notify emails the milestones.
JOURNEY_STEP_RECORDED = Topic(
    "aif.journey.step-recorded.v1", events.JourneyStepRecorded, "intake", "lu.aif.journey.step-recorded",
    personal_data=True,
)

# The applicant's data is to be erased: every service erases its copies and keeps the id. Compacted and kept for
# ever, it is the registry of erased applications a replay or a rebuild reads (ids identify no one).
ERASURE_REQUESTED = Topic(
    "aif.privacy.erasure-requested.v1", events.ErasureRequested, "intake", "lu.aif.privacy.erasure-requested",
    config=REGISTRY_CONFIG,
)

ALL: tuple[Topic, ...] = (APPLICATION_SUBMITTED, APPLICATION_SCORED, DECISION_MADE, OVERRIDE_REQUESTED, EMAIL_SENT,
                          REFERRAL_UPDATED, REFERRAL_REPLIES, REFERRALS_INCOMING, JOURNEY_STEP_RECORDED,
                          ERASURE_REQUESTED)
REFERRAL_OFFER_PREFIX = "aif.referrals.to."
REFERRAL_REPLY_PREFIX = "aif.referrals.replies.to."


def referrals_to(factory_id: str) -> Topic:
    """The offers made to partner `factory_id`: written by each referring factory's routing, signed by it, and read
    by that partner only. Between two instances of Aiguillage the topic keeps its name in both clusters: the
    receiver's MirrorMaker copies it from every partner's cluster into its own (infra/federation.py)."""
    return Topic(f"{REFERRAL_OFFER_PREFIX}{factory_id}.v1", events.ReferralOffered, "routing",
                 "lu.aif.referrals.offered", signs="from_factory", personal_data=True)


def offers_arriving(home_factory: str) -> Topic:
    """The offers partners' instances make to the home factory, as its intake reads them: each checked against
    the signature of the factory that offers (`from_factory`)."""
    return replace(referrals_to(home_factory), writer="partner factories' instances", signed_by="from_factory")


def replies_to(factory_id: str) -> Topic:
    """The answers a partner's instance of Aiguillage gives to the offers of `factory_id`, signed by the answering
    factory, copied into `factory_id`'s cluster like the offers (a partner without its own instance answers on
    aif.referrals.replies.v1 instead)."""
    return Topic(f"{REFERRAL_REPLY_PREFIX}{factory_id}.v1", events.ReferralReplied, "routing",
                 "lu.aif.referrals.answered", signed_by="factory_id", signs="factory_id", personal_data=True)


# The offer and answer topics have one name per partner; these stand for them all in the schemas and the AsyncAPI
# document.
OFFERS = referrals_to("{factory_id}")
ANSWERS = replies_to("{factory_id}")
PUBLISHED: tuple[Topic, ...] = (*ALL, OFFERS, ANSWERS)
PIPELINE: tuple[Topic, ...] = (APPLICATION_SUBMITTED, APPLICATION_SCORED, DECISION_MADE, EMAIL_SENT)


def all_topics(factory_ids: list[str]) -> list[Topic]:
    """The registry's topics and, per factory, the topics of the offers to it and of the answers to its offers."""
    return [*ALL, *(per_factory(factory_id) for factory_id in factory_ids
                    for per_factory in (referrals_to, replies_to))]


@functools.cache  # on every record the relay publishes and every record a consumer reads
def by_name(name: str) -> Topic:
    for topic in ALL:
        if topic.name == name:
            return topic
    for prefix, per_factory in ((REFERRAL_REPLY_PREFIX, replies_to), (REFERRAL_OFFER_PREFIX, referrals_to)):
        if name.startswith(prefix) and name.endswith(".v1"):
            return per_factory(name[len(prefix):-len(".v1")])
    raise KeyError(f"no topic named {name!r} in the registry")
