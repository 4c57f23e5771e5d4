"""A partner's answer and the deadline sweep racing for one overdue offer: only one of them wins, on SQLite
(where SELECT ... FOR UPDATE does nothing) as on PostgreSQL. Rhein Radiologie's project was offered to JAIF; JAIF
accepts just as the sweep finds the offer past its deadline, and both have read the offer before either writes."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col, select

from services.routing.models import ReferralOffer
from services.runtime import db, migrations
from services.runtime.outbox import OutboxMessage
from services.runtime.reactions import Tx
from tests.unit.test_referral_wiring import MONDAY, ROUTING, forwarded, kinds, reply

AFTER_THE_DEADLINE = MONDAY + timedelta(days=3)


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'routing.db'}"
    else:
        url = request.getfixturevalue("database")(f"race_{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(migrations.upgrade, "routing", url)
    engine = db.make_engine(url)
    yield db.sessions(engine)
    await engine.dispose()


class ReadsTogether:
    """A session that, once it has read the offers, waits (a second at most: on PostgreSQL the other may be
    waiting for this one's row lock) until the other transaction has read them too: the race, every time."""

    def __init__(self, session, read: asyncio.Event, other_read: asyncio.Event) -> None:
        self._session, self._read, self._other_read = session, read, other_read

    def __getattr__(self, name: str):
        return getattr(self._session, name)

    async def exec(self, statement, *args, **kwargs):
        result = await self._session.exec(statement, *args, **kwargs)
        froms = statement.get_final_froms() if hasattr(statement, "get_final_froms") else ()
        if not self._read.is_set() and ReferralOffer.__table__ in froms:
            self._read.set()
            try:
                await asyncio.wait_for(self._other_read.wait(), timeout=1)
            except TimeoutError:
                pass
        return result


async def test_of_an_answer_and_the_deadline_sweep_racing_for_one_offer_only_one_wins(sessions):
    # Given JAIF has an offer for Rhein Radiologie, unanswered past its deadline
    offer = (await forwarded(sessions))[1]
    routing = replace(ROUTING, clock=lambda: AFTER_THE_DEADLINE)
    answer_read, sweep_read = asyncio.Event(), asyncio.Event()

    async def answer() -> None:
        async with sessions() as session:
            tx = Tx("routing", ReadsTogether(session, answer_read, sweep_read))
            await routing.when_referral_replied(tx, reply(offer, "accept"))
            await session.commit()

    async def sweep() -> None:
        async with sessions() as session:
            await routing.expire_overdue_offers(Tx("routing", ReadsTogether(session, sweep_read, answer_read)))
            await session.commit()

    # When JAIF's acceptance and the sweep run at once, each in its own transaction
    outcomes = await asyncio.gather(answer(), sweep(), return_exceptions=True)

    # Then one of them changed the offer; the other was refused its write (and, taken again, finds it decided)
    assert [type(o) for o in outcomes if o is not None] in ([], [StaleDataError]), outcomes
    async with sessions() as session:
        (status,) = (await session.exec(select(ReferralOffer.status))).all()
        staged = [json.loads(row.payload) for row in
                  (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()]
    steps = [kind for kind in kinds(staged) if kind in ("referral-updated:accepted", "referral-updated:expired")]
    assert steps in (["referral-updated:accepted"], ["referral-updated:expired"]), steps
    assert steps == [f"referral-updated:{status}"]
