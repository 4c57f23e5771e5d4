"""The applicant's pages behind the status link: the confirmation that gives it, and the status page.

Both are capability pages: the token in their address is the only key, so they are not cached, not indexed, and
send no Referer to the sites they link to. They speak the applicant's language (the switch in the header), and
show what the status link's JSON answers (status_link.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from contracts import reference
from contracts.events import ApplicationSubmitted
from services.intake.applicant import status_link
from services.intake.web.i18n import LANGUAGES, MESSAGES, translator
from services.intake.web.rendering import page_language, render
from services.runtime.service import Runtime

RECEIVED_PATH = "/apply/received/{application_id}"
STAGES = ("received", "assessing", "decided")
JOURNEY = ("training", "assessment", "matching", "funding", "poc", "production")
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def received_path(application_id: str) -> str:
    """The confirmation page of an application just taken in (its token goes in the query)."""
    return RECEIVED_PATH.format(application_id=application_id)


def switch(request: Request) -> Callable[[str], str]:
    """The language switch's links: this page, with its query (the token of a status link too), in `code`."""
    return lambda code: "?" + urlencode({**request.query_params, "lang": code})


def page(request: Request, template: str, lang: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of the applicant's, in `lang`, with the language switch."""
    return render(request, template, status_code=status_code, lang=lang, language_url=switch(request), **context)


def applicant_language(request: Request, submitted: ApplicationSubmitted) -> str:
    """The language the applicant chose on the page (?lang=), else the one they chose for their emails."""
    chosen = request.query_params.get("lang")
    return chosen if chosen in LANGUAGES else submitted.contact.language


def factory_of(factory_id: str | None) -> reference.Factory | None:
    try:
        return reference.load().factory(factory_id) if factory_id else None
    except KeyError:  # a factory no longer in the reference data: the page shows its id
        return None


def status_context(view: dict, lang: str) -> dict[str, Any]:
    """What the status page shows, from the status link's view (the same the JSON API answers)."""
    t = translator(lang)
    decision = view.get("decision")
    factory = factory_of(decision["factory_id"]) if decision else None
    timeline = [{"time": datetime.fromisoformat(entry["time"]),
                 "label": t(f"event.{entry['event']}") if f"event.{entry['event']}" in MESSAGES else t("event.other"),
                 "detail": entry["summary"] if entry["event"] == "lu.aif.routing.referral-updated" else None}
                for entry in view["timeline"]]
    return {"decision": decision, "stage": "decided" if decision else "assessing",
            "stages": STAGES, "journey": JOURNEY, "timeline": timeline, "time_format": t("time.format"),
            "factory": factory,
            "factory_name": f"{factory.name} ({factory.country})" if factory else (decision or {}).get("factory_id")}


def router(runtime: Runtime) -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    public_base_url: str | None = getattr(runtime.settings, "public_base_url", None)

    async def followed_page(request: Request, application_id: str, token: str, template: str,
                            context: Callable[[status_link.Followed, str], dict[str, Any]]) -> HTMLResponse:
        """A page of the status link: in the applicant's language, private, and 404 for a wrong id or token."""
        followed = await status_link.follow(runtime.sessions, application_id, token)
        if followed is None:
            response = page(request, "apply/not_found.html", page_language(request), 404)
        else:
            submitted = ApplicationSubmitted.model_validate_json(followed.application.submitted)
            lang = applicant_language(request, submitted)
            response = page(request, template, lang, submitted=submitted, **context(followed, lang))
        response.headers.update(PRIVATE)
        return response

    @routes.get(RECEIVED_PATH)
    async def received(request: Request, application_id: str, token: str = "") -> HTMLResponse:
        url = status_link.link(request, public_base_url, f"/status/{application_id}", token)
        return await followed_page(request, application_id, token, "apply/received.html",
                                   lambda _followed, _lang: {"status_url": url})

    @routes.get("/status/{application_id}")
    async def status(request: Request, application_id: str, token: str = "") -> HTMLResponse:
        export_url = f"/v1/applications/{application_id}/export?{urlencode({'token': token})}"
        return await followed_page(request, application_id, token, "apply/status.html",
                                   lambda followed, lang: {**status_context(status_link.status_view(followed), lang),
                                                           "export_url": export_url})

    return routes
