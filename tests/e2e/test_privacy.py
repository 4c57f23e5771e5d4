"""The applicant's data rights, end to end: erasure on request reaches every service's database and survives a
rebuild of intake's read model, while the indicators count as before; the applicant and the staff download
everything held about an application, and a status link opens no other application's data."""

from __future__ import annotations

import asyncio
import copy
import importlib
import json
import subprocess
import sys
import uuid

import httpx
import pytest
from sqlalchemy import text

from contracts.envelope import now
from contracts.topics import DECISION_MADE
from infra import samples
from infra.stack import SERVICES
from infra.topics import create_topics
from services.intake.reactions import reactions
from services.intake.read_model.rebuild import rebuild
from services.runtime import db
from services.runtime.partners import PartnerKeys
from tests.e2e.test_journey import figures_of, wait_caught_up_intake
from tests.support.kafka import kafka_broker, publish_raw, records_about, wait_caught_up
from tests.support.staff import ROOT, create_account, csrf_token, signed_in_client
from tests.support.system import running_system

DONE = "lu.aif.notify.email-sent"
REFUSED_DOMAIN = "refused.example"  # the privacy system's mailbox refuses it for good


@pytest.fixture(scope="module")
def privacy_system(database, tmp_path_factory: pytest.TempPathFactory):
    """A broker and system of their own, so that the indicators compared are of this module's applications and
    the logs searched are of its runs alone."""
    with kafka_broker(tmp_path_factory.mktemp("privacy-broker")) as bootstrap:
        asyncio.run(create_topics(bootstrap))
        with running_system(bootstrap, database, tmp_path_factory.mktemp("privacy-var"), "privacy",
                            refused_domains=(REFUSED_DOMAIN,)) as system:
            yield system


def person(sample: samples.Sample) -> tuple[dict, list[str]]:
    """The sample's application from a person of its own: the body, and what identifies them."""
    tag = uuid.uuid4().hex[:8]
    body = copy.deepcopy(sample.body)
    body["contact"]["name"] = f"Ottilie Brandywine {tag}"
    body["contact"]["email"] = f"ottilie.{tag}@brandywine.example"
    body["company"]["name"] = f"Brandywine Holdings {tag}"
    return body, [body["contact"]["name"], body["contact"]["email"], body["company"]["name"]]


async def decided_and_emailed(system, body: dict) -> tuple[str, str]:
    response = await system.submit(body)
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    await system.wait_until(status_url, lambda s: any(e["event"] == DONE for e in s["timeline"]))
    return application_id, status_url


async def found_in(database_url: str, service: str, identifying: list[str]) -> list[str]:
    """Every row of the service's tables that holds one of the values, as '<table>: <row>'."""
    engine = db.make_engine(database_url)
    found = []
    try:
        async with engine.connect() as connection:
            for table in importlib.import_module(f"services.{service}.models").TABLES:
                for row in (await connection.execute(text(f"SELECT * FROM {table.__tablename__}"))).all():
                    line = " ".join(str(value) for value in row).lower()
                    if any(value.lower() in line for value in identifying):
                        found.append(f"{service}.{table.__tablename__}: {line[:200]}")
    finally:
        await engine.dispose()
    return found


async def wait_until_nowhere(system, identifying: list[str], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while found := [row for service in SERVICES for row in await found_in(
            system.stack.service_env(service)["DATABASE_URL"], service, identifying)]:
        assert asyncio.get_running_loop().time() < deadline, "still held:\n" + "\n".join(found)
        await asyncio.sleep(0.5)


async def replay_decision(system, application_id: str) -> None:
    """The application's decision, with the applicant's name and address, published again now as a new event
    sending it to review (an email notify has not sent yet), and read by intake's read model and notify."""
    original = json.loads((await records_about(system.bootstrap, DECISION_MADE.name, application_id))[0].value)
    data = {**original["data"], "outcome": "review", "factory_id": None}
    replayed = json.dumps({**original, "id": str(uuid.uuid4()), "time": now().isoformat(), "data": data}).encode()
    await publish_raw(system.bootstrap, DECISION_MADE.name, application_id.encode(), replayed,
                      headers=[("content-type", b"application/cloudevents+json")])
    for group in ("intake.read-model.decisions", "notify"):
        await wait_caught_up(system.bootstrap, group, DECISION_MADE.name)


async def erase_in_console(console: httpx.AsyncClient, application_id: str) -> httpx.Response:
    form = await console.get(f"/console/applications/{application_id}/erase")
    assert form.status_code == 200, form.text
    return await console.post(f"/console/applications/{application_id}/erase",
                              data={"csrf_token": csrf_token(form.text), "confirm": "yes"})


async def test_an_erased_applicant_is_in_no_database_and_a_rebuild_does_not_bring_them_back(privacy_system,
                                                                                           database):
    system = privacy_system
    admin = create_account(system, "admin", "Claire Hoffmann")
    # Given Moselle Re's project, accepted, and Odyssea's, forwarded with consent to share: decided and emailed
    accepted_body, accepted_person = person(samples.MOSELLE_RE)
    forwarded_body, forwarded_person = person(samples.ODYSSEA_NLP)
    accepted, accepted_status = await decided_and_emailed(system, accepted_body)
    forwarded, _ = await decided_and_emailed(system, forwarded_body)
    await wait_caught_up_intake(system)
    intake_url = system.stack.service_env("intake")["DATABASE_URL"]
    figures_before = await figures_of(intake_url)
    async with signed_in_client(system.intake, admin) as console:
        assert accepted_person[0] in (await console.get(f"/console/applications/{accepted}")).text

        # When an admin erases both on the applicants' request, confirming it
        for application_id in (accepted, forwarded):
            response = await erase_in_console(console, application_id)
            assert response.status_code == 303, response.text

        # Then no service's database holds their names, addresses or companies any more
        await wait_until_nowhere(system, accepted_person + forwarded_person)
        # And the console shows the application anonymised, with its decision
        page = (await console.get(f"/console/applications/{accepted}")).text
        assert "[erased]" in page and "was erased on" in page and "accept_local" in page
        assert not any(value in page for value in accepted_person)
    # And the indicators count as before
    assert await figures_of(intake_url) == figures_before

    # When a decision with the applicant's name and address comes after the erasure
    await replay_decision(system, accepted)
    # Then neither intake nor notify takes it: no database holds them, and no new email is sent
    await wait_until_nowhere(system, accepted_person + forwarded_person)
    assert len(system.emails_to(accepted)) == 1
    # And the applicant's status link still answers, with the decision and nothing that names them
    status = await system.status(accepted_status)
    assert status["decision"]["outcome"] == "accept_local"
    assert not any(value in json.dumps(status) for value in accepted_person)

    # When intake's read model is rebuilt from the topics into an empty database
    rebuilt_url = database(f"privacy_rebuilt_{uuid.uuid4().hex[:6]}")
    await rebuild(system.bootstrap, rebuilt_url, reactions(PartnerKeys({})))

    # Then the erased applicants do not come back, and the figures are the same
    assert await found_in(rebuilt_url, "intake", accepted_person + forwarded_person) == []
    assert await figures_of(rebuilt_url) == figures_before


async def test_the_staff_command_erases_and_the_status_link_shows_it(system):
    # Given Moselle Re's application, decided and emailed
    body, identifying = person(samples.MOSELLE_RE)
    application_id, status_url = await decided_and_emailed(system, body)
    admin = create_account(system, "admin", "Anne Weber")

    # When an admin erases it with the staff command
    done = subprocess.run(
        [sys.executable, "-m", "services.intake.console.staff", "erase", "--application-id", application_id,
         "--by", admin.username, "--yes"],
        env=system.stack.service_env("intake"), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    # Then the status link and the applicant's download name no one, and notify's notices forgot the address
    export_url = status_url.replace(f"/v1/applications/{application_id}?", f"/v1/applications/{application_id}/export?")
    async with httpx.AsyncClient(timeout=10) as client:
        document = (await client.get(export_url)).text
    assert application_id in document and not any(value in document for value in identifying)
    await wait_until_nowhere(system, identifying)


async def test_the_applicant_downloads_everything_held_and_no_other_token_opens_it(system):
    # Given two applications, the first decided and emailed
    body, identifying = person(samples.MOSELLE_RE)
    application_id, status_url = await decided_and_emailed(system, body)
    other = (await system.submit(person(samples.PETIT_FOUR)[0])).json()
    export_url = status_url.replace(f"/v1/applications/{application_id}?", f"/v1/applications/{application_id}/export?")

    async with httpx.AsyncClient(timeout=10) as client:
        # When the applicant downloads everything through their status link
        response = await client.get(export_url)
        # Then it is a JSON file with the application, the decision, the emails with their text and the timeline
        assert response.status_code == 200, response.text
        assert "attachment" in response.headers["content-disposition"]
        document = response.json()
        assert document["application"]["contact"]["email"] == identifying[1]
        assert document["decision"]["outcome"] == "accept_local" and document["decisions"]
        assert document["emails"][0]["to"] == identifying[1] and document["emails"][0]["body"]
        assert [entry["event"] for entry in document["timeline"]][0] == "lu.aif.intake.application-submitted"

        # When the other application's token is used on this application, or no token at all
        other_token = other["status_url"].split("token=")[1]
        for token in (other_token, ""):
            refused = await client.get(f"{system.intake}/v1/applications/{application_id}/export",
                                       params={"token": token})
            # Then nothing of it comes out
            assert refused.status_code == 404
            assert not any(value in refused.text for value in identifying)


async def test_staff_download_everything_held_from_the_console(system):
    body, identifying = person(samples.MOSELLE_RE)
    application_id, _ = await decided_and_emailed(system, body)
    viewer = create_account(system, "viewer", "Paul Schmit")
    async with signed_in_client(system.intake, viewer) as console:
        response = await console.get(f"/console/applications/{application_id}/export")
        assert response.status_code == 200, response.text
        assert response.json()["application"]["contact"]["name"] == identifying[0]
        # A viewer may download, not erase
        assert (await console.get(f"/console/applications/{application_id}/erase")).status_code == 403


async def backdate(system, application_id: str, days: int) -> None:
    """The application's last event, `days` ago, as if it had been decided then."""
    engine = db.make_engine(system.stack.service_env("intake")["DATABASE_URL"])
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE application SET updated_at = updated_at"
                                          " - make_interval(days => :days) WHERE id = :id"),
                                     {"days": days, "id": application_id})
    finally:
        await engine.dispose()


def retention_command(system, *options: str) -> str:
    done = subprocess.run([sys.executable, "-m", "services.intake.retention", *options],
                          env=system.stack.service_env("intake"), cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_declined_application_past_its_retention_is_listed_by_the_dry_run_then_erased(system):
    # Given Kastell Defence's application, declined and emailed 400 days ago
    body, identifying = person(samples.KASTELL_DEFENCE)
    application_id, _ = await decided_and_emailed(system, body)
    await backdate(system, application_id, 400)

    # When the retention's dry run looks
    listed = retention_command(system, "--dry-run")
    # Then it names the application and the rule, and erases nothing
    line = next(line for line in listed.splitlines() if line.startswith(application_id))
    assert "would be erased: retention: declined on " in line and "kept 365 days" in line
    assert await found_in(system.stack.service_env("intake")["DATABASE_URL"], "intake", identifying)

    # When the retention runs
    assert f"{application_id}  erased: retention: declined" in retention_command(system)
    # Then the application's personal data is in no service's database
    await wait_until_nowhere(system, identifying)


def written_by_the_services(system) -> dict[str, str]:
    """Every log file and trace file the services wrote: file name -> its text."""
    var_dir = system.stack.var_dir
    files = [*(var_dir / "log").glob("*.log"), *(var_dir / "traces").glob("*.jsonl")]
    return {path.name: path.read_text(errors="replace") for path in files if path.name != "mailbox.log"}


async def test_no_contact_data_in_logs_traces_or_dead_letter_headers(privacy_system):
    system = privacy_system
    # Given an applicant emailed as usual, and one whose mail server refuses the decision email for good
    body, identifying = person(samples.MOSELLE_RE)
    await decided_and_emailed(system, body)
    refused_body, refused_identifying = person(samples.MOSELLE_RE)
    refused_body["contact"]["email"] = refused_identifying[1] = f"ottilie.{uuid.uuid4().hex[:8]}@{REFUSED_DOMAIN}"
    refused = (await system.submit(refused_body)).json()["application_id"]

    # When the refused email's decision has gone to its dead-letter topic
    deadline = asyncio.get_running_loop().time() + 60
    while not (dead := await records_about(system.bootstrap, DECISION_MADE.dlq, refused)):
        assert asyncio.get_running_loop().time() < deadline, "the refused decision email never became a dead letter"
        await asyncio.sleep(0.5)

    # Then no log line, no span and no dead-letter header names either applicant
    headers = {name: value.decode(errors="replace") for name, value in dead[0].headers}
    written = {**written_by_the_services(system), **{f"dead-letter header {name}": v for name, v in headers.items()}}
    leaks = [f"{where}: {value}" for where, content in written.items()
             for value in identifying + refused_identifying if value.lower() in content.lower()]
    assert leaks == []
