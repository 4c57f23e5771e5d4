"""routing's data: what each decision was made from, who carries which accepted project, which accepted projects
wait for an expert, and the referral exchanges; plus the runtime's outbox and inbox."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from services.runtime.db import utc_timestamp
from services.runtime.inbox import ProcessedEvent
from services.runtime.outbox import OutboxMessage


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


TABLES = (DecidedApplication, ExpertAssignment, WaitingForExpert, ReferralCase, ReferralOffer, OutboxMessage,
          ProcessedEvent)
