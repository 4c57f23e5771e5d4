"""notify's own data: the notices it sent, one per application and notice kind, the number of the last decision
it acted on for each application, and the addresses that asked for no more emails."""

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
    to: str = Field(index=True)
    subject: str
    language: str
    sent_at: datetime | None = utc_timestamp(default=None)
    # Why the email was not sent, when it was not: the address asked to stop, or a cap on emails to one address
    # or one domain was reached (services/notify/caps.py).
    held: str | None = None


class StoppedAddress(SQLModel, table=True):
    """An address that asked for no more emails, by its keyed hash (services/notify/stop.py): the address itself
    is not kept."""

    __tablename__ = "stopped_address"

    address_key: str = Field(primary_key=True)
    stopped_at: datetime = utc_timestamp()


class LastDecision(SQLModel, table=True):
    """The application's decision notify acted on last: an older decision is not emailed, nor a partner's
    acceptance from before it."""

    __tablename__ = "last_decision"

    application_id: str = Field(primary_key=True)
    sequence: int = Field(default=0, description="DecisionMade.sequence; 0: none yet, or only unnumbered ones.")
    decided_at: datetime | None = utc_timestamp(default=None, description="The decision's time (its envelope's).")


TABLES = (Notice, LastDecision, StoppedAddress, OutboxMessage, ProcessedEvent, ErasedApplication)
