"""The application form: the second door of take-in, for a person in a browser.

The form posts to `/apply`; it is taken in exactly as the JSON API takes an application (`take_in.submit`,
channel 'web'), under the same rate and size limits (limits.py counts both doors together) and the same caps per
recipient, and a person gets the form back with every message next to its field, or the confirmation with the
status link.

Each rendered form carries a one-time token (a hidden field), the form's idempotency key: the same form sent twice
(a double click, a reload of the post) makes one application and shows the same confirmation. The submit button is
disabled once the form is sent (a script; without it, the token alone does the work).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.intake.applicant.pages import page, received_path
from services.intake.applications import form_fields as form, idempotency, take_in
from services.intake.applications.idempotency import KeyReused
from services.intake.applications.recipients import FIELD as RECIPIENT_FIELD, RecipientCapped
from services.intake.applications.requests import SubmitApplication
from services.intake.applications.take_in import Door
from services.intake.web.i18n import translator
from services.intake.web.rendering import page_language
from services.runtime.service import Runtime

FORM_PATH = "/apply"


def form_page(request: Request, lang: str, values: dict[str, Any], errors: dict[str, str],
              status_code: int = 200, token: str | None = None) -> HTMLResponse:
    t = translator(lang)
    sectors = form.sectors(t)
    fields = form.fields()
    # Where the error summary's links lead: the field, or the first box of a group
    anchors = {name: spec.id for name, spec in fields.items()}
    anchors.update({name: f"{fields[name].id}-{fields[name].options[0]}" for name in form.RADIOS})
    anchors[form.SECTORS] = f"{fields[form.SECTORS].id}-{sectors[0][0]}"
    return page(request, "apply/form.html", lang, status_code, fields=fields, values=values, errors=errors,
                anchors=anchors, hints=form.hints(t), token_field=idempotency.FORM_FIELD,
                token=token or idempotency.new_form_token(), countries=form.countries(lang), sectors=sectors,
                options=lambda name: [(value, form.option_label(t, name, value)) for value in fields[name].options],
                client_messages=form.client_messages(t))


def refusal_page(scope: MutableMapping[str, Any], status: int, error: str, limit: dict[str, int]) -> HTMLResponse:
    """The page a person gets when limits.py refuses the form: too many submissions, or too large a body."""
    request = Request(scope)
    words = {**limit, "kib": limit.get("max_bytes", 0) // 1024}
    return page(request, "apply/refused.html", page_language(request), status, error=error, words=words)


def router(runtime: Runtime, door: Door) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

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
        posted = await request.form()
        values = form.posted(posted)
        token = str(posted.get(idempotency.FORM_FIELD) or "")
        token = token if not idempotency.problem(token) else None
        try:
            application = SubmitApplication.model_validate(form.application(values))
        except ValidationError as invalid:
            return form_page(request, lang, values, form.errors(invalid, translator(lang)), status_code=422,
                             token=token)
        key = door.key(idempotency.client_of(request), token, application) if token else None
        try:
            submitted = await take_in.submit(runtime, door, application, "web", key)
        except KeyReused:
            return refusal_page(request.scope, 409, "already_sent", {})
        except RecipientCapped as capped:
            message = translator(lang)("error.contact.email.too_many").format(per_day=capped.limit.count)
            response = form_page(request, lang, values, {RECIPIENT_FIELD: message}, status_code=429, token=token)
            response.headers["Retry-After"] = str(capped.retry_after)
            return response
        query = urlencode({"token": submitted.token, "lang": lang})
        return RedirectResponse(f"{received_path(submitted.application_id)}?{query}", status_code=303)

    return routes
