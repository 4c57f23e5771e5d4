"""The referral exchange with partner factories, as a state machine over plain data: no database, no Kafka, no
clock (the moment is given).

A forward the applicant consented to share `open`s the exchange: the project is offered to the first candidate
(the chosen partner), to be answered by a deadline. A partner's `answer` accepts (the exchange ends there),
declines (the next candidate is asked, never one asked before, at most `max_hops` in all; after the last one
staff take the application up) or asks for more information (the offer then waits on that question: neither
another answer nor the deadline moves it). `expire` escalates an offer left unanswered past its deadline to staff.
`close` ends an exchange under way because staff changed the decision: its offers are withdrawn, so a late
answer, or a deadline passing, changes nothing. A new forward by staff opens the exchange anew.

Each transition returns the new state and its effects, what the world sees: `Offered` (the partner, on its own
topic), `Updated` (the applicant's timeline: a step on aif.routing.referral-updated.v1), `Decided` (a new current
decision: the next partner, or staff review), `Withdrawn` (an offer staff took back), `Refused` (an answer that
names no offer made to its sender: a dead letter, with the reason).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple

# The exchange: never opened, under way, or how it ended.
NOT_OPENED, OPEN, ACCEPTED, EXHAUSTED, EXPIRED, CLOSED = "none", "open", "accepted", "exhausted", "expired", "closed"
# An offer: waiting for its answer, answered, or ended without one.
OFFERED, DECLINED, NEED_MORE_INFORMATION, WITHDRAWN = "offered", "declined", "need_more_information", "withdrawn"
ANSWERED = {"accept": ACCEPTED, "decline": DECLINED, "need_more_information": NEED_MORE_INFORMATION}

_OFFER_IDS = uuid.UUID("0e5c1b1e-7d1f-4c55-9a52-52f0f7d0c0a1")


@dataclass(frozen=True)
class Rules:
    answer_within: timedelta  # how long a partner has to answer an offer
    max_hops: int  # how many partners are asked at most


@dataclass(frozen=True)
class Candidate:
    """A partner the project may go to, with its fit."""

    factory_id: str
    name: str
    score: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Offer:
    offer_id: str
    factory_id: str
    attempt: int  # the place of its partner among the candidates of its exchange, from 1
    offered_at: datetime
    answer_by: datetime
    status: str = OFFERED  # offered, accepted, declined, need_more_information, expired, withdrawn
    answered_at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True)
class State:
    """One application's exchange: the partners that may take it (best first, at most `max_hops`), every offer
    made for the application (earlier exchanges' too, oldest first), and where the exchange stands."""

    application_id: str
    candidates: tuple[Candidate, ...] = ()
    offers: tuple[Offer, ...] = ()
    status: str = NOT_OPENED  # none, open, accepted, exhausted, expired, closed

    def offer(self, offer_id: str) -> Offer | None:
        return next((offer for offer in self.offers if offer.offer_id == offer_id), None)

    @property
    def waiting(self) -> tuple[Offer, ...]:
        """The offers waiting for an answer (one at most while the exchange is open)."""
        return tuple(offer for offer in self.offers if offer.status == OFFERED)

    def with_offer(self, changed: Offer) -> State:
        return replace(self, offers=tuple(changed if o.offer_id == changed.offer_id else o for o in self.offers))


# -- effects ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Offered:
    """The project is offered to `offer.factory_id` until `offer.answer_by`."""

    offer: Offer
    candidate: Candidate


@dataclass(frozen=True)
class Updated:
    """A step of the exchange, for the applicant's timeline. `cause`: the fact it follows from (an offer)."""

    step: str
    factory_id: str | None
    attempt: int
    reason: str
    cause: str


@dataclass(frozen=True)
class Decided:
    """A new current decision for the application. `cause`: the fact it follows from (an offer)."""

    outcome: str
    factory_id: str | None
    reasons: tuple[str, ...]
    cause: str


@dataclass(frozen=True)
class Withdrawn:
    """Staff took the offer back (the partner is not told yet: the contract has no such message)."""

    offer: Offer


@dataclass(frozen=True)
class Refused:
    """An answer routing cannot take, and why."""

    reason: str


Effect = Offered | Updated | Decided | Withdrawn | Refused


class Transition(NamedTuple):
    state: State
    effects: tuple[Effect, ...]


# -- transitions ------------------------------------------------------------------------------------------------

def open(state: State, candidates: Sequence[Candidate], rules: Rules, at: datetime) -> Transition:
    """Offer the project to the first of `candidates` (best first, the chosen partner first)."""
    kept = tuple(candidates[:rules.max_hops])
    if not kept:
        raise ValueError(f"application {state.application_id}: no partner to offer the project to")
    return _offer_to(replace(state, candidates=kept, status=OPEN), 1, rules, at)


def answer(state: State, offer_id: str, factory_id: str, reply: str, reason: str | None, rules: Rules,
           at: datetime) -> Transition:
    """Partner `factory_id` answers offer `offer_id` with `reply` (accept, decline, need_more_information). The
    offer must have been made to that very partner; an offer answered, expired or withdrawn already stays so."""
    offer = state.offer(offer_id)
    if offer is None:
        return Transition(state, (Refused(f"no offer {offer_id} for application {state.application_id}"),))
    if offer.factory_id != factory_id:
        return Transition(state, (Refused(f"partner {factory_id} answered offer {offer_id}, which was made to "
                                          f"{offer.factory_id}"),))
    if offer.status != OFFERED:
        return Transition(state, ())
    name = state.candidates[offer.attempt - 1].name
    state = state.with_offer(replace(offer, status=ANSWERED[reply], answered_at=at, reason=reason))
    because = f": {reason}" if reason else ""
    if reply == "accept":
        return Transition(replace(state, status=ACCEPTED),
                          (_step(offer, ACCEPTED, f"{name} accepted the referral{because}"),))
    if reply == "need_more_information":
        return Transition(state, (_step(offer, NEED_MORE_INFORMATION, f"{name} needs more information{because}"),))
    declined = _step(offer, DECLINED, f"{name} declined the referral{because}")
    state, effects = _next_or_staff(state, offer, _sentence(f"{name} declined{because}"), rules, at)
    return Transition(state, (declined, *effects))


def expire(state: State, at: datetime) -> Transition:
    """Every offer whose deadline passed before `at` without an answer goes to staff."""
    effects: list[Effect] = []
    for offer in state.waiting:
        if offer.answer_by >= at:
            continue
        state = replace(state.with_offer(replace(offer, status=EXPIRED)), status=EXPIRED)
        reason = (f"{state.candidates[offer.attempt - 1].name} did not answer by {offer.answer_by:%Y-%m-%d %H:%M} "
                  "UTC: the offer is escalated to an intake expert.")
        effects += [_step(offer, EXPIRED, reason), Decided("review", None, (reason,), f"{offer.offer_id}/expired")]
    return Transition(state, tuple(effects))


def close(state: State) -> Transition:
    """Staff changed the decision: an exchange under way ends, and the offers waiting for an answer are withdrawn."""
    if state.status != OPEN:
        return Transition(state, ())
    withdrawn = tuple(replace(offer, status=WITHDRAWN) for offer in state.waiting)
    for offer in withdrawn:
        state = state.with_offer(offer)
    return Transition(replace(state, status=CLOSED), tuple(Withdrawn(offer) for offer in withdrawn))


# -- the steps they share ---------------------------------------------------------------------------------------

def offer_id(application_id: str, number: int) -> str:
    """The id of the `number`th offer made for the application (counting every exchange it had)."""
    return str(uuid.uuid5(_OFFER_IDS, f"{application_id}/offer/{number}"))


def _offer_to(state: State, attempt: int, rules: Rules, at: datetime) -> Transition:
    candidate = state.candidates[attempt - 1]
    offer = Offer(offer_id(state.application_id, len(state.offers) + 1), candidate.factory_id, attempt,
                  offered_at=at, answer_by=at + rules.answer_within)
    offered = _step(offer, OFFERED, f"Offered to {candidate.name} (partner {attempt} of {len(state.candidates)}), "
                                     f"answer by {offer.answer_by:%Y-%m-%d %H:%M} UTC")
    return Transition(replace(state, offers=(*state.offers, offer)), (Offered(offer, candidate), offered))


def _next_or_staff(state: State, declined: Offer, why: str, rules: Rules, at: datetime) -> Transition:
    """After a decline: the next candidate, with a new decision naming it; after the last one, staff."""
    if declined.attempt < len(state.candidates):
        following = state.candidates[declined.attempt]
        state, effects = _offer_to(state, declined.attempt + 1, rules, at)
        decided = Decided("forward", following.factory_id, (f"{why} {following.name} fits next best.",
                                                            *following.reasons), declined.offer_id)
        return Transition(state, (*effects, decided))
    reason = f"{why} No other partner factory fits well enough: an intake expert takes the application up."
    return Transition(replace(state, status=EXHAUSTED),
                      (Updated(EXHAUSTED, None, declined.attempt, reason, f"{declined.offer_id}/exhausted"),
                       Decided("review", None, (reason,), declined.offer_id)))


def _sentence(text: str) -> str:
    """`text` ending as a sentence (a partner's reason often ends with its own full stop already)."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _step(offer: Offer, step: str, reason: str) -> Updated:
    return Updated(step, offer.factory_id, offer.attempt, reason, offer.offer_id)
