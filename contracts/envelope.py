"""The envelope every message travels in: CloudEvents 1.0 attributes (structured JSON mode) plus our own.

Event ids are derived, not random, when an event is caused by another one: a service that processes the same
message twice then publishes the same event id twice, and every reader's inbox drops the copy.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Payload = TypeVar("Payload", bound=BaseModel)

SPEC_VERSION = "1.0"
_EVENT_ID_NAMESPACE = uuid.UUID("6f1c7a52-3b0e-4d55-9a51-4a1b2c3d4e5f")


def derived_event_id(causation_id: str, event_type: str) -> str:
    """The id of the event of type `event_type` caused by message `causation_id`: the same on every redelivery."""
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, f"{causation_id}/{event_type}"))


class Envelope(BaseModel, Generic[Payload]):
    """A CloudEvents 1.0 envelope in structured JSON mode; the payload is under `data`."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(description="Unique event id; readers use it to drop duplicates.")
    source: str = Field(description="URI-reference of the producing service, e.g. '/aiguillage/triage'.")
    type: str = Field(description="Event type, e.g. 'lu.aif.triage.application-scored'.")
    specversion: str = Field(default=SPEC_VERSION, description="CloudEvents version.")
    time: datetime = Field(description="When the fact happened (UTC).")
    subject: str = Field(description="The application id the event is about; also the Kafka message key.")
    datacontenttype: str = Field(default="application/json", description="Media type of `data`.")
    correlation_id: str = Field(description="Id shared by every event of one application's journey.")
    causation_id: str | None = Field(default=None, description="Id of the event that caused this one.")
    schema_version: int = Field(description="Major version of the payload schema (the topic's `v<N>`).")
    data: Payload = Field(description="The event payload.")


def now() -> datetime:
    return datetime.now(UTC)
