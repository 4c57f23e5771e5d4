"""intake's own data: the applications it took in, the read model built from everyone's events, what the
partner bridge keeps (the offers partners without Kafka fetch, the signed requests already seen), the staff
console's accounts and sessions, and what the door counts (idempotency keys, submissions and sign-in attempts per
window), kept here so that every intake replica sees the same figures."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from contracts.envelope import now
from services.runtime.db import utc_timestamp
from services.runtime.inbox import ProcessedEvent
from services.runtime.outbox import OutboxMessage
from services.runtime.privacy import ErasedApplication

# Later statuses win: a decision seen before its scores (different topics) never falls back to 'triaged'.
STATUS_ORDER = ("received", "triaged", "decided")
# Where an application stands in the staff console's queue (read_model.queue_status), in the queue's order.
QUEUE_STATUSES = {"received": "Received", "in_review": "In review", "waiting": "Waiting for an expert",
                  "offered": "Offered to a partner", "decided": "Decided"}
# Viewers see; experts also record the journey of accepted projects; triagers and admins also override decisions.
STAFF_ROLES = ("viewer", "expert", "triager", "admin")


class ApplicationRecord(SQLModel, table=True):
    __tablename__ = "application"

    id: str = Field(primary_key=True)
    token_hash: str
    channel: str
    status: str = "received"
    submitted: str = Field(description="The ApplicationSubmitted payload, JSON.")
    scores: str | None = Field(default=None, description="The ApplicationScored payload, JSON.")
    decision: str | None = Field(default=None, description="The DecisionMade payload, JSON.")
    created_at: datetime = utc_timestamp(index=True)
    updated_at: datetime = utc_timestamp()
    # What the console's queue sorts and filters on, kept beside the JSON so that a filter is a plain WHERE.
    queue_status: str = Field(default="received", index=True, description="A key of QUEUE_STATUSES.")
    outcome: str | None = Field(default=None, description="The current decision's outcome.")
    factory_id: str | None = Field(default=None, description="The current decision's factory.")
    sectors: str = Field(default="", description="The sectors triage found, as '|finance|insurance|'.")
    referral_step: str | None = Field(default=None, description="The latest step of the referral exchange.")
    referral_factory_id: str | None = Field(default=None, description="The partner that step concerns.")

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
    payload: str | None = Field(default=None, description="The event's payload, JSON, for the console's pages.")
    caused_by: str | None = Field(default=None, description="The id of the event that caused this one.")


class JourneyRecord(SQLModel, table=True):
    """A record of an accepted project's journey (a step, an exit or a correction), as published on
    aif.journey.step-recorded.v1; the journey and its indicators are folded from these rows."""

    __tablename__ = "journey_record"

    event_id: str = Field(primary_key=True)
    application_id: str = Field(index=True)
    recorded_at: datetime = utc_timestamp()
    payload: str = Field(description="The JourneyStepRecorded payload, JSON.")


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


class StaffAccount(SQLModel, table=True):
    """A named member of the intake staff (console/staff.py creates them); the password is kept only as
    its Argon2id hash. A disabled account cannot sign in, and its sessions end."""

    __tablename__ = "staff_account"

    username: str = Field(primary_key=True)
    name: str
    role: str = Field(description="viewer, triager or admin.")
    password_hash: str
    active: bool = True
    created_at: datetime = utc_timestamp(default_factory=now)


class StaffSession(SQLModel, table=True):
    """A signed-in staff member. Only the hash of the session id is kept: the database alone opens no session."""

    __tablename__ = "staff_session"

    id_hash: str = Field(primary_key=True)
    username: str = Field(foreign_key="staff_account.username", index=True)
    created_at: datetime = utc_timestamp()
    expires_at: datetime = utc_timestamp()


class IdempotencyKey(SQLModel, table=True):
    """A submission's `Idempotency-Key` (or the web form's one-time token), kept for IDEMPOTENCY_KEY_HOURS: the
    same key with the same body gets the application it made. Only hashes are kept: of the key with the client
    it belongs to, and of the body; the status link's secret is derived from the key and `token_salt`, so this
    table alone opens no status link."""

    __tablename__ = "idempotency_key"

    key_hash: str = Field(primary_key=True, description="SHA-256 of the client's scope and the key.")
    body_hash: str = Field(description="SHA-256 of the request body (the JSON, or the form's fields).")
    application_id: str
    token_salt: str
    created_at: datetime = utc_timestamp(index=True)


class ThrottleCount(SQLModel, table=True):
    """How many times something happened in one window, for a key such as a sign-in account or a recipient's
    address hash: counted by one atomic upsert, so parallel requests and replicas count alike."""

    __tablename__ = "throttle_count"

    key: str = Field(primary_key=True)
    window_start: int = Field(primary_key=True, description="Unix seconds at which the window began.")
    count: int = 0
    expires_at: datetime = utc_timestamp(index=True)


TABLES = (ApplicationRecord, TimelineEntry, JourneyRecord, OutboxMessage, ProcessedEvent, BridgeOffer, BridgeRequest,
          StaffAccount, StaffSession, IdempotencyKey, ThrottleCount, ErasedApplication)
