"""routing's data: what each decision was made from, who carries which accepted project, which accepted projects
wait for an expert, and the referral exchanges; plus the runtime's outbox and inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from services.runtime.db import utc_timestamp
from services.runtime.inbox import ProcessedEvent
from services.runtime.outbox import OutboxMessage
from services.runtime.privacy import ErasedApplication


class DecidedApplication(SQLModel, table=True):
    """An application routing decided, with the scored event it decided from: a staff override decides it anew
    from the same facts, in the same journey."""

    __tablename__ = "decided_application"

    application_id: str = Field(primary_key=True)
    scored_event: str = Field(description="The ApplicationScored envelope, JSON (with its correlation id).")
    policy_version: str = Field(description="The policy version of routing's own decision.")
    decided_at: datetime = utc_timestamp()
    decisions: int = Field(default=0, description="How many decisions routing announced for the application: "
                                                  "the last one's sequence number (DecisionMade.sequence).")


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



class ReferralCase(SQLModel, table=True):
    """A forwarded application and the partners that may take it, best first."""

    __tablename__ = "referral_case"

    application_id: str = Field(primary_key=True)
    correlation_id: str
    candidates: str = Field(description="JSON list of {factory_id, name, score, reasons}, best first.")
    scored: str = Field(description="The ApplicationScored payload the offers are built from, JSON.")
    status: str = "open"  # open, accepted, exhausted, expired, closed (staff changed the decision)


class ReferralOffer(SQLModel, table=True):
    """An offer to one partner. Its status is also its version: the UPDATE that changes it names the status it
    was read with, and raises StaleDataError if another transaction changed it first. So of a partner's answer,
    the deadline sweep and a staff override that read the same offer, one wins, on PostgreSQL (where the row lock
    makes them take turns anyway) and on SQLite (where SELECT ... FOR UPDATE does nothing); the loser is rolled
    back and, taken again, sees what the winner did."""

    __tablename__ = "referral_offer"

    offer_id: str = Field(primary_key=True)
    application_id: str = Field(index=True)
    factory_id: str
    attempt: int
    # offered, accepted, declined, need_more_information, expired, withdrawn (staff changed the decision)
    status: str = Field(default="offered", index=True)
    offered_at: datetime = utc_timestamp()
    answer_by: datetime = utc_timestamp()
    answered_at: datetime | None = utc_timestamp(default=None)
    reason: str | None = None

    @declared_attr  # type: ignore[misc]
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.status, "version_id_generator": False}


TABLES = (DecidedApplication, ExpertAssignment, WaitingForExpert, ReferralCase, ReferralOffer, OutboxMessage,
          ProcessedEvent, ErasedApplication)
