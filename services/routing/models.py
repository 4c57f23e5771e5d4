"""routing's data: who carries which accepted project, and which accepted projects wait for an expert;
plus the runtime's outbox and inbox."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from services.runtime.db import utc_timestamp
from services.runtime.inbox import ProcessedEvent
from services.runtime.outbox import OutboxMessage


class ExpertAssignment(SQLModel, table=True):
    __tablename__ = "expert_assignment"

    application_id: str = Field(primary_key=True)
    expert_id: str = Field(index=True)
    assigned_at: datetime = utc_timestamp()
    released_at: datetime | None = utc_timestamp(default=None)


class WaitingForExpert(SQLModel, table=True):
    __tablename__ = "waiting_for_expert"

    application_id: str = Field(primary_key=True)
    sectors: str = Field(description="The project's priority sectors, comma-separated.")
    queued_at: datetime = utc_timestamp(index=True)


TABLES = (ExpertAssignment, WaitingForExpert, OutboxMessage, ProcessedEvent)
