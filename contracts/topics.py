"""The one registry of topics: no service writes a topic name by hand.

Every topic is keyed by application id, so one application's events stay in order, and has a dead-letter twin.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from contracts import events

DLQ_SUFFIX = ".dlq"
DEFAULT_PARTITIONS = 3


@dataclass(frozen=True)
class Topic:
    name: str
    payload: type[BaseModel]
    writer: str
    event_type: str
    schema_version: int = 1
    partitions: int = DEFAULT_PARTITIONS
    key: str = "application_id"

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX


APPLICATION_SUBMITTED = Topic(
    "aif.intake.application-submitted.v1", events.ApplicationSubmitted, "intake",
    "lu.aif.intake.application-submitted",
)
APPLICATION_SCORED = Topic(
    "aif.triage.application-scored.v1", events.ApplicationScored, "triage", "lu.aif.triage.application-scored"
)
DECISION_MADE = Topic(
    "aif.routing.decision-made.v1", events.DecisionMade, "routing", "lu.aif.routing.decision-made"
)
EMAIL_SENT = Topic("aif.notify.email-sent.v1", events.EmailSent, "notify", "lu.aif.notify.email-sent")

ALL: tuple[Topic, ...] = (APPLICATION_SUBMITTED, APPLICATION_SCORED, DECISION_MADE, EMAIL_SENT)


def all_topic_names() -> list[str]:
    """Every topic with its dead-letter twin, as created on the broker."""
    return [name for topic in ALL for name in (topic.name, topic.dlq)]


def by_name(name: str) -> Topic:
    for topic in ALL:
        if topic.name == name:
            return topic
    raise KeyError(f"no topic named {name!r} in the registry")
