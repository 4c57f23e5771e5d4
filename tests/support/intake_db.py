"""intake's tables in an SQLite file, filled as intake fills them: through `take_in` and the read model's own
reactions, at the times the test tells. For unit tests of what is computed or staged from those tables."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ApplicationSubmitted
from contracts.topics import APPLICATION_SUBMITTED, Topic
from infra import samples
from services.intake.applications.take_in import take_in
from services.intake.models import TABLES
from services.runtime import db
from services.runtime.db import SessionFactory
from services.runtime.messages import follow_up
from services.runtime.reactions import Tx


@asynccontextmanager
async def intake_tables(directory: Path) -> AsyncIterator[SessionFactory]:
    engine = db.make_engine(f"sqlite+aiosqlite:///{directory / 'intake.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=[table.__table__ for table in TABLES])
    try:
        yield db.sessions(engine)
    finally:
        await engine.dispose()


def tx(session: AsyncSession) -> Tx:
    """A transaction of intake's on `session`: what it stages lands in the outbox table, which no relay reads."""
    return Tx("intake", session)


async def submit(session: AsyncSession, at: datetime, sample: samples.Sample = samples.MOSELLE_RE,
                 channel: str = "api") -> Envelope[ApplicationSubmitted]:
    """An application taken in at `at`, as intake takes it in."""
    application_id = str(uuid.uuid4())
    submitted = ApplicationSubmitted(application_id=application_id, submitted_at=at, channel=channel, **sample.body)
    event = tx(session).first_event(APPLICATION_SUBMITTED, submitted, subject=application_id)
    event = event.model_copy(update={"time": at})
    take_in(tx(session), event, "Application received")
    return event


def event_about(application_id: str, topic: Topic, data: BaseModel, at: datetime) -> Envelope:
    """An event of another service about the application, as it arrives at `at`."""
    event = follow_up(str(uuid.uuid4()), topic, data, service=topic.writer, subject=application_id,
                      correlation_id=application_id)
    return event.model_copy(update={"time": at})
