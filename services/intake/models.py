"""intake's own data: the applications it took in, the read model built from everyone's events, and what the
partner bridge keeps (the offers partners without Kafka fetch, the signed requests already seen)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from services.runtime.db import utc_timestamp
from services.runtime.inbox import ProcessedEvent
from services.runtime.outbox import OutboxMessage

# Later statuses win: a decision seen before its scores (different topics) never falls back to 'triaged'.
STATUS_ORDER = ("received", "triaged", "decided")


class ApplicationRecord(SQLModel, table=True):
    __tablename__ = "application"

    id: str = Field(primary_key=True)
    token_hash: str
    channel: str
    status: str = "received"
    submitted: str = Field(description="The ApplicationSubmitted payload, JSON.")
    scores: str | None = Field(default=None, description="The ApplicationScored payload, JSON.")
    decision: str | None = Field(default=None, description="The DecisionMade payload, JSON.")
    created_at: datetime = utc_timestamp()
    updated_at: datetime = utc_timestamp()

    def advance(self, status: str) -> None:
        if STATUS_ORDER.index(status) > STATUS_ORDER.index(self.status):
            self.status = status


class TimelineEntry(SQLModel, table=True):
    __tablename__ = "timeline"

    event_id: str = Field(primary_key=True)
    application_id: str = Field(index=True)
    time: datetime = utc_timestamp()
    event: str
    summary: str
    trace_id: str | None = None


class BridgeOffer(SQLModel, table=True):
    """An offer made to a partner, as the bridge serves it; pending until answered through the bridge or due."""

    __tablename__ = "bridge_offer"

    offer_id: str = Field(primary_key=True)
    factory_id: str = Field(index=True)
    application_id: str
    envelope: str = Field(description="The offer's envelope, JSON: what the partner would read on Kafka.")
    answer_by: datetime = utc_timestamp()
    answer: str | None = None
    answered_at: datetime | None = utc_timestamp(default=None)


class BridgeRequest(SQLModel, table=True):
    """A signed bridge request already taken: the same signature again is a replay. Rows whose timestamp has
    left the replay window can never match a valid request again, and are deleted."""

    __tablename__ = "bridge_request"

    signature: str = Field(primary_key=True)
    factory_id: str
    signed_at: datetime = utc_timestamp(index=True)
    seen_at: datetime = utc_timestamp()


TABLES = (ApplicationRecord, TimelineEntry, OutboxMessage, ProcessedEvent, BridgeOffer, BridgeRequest)
