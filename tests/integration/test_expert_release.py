"""Releasing an expert in routing's database: a project whose journey closes frees its expert's place, and the
oldest waiting project is taken on in the same transaction, its new decision staged in the outbox; a copy of
the closing event frees nothing more, and places freed at once never give one waiting project twice. A
project released and accepted again is carried again. On a real PostgreSQL, as several routing instances share it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from sqlmodel import col, select

from contracts.envelope import Envelope, now
from contracts.events import (
    Applicant, ApplicationScored, DecisionMade, JourneyStepRecorded, RuleResult, SectorFinding,
)
from contracts.topics import APPLICATION_SCORED, DECISION_MADE, JOURNEY_STEP_RECORDED
from services.routing.capacity import hand_back, take_on
from services.routing.decisions import TAKEN_FROM_QUEUE
from services.routing.experts import Expert
from services.routing.models import DecidedApplication, ExpertAssignment
from services.routing.release import when_journey_closes
from services.routing.store import FIRST_DECISION, active_projects, waiting_queue
from services.runtime import db, migrations
from services.runtime.inbox import first_delivery
from services.runtime.messages import command, follow_up
from services.runtime.outbox import OutboxMessage, stage

MIREILLE = Expert("mireille-bausch", "Mireille Bausch", ("insurance", "finance"), 1)
ROUTING_POLICY = "triage-2026.11.0+routing-2026.11.0"


async def routing_database(database, name: str):
    url = database(f"{name}_{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(migrations.upgrade, "routing", url)
    engine = db.make_engine(url)
    return engine, db.sessions(engine)


def scored_event(application_id: str, company: str, email: str) -> Envelope[ApplicationScored]:
    """Triage's event for an insurance project, in the journey started by its submission."""
    applicant = Applicant(company_name=company, contact_name="Anne Weber", email=email, language="fr",
                          project_title="Détection de fraude dans les sinistres")
    scored = ApplicationScored(
        application_id=application_id, policy_version="triage-2026.11.0",
        sectors=[SectorFinding(sector="insurance", declared=True, evidence=["sinistres"])],
        priority_score=40, readiness_score=30, total_score=70,
        rules=[RuleResult(rule="priority-sector", points=40, reason="Insurance is an L-AIF priority.")],
        partner_fit=[], consent_to_share=True, applicant=applicant)
    submitted_id = f"submitted-{application_id}"
    return follow_up(submitted_id, APPLICATION_SCORED, scored, service="triage", subject=application_id,
                     correlation_id=submitted_id)


async def accept(sessions, experts: tuple[Expert, ...], event: Envelope[ApplicationScored]) -> None:
    """What routing does with an accepted project: keep what it decided from (its first decision), take it on or
    queue it."""
    async with sessions() as session:
        session.add(DecidedApplication(application_id=event.data.application_id,
                                       scored_event=event.model_dump_json(), policy_version=ROUTING_POLICY,
                                       decided_at=now(), decisions=FIRST_DECISION))
        await take_on(session, event.data.application_id, ["insurance"], experts, now())
        await session.commit()


def exit_of(application_id: str, company: str) -> Envelope[JourneyStepRecorded]:
    """The exit as intake's console writes it: the project found no funding, after the assessment."""
    exit_ = JourneyStepRecorded(
        application_id=application_id, record="exit", step="assessment", on=date(2026, 11, 20),
        exit_reason="no_funding", note="No co-funding found for the PoC.", expert_id=MIREILLE.id,
        recorded_by="Mireille Bausch", staff_username="mbausch", recorded_at=now(),
        applicant=Applicant(company_name=company, contact_name="Anne Weber", email="anne.weber@moselle-re.example",
                            language="fr", project_title="Détection de fraude dans les sinistres"))
    return command(JOURNEY_STEP_RECORDED, exit_, service="intake", subject=application_id,
                   correlation_id=f"submitted-{application_id}")


async def deliver(sessions, experts: tuple[Expert, ...], envelope: Envelope[JourneyStepRecorded]) -> bool:
    """The closing event handled as routing handles it: once, through the inbox (as its consumer does)."""
    async with sessions() as session:
        if not await first_delivery(session, envelope):
            return False
        await when_journey_closes(session, envelope, experts, "lux-aif", stage, now())
        await session.commit()
    return True


async def decisions_staged(sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        rows = await session.exec(select(OutboxMessage).where(OutboxMessage.topic == DECISION_MADE.name)
                                  .order_by(col(OutboxMessage.id)))
        return list(rows.all())


async def test_a_closed_journey_frees_the_expert_and_the_oldest_waiting_project_is_taken_on_once(database):
    # Given Mireille Bausch, who carries one project at most, carrying Moselle Re's; Alzette Assurances and then
    # Pétrusse Vie wait for her
    engine, sessions = await routing_database(database, "release")
    moselle = scored_event("MOSELLE-RE", "Moselle Re", "anne.weber@moselle-re.example")
    alzette = scored_event("ALZETTE-ASSURANCES", "Alzette Assurances", "marc.hansen@alzette.example")
    petrusse = scored_event("PETRUSSE-VIE", "Pétrusse Vie", "lea.faber@petrusse-vie.example")
    for event in (moselle, alzette, petrusse):
        await accept(sessions, (MIREILLE,), event)

    # When Mireille records that Moselle Re left the journey
    closing = exit_of("MOSELLE-RE", "Moselle Re")
    assert await deliver(sessions, (MIREILLE,), closing)

    # Then Moselle Re's assignment is released (kept, with the moment), Alzette Assurances, the oldest waiting,
    # is hers now, and Pétrusse Vie still waits
    async with sessions() as session:
        assert await active_projects(session) == {MIREILLE.id: 1}
        assert [w.application_id for w in await waiting_queue(session)] == ["PETRUSSE-VIE"]
        released = await session.get(ExpertAssignment, "MOSELLE-RE")
        taken = await session.get(ExpertAssignment, "ALZETTE-ASSURANCES")
    assert released is not None and released.released_at is not None
    assert taken is not None and (taken.expert_id, taken.released_at) == (MIREILLE.id, None)
    # And one new decision is staged for Alzette Assurances: accepted, with Mireille, from the waiting queue, in
    # its own journey, caused by the exit
    (staged,) = await decisions_staged(sessions)
    decision = Envelope[DecisionMade].model_validate_json(staged.payload)
    assert staged.key == decision.subject == "ALZETTE-ASSURANCES"
    assert (decision.correlationid, decision.causationid) == (alzette.correlationid, closing.id)
    assert (decision.data.outcome, decision.data.factory_id) == ("accept_local", "lux-aif")
    assert (decision.data.expert_id, decision.data.expert_name) == (MIREILLE.id, "Mireille Bausch")
    assert decision.data.from_waiting_queue and not decision.data.waiting_for_expert
    assert decision.data.sequence == 2  # Alzette's second decision: readers drop the first if it comes late
    assert (decision.data.decided_by, decision.data.policy_version) == ("routing", ROUTING_POLICY)
    assert decision.data.reasons == [TAKEN_FROM_QUEUE, "Assigned to Mireille Bausch (skills: insurance), who now "
                                                       "carries 1 of 1 projects."]
    assert decision.data.applicant.email == "marc.hansen@alzette.example"

    # When the exit is delivered again, and a copy gets past the inbox (as after a restore of the database)
    assert not await deliver(sessions, (MIREILLE,), closing)
    async with sessions() as session:
        await when_journey_closes(session, closing, (MIREILLE,), "lux-aif", stage, now())
        await session.commit()

    # Then nothing more is freed: Pétrusse Vie still waits, and no other decision is staged
    async with sessions() as session:
        assert await active_projects(session) == {MIREILLE.id: 1}
        assert [w.application_id for w in await waiting_queue(session)] == ["PETRUSSE-VIE"]
    assert [row.event_id for row in await decisions_staged(sessions)] == [staged.event_id]
    await engine.dispose()


async def test_eight_places_freed_at_the_same_moment_take_each_of_three_waiting_projects_once(database):
    # Given eight insurance experts with one place each, all taken by reinsurers' projects; three insurers wait
    engine, sessions = await routing_database(database, "release_race")
    team = tuple(Expert(f"insurance-expert-{n}", f"Insurance Expert {n}", ("insurance",), 1) for n in range(8))
    carried = [f"REINSURER-{n}" for n in range(8)]
    waiting = ["ALZETTE-ASSURANCES", "PETRUSSE-VIE", "SURE-MUTUELLE"]
    for application_id in (*carried, *waiting):
        await accept(sessions, team, scored_event(application_id, application_id.title(), "claims@insurer.example"))

    # When the eight journeys close at once, each in its own transaction
    await asyncio.gather(*(deliver(sessions, team, exit_of(application_id, application_id.title()))
                           for application_id in carried))

    # Then each waiting project is taken on once, by three different experts, and five places stay free
    async with sessions() as session:
        assert sorted((await active_projects(session)).values()) == [1, 1, 1]
        assert await waiting_queue(session) == []
    assert sorted(row.key for row in await decisions_staged(sessions)) == sorted(waiting)
    await engine.dispose()


async def test_a_project_released_by_staff_and_accepted_again_is_carried_again(database):
    # Given Moselle Re with Mireille, her one place
    engine, sessions = await routing_database(database, "release_again")
    await accept(sessions, (MIREILLE,), scored_event("MOSELLE-RE", "Moselle Re", "anne.weber@moselle-re.example"))

    # When staff forward it elsewhere (the project leaves her), then accept it again
    async with sessions() as session:
        assert await hand_back(session, "MOSELLE-RE", now()) == MIREILLE.id
        await session.commit()
    async with sessions() as session:
        released = await session.get(ExpertAssignment, "MOSELLE-RE")
        assert released is not None and released.released_at is not None and await active_projects(session) == {}
    async with sessions() as session:
        again = await take_on(session, "MOSELLE-RE", ["insurance"], (MIREILLE,), now())
        await session.commit()

    # Then Mireille carries it again, on its one assignment row, open
    assert again.expert == MIREILLE
    async with sessions() as session:
        assert await active_projects(session) == {MIREILLE.id: 1}
        rows = (await session.exec(select(ExpertAssignment))).all()
    assert [(row.application_id, row.released_at) for row in rows] == [("MOSELLE-RE", None)]
    await engine.dispose()
