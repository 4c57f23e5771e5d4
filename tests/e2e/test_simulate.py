"""The dry run over real HTTP: `POST /v1/simulate` answers staff with the decision an application would get, and
stores and publishes nothing; without the staff token it answers 401, and on an intake where no staff token is
configured 503.

Staff requests go to a second intake process started with STAFF_API_TOKEN (and a rate limit of one submission a
minute, to show that dry runs are not counted as submissions); the session's intake has no staff token."""

from __future__ import annotations

import httpx
import pytest

from infra import samples
from tests.e2e.test_api_edges import another_intake

STAFF_TOKEN = "staff-token-for-the-e2e-tests"
STAFF = {"authorization": f"Bearer {STAFF_TOKEN}"}


@pytest.fixture(scope="module")
def staff_intake(system, tmp_path_factory):
    with another_intake(system, tmp_path_factory.mktemp("staff-intake"), STAFF_API_TOKEN=STAFF_TOKEN,
                        RATE_LIMIT_PER_MINUTE="1") as url:
        yield url


async def simulate(intake: str, body: dict, headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(f"{intake}/v1/simulate", json=body, headers=headers or {}, params=params)


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer not-the-staff-token"},
                                     {"authorization": f"Basic {STAFF_TOKEN}"}],
                         ids=["no token", "wrong token", "not a bearer token"])
async def test_a_dry_run_without_the_staff_token_gets_401(staff_intake, headers):
    # When someone without the staff token asks for a dry run
    response = await simulate(staff_intake, samples.MOSELLE_RE.body, headers)

    # Then 401 in intake's error shape, asking for a bearer token
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized" and response.json()["errors"] == []
    assert "staff token" in response.json()["message"]


async def test_staff_get_the_decision_and_nothing_is_stored_or_published(system, staff_intake):
    # Given the counts of stored applications and submitted events
    before = await system.counts()

    # When staff run every sample dry
    answers = {sample.story: await simulate(staff_intake, sample.body, STAFF) for sample in samples.ALL}

    # Then each gets its expected decision, with reasons, the policy version and the scores
    for sample in samples.ALL:
        answer = answers[sample.story]
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert (result["outcome"], result["factory_id"]) == (sample.expected_outcome, sample.expected_factory)
        assert result["reasons"] and result["policy_version"].startswith("triage-")
        assert set(result["scores"]) == {"sectors", "priority_score", "readiness_score", "total_score", "rules",
                                         "partner_fit"}
        assert len(result["scores"]["partner_fit"]) <= 3
    # And nothing was stored or published
    assert await system.counts() == before


async def test_staff_compare_the_classifier_of_november_with_todays(staff_intake):
    # When staff run Petit Four's application dry, compared with the triage policy kept from November
    answer = await simulate(staff_intake, samples.PETIT_FOUR.body, STAFF, compare="triage-2026.11.3")
    # Then the answer sets that policy's decision and sectors beside today's, and says whether it changed
    assert answer.status_code == 200, answer.text
    compared = answer.json()["compared"]
    assert compared["policy_version"].startswith("triage-2026.11.3+") and isinstance(compared["changed"], bool)
    # And a policy that is not kept is refused with the field named
    refused = await simulate(staff_intake, samples.PETIT_FOUR.body, STAFF, compare="triage-1999")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "compare"


async def test_dry_runs_are_not_rate_limited_like_submissions(staff_intake):
    # Given a client that used up its submissions on the staff intake (one a minute; refused ones count too)
    async with httpx.AsyncClient(timeout=10) as client:
        submissions = [(await client.post(f"{staff_intake}/v1/applications", json={})).status_code
                       for _ in range(2)]
    assert submissions == [422, 429]

    # When staff run applications dry, many times over
    answers = [await simulate(staff_intake, samples.PETIT_FOUR.body, STAFF) for _ in range(5)]

    # Then every dry run is answered
    assert [answer.status_code for answer in answers] == [200] * 5


async def test_an_invalid_application_gets_422_naming_the_field(staff_intake):
    # When staff run dry an application without a summary
    body = {**samples.MOSELLE_RE.body, "project": {**samples.MOSELLE_RE.body["project"]}}
    del body["project"]["summary"]
    response = await simulate(staff_intake, body, STAFF)

    # Then 422 names the field, as for a submission
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request"
    assert [e["field"] for e in response.json()["errors"]] == ["project.summary"]


async def test_without_a_configured_staff_token_a_dry_run_gets_503_naming_the_setting(system):
    # When anyone asks the session's intake, which has no STAFF_API_TOKEN, for a dry run
    response = await simulate(system.intake, samples.MOSELLE_RE.body, STAFF)

    # Then 503 says that staff access is not configured, and names the setting
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "not_configured" and "STAFF_API_TOKEN" in response.json()["message"]


async def test_the_openapi_document_declares_the_staff_answers(system):
    async with httpx.AsyncClient(timeout=5) as client:
        openapi = (await client.get(system.intake + "/openapi.json")).json()
    operation = openapi["paths"]["/v1/simulate"]["post"]
    assert {"200", "401", "422", "503"} <= set(operation["responses"])
    assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert openapi["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
