"""routing's tables, read and written: what each decision was made from and how many were announced, who
carries which accepted project, the waiting queue, and the referral exchanges. Nothing is decided here:
experts.py and exchange.py decide over what these functions read, and the wiring (capacity.py, referrals.py)
writes back what they decided.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ApplicationScored, DecisionMade
from services.routing import exchange
from services.routing.experts import Waiting
from services.routing.models import (
    DecidedApplication, ExpertAssignment, ReferralCase, ReferralOffer, WaitingForExpert,
)
from services.runtime.db import as_utc, transaction_lock

# -- what each decision was made from ---------------------------------------------------------------------------


FIRST_DECISION = 1  # the sequence number of routing's first decision on an application, counted as it is kept


async def keep_decided(session: AsyncSession, scored_event: Envelope[ApplicationScored], policy_version: str,
                       at: datetime) -> None:
    # One statement, no object to track: routing never changes this row in the transaction that writes it, and
    # it counts the first decision already (`numbered` counts the next ones).
    await session.exec(insert(DecidedApplication).values(  # type: ignore[call-overload]
        application_id=scored_event.data.application_id, scored_event=scored_event.model_dump_json(),
        policy_version=policy_version, decided_at=at, decisions=FIRST_DECISION))


async def decided(session: AsyncSession, application_id: str) -> tuple[Envelope[ApplicationScored], str] | None:
    """The scored event routing decided the application from, and the policy version of its decision."""
    row = await session.get(DecidedApplication, application_id)
    if row is None:
        return None
    return Envelope[ApplicationScored].model_validate_json(row.scored_event), row.policy_version


async def numbered(session: AsyncSession, decision: DecisionMade) -> DecisionMade:
    """`decision` with the application's next sequence number, counted in the transaction that announces it. The
    UPDATE holds the application's row until the transaction ends (PostgreSQL's row lock, SQLite's one writer),
    so two transactions deciding on one application get 1, 2, ... in the order they commit."""
    table = DecidedApplication.__table__  # a Core statement: nothing reads the count back through the session
    statement = (update(table).where(table.c.application_id == decision.application_id)
                 .values(decisions=table.c.decisions + 1).returning(table.c.decisions))
    sequence = (await session.exec(statement)).scalar_one_or_none()  # type: ignore[call-overload]
    if sequence is None:  # every decision follows routing's first one, which keeps the row (keep_decided)
        raise LookupError(f"decision on application {decision.application_id}: no decided_application row")
    return decision.model_copy(update={"sequence": sequence})


# -- who carries what ---------------------------------------------------------------------------------------------

_CAPACITY_LOCK_KEY = 0x6578_7065  # any constant; scoped to routing's database


async def lock_capacity(session: AsyncSession) -> None:
    """Every change of who carries what happens under this lock, held until the transaction ends: instances of
    routing sharing a PostgreSQL database take it in turn, so two of them cannot give the last free place of an
    expert to two projects, nor one freed place to two waiting projects."""
    await transaction_lock(session, _CAPACITY_LOCK_KEY)


async def active_projects(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(ExpertAssignment.expert_id, func.count())
        .where(col(ExpertAssignment.released_at).is_(None)).group_by(col(ExpertAssignment.expert_id)))
    return dict(rows.all())


async def assign(session: AsyncSession, application_id: str, expert_id: str, at: datetime) -> None:
    """One row per application (its key is the application id): the current assignment, or the last one,
    released. A project taken on again (staff accept it anew after its release) reuses its released row, an
    upsert: inserting a second row would break the key, and which experts carried it before is told by the
    decisions on the topic."""
    row = await session.get(ExpertAssignment, application_id)
    if row is None:
        row = ExpertAssignment(application_id=application_id, expert_id=expert_id, assigned_at=at)
    row.expert_id, row.assigned_at, row.released_at = expert_id, at, None
    session.add(row)


async def release(session: AsyncSession, application_id: str, at: datetime) -> str | None:
    """The project's assignment is marked released, not deleted (it no longer counts, and the record stays).
    Returns the expert whose place came free, if any: a released assignment is not released again."""
    row = await session.get(ExpertAssignment, application_id)
    if row is None or row.released_at is not None:
        return None
    row.released_at = at
    session.add(row)
    return row.expert_id


async def waiting_queue(session: AsyncSession) -> list[Waiting]:
    """The accepted projects waiting for an expert, in no particular order (experts.in_turn orders them)."""
    rows = (await session.exec(select(WaitingForExpert))).all()
    return [Waiting(row.application_id, tuple(row.sectors.split(",")) if row.sectors else (), as_utc(row.queued_at))
            for row in rows]


def add_to_queue(session: AsyncSession, waiting: Waiting) -> None:
    session.add(WaitingForExpert(application_id=waiting.application_id, sectors=",".join(waiting.sectors),
                                 queued_at=waiting.queued_at))


async def leave_queue(session: AsyncSession, application_id: str) -> None:
    statement = delete(WaitingForExpert).where(col(WaitingForExpert.application_id) == application_id)
    await session.exec(statement)  # type: ignore[call-overload]


# -- the referral exchanges -----------------------------------------------------------------------------------------


@dataclass
class Referral:
    """An application's referral exchange as stored: its state, and the rows it was read from."""

    state: exchange.State
    case: ReferralCase | None
    offers: dict[str, ReferralOffer]

    @property
    def scored(self) -> ApplicationScored:
        """The scored application the exchange's offers and decisions are built from."""
        assert self.case is not None
        return ApplicationScored.model_validate_json(self.case.scored)

    @property
    def correlation_id(self) -> str:
        assert self.case is not None
        return self.case.correlation_id


async def referral(session: AsyncSession, application_id: str, *, lock: bool = True) -> Referral:
    """The application's exchange, with every offer made for it; `lock`: the offers' rows are locked until the
    transaction ends, so that an answer, a deadline and a staff override take their turns (one of them goes
    first, the next then sees what it did). On SQLite the lock does nothing: there an offer's status, its version
    (models.ReferralOffer), lets only the first of them change it."""
    case = await session.get(ReferralCase, application_id)
    if case is None:
        return Referral(exchange.State(application_id), None, {})
    statement = (select(ReferralOffer).where(col(ReferralOffer.application_id) == application_id)
                 .order_by(col(ReferralOffer.offered_at), col(ReferralOffer.attempt)))
    rows = list((await session.exec(statement.with_for_update() if lock else statement)).all())
    offers = tuple(exchange.Offer(row.offer_id, row.factory_id, row.attempt, as_utc(row.offered_at),
                                  as_utc(row.answer_by), row.status,
                                  as_utc(row.answered_at) if row.answered_at else None, row.reason) for row in rows)
    state = exchange.State(application_id, candidates_of(json.loads(case.candidates)), offers, case.status)
    return Referral(state, case, {row.offer_id: row for row in rows})


def candidates_of(stored: Iterable[Mapping]) -> tuple[exchange.Candidate, ...]:
    """The partners of an exchange from the form the case keeps them in: {factory_id, name, score, reasons}."""
    return tuple(exchange.Candidate(c["factory_id"], c["name"], c["score"], tuple(c["reasons"])) for c in stored)


def save_referral(session: AsyncSession, stored: Referral, state: exchange.State,
                  opened_by: Envelope[ApplicationScored] | None = None) -> None:
    """Write the exchange's new `state`; `opened_by`: the scored event of the forward that opened it (anew)."""
    if state == stored.state:
        return
    case = stored.case or ReferralCase(application_id=state.application_id)
    if opened_by is not None:
        case.correlation_id, case.scored = opened_by.correlationid, opened_by.data.model_dump_json()
    case.candidates = json.dumps([asdict(candidate) for candidate in state.candidates])
    case.status = state.status
    session.add(case)
    for offer in state.offers:
        row = stored.offers.get(offer.offer_id)
        if row is None:
            row = ReferralOffer(offer_id=offer.offer_id, application_id=state.application_id,
                                factory_id=offer.factory_id, attempt=offer.attempt, status=offer.status,
                                offered_at=offer.offered_at, answer_by=offer.answer_by)
        elif row.status == offer.status:
            continue
        row.status, row.answered_at, row.reason = offer.status, offer.answered_at, offer.reason
        session.add(row)


async def overdue_referrals(session: AsyncSession, at: datetime) -> list[str]:
    """The applications with an offer unanswered past its deadline; those offers are locked, and skipped when
    another transaction holds them (an answer arriving, a staff override: it goes first)."""
    due = await session.exec(select(ReferralOffer).where(col(ReferralOffer.status) == exchange.OFFERED)
                             .where(col(ReferralOffer.answer_by) < at).with_for_update(skip_locked=True))
    return list(dict.fromkeys(offer.application_id for offer in due.all()))
