"""The journey of accepted projects, end to end on a system of its own: an expert records every step of one
project to completion and takes another out after its assessment for lack of funding, over the console's HTTP
forms; the steps reach the timeline, the milestones the applicant's mailbox, and the expert's places come back.
Then the indicators, rebuilt from the topics into an empty database, come out the same."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import timedelta

import httpx
import pytest

from contracts import topics
from contracts.envelope import now
from infra import samples
from infra.topics import create_topics
from services.intake.console import indicators
from services.intake.reactions import reactions
from services.intake.read_model.rebuild import rebuild
from services.runtime import db
from services.runtime.partners import PartnerKeys
from tests.support.journey import expert_load, record
from tests.support.kafka import kafka_broker, message_count
from tests.support.staff import create_account, signed_in_client
from tests.support.system import running_system

TODAY = now().date()
WHOLE_JOURNEY = ("training", "assessment", "matching", "funding", "poc", "production", "completed")


@pytest.fixture(scope="module")
def journey_system(database, tmp_path_factory: pytest.TempPathFactory):
    """A broker and system of their own, so that the figures compared are of this module's applications alone."""
    with kafka_broker(tmp_path_factory.mktemp("journey-broker")) as bootstrap:
        asyncio.run(create_topics(bootstrap))
        with running_system(bootstrap, database, tmp_path_factory.mktemp("journey-var"), "journey") as system:
            yield system


def moselle_re(tag: str) -> dict:
    body = {**samples.MOSELLE_RE.body, "company": {**samples.MOSELLE_RE.body["company"]}}
    body["company"]["name"] = f"Moselle Re {tag}"
    return body


async def accepted(system) -> tuple[str, str, dict]:
    response = await system.submit(moselle_re(uuid.uuid4().hex[:6]))
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    status = await system.wait_until(status_url, lambda s: "decision" in s)
    assert status["decision"]["outcome"] == "accept_local" and status["decision"]["expert_name"], status
    return application_id, status_url, status["decision"]


async def wait_for_load(client, system, expert_id: str, load: int, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (await expert_load(client, system.stack.url("routing"))).get(expert_id) != load:
        assert asyncio.get_running_loop().time() < deadline, f"{expert_id} never carried {load} projects"
        await asyncio.sleep(0.2)


def csv_figures(text: str) -> dict[tuple[str, str], str]:
    return {(row[0], row[1]): row[2] for row in list(csv.reader(io.StringIO(text)))[1:]}


async def test_one_project_completes_the_journey_another_leaves_it_and_the_figures_rebuild_the_same(
        journey_system, database):
    system = journey_system
    sofia = create_account(system, "expert", "Sofia Rossi")
    async with signed_in_client(system.intake, sofia) as console, httpx.AsyncClient(timeout=10) as http:
        # Given two accepted Moselle Re projects with the same expert's places
        first, first_status, decision = await accepted(system)
        second, second_status, second_decision = await accepted(system)
        experts = (await http.get(f"{system.stack.url('routing')}/v1/experts")).json()["experts"]
        expert = next(e["id"] for e in experts if e["name"] == decision["expert_name"])
        load = (await expert_load(http, system.stack.url("routing")))[expert]

        # When Sofia records every step of the first, confirming a provider and attaching a dataset
        for step in WHOLE_JOURNEY:
            extra = {"providers": ["sample-ledgerlight"]} if step == "matching" else \
                {"datasets": ["sample-lu-claims-synthetic"]} if step == "poc" else {}
            response = await record(console, first, "step", TODAY, note=f"{step} done", **extra)
            assert response.status_code == 303, response.text

        # And takes the second out after its assessment, for lack of funding
        for step in ("training", "assessment"):
            assert (await record(console, second, "step", TODAY)).status_code == 303
        response = await record(console, second, "exit", TODAY, exit_reason="no_funding",
                                note="No national grant this year.")
        assert response.status_code == 303, response.text

        # Then the applicant's timeline shows each step in Sofia's name
        status = await system.wait_until(first_status, lambda s: sum("Journey:" in e["summary"]
                                                                    for e in s["timeline"]) == 7)
        journey_lines = [e["summary"] for e in status["timeline"] if e["summary"].startswith("Journey:")]
        assert journey_lines[-1] == f"Journey: Completed reached on {TODAY.isoformat()} (recorded by Sofia Rossi)"
        # And the milestones came by email, once each: training, the PoC and completion; training for the other
        emails = await system.wait_for_emails(first, count=4)
        assert sorted(e["X-Notice-Kind"] for e in emails) == [
            "decision:accept_local:lux-aif", "journey:completed", "journey:poc", "journey:training"]
        assert sorted(e["X-Notice-Kind"] for e in await system.wait_for_emails(second, count=2)) == [
            "decision:accept_local:lux-aif", "journey:training"]
        # And the expert carries two projects fewer
        await wait_for_load(http, system, expert, load - 2 if second_decision["expert_name"] == decision["expert_name"] else load - 1)

        # And the page shows the provider confirmed and the dataset attached
        page = (await console.get(f"/console/applications/{first}")).text
        assert "LedgerLight Analytics (sample)" in page and "Synthetic insurance claims" in page

        # And the indicators' CSV counts both
        figures = csv_figures((await console.get("/console/indicators.csv")).text)
        assert (figures["journey", "completed"], figures["journey", "exited"]) == ("1", "1")
        assert figures["journey_exits", "assessment:no_funding"] == "1"
        assert figures["journey_funnel", "assessment"] == "2" and figures["journey_funnel", "funding"] == "1"
        assert figures["journey_median_days", "training"] == "0.0"

    # When the read model is rebuilt from the topics into an empty database
    await wait_caught_up_intake(system)
    rebuilt_url = database(f"journey_rebuilt_{uuid.uuid4().hex[:6]}")
    counts = await rebuild(system.bootstrap, rebuilt_url, reactions(PartnerKeys({})))
    assert counts[topics.JOURNEY_STEP_RECORDED.name] == 10

    # Then its indicators are the same, figure for figure
    assert await figures_of(rebuilt_url) == await figures_of(system.stack.service_env("intake")["DATABASE_URL"])


async def test_a_skipped_step_is_refused_and_nothing_is_published(journey_system):
    system = journey_system
    sofia = create_account(system, "expert", "Sofia Rossi")
    application_id, _, _ = await accepted(system)
    before = await message_count(system.bootstrap, topics.JOURNEY_STEP_RECORDED.name)
    async with signed_in_client(system.intake, sofia) as console:
        # When she dates a step before the project was accepted
        response = await record(console, application_id, "step", TODAY - timedelta(days=1))

        # Then the page says the date cannot be before the acceptance
        assert response.status_code == 422
        assert f"The date cannot be before {TODAY.isoformat()}, when the project was accepted." in response.text

        # When she records funding for a project that has not had its training
        response = await record(console, application_id, "step", TODAY, step="funding")

        # Then the page says which step comes next, and nothing is recorded
        assert response.status_code == 422
        assert "The next step is Training: steps are recorded in order." in response.text
        # And a viewer may not record at all
    marie = create_account(system, "viewer", "Marie Klein")
    async with signed_in_client(system.intake, marie) as viewer:
        refused = await record(viewer, application_id, "step", TODAY, step="training")
        assert refused.status_code == 403
    await asyncio.sleep(1)
    assert await message_count(system.bootstrap, topics.JOURNEY_STEP_RECORDED.name) == before


async def wait_caught_up_intake(system, timeout: float = 30) -> None:
    """Until intake's read model has taken every email and journey event: the live figures stop moving."""
    deadline = asyncio.get_running_loop().time() + timeout
    previous = None
    while (current := await figures_of(system.stack.service_env("intake")["DATABASE_URL"])) != previous:
        assert asyncio.get_running_loop().time() < deadline, "intake's figures never settled"
        previous = current
        await asyncio.sleep(1.0)


async def figures_of(database_url: str) -> str:
    engine = db.make_engine(database_url)
    try:
        async with db.sessions(engine)() as session:
            return indicators.to_csv(await indicators.compute(session))
    finally:
        await engine.dispose()
