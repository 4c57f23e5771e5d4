"""Expert capacity kept in routing's database: concurrent acceptances never give one expert more projects than
the roster allows, and the rest wait in the queue. On a real PostgreSQL, as several routing instances share it."""

from __future__ import annotations

import asyncio
import uuid

from sqlmodel import select

from contracts.envelope import now
from services.routing.capacity import take_on
from services.routing.experts import Expert
from services.routing.models import WaitingForExpert
from services.routing.store import active_projects
from services.runtime import db, migrations

SOFIA = Expert("sofia-rossi", "Sofia Rossi", ("cybersecurity",), 3)
TOM = Expert("tom-schmit", "Tom Schmit", ("cybersecurity", "finance"), 2)


async def test_twelve_cyber_projects_accepted_at_once_fill_five_places_and_seven_wait(database):
    # Given routing's database, and two cybersecurity experts with 3 + 2 places
    url = database(f"capacity_{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(migrations.upgrade, "routing", url)
    engine = db.make_engine(url)
    sessions = db.sessions(engine)

    async def accept(number: int) -> None:
        async with sessions() as session:
            await take_on(session, f"CYBER-OWL-{number}", ["cybersecurity"], (SOFIA, TOM), now())
            await session.commit()

    # When twelve accepted projects are taken on at the same moment, each in its own transaction
    await asyncio.gather(*(accept(n) for n in range(12)))

    # Then the experts carry exactly their capacity, and the seven others wait
    async with sessions() as session:
        assert await active_projects(session) == {"sofia-rossi": 3, "tom-schmit": 2}
        waiting = (await session.exec(select(WaitingForExpert))).all()
    assert len(waiting) == 7
    await engine.dispose()
