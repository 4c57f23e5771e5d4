"""The applicant's pages: the application form, its confirmation with the status link, and the status page.

The form posts to `/apply`; it is taken in exactly as the JSON API takes an application (`take_in.submit`,
channel 'web'), under the same rate and size limits (limits.py counts both doors together). The confirmation and
status pages are capability pages: the token in their address is the only key, so they are not cached, not
indexed, and send no Referer to the sites they link to.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from contracts import reference
from contracts.events import ApplicationSubmitted
from services.intake import status_link, take_in
from services.intake.requests import SubmitApplication
from services.intake.web import application_form as form
from services.intake.web.i18n import LANGUAGES, MESSAGES, translator
from services.intake.web.rendering import page_language, render
from services.runtime.service import Runtime

FORM_PATH = "/apply"
STAGES = ("received", "assessing", "decided")
JOURNEY = ("training", "assessment", "matching", "funding", "poc", "production")
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def switch(request: Request) -> Callable[[str], str]:
    """The language switch's links: this page, with its query (the token of a status link too), in `code`."""
    return lambda code: "?" + urlencode({**request.query_params, "lang": code})


def page(request: Request, template: str, lang: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(request, template, status_code=status_code, lang=lang, language_url=switch(request), **context)


def form_page(request: Request, lang: str, values: dict[str, Any], errors: dict[str, str],
              status_code: int = 200) -> HTMLResponse:
    t = translator(lang)
    sectors = form.sectors(t)
    fields = form.fields()
    # Where the error summary's links lead: the field, or the first box of a group
    anchors = {name: spec.id for name, spec in fields.items()}
    anchors.update({name: f"{fields[name].id}-{fields[name].options[0]}" for name in form.RADIOS})
    anchors[form.SECTORS] = f"{fields[form.SECTORS].id}-{sectors[0][0]}"
    return page(request, "apply/form.html", lang, status_code, fields=fields, values=values, errors=errors,
                anchors=anchors, hints=form.hints(t), countries=form.countries(lang), sectors=sectors,
                options=lambda name: [(value, form.option_label(t, name, value)) for value in fields[name].options],
                client_messages=form.client_messages(t))


def applicant_language(request: Request, submitted: ApplicationSubmitted) -> str:
    """The language the applicant chose on the page (?lang=), else the one they chose for their emails."""
    chosen = request.query_params.get("lang")
    return chosen if chosen in LANGUAGES else submitted.contact.language


def refusal_page(scope: MutableMapping[str, Any], status: int, error: str, limit: dict[str, int]) -> HTMLResponse:
    """The page a person gets when limits.py refuses the form: too many submissions, or too large a body."""
    request = Request(scope)
    words = {**limit, "kib": limit.get("max_bytes", 0) // 1024}
    return page(request, "apply/refused.html", page_language(request), status, error=error, words=words)


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

    @routes.get("/")
    async def home(request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(FORM_PATH + query, status_code=303)

    @routes.get(FORM_PATH)
    async def application_form(request: Request) -> HTMLResponse:
        lang = page_language(request)
        return form_page(request, lang, {"contact.language": lang}, {})

    @routes.post(FORM_PATH)
    async def submit(request: Request) -> Response:
        """The form, checked by the API's model: back with the values and the errors (422), or taken in (303 to
        the confirmation, whose address carries the status link's token)."""
        lang = page_language(request)
        values = form.posted(await request.form())
        try:
            application = SubmitApplication.model_validate(form.application(values))
        except ValidationError as invalid:
            return form_page(request, lang, values, form.errors(invalid, translator(lang)), status_code=422)
        submitted = await take_in.submit(runtime, application, channel="web")
        query = urlencode({"token": submitted.token, "lang": lang})
        return RedirectResponse(f"{FORM_PATH}/received/{submitted.application_id}?{query}", status_code=303)

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

    @routes.get(FORM_PATH + "/received/{application_id}")
    async def received(request: Request, application_id: str, token: str = "") -> HTMLResponse:
        url = status_link.link(request, public_base_url, f"/status/{application_id}", token)
        return await followed_page(request, application_id, token, "apply/received.html",
                                   lambda _followed, _lang: {"status_url": url})

    @routes.get("/status/{application_id}")
    async def status(request: Request, application_id: str, token: str = "") -> HTMLResponse:
        return await followed_page(request, application_id, token, "apply/status.html",
                                   lambda followed, lang: status_context(status_link.status_view(followed), lang))

    return routes

