"""The one registry of topics: no service writes a topic name by hand.

Every topic is keyed by application id, so one application's events stay in order, and has a dead-letter twin.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    # Whether its messages carry contact data (names, email addresses, the project's own words): see PRIVACY.md.
    personal_data: bool = False
    # Kafka topic configs of its own, beyond its retention (infra/topics.py creates it with them; its .dlq twin
    # is a dead-letter topic like any other).
    config: tuple[tuple[str, str], ...] = ()

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


def referrals_to(factory_id: str) -> Topic:
    """The topic only partner `factory_id` reads: the offers made to it."""
    return Topic(f"{REFERRAL_OFFER_PREFIX}{factory_id}.v1", events.ReferralOffered, "routing",
                 "lu.aif.referrals.offered", personal_data=True)


# The offer topics have one name per partner; this one stands for them all in the schemas and the AsyncAPI document.
OFFERS = referrals_to("{factory_id}")
PUBLISHED: tuple[Topic, ...] = (*ALL, OFFERS)
PIPELINE: tuple[Topic, ...] = (APPLICATION_SUBMITTED, APPLICATION_SCORED, DECISION_MADE, EMAIL_SENT)


def all_topics(factory_ids: list[str]) -> list[Topic]:
    """The registry's topics and one offer topic per partner factory."""
    return [*ALL, *(referrals_to(factory_id) for factory_id in factory_ids)]


def by_name(name: str) -> Topic:
    for topic in ALL:
        if topic.name == name:
            return topic
    if name.startswith(REFERRAL_OFFER_PREFIX) and name.endswith(".v1"):
        return referrals_to(name[len(REFERRAL_OFFER_PREFIX):-len(".v1")])
    raise KeyError(f"no topic named {name!r} in the registry")
