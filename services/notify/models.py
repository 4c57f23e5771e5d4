"""notify's own data: the notices it sent, one per application and notice kind, and the number of the last
decision it acted on for each application."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from services.runtime.db import utc_timestamp
from services.runtime.inbox import ProcessedEvent
from services.runtime.outbox import OutboxMessage


class Notice(SQLModel, table=True):
    __tablename__ = "notice"

    application_id: str = Field(primary_key=True)
    notice_kind: str = Field(primary_key=True)
    message_id: str
    to: str
    subject: str
    language: str
    sent_at: datetime | None = utc_timestamp(default=None)


class LastDecision(SQLModel, table=True):
    """The application's decision notify acted on last: an older decision is not emailed, nor a partner's
    acceptance from before it."""

    __tablename__ = "last_decision"

    application_id: str = Field(primary_key=True)
    sequence: int = Field(default=0, description="DecisionMade.sequence; 0: none yet, or only unnumbered ones.")
    decided_at: datetime | None = utc_timestamp(default=None, description="The decision's time (its envelope's).")


TABLES = (Notice, LastDecision, OutboxMessage, ProcessedEvent)
