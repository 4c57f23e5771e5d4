"""Taking an accepted project on and letting it go, under the capacity lock (store.lock_capacity): the counts come
from the store, experts.py decides, the store keeps what it decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from services.routing import store
from services.routing.experts import Assignment, Expert, Waiting, assign, next_from_queue


@dataclass(frozen=True)
class TakenFromQueue:
    application_id: str
    assignment: Assignment


async def take_on(session: AsyncSession, application_id: str, sectors: list[str], experts: tuple[Expert, ...],
                  at: datetime) -> Assignment:
    """An accepted project goes to the best expert with room, or waits in the queue."""
    await store.lock_capacity(session)
    assignment = assign(experts, sectors, await store.active_projects(session))
    if assignment.expert:
        await store.assign(session, application_id, assignment.expert.id, at)
    else:
        store.add_to_queue(session, Waiting(application_id, tuple(sectors), at))
    return assignment


async def hand_back(session: AsyncSession, application_id: str, at: datetime) -> str | None:
    """The project leaves its expert, or the waiting queue: its journey closed, or staff changed the decision.
    Returns the expert whose place came free, if any (a copy of the cause frees nothing more)."""
    await store.lock_capacity(session)
    await store.leave_queue(session, application_id)
    return await store.release(session, application_id, at)


async def take_from_queue(session: AsyncSession, experts: tuple[Expert, ...], at: datetime) -> TakenFromQueue | None:
    """A place may have come free: the oldest waiting project an expert can now take leaves the queue and is
    assigned to that expert. None when nobody waiting can be taken."""
    await store.lock_capacity(session)
    chosen = next_from_queue(await store.waiting_queue(session), experts, await store.active_projects(session))
    if chosen is None:
        return None
    waiting, assignment = chosen
    assert assignment.expert is not None  # next_from_queue only answers projects an expert can take
    await store.leave_queue(session, waiting.application_id)
    await store.assign(session, waiting.application_id, assignment.expert.id, at)
    return TakenFromQueue(waiting.application_id, assignment)
