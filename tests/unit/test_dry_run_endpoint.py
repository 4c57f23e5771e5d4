"""intake's `POST /v1/simulate` does no dry run of its own: it calls the function its DRY_RUN_ENTRY_POINT setting
names, answers what it returns, turns its refusal into a 422 naming the field, and without the setting says the
dry run is not configured. The real dry run (services/simulation/) is tested in test_simulation.py."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from infra import samples
from services.intake import errors
from services.intake.applications import dry_run
from services.intake.applications.requests import DryRunRefused, SubmitApplication

TOKEN = "staff-token-of-the-unit-tests"
STAFF = {"authorization": f"Bearer {TOKEN}"}
HERE = "tests.unit.test_dry_run_endpoint"


def accept_everything(application: SubmitApplication, *, compare: str | None = None) -> dict:
    """Stands for the dry run: every project accepted at home, naming its company in the reason."""
    if compare == "triage-1999":
        raise DryRunRefused("compare: no kept triage policy 'triage-1999'")
    return {"outcome": "accept_local", "factory_id": "lux-aif", "reasons": [f"{application.company.name} fits."],
            "policy_version": "triage-test+routing-test",
            "scores": {"sectors": [], "priority_score": 0, "readiness_score": 0, "total_score": 0, "rules": [],
                       "partner_fit": []}}


def intake(entry_point: str | None) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(dry_run.router(TOKEN, entry_point))
    errors.install(app)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


async def test_the_dry_run_is_the_named_functions_answer():
    # Given an intake whose dry run is the function above
    async with intake(f"{HERE}:accept_everything") as client:
        # When staff run Moselle Re's application dry
        answer = await client.post("/v1/simulate", json=samples.MOSELLE_RE.body, headers=STAFF)

    # Then the answer is that function's
    assert answer.status_code == 200, answer.text
    assert (answer.json()["outcome"], answer.json()["reasons"]) == ("accept_local", ["Moselle Re fits."])


async def test_a_refused_dry_run_is_a_422_naming_the_field():
    async with intake(f"{HERE}:accept_everything") as client:
        answer = await client.post("/v1/simulate", json=samples.MOSELLE_RE.body, headers=STAFF,
                                   params={"compare": "triage-1999"})

    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_request" and answer.json()["errors"][0]["field"] == "compare"


async def test_without_an_entry_point_the_dry_run_is_not_configured():
    async with intake(None) as client:
        answer = await client.post("/v1/simulate", json=samples.MOSELLE_RE.body, headers=STAFF)

    assert answer.status_code == 503
    assert answer.json()["error"] == "not_configured" and "DRY_RUN_ENTRY_POINT" in answer.json()["message"]


def test_an_entry_point_that_does_not_load_stops_intakes_start_naming_it():
    with pytest.raises(RuntimeError, match="DRY_RUN_ENTRY_POINT 'services.no_such_module:simulate' does not load"):
        dry_run.router(TOKEN, "services.no_such_module:simulate")
