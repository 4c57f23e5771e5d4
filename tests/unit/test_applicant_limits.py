"""The web form is a door like the API: one count of submissions per address for both, the same body size limit,
and a refusal a person can read, in the page's language."""

from __future__ import annotations

import httpx
from starlette.responses import PlainTextResponse

from services.intake.applications.limits import BodySizeLimit, SubmissionRateLimit


async def taken(scope, receive, send) -> None:
    """Stands for intake behind the limits: whatever passes them is taken."""
    await PlainTextResponse("taken", status_code=202)(scope, receive, send)


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
                             base_url="http://intake")


async def test_the_form_and_the_api_share_one_submission_count_and_the_form_is_refused_with_a_page():
    # Given a limit of 2 submissions a minute, and a clock that does not move
    limited = SubmissionRateLimit(taken, per_minute=2, clock=lambda: 0.0)
    async with client(limited) as intake:
        # When one address submits once through the API and once through the form
        assert (await intake.post("/v1/applications", json={})).status_code == 202
        assert (await intake.post("/apply", data={"company.name": "Moselle Re"})).status_code == 202

        # Then a third, through either door, is refused: as JSON for the API
        api = await intake.post("/v1/applications", json={})
        assert api.status_code == 429 and api.json()["error"] == "rate_limited"
        # And as a page in the applicant's language for the form, with the same Retry-After
        form = await intake.post("/apply?lang=fr", data={"company.name": "Moselle Re"})
        assert form.status_code == 429 and form.headers["content-type"].startswith("text/html")
        assert form.headers["retry-after"] == api.headers["retry-after"] == "30"
        assert "Trop de candidatures" in form.text
        assert "au plus 2 candidatures par minute" in form.text and "dans 30 secondes" in form.text

        # And looking at the form is not a submission: never counted, never refused
        assert (await intake.get("/apply")).status_code == 202


async def test_a_form_over_the_body_limit_gets_a_page_saying_so_in_the_pages_language():
    limited = BodySizeLimit(taken, max_body_bytes=2048)
    async with client(limited) as intake:
        refused = await intake.post("/apply?lang=de", data={"project.summary": "Rückversicherung " * 200})
    assert refused.status_code == 413
    assert "Ihre Bewerbung ist zu lang" in refused.text and "2 KiB" in refused.text
