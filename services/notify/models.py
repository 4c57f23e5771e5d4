"""notify's own data: the notices it sent, one per application and notice kind."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from services.runtime.db import utc_timestamp
from services.runtime.inbox import ProcessedEvent
from services.runtime.outbox import OutboxMessage
from services.runtime.privacy import ErasedApplication


class Notice(SQLModel, table=True):
    __tablename__ = "notice"

    application_id: str = Field(primary_key=True)
    notice_kind: str = Field(primary_key=True)
    message_id: str
    to: str
    subject: str
    language: str
    sent_at: datetime | None = utc_timestamp(default=None)


TABLES = (Notice, OutboxMessage, ProcessedEvent, ErasedApplication)
