"""Retention: an application's personal data is erased when its kind of data has been kept long enough, through
the same erasure as a request (services/intake/privacy.py), in the name of 'retention' with the rule as reason.

    python -m services.intake.retention --dry-run     lists what would be erased, and why; changes nothing
    python -m services.intake.retention               erases it (the running intake publishes the erasures)

intake also applies it every RETENTION_CHECK_SECONDS (an hour; 0: only the command). How long each kind is kept,
from environment variables (days):

    RETENTION_DECLINED_DAYS=365     declined, after the application's last event (its decision, or an email after)
    RETENTION_FORWARDED_DAYS=365    forwarded to a partner factory, after the last event
    RETENTION_REVIEW_DAYS=730       left in staff review, after the last event
    RETENTION_UNDECIDED_DAYS=365    never decided, after submission
    RETENTION_ACCEPTED_DAYS=1825    accepted: while the journey lasts, then this long after it completed or ended
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import now
from contracts.events import JourneyStepRecorded
from services.intake import privacy
from services.intake.models import ApplicationRecord, JourneyRecord
from services.runtime import db
from services.runtime.migrations import SchemaOutOfDate, check_current, database_url
from services.runtime.privacy import ErasedApplication
from services.runtime.reactions import Tx
from services.runtime.service import Runtime

BY = "retention"


class RetentionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETENTION_", extra="ignore")

    declined_days: int = Field(default=365, gt=0)
    forwarded_days: int = Field(default=365, gt=0)
    review_days: int = Field(default=730, gt=0)
    undecided_days: int = Field(default=365, gt=0)
    accepted_days: int = Field(default=5 * 365, gt=0)
    check_seconds: float = Field(default=3600, ge=0)


@dataclass(frozen=True)
class Due:
    """An application whose personal data is due for erasure, and the rule that says so."""

    application_id: str
    reason: str


def rule_of(application: ApplicationRecord, journey_closed: datetime | None, settings: RetentionSettings,
            at: datetime) -> str | None:
    """Why the application's data is due at `at`, or None while it is kept."""
    last_event, submitted = db.as_utc(application.updated_at), db.as_utc(application.created_at)
    kept = {"decline": ("declined", settings.declined_days, last_event),
            "forward": ("forwarded", settings.forwarded_days, last_event),
            "review": ("in staff review", settings.review_days, last_event),
            None: ("never decided", settings.undecided_days, submitted)}
    if application.outcome == "accept_local":
        if journey_closed is None:
            return None  # the journey lasts
        kind, days, since = "accepted, journey closed", settings.accepted_days, db.as_utc(journey_closed)
    else:
        kind, days, since = kept[application.outcome]
    if at - since < timedelta(days=days):
        return None
    return f"retention: {kind} on {since:%Y-%m-%d}, kept {days} days"


def journey_closed_at(records: list[JourneyRecord]) -> datetime | None:
    """When the journey completed or ended, if its latest record closes it (a correction after reopens it)."""
    if not records:
        return None
    latest = max(records, key=lambda record: db.as_utc(record.recorded_at))
    return latest.recorded_at if JourneyStepRecorded.model_validate_json(latest.payload).closes_journey else None


async def due(session: AsyncSession, settings: RetentionSettings, at: datetime) -> list[Due]:
    """Every application not erased yet whose data is due, oldest first."""
    applications = (await session.exec(
        select(ApplicationRecord).where(col(ApplicationRecord.id).not_in(select(ErasedApplication.application_id)))
        .order_by(col(ApplicationRecord.created_at)))).all()
    accepted = [a.id for a in applications if a.outcome == "accept_local"]
    records: dict[str, list[JourneyRecord]] = {}
    for record in (await session.exec(select(JourneyRecord)
                                      .where(col(JourneyRecord.application_id).in_(accepted)))).all():
        records.setdefault(record.application_id, []).append(record)
    found = [(a.id, rule_of(a, journey_closed_at(records.get(a.id, [])), settings, at)) for a in applications]
    return [Due(application_id, reason) for application_id, reason in found if reason]


async def erase_due(sessions: db.SessionFactory, settings: RetentionSettings, at: datetime) -> list[Due]:
    """Erase every application due, each in a transaction of its own; returns them."""
    async with sessions() as session:
        found = await due(session, settings, at)
    for item in found:
        async with sessions() as session:
            try:
                await privacy.stage_erasure(Tx("intake", session), item.application_id, BY, item.reason)
            except privacy.ErasureRefused:
                continue  # erased meanwhile, on request
            await session.commit()
    return found


async def schedule(runtime: Runtime) -> None:
    """At intake's start: apply the retention every RETENTION_CHECK_SECONDS (never for 0)."""
    settings = RetentionSettings()
    if not settings.check_seconds:
        return

    async def work() -> None:
        if await erase_due(runtime.sessions, settings, now()):
            runtime.relay.wake()

    runtime.every(settings.check_seconds, work, "retention")


def listing(found: list[Due], dry_run: bool) -> str:
    verb = "would be erased" if dry_run else "erased"
    lines = [f"{item.application_id}  {verb}: {item.reason}" for item in found]
    return "\n".join(lines + [f"{len(found)} application(s) {verb}."])


async def run(dry_run: bool) -> list[Due]:
    engine = db.make_engine(database_url("intake"))
    try:
        await check_current("intake", engine)
        sessions, settings = db.sessions(engine), RetentionSettings()
        if dry_run:
            async with sessions() as session:
                return await due(session, settings, now())
        return await erase_due(sessions, settings, now())
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.intake.retention", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="list what would be erased and why; change nothing")
    args = parser.parse_args(argv)
    try:
        print(listing(asyncio.run(run(args.dry_run)), args.dry_run))
    except SchemaOutOfDate as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
