"""Releasing an expert, end to end: a journey record on the topic, as intake's console stages it, frees the
expert's place when it closes the journey (an exit), and not before (a step); the same record twice frees it
once. On a system of its own whose only expert carries one project, the freed place goes to the project waiting
for her: it gets a new decision naming her, and its applicant an email saying who takes the project on; a place
freed by a staff member's change of decision goes the same way."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from datetime import date

import httpx
import pytest
import yaml

from contracts import topics
from contracts.envelope import Envelope, now
from contracts.events import Applicant, DecisionMade, JourneyStepRecorded, OverrideRequested
from infra import samples
from infra.topics import create_topics
from services.routing.release import TAKEN_FROM_QUEUE
from services.runtime.messages import command
from tests.support.kafka import kafka_broker, publish_raw, records_about, wait_caught_up
from tests.support.system import running_system

# The one expert of the small system's roster, with room for one project.
MIREILLE = {"id": "mireille-bausch", "name": "Mireille Bausch", "skills": ["insurance", "finance"]}


@pytest.fixture(scope="module")
def one_expert_system(database, tmp_path_factory: pytest.TempPathFactory):
    """A system of its own (its own broker too: the same consumer groups on the session's broker would share
    its messages with the shared system's services), whose roster is Mireille Bausch alone, carrying one project."""
    var_dir = tmp_path_factory.mktemp("one-expert-var")
    roster = var_dir / "experts.yaml"
    roster.write_text(yaml.safe_dump({"version": "one-expert", "experts": [MIREILLE]}), encoding="utf-8")
    with kafka_broker(tmp_path_factory.mktemp("one-expert-broker")) as bootstrap:
        asyncio.run(create_topics(bootstrap))
        with running_system(bootstrap, database, var_dir, "one_expert", EXPERTS_FILE=str(roster),
                            EXPERT_MAX_ACTIVE="1") as system:
            yield system


def insurer(company: str, contact: str, email: str) -> dict:
    """Another insurer with the same kind of project as Moselle Re: accepted, in the same sector."""
    body = copy.deepcopy(samples.MOSELLE_RE.body)
    body["company"]["name"] = company
    body["contact"] = {"name": contact, "email": email, "language": "fr"}
    return body


async def accepted(system, body: dict) -> tuple[str, str, dict]:
    response = await system.submit(body)
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    status = await system.wait_until(status_url, lambda s: "decision" in s)
    assert status["decision"]["outcome"] == "accept_local", status
    return application_id, status_url, status["decision"]


def journey_record(body: dict, application_id: str, record: str, step: str, expert_id: str | None,
                   exit_reason: str | None = None) -> JourneyStepRecorded:
    """What an expert records in the console about the application submitted with `body`."""
    applicant = Applicant(company_name=body["company"]["name"], contact_name=body["contact"]["name"],
                          email=body["contact"]["email"], language=body["contact"]["language"],
                          project_title=body["project"]["title"])
    return JourneyStepRecorded(application_id=application_id, record=record, step=step, on=date.today(),
                               exit_reason=exit_reason, expert_id=expert_id, recorded_by="Mireille Bausch",
                               staff_username="mbausch", recorded_at=now(), applicant=applicant)


async def submitted_id(system, application_id: str) -> str:
    (submitted,) = await records_about(system.bootstrap, topics.APPLICATION_SUBMITTED.name, application_id)
    return json.loads(submitted.value)["id"]


async def send_journey(system, data: JourneyStepRecorded) -> Envelope:
    """The record as intake's console stages it (in the application's journey, whose correlation id is its
    submitted event's id), published as intake's outbox relay publishes it."""
    envelope = command(topics.JOURNEY_STEP_RECORDED, data, service="intake", subject=data.application_id,
                       correlation_id=await submitted_id(system, data.application_id))
    await publish(system, envelope)
    return envelope


async def send_override(system, application_id: str, outcome: str, reason: str) -> Envelope:
    """A staff member's change of decision, as intake's console stages it (tests/e2e/test_overrides.py)."""
    override = OverrideRequested(application_id=application_id, outcome=outcome, reason=reason,
                                 requested_by="Claire Hoffmann", staff_username="choffmann", requested_at=now())
    envelope = command(topics.OVERRIDE_REQUESTED, override, service="intake", subject=application_id,
                       correlation_id=await submitted_id(system, application_id))
    await publish_raw(system.bootstrap, topics.OVERRIDE_REQUESTED.name, application_id.encode(),
                      envelope.model_dump_json().encode(), headers=[("content-type", b"application/cloudevents+json")])
    return envelope


async def publish(system, envelope: Envelope) -> None:
    await publish_raw(system.bootstrap, topics.JOURNEY_STEP_RECORDED.name, envelope.subject.encode(),
                      envelope.model_dump_json().encode(), headers=[("content-type", b"application/cloudevents+json")])


async def experts_and_queue(system) -> dict:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{system.stack.url('routing')}/v1/experts")
        response.raise_for_status()
        return response.json()


def load(view: dict) -> dict[str, int]:
    return {expert["id"]: expert["active"] for expert in view["experts"]}


async def wait_for_load(system, expert_id: str, active: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while load(view := await experts_and_queue(system))[expert_id] != active:
        if time.monotonic() > deadline:
            raise AssertionError(f"{expert_id} carries {load(view)[expert_id]} projects, not {active}")
        await asyncio.sleep(0.1)
    return view


async def decisions_about(system, application_id: str) -> list[Envelope[DecisionMade]]:
    records = await records_about(system.bootstrap, topics.DECISION_MADE.name, application_id)
    return [Envelope[DecisionMade].model_validate_json(record.value) for record in records]


async def test_an_exit_frees_the_experts_place_once_and_a_step_does_not(system):
    # Given Moselle Re's fraud detection, accepted, with an expert
    body = samples.MOSELLE_RE.body
    application_id, _, decision = await accepted(system, body)
    (expert,) = [e for e in (await experts_and_queue(system))["experts"] if e["name"] == decision["expert_name"]]
    carried = expert["active"]

    # When the expert records the training step
    await send_journey(system, journey_record(body, application_id, "step", "training", expert["id"]))
    await wait_caught_up(system.bootstrap, "routing.journey", topics.JOURNEY_STEP_RECORDED.name)
    # Then the project is still theirs
    assert load(await experts_and_queue(system))[expert["id"]] == carried

    # When the expert records that Moselle Re left the journey, having found no funding
    exit_ = await send_journey(system, journey_record(body, application_id, "exit", "training", expert["id"],
                                                      exit_reason="no_funding"))
    # Then the expert's place is free again
    await wait_for_load(system, expert["id"], carried - 1)

    # When the same exit is delivered again
    await publish(system, exit_)
    await wait_caught_up(system.bootstrap, "routing.journey", topics.JOURNEY_STEP_RECORDED.name)
    # Then nothing more is freed, and routing announces nothing about the project
    assert load(await experts_and_queue(system))[expert["id"]] == carried - 1
    assert len(await decisions_about(system, application_id)) == 1


async def test_a_freed_place_goes_to_the_waiting_project_and_its_applicant_hears_who_takes_it_on(
        one_expert_system):
    system = one_expert_system
    # Given Moselle Re with Mireille Bausch, her one place, and Alzette Assurances waiting for her
    moselle_body = samples.MOSELLE_RE.body
    alzette_body = insurer("Alzette Assurances", "Marc Hansen", "marc.hansen@alzette-assurances.example")
    moselle, _, first = await accepted(system, moselle_body)
    alzette, alzette_status, waiting = await accepted(system, alzette_body)
    assert first["expert_name"] == MIREILLE["name"] and waiting["waiting_for_expert"]
    before = await experts_and_queue(system)
    assert load(before) == {MIREILLE["id"]: 1}
    assert [w["application_id"] for w in before["waiting"]] == [alzette]

    # When Mireille records that Moselle Re left the journey, having found no funding
    exit_ = await send_journey(system, journey_record(moselle_body, moselle, "exit", None, MIREILLE["id"],
                                                      exit_reason="no_funding"))

    # Then Alzette Assurances is hers: its status shows the new decision, naming her and why she came now
    status = await system.wait_until(alzette_status, lambda s: s["decision"]["expert_name"] == MIREILLE["name"])
    decision = status["decision"]
    assert (decision["outcome"], decision["factory_id"], decision["decided_by"]) == ("accept_local", "lux-aif",
                                                                                    "routing")
    assert not decision["waiting_for_expert"]
    assert decision["reasons"][:1] == [TAKEN_FROM_QUEUE]
    assert decision["policy_version"] == waiting["policy_version"]
    # And routing shows her carrying it, and nobody waiting
    after = await experts_and_queue(system)
    assert load(after) == {MIREILLE["id"]: 1} and after["waiting"] == []
    # And the decision on the topic says it came from the waiting queue, in Alzette's journey, caused by the exit
    *_, taken = await decisions_about(system, alzette)
    assert taken.data.from_waiting_queue and taken.data.expert_id == MIREILLE["id"]
    assert (taken.correlationid, taken.causationid) == (await submitted_id(system, alzette), exit_.id)
    # And Marc Hansen is told, in French, that Mireille takes the project on
    await expert_assigned_email(system, alzette, alzette_body)

    # When Pétrusse Vie comes to wait for her, and a staff member then sends Alzette Assurances to review
    petrusse_body = insurer("Pétrusse Vie", "Léa Faber", "lea.faber@petrusse-vie.example")
    petrusse, petrusse_status, _ = await accepted(system, petrusse_body)
    override = await send_override(system, alzette, "review", "The claims data belongs to a reinsurer: check first.")

    # Then Alzette leaves Mireille, and Pétrusse Vie is taken on by her, caused by the staff member's change
    status = await system.wait_until(petrusse_status, lambda s: s["decision"]["expert_name"] == MIREILLE["name"])
    assert status["decision"]["reasons"][:1] == [TAKEN_FROM_QUEUE]
    assert (await system.status(alzette_status))["decision"]["outcome"] == "review"
    after = await experts_and_queue(system)
    assert load(after) == {MIREILLE["id"]: 1} and after["waiting"] == []
    *_, taken = await decisions_about(system, petrusse)
    assert taken.data.from_waiting_queue and taken.causationid == override.id
    await expert_assigned_email(system, petrusse, petrusse_body)


async def expert_assigned_email(system, application_id: str, body: dict) -> None:
    """The applicant's second email (after the one saying the project waits): in their language, naming the
    expert who takes the project on."""
    emails = await system.wait_for_emails(application_id, count=2)
    (assigned,) = [email for email in emails if email["X-Notice-Kind"].startswith("expert-assigned")]
    assert assigned["X-Notice-Kind"] == f"expert-assigned:{MIREILLE['id']}"
    assert assigned["To"] == body["contact"]["email"] and assigned["Content-Language"] == body["contact"]["language"]
    assert MIREILLE["name"] in assigned.get_content()
