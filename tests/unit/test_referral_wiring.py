"""The referral exchange through routing's reactions and its tables (an SQLite file): what each message leads
routing to stage in its outbox, and what a later message then finds. Rhein Radiologie, a German clinic group,
consented to share its radiology triage project; routing forwards it to the JUPITER AI Factory."""

from __future__ import annotations

from dataclasses import replace

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import SQLModel, col, select

from contracts import reference, topics
from contracts.envelope import Envelope
from contracts.events import (
    Applicant, ApplicationScored, OverrideRequested, PartnerFit, ReferralOffered, ReferralReplied, RuleResult,
    SectorFinding,
)
from services.routing.experts import load_experts
from services.routing.handlers import load_policy
from services.routing.models import TABLES
from services.routing.reactions import Routing
from services.runtime import db
from services.runtime.dead_letter import PermanentError
from services.runtime.messages import command, first_event, follow_up
from services.runtime.outbox import OutboxMessage
from services.runtime.reactions import Tx

pytestmark = pytest.mark.unit

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
ROUTING = Routing(reference.load(), load_policy(), load_experts(), timedelta(days=2), max_hops=3)
RHEIN_RADIOLOGIE = ApplicationScored(
    application_id="RHEIN-RADIOLOGIE", policy_version="triage-test",
    sectors=[SectorFinding(sector="health", declared=True, evidence=["radiology", "imaging"])],
    priority_score=0, readiness_score=30, total_score=30,
    rules=[RuleResult(rule="not-a-priority", points=0, reason="Health is not an L-AIF priority.")],
    partner_fit=[PartnerFit(factory_id="jaif", score=62, focus_sectors=["health"], reasons=["JAIF: health."]),
                 PartnerFit(factory_id="gaia-aif", score=48, focus_sectors=["health"], reasons=["Gaia: health."])],
    consent_to_share=True, company_country="DE", company_size="large", summary="Radiology triage.",
    applicant=Applicant(company_name="Rhein Radiologie", contact_name="Dr. Jonas Brandt",
                        email="j.brandt@rhein-radiologie.example", language="de", project_title="Radiology triage"))


@pytest.fixture
async def sessions(tmp_path):
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'routing.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=[table.__table__ for table in TABLES])
    yield db.sessions(engine)
    await engine.dispose()


async def handled(sessions, react, envelope: Envelope | None, at: datetime) -> list[dict]:
    """Run one reaction in a transaction of its own, at `at`; the events it staged, as their readers get them."""
    async with sessions() as session:
        before = len((await session.exec(select(OutboxMessage))).all())
        reaction = getattr(replace(ROUTING, clock=lambda: at), react.__name__)
        if envelope is None:
            await reaction(Tx("routing", session))
        else:
            await reaction(Tx("routing", session), envelope)
        await session.commit()
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [json.loads(row.payload) for row in rows[before:]]


def reply(offer: dict, answer: str, factory_id: str | None = None) -> Envelope[ReferralReplied]:
    """A partner's answer to `offer` (its own, unless `factory_id` says another partner sends it)."""
    data = ReferralReplied(application_id=offer["subject"], offer_id=offer["data"]["offer_id"],
                           factory_id=factory_id or offer["data"]["factory_id"], answer=answer)
    return follow_up(f"{offer['id']}/{answer}", topics.REFERRAL_REPLIES, data, service=f"partner/{data.factory_id}",
                     subject=offer["subject"], correlation_id=offer["correlationid"])


def kinds(staged: list[dict]) -> list[str]:
    """'offered:jaif', 'referral-updated:declined', 'decision-made:forward'."""
    def what(data: dict) -> str:
        return data.get("step") or data.get("outcome") or data["factory_id"]

    return [f"{e['type'].rsplit('.', 1)[-1]}:{what(e['data'])}" for e in staged]


async def forwarded(sessions, consent: bool = True) -> list[dict]:
    scored = first_event(topics.APPLICATION_SCORED, RHEIN_RADIOLOGIE.model_copy(update={"consent_to_share": consent}),
                         service="triage", subject="RHEIN-RADIOLOGIE")
    return await handled(sessions, ROUTING.when_application_scored, scored, MONDAY)


def staff_decide(outcome: str, factory_id: str | None, correlation_id: str) -> Envelope[OverrideRequested]:
    """Claire Hoffmann's override, as intake's console sends it."""
    data = OverrideRequested(application_id="RHEIN-RADIOLOGIE", outcome=outcome, factory_id=factory_id,
                             reason="The applicant called us.", requested_by="Claire Hoffmann",
                             staff_username="choffmann", requested_at=MONDAY)
    return command(topics.OVERRIDE_REQUESTED, data, service="intake", subject="RHEIN-RADIOLOGIE",
                   correlation_id=correlation_id)


async def test_a_decline_is_read_back_and_the_next_partner_gets_an_offer_of_its_own(sessions):
    # Given routing forwarded Rhein Radiologie to JAIF: the decision, the offer on JAIF's topic, the step
    staged = await forwarded(sessions)
    assert kinds(staged) == ["decision-made:forward", "offered:jaif", "referral-updated:offered"]
    offer = staged[1]
    assert offer["causationid"] == offer["data"]["offer_id"]
    assert ReferralOffered.model_validate(offer["data"]).contact.name == "Dr. Jonas Brandt"

    # When JAIF declines
    staged = await handled(sessions, ROUTING.when_referral_replied, reply(offer, "decline"), MONDAY + timedelta(1))
    # Then Gaia is offered the project, and the new decision follows from JAIF's offer
    assert kinds(staged) == ["referral-updated:declined", "offered:gaia-aif", "referral-updated:offered",
                             "decision-made:forward"]
    assert staged[1]["data"]["offer_id"] != offer["data"]["offer_id"] and staged[1]["data"]["attempt"] == 2
    assert staged[3]["causationid"] == offer["data"]["offer_id"] and staged[3]["data"]["factory_id"] == "gaia-aif"

    # When JAIF's decline comes again (a new message), and Gaia answers JAIF's offer
    assert await handled(sessions, ROUTING.when_referral_replied, reply(offer, "accept"), MONDAY) == []
    with pytest.raises(PermanentError, match="partner gaia-aif answered offer .* made to jaif"):
        await handled(sessions, ROUTING.when_referral_replied, reply(offer, "accept", "gaia-aif"), MONDAY)


async def test_an_offer_past_its_deadline_goes_to_staff_once(sessions):
    offer = (await forwarded(sessions))[1]
    # The sweep before the deadline finds nothing
    assert await handled(sessions, ROUTING.expire_overdue_offers, None, MONDAY + timedelta(days=1)) == []
    # When it runs after the deadline
    staged = await handled(sessions, ROUTING.expire_overdue_offers, None, MONDAY + timedelta(days=3))
    # Then staff take the application up, once
    assert kinds(staged) == ["referral-updated:expired", "decision-made:review"]
    assert await handled(sessions, ROUTING.expire_overdue_offers, None, MONDAY + timedelta(days=4)) == []
    # And JAIF's late acceptance changes nothing
    assert await handled(sessions, ROUTING.when_referral_replied, reply(offer, "accept"), MONDAY + timedelta(4)) == []


async def test_a_staff_override_withdraws_the_offer_and_a_new_forward_starts_anew(sessions):
    offer = (await forwarded(sessions))[1]
    # When staff send the application to review, then forward it to Gaia
    for outcome, factory_id in (("review", None), ("forward", "gaia-aif")):
        override = staff_decide(outcome, factory_id, offer["correlationid"])
        staged = await handled(sessions, ROUTING.when_override_requested, override, MONDAY + timedelta(hours=2))
    # Then Gaia gets an offer, the first of the new exchange, after the staff member's decision
    assert kinds(staged) == ["decision-made:forward", "offered:gaia-aif", "referral-updated:offered"]
    assert staged[0]["data"]["decided_by"] == "Claire Hoffmann" and staged[1]["data"]["attempt"] == 1
    # And JAIF's withdrawn offer stays withdrawn: its answer and its deadline change nothing
    assert await handled(sessions, ROUTING.when_referral_replied, reply(offer, "accept"), MONDAY) == []
    assert await handled(sessions, ROUTING.expire_overdue_offers, None, MONDAY + timedelta(days=2, hours=1)) == []


async def test_an_override_of_a_forward_without_consent_finds_no_exchange_to_close(sessions):
    # Given Rhein Radiologie forwarded without its consent: nothing was offered
    staged = await forwarded(sessions, consent=False)
    assert kinds(staged) == ["decision-made:forward"]
    # When staff send it to review
    override = staff_decide("review", None, staged[0]["correlationid"])
    staged = await handled(sessions, ROUTING.when_override_requested, override, MONDAY + timedelta(hours=2))
    # Then the staff member's decision is all there is
    assert kinds(staged) == ["decision-made:review"]


async def test_each_decision_on_an_application_is_numbered_in_the_order_routing_made_it(sessions):
    # Given routing forwarded Rhein Radiologie to JAIF: its first decision
    staged = await forwarded(sessions)
    offer = staged[1]
    # When JAIF declines (routing forwards to Gaia), and then Claire Hoffmann sends it to review
    declined = await handled(sessions, ROUTING.when_referral_replied, reply(offer, "decline"), MONDAY + timedelta(1))
    override = staff_decide("review", None, offer["correlationid"])
    overridden = await handled(sessions, ROUTING.when_override_requested, override, MONDAY + timedelta(2))
    # Then the three decisions carry 1, 2, 3: a reader can tell the current one from a replayed older one
    decisions = [e["data"] for e in staged + declined + overridden if e["type"].endswith("decision-made")]
    assert [(d["outcome"], d["factory_id"], d["sequence"]) for d in decisions] == [
        ("forward", "jaif", 1), ("forward", "gaia-aif", 2), ("review", None, 3)]
