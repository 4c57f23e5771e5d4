"""Taking an accepted project on: count the experts' active projects, assign one or queue the project.

Instances of routing sharing a PostgreSQL database take this lock in turn, so two of them cannot give the
last free place of an expert to two projects.
"""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import now
from services.routing.experts import Assignment, Expert, assign
from services.routing.models import ExpertAssignment, WaitingForExpert
from services.runtime.db import transaction_lock

_CAPACITY_LOCK_KEY = 0x6578_7065  # any constant; scoped to routing's database


async def active_projects(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(ExpertAssignment.expert_id, func.count())
        .where(col(ExpertAssignment.released_at).is_(None)).group_by(col(ExpertAssignment.expert_id)))
    return dict(rows.all())


async def waiting_queue(session: AsyncSession) -> list[WaitingForExpert]:
    return list((await session.exec(select(WaitingForExpert).order_by(col(WaitingForExpert.queued_at)))).all())


async def take_on(session: AsyncSession, application_id: str, sectors: list[str],
                  experts: tuple[Expert, ...]) -> Assignment:
    await transaction_lock(session, _CAPACITY_LOCK_KEY)
    assignment = assign(experts, sectors, await active_projects(session))
    if assignment.expert:
        session.add(ExpertAssignment(application_id=application_id, expert_id=assignment.expert.id,
                                     assigned_at=now()))
    else:
        session.add(WaitingForExpert(application_id=application_id, sectors=",".join(sectors), queued_at=now()))
    return assignment


async def hand_back(session: AsyncSession, application_id: str) -> None:
    """Staff changed the decision: the project leaves its expert, or the waiting queue, and the place is free for
    another. (A change to accept_local then takes it on anew, like any accepted project.)"""
    for table in (ExpertAssignment, WaitingForExpert):
        statement = delete(table).where(col(table.application_id) == application_id)
        await session.exec(statement)  # type: ignore[call-overload]
