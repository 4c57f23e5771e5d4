"""Taking an accepted project on and letting it go: count the experts' active projects, assign one or queue the
project; release the assignment when the project's journey closes or staff change the decision; give a freed
place to the oldest waiting project an expert can now take.

Every change of who carries what happens under one lock: instances of routing sharing a PostgreSQL database
take it in turn, so two of them cannot give the last free place of an expert to two projects, nor one freed
place to two waiting projects.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import now
from services.routing.experts import Assignment, Expert, Waiting, assign, next_from_queue
from services.routing.models import ExpertAssignment, WaitingForExpert
from services.runtime.db import transaction_lock

_CAPACITY_LOCK_KEY = 0x6578_7065  # any constant; scoped to routing's database


@dataclass(frozen=True)
class TakenFromQueue:
    application_id: str
    assignment: Assignment


async def active_projects(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(ExpertAssignment.expert_id, func.count())
        .where(col(ExpertAssignment.released_at).is_(None)).group_by(col(ExpertAssignment.expert_id)))
    return dict(rows.all())


async def waiting_queue(session: AsyncSession) -> list[WaitingForExpert]:
    return list((await session.exec(select(WaitingForExpert).order_by(col(WaitingForExpert.queued_at)))).all())


def sectors_of(waiting: WaitingForExpert) -> list[str]:
    return waiting.sectors.split(",") if waiting.sectors else []


async def take_on(session: AsyncSession, application_id: str, sectors: list[str],
                  experts: tuple[Expert, ...]) -> Assignment:
    await transaction_lock(session, _CAPACITY_LOCK_KEY)
    assignment = assign(experts, sectors, await active_projects(session))
    if assignment.expert:
        await _assign(session, application_id, assignment.expert.id)
    else:
        session.add(WaitingForExpert(application_id=application_id, sectors=",".join(sectors), queued_at=now()))
    return assignment


async def _assign(session: AsyncSession, application_id: str, expert_id: str) -> None:
    """One row per application (its key is the application id): the current assignment, or the last one,
    released. A project taken on again (staff accept it anew after its release) reuses its released row, an
    upsert: inserting a second row would break the key, and which experts carried it before is told by the
    decisions on the topic. Called under the capacity lock, so nobody else writes the row in between."""
    row = await session.get(ExpertAssignment, application_id)
    if row is None:
        row = ExpertAssignment(application_id=application_id, expert_id=expert_id, assigned_at=now())
    row.expert_id, row.assigned_at, row.released_at = expert_id, now(), None
    session.add(row)


async def hand_back(session: AsyncSession, application_id: str) -> str | None:
    """The project leaves its expert, or the waiting queue: its journey closed, or staff changed the decision.
    The assignment is marked released, not deleted (it no longer counts, and the record stays); the waiting row
    goes, so a project that left is never taken on later. Returns the expert whose place came free, if any: a
    released assignment is not released again, so a copy of the cause frees nothing more."""
    await transaction_lock(session, _CAPACITY_LOCK_KEY)
    statement = delete(WaitingForExpert).where(col(WaitingForExpert.application_id) == application_id)
    await session.exec(statement)  # type: ignore[call-overload]
    row = await session.get(ExpertAssignment, application_id)
    if row is None or row.released_at is not None:
        return None
    row.released_at = now()
    session.add(row)
    return row.expert_id


async def take_from_queue(session: AsyncSession, experts: tuple[Expert, ...]) -> TakenFromQueue | None:
    """A place may have come free: the oldest waiting project an expert can now take (`next_from_queue`) leaves
    the queue and is assigned to that expert. None when nobody waiting can be taken."""
    await transaction_lock(session, _CAPACITY_LOCK_KEY)
    queue = await waiting_queue(session)
    chosen = next_from_queue([Waiting(w.application_id, tuple(sectors_of(w))) for w in queue], experts,
                             await active_projects(session))
    if chosen is None:
        return None
    waiting, assignment = chosen
    assert assignment.expert is not None  # next_from_queue only answers projects an expert can take
    await session.delete(next(w for w in queue if w.application_id == waiting.application_id))
    await _assign(session, waiting.application_id, assignment.expert.id)
    return TakenFromQueue(waiting.application_id, assignment)
