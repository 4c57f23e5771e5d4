"""Recording an accepted project's journey as an expert does it in the console, over HTTP: the page's own form
(its CSRF token and its form id), sent with the fields the expert fills in."""

from __future__ import annotations

import re
import uuid
from datetime import date

import httpx

from tests.support.staff import csrf_token

FORM_ID = re.compile(r'name="journey_id" value="([^"]+)"')


async def record(client: httpx.AsyncClient, application_id: str, record: str, on: date,
                 **fields: str | list[str]) -> httpx.Response:
    """Send one of the journey's forms (record: step, exit or correction) from the application's page. For a
    step, the step is the one the page offers unless `step` is given."""
    page = await client.get(f"/console/applications/{application_id}")
    assert page.status_code == 200, page.text
    form_id = FORM_ID.search(page.text)  # a viewer's page has no journey form: the request is made up
    data: dict = {"csrf_token": csrf_token(page.text), "journey_id": form_id.group(1) if form_id else str(uuid.uuid4()),
                  "record": record, "on": on.isoformat()}
    if record == "step" and "step" not in fields:
        offered = re.search(r'name="step" id="journey-step-step" value="([^"]*)"', page.text)
        assert offered, "the page offers no next step"
        data["step"] = offered.group(1)
    data.update(fields)
    return await client.post(f"/console/applications/{application_id}/journey", data=data)


async def expert_load(client: httpx.AsyncClient, routing_url: str) -> dict[str, int]:
    """Each expert's active projects, as routing shows them (GET /v1/experts)."""
    response = await client.get(f"{routing_url}/v1/experts")
    return {expert["id"]: expert["active"] for expert in response.json()["experts"]}
