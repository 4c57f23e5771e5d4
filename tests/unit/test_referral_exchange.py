"""The referral exchange, transition by transition, as stories: Rhein Radiologie, a German clinic group, consented
to share its radiology triage project, which routing forwards; the partners that fit are the JUPITER AI Factory
(chosen), then Gaia, then the Dutch AI Factory. What is asserted is what the world sees: the offers a partner
gets, the steps on the applicant's timeline, the decisions staff and the applicant see, and the answers refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.routing import exchange
from services.routing.exchange import Candidate, Decided, Offered, Refused, Rules, State, Updated, Withdrawn

pytestmark = pytest.mark.unit

RHEIN_RADIOLOGIE = "RHEIN-RADIOLOGIE"
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
RULES = Rules(answer_within=timedelta(days=2), max_hops=3)
JAIF = Candidate("jaif", "JUPITER AI Factory", 62, ("Health imaging is a focus of the JUPITER AI Factory.",))
GAIA = Candidate("gaia-aif", "Gaia AI Factory", 58, ("Gaia AI Factory focuses on health.",))
NLAIF = Candidate("nlaif", "Dutch AI Factory", 58, ("The Dutch AI Factory focuses on health.",))
ONEHEALTH = Candidate("onehealth-ai", "1HealthAI", 51, ("1HealthAI focuses on one-health data.",))
BOOKED = "Our experts are fully booked for this quarter."


def offered_to(effects) -> list[tuple[str, datetime]]:
    """What partners get: an offer on their own topic, to answer by a deadline."""
    return [(e.offer.factory_id, e.offer.answer_by) for e in effects if isinstance(e, Offered)]


def timeline(effects) -> list[str]:
    """What the applicant's timeline shows (aif.routing.referral-updated.v1)."""
    return [e.reason for e in effects if isinstance(e, Updated)]


def decided(effects) -> list[tuple[str, str | None, tuple[str, ...]]]:
    """The new current decisions, as staff and the applicant see them."""
    return [(e.outcome, e.factory_id, e.reasons) for e in effects if isinstance(e, Decided)]


def opened(*candidates: Candidate, at: datetime = MONDAY) -> State:
    state, _ = exchange.open(State(RHEIN_RADIOLOGIE), candidates or (JAIF, GAIA, NLAIF), RULES, at)
    return state


def offer_to(state: State, factory_id: str) -> str:
    return next(o.offer_id for o in reversed(state.offers) if o.factory_id == factory_id)


def reply(state: State, factory_id: str, answer: str, reason: str | None = None, *,
          at: datetime = MONDAY + timedelta(hours=5), offer_of: str | None = None) -> exchange.Transition:
    """`factory_id` answers the offer made to `offer_of` (its own, unless said otherwise)."""
    return exchange.answer(state, offer_to(state, offer_of or factory_id), factory_id, answer, reason, RULES, at)


def test_a_forward_offers_the_project_to_the_chosen_partner_until_the_deadline():
    # When routing forwards Rhein Radiologie's project on Monday at 9:00
    state, effects = exchange.open(State(RHEIN_RADIOLOGIE), (JAIF, GAIA, NLAIF), RULES, MONDAY)
    # Then JAIF gets the offer, to answer by Wednesday 9:00, and the timeline says so; the decision stands
    wednesday = MONDAY + timedelta(days=2)
    assert offered_to(effects) == [("jaif", wednesday)]
    assert timeline(effects) == ["Offered to JUPITER AI Factory (partner 1 of 3), answer by 2026-11-18 09:00 UTC"]
    assert decided(effects) == []
    assert state.status == exchange.OPEN and [o.status for o in state.offers] == [exchange.OFFERED]
    # And the offer carries the partner's fit
    (offer,) = [e for e in effects if isinstance(e, Offered)]
    assert offer.candidate == JAIF and offer.offer.attempt == 1


def test_at_most_max_hops_partners_are_asked():
    # Given four partners that fit, and at most three asked
    state, effects = exchange.open(State(RHEIN_RADIOLOGIE), (JAIF, GAIA, NLAIF, ONEHEALTH), RULES, MONDAY)
    assert timeline(effects) == ["Offered to JUPITER AI Factory (partner 1 of 3), answer by 2026-11-18 09:00 UTC"]
    # When the first three decline
    for partner in ("jaif", "gaia-aif", "nlaif"):
        state, effects = reply(state, partner, "decline")
    # Then the fourth is never offered the project: staff take it up
    assert offered_to(effects) == [] and [outcome for outcome, _, _ in decided(effects)] == ["review"]
    assert "onehealth-ai" not in {o.factory_id for o in state.offers}


def test_an_acceptance_ends_the_exchange_with_the_partner_that_accepted():
    # When JAIF accepts, saying why
    state, effects = reply(opened(), "jaif", "accept", "We can start in January.")
    # Then the timeline says so; the forward to JAIF stands, and nobody else is asked
    assert timeline(effects) == ["JUPITER AI Factory accepted the referral: We can start in January."]
    assert (decided(effects), offered_to(effects)) == ([], [])
    assert state.status == exchange.ACCEPTED
    assert [(o.status, o.reason) for o in state.offers] == [("accepted", "We can start in January.")]


def test_a_decline_offers_the_project_to_the_next_partner_with_a_new_decision():
    # When JAIF declines on Monday at 14:00
    at = MONDAY + timedelta(hours=5)
    state, effects = reply(opened(), "jaif", "decline", BOOKED, at=at)
    # Then the timeline shows the decline, then the offer to Gaia, with a deadline of its own
    assert timeline(effects) == [
        f"JUPITER AI Factory declined the referral: {BOOKED}",
        "Offered to Gaia AI Factory (partner 2 of 3), answer by 2026-11-18 14:00 UTC"]
    assert offered_to(effects) == [("gaia-aif", at + RULES.answer_within)]
    # And the current decision is a forward to Gaia, saying why
    assert decided(effects) == [("forward", "gaia-aif", (
        f"JUPITER AI Factory declined: {BOOKED} Gaia AI Factory fits next best.", *GAIA.reasons))]
    assert state.status == exchange.OPEN
    assert [(o.factory_id, o.status) for o in state.offers] == [("jaif", "declined"), ("gaia-aif", "offered")]


def test_when_the_last_partner_declines_staff_take_the_application_up():
    # Given JAIF and Gaia declined
    state, _ = reply(opened(), "jaif", "decline", BOOKED)
    state, _ = reply(state, "gaia-aif", "decline")
    # When the Dutch AI Factory, the last that fits, declines without a reason
    state, effects = reply(state, "nlaif", "decline")
    # Then nobody else is offered the project: the exchange is exhausted and staff review it
    staff = ("Dutch AI Factory declined. No other partner factory fits well enough: an intake expert takes the "
             "application up.")
    assert timeline(effects) == ["Dutch AI Factory declined the referral", staff]
    assert offered_to(effects) == []
    assert decided(effects) == [("review", None, (staff,))]
    assert state.status == exchange.EXHAUSTED


def test_a_partner_asking_for_more_information_keeps_its_offer_on_that_question():
    # When JAIF asks a question instead of answering
    state, effects = reply(opened(), "jaif", "need_more_information", "Which imaging modalities?")
    # Then the timeline shows the question, and the forward to JAIF stands
    assert timeline(effects) == ["JUPITER AI Factory needs more information: Which imaging modalities?"]
    assert (decided(effects), offered_to(effects)) == ([], [])
    assert state.status == exchange.OPEN
    # And the offer waits on the question: neither the deadline nor another answer on the topic moves it (staff
    # take it on from there, by an override)
    assert exchange.expire(state, MONDAY + timedelta(days=3)) == (state, ())
    assert reply(state, "jaif", "accept") == (state, ())


def test_an_offer_left_unanswered_past_its_deadline_goes_to_staff():
    state = opened()
    deadline = MONDAY + RULES.answer_within
    # At the deadline itself, nothing happens yet
    assert exchange.expire(state, deadline) == (state, ())
    # When the sweep runs a second later
    state, effects = exchange.expire(state, deadline + timedelta(seconds=1))
    # Then the offer is escalated to staff, who review the application; nobody else is asked
    escalated = ("JUPITER AI Factory did not answer by 2026-11-18 09:00 UTC: the offer is escalated to an intake "
                 "expert.")
    assert timeline(effects) == [escalated]
    assert decided(effects) == [("review", None, (escalated,))]
    assert offered_to(effects) == []
    assert state.status == exchange.EXPIRED and [o.status for o in state.offers] == ["expired"]
    # And the decision's event follows from the expiry, not from the offer (whose id the offer's events use)
    (decision,) = [e for e in effects if isinstance(e, Decided)]
    assert decision.cause == f"{state.offers[0].offer_id}/expired"


def test_an_answer_to_an_expired_offer_changes_nothing():
    # Given JAIF's offer escalated to staff
    state, _ = exchange.expire(opened(), MONDAY + timedelta(days=3))
    # When JAIF's acceptance arrives on Thursday
    # Then nothing changes: staff keep the application, and nothing is announced
    assert reply(state, "jaif", "accept", at=MONDAY + timedelta(days=3, hours=1)) == (state, ())


def test_an_answer_after_the_deadline_is_taken_while_the_offer_still_waits():
    # Given JAIF's deadline passed a minute ago, and the sweep has not looked at it yet
    late = MONDAY + RULES.answer_within + timedelta(minutes=1)
    # When JAIF accepts
    state, effects = reply(opened(), "jaif", "accept", at=late)
    # Then the acceptance is taken: the deadline is the sweep's to enforce, and it finds nothing left to expire
    assert timeline(effects) == ["JUPITER AI Factory accepted the referral"]
    assert exchange.expire(state, late + timedelta(seconds=1)) == (state, ())


def test_a_late_answer_to_an_offer_the_exchange_moved_on_from_changes_nothing():
    # Given JAIF declined, and Gaia has the offer now
    state, _ = reply(opened(), "jaif", "decline", BOOKED)
    # When JAIF changes its mind and accepts its old offer
    # Then nothing changes: Gaia's offer stands, and nothing is announced
    assert reply(state, "jaif", "accept") == (state, ())
    # And the same decline delivered again is no second decline
    assert reply(state, "jaif", "decline", BOOKED) == (state, ())


def test_an_answer_from_a_partner_that_was_not_asked_is_refused_naming_why():
    state = opened()
    jaif_offer = offer_to(state, "jaif")
    # When Gaia answers the offer made to JAIF
    # Then it is refused (a dead letter with the reason), and nothing changes
    assert reply(state, "gaia-aif", "accept", offer_of="jaif") == (state, (Refused(
        f"partner gaia-aif answered offer {jaif_offer}, which was made to jaif"),))
    # And so is an answer to an offer never made for this application
    elsewhere = exchange.offer_id("MOSELLE-RE", 1)
    assert exchange.answer(state, elsewhere, "jaif", "accept", None, RULES, MONDAY) == (state, (Refused(
        f"no offer {elsewhere} for application RHEIN-RADIOLOGIE"),))
    # And an answer about an application routing never offered
    assert exchange.answer(State("PETIT-FOUR"), jaif_offer, "jaif", "accept", None, RULES, MONDAY) == (
        State("PETIT-FOUR"), (Refused(f"no offer {jaif_offer} for application PETIT-FOUR"),))


def test_a_staff_override_during_an_open_offer_withdraws_it_and_a_late_answer_or_deadline_changes_nothing():
    # Given JAIF's offer waiting for an answer
    state = opened()
    # When staff change the decision (an override)
    state, effects = exchange.close(state)
    # Then the offer is withdrawn; the timeline and the decision are the override's own, not the exchange's
    assert [(e.offer.factory_id, e.offer.status) for e in effects if isinstance(e, Withdrawn)] == [
        ("jaif", exchange.WITHDRAWN)]
    assert (timeline(effects), decided(effects)) == ([], [])
    assert state.status == exchange.CLOSED
    # And JAIF's late acceptance, or its deadline passing, changes nothing
    assert reply(state, "jaif", "accept") == (state, ())
    assert exchange.expire(state, MONDAY + timedelta(days=3)) == (state, ())


def test_closing_an_exchange_that_is_not_under_way_changes_nothing():
    accepted, _ = reply(opened(), "jaif", "accept")
    assert exchange.close(accepted) == (accepted, ())
    assert exchange.close(State("PETIT-FOUR")) == (State("PETIT-FOUR"), ())


def test_staff_forwarding_again_opens_a_new_exchange_and_the_withdrawn_offer_stays_withdrawn():
    # Given staff withdrew JAIF's offer, then forward the project to Gaia on Tuesday
    closed, _ = exchange.close(opened())
    tuesday = MONDAY + timedelta(days=1)
    state, effects = exchange.open(closed, (GAIA,), RULES, tuesday)
    # Then Gaia gets an offer of its own, the first of this exchange
    assert offered_to(effects) == [("gaia-aif", tuesday + RULES.answer_within)]
    assert timeline(effects) == ["Offered to Gaia AI Factory (partner 1 of 1), answer by 2026-11-19 09:00 UTC"]
    assert len({o.offer_id for o in state.offers}) == 2
    # And JAIF's answer to its withdrawn offer still changes nothing
    assert reply(state, "jaif", "accept") == (state, ())


def test_a_forward_with_no_partner_to_offer_it_to_is_an_error():
    with pytest.raises(ValueError, match="no partner to offer the project to"):
        exchange.open(State(RHEIN_RADIOLOGIE), (), RULES, MONDAY)
