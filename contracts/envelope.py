"""The envelope every message travels in: a CloudEvents 1.0 event, our own attributes named as the specification
asks (lower-case letters and digits), so partners' CloudEvents SDKs read and write our topics.

- `correlationid` and `causationid` are the CloudEvents Correlation extension: the journey's first event, and the
  event this one was caused by.
- `dataschema` says which schema `data` follows, with its version (`schema_uri`): a reader refuses a version it
  does not know, as it refused another `schema_version` before.

Until the end of 2027 (contracts/README.md), readers also take the names of the envelope's first form
(`correlation_id`, `causation_id`, `schema_version`), which events already on the topics carry; writers write
only the new ones.

Event ids are derived, not random, when an event is caused by another one: a service that processes the same
message twice then publishes the same event id twice, and every reader's inbox drops the copy.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Payload = TypeVar("Payload", bound=BaseModel)

SPEC_VERSION = "1.0"
_EVENT_ID_NAMESPACE = uuid.UUID("6f1c7a52-3b0e-4d55-9a51-4a1b2c3d4e5f")
_SCHEMA_URN = "urn:aiguillage:schema:"


def derived_event_id(causation_id: str, event_type: str) -> str:
    """The id of the event of type `event_type` caused by message `causation_id`: the same on every redelivery."""
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, f"{causation_id}/{event_type}"))


def schema_uri(event_type: str, version: int) -> str:
    """The `dataschema` of events of `event_type` whose payload follows major version `version` of its schema,
    e.g. 'urn:aiguillage:schema:lu.aif.triage.application-scored:1'."""
    return f"{_SCHEMA_URN}{event_type}:{version}"


class Envelope(BaseModel, Generic[Payload]):
    """A CloudEvents 1.0 envelope in structured JSON mode; the payload is under `data`."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(description="Unique event id; readers use it to drop duplicates.")
    source: str = Field(description="URI-reference of the producing service, e.g. '/aiguillage/triage'.")
    type: str = Field(description="Event type, e.g. 'lu.aif.triage.application-scored'.")
    specversion: Literal["1.0"] = Field(description="CloudEvents version.")
    time: datetime = Field(description="When the fact happened (UTC).")
    subject: str = Field(description="The application id the event is about; also the Kafka message key.")
    datacontenttype: str = Field(default="application/json", description="Media type of `data`.")
    dataschema: str = Field(validation_alias=AliasChoices("dataschema", "schema_version"),
                            description="The payload's schema and its major version (the topic's `v<N>`), e.g. "
                                        "'urn:aiguillage:schema:lu.aif.triage.application-scored:1'.")
    correlationid: str = Field(validation_alias=AliasChoices("correlationid", "correlation_id"),
                               description="Id shared by every event of one application's journey (CloudEvents "
                                           "Correlation extension).")
    causationid: str | None = Field(default=None, validation_alias=AliasChoices("causationid", "causation_id"),
                                    description="Id of the event that caused this one (CloudEvents Correlation "
                                                "extension).")
    data: Payload = Field(description="The event payload.")

    @field_validator("dataschema", mode="before")
    @classmethod
    def _v1_schema_version(cls, value: Any, info: ValidationInfo) -> Any:
        """The first form's `schema_version` N is the `dataschema` of version N of the event type's schema. (The
        first form's names are read by aliases and this field validator, never a validator of the whole event,
        which would take pydantic's reading of JSON off its fast path: a third more time per event.)"""
        return _v1_dataschema(info.data.get("type"), value) or value


def dataschema_of(body: dict[str, Any]) -> object:
    """The `dataschema` an event (JSON, not yet validated) names, in either form."""
    return body.get("dataschema", _v1_dataschema(body.get("type"), body.get("schema_version")))


def _v1_dataschema(event_type: object, schema_version: object) -> str | None:
    """The `dataschema` an event of the first form meant by its `schema_version`, if it names both."""
    if isinstance(event_type, str) and isinstance(schema_version, int) and not isinstance(schema_version, bool):
        return schema_uri(event_type, schema_version)
    return None


def now() -> datetime:
    return datetime.now(UTC)
