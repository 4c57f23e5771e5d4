"""intake's own data: the applications it took in, and the read model built from everyone's events."""

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


TABLES = (ApplicationRecord, TimelineEntry, OutboxMessage, ProcessedEvent)
