"""The staff console's queue: applications by status, filtered by sector, outcome and factory, newest first, a
page at a time; and the change counter the live refresh watches."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import reference
from services.intake.models import QUEUE_STATUSES, ApplicationRecord, TimelineEntry
from services.runtime.db import as_utc

PAGE_SIZE = 50
OUTCOMES = {"accept_local": "Accepted locally", "forward": "Forwarded to a partner", "decline": "Declined",
            "review": "Staff review"}


@dataclass(frozen=True)
class QueueFilter:
    """What the staff member asked to see; a value the queue does not know counts as no filter."""

    status: str = ""
    sector: str = ""
    outcome: str = ""
    factory: str = ""
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> "QueueFilter":
        data = reference.load()

        def known(name: str, values: Collection[str]) -> str:
            value = params.get(name, "")
            return value if value in values else ""

        page = params.get("page", "1")
        return cls(status=known("status", QUEUE_STATUSES), sector=known("sector", data.sectors),
                   outcome=known("outcome", OUTCOMES), factory=known("factory", [f.id for f in data.factories]),
                   page=int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1)

    def query(self, **changes) -> str:
        """The query string of this filter with `changes`, e.g. the next page; empty values left out."""
        chosen = replace(self, **changes)
        pairs = {"status": chosen.status, "sector": chosen.sector, "outcome": chosen.outcome,
                 "factory": chosen.factory, "page": chosen.page if chosen.page > 1 else ""}
        return urlencode({key: value for key, value in pairs.items() if value})

    def conditions(self, with_status: bool = True) -> list:
        found = []
        if self.status and with_status:
            found.append(col(ApplicationRecord.queue_status) == self.status)
        if self.sector:  # a sector of the vocabulary: no LIKE wildcard can come in
            found.append(col(ApplicationRecord.sectors).like(f"%|{self.sector}|%"))
        if self.outcome:
            found.append(col(ApplicationRecord.outcome) == self.outcome)
        if self.factory:
            found.append(col(ApplicationRecord.factory_id) == self.factory)
        return found


@dataclass(frozen=True)
class Row:
    id: str
    submitted_at: datetime
    company: str
    country: str
    title: str
    sectors: list[str]
    status: str
    outcome: str | None
    factory_id: str | None


@dataclass(frozen=True)
class Queue:
    rows: list[Row]
    total: int
    counts: dict[str, int]  # per queue status, under the other filters
    filter: QueueFilter

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def first(self) -> int:
        return (self.filter.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def row(application: ApplicationRecord) -> Row:
    submitted = json.loads(application.submitted)
    return Row(id=application.id, submitted_at=as_utc(application.created_at),
               company=submitted["company"]["name"], country=submitted["company"]["country"],
               title=submitted["project"]["title"], sectors=[s for s in application.sectors.split("|") if s],
               status=application.queue_status, outcome=application.outcome, factory_id=application.factory_id)


async def load(session: AsyncSession, chosen: QueueFilter) -> Queue:
    conditions = chosen.conditions()
    total = (await session.exec(select(func.count()).select_from(ApplicationRecord).where(*conditions))).one()
    applications = (await session.exec(
        select(ApplicationRecord).where(*conditions)
        .order_by(col(ApplicationRecord.created_at).desc(), col(ApplicationRecord.id))
        .offset((chosen.page - 1) * PAGE_SIZE).limit(PAGE_SIZE))).all()
    counted = (await session.exec(
        select(ApplicationRecord.queue_status, func.count()).where(*chosen.conditions(with_status=False))
        .group_by(col(ApplicationRecord.queue_status)))).all()
    counts = {status: 0 for status in QUEUE_STATUSES} | dict(counted)
    return Queue([row(application) for application in applications], total, counts, chosen)


async def change_counter(session: AsyncSession) -> str:
    """A value that moves whenever the read model does: every change to an application adds a timeline entry
    (taken in, scored, decided, referred, emailed, overridden), and entries are never removed. Read from the
    database, so it moves for a change made through any intake replica."""
    return str((await session.exec(select(func.count()).select_from(TimelineEntry))).one())
