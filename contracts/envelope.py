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

from pydantic import BaseModel, ConfigDict, Field, model_validator

Payload = TypeVar("Payload", bound=BaseModel)

SPEC_VERSION = "1.0"
_EVENT_ID_NAMESPACE = uuid.UUID("6f1c7a52-3b0e-4d55-9a51-4a1b2c3d4e5f")
_SCHEMA_URN = "urn:aiguillage:schema:"
# The first form's names, read until the end of 2027, and what each is now.
_V1_NAMES = {"correlation_id": "correlationid", "causation_id": "causationid"}


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
    dataschema: str = Field(description="The payload's schema and its major version (the topic's `v<N>`), e.g. "
                                        "'urn:aiguillage:schema:lu.aif.triage.application-scored:1'.")
    correlationid: str = Field(description="Id shared by every event of one application's journey (CloudEvents "
                                           "Correlation extension).")
    causationid: str | None = Field(default=None, description="Id of the event that caused this one (CloudEvents "
                                                              "Correlation extension).")
    data: Payload = Field(description="The event payload.")

    @model_validator(mode="before")
    @classmethod
    def _read_v1_names(cls, body: Any) -> Any:
        return with_current_names(body) if isinstance(body, dict) else body


def with_current_names(body: dict[str, Any]) -> dict[str, Any]:
    """An event's attributes, those written with the first form's names renamed to today's: `schema_version`
    becomes the `dataschema` it meant."""
    if not (_V1_NAMES.keys() | {"schema_version"}) & body.keys():
        return body
    body = dict(body)
    for old, new in _V1_NAMES.items():
        if old in body:
            body.setdefault(new, body.pop(old))
    version = body.pop("schema_version", None)
    if "dataschema" not in body and (dataschema := _v1_dataschema(body.get("type"), version)):
        body["dataschema"] = dataschema
    return body


def _v1_dataschema(event_type: object, schema_version: object) -> str | None:
    """The `dataschema` an event of the first form meant by its `schema_version`, if it names both."""
    if isinstance(event_type, str) and isinstance(schema_version, int) and not isinstance(schema_version, bool):
        return schema_uri(event_type, schema_version)
    return None


def now() -> datetime:
    return datetime.now(UTC)
