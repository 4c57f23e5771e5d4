"""How the console's pages are drawn and refused: the helpers its templates use, and a route class that turns a
missing session into the way to the sign-in page, and a refusal into a page that says why."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request, Response
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from contracts import reference
from services.intake.console import auth
from services.intake.console.auth import Staff
from services.intake.console.queue import OUTCOMES
from services.intake.errors import PageRefusal, SignInNeeded
from services.intake.models import QUEUE_STATUSES
from services.intake.web.rendering import render
from services.runtime.db import as_utc

SIGN_IN = "/console/sign-in"


def wanted_page(request: Request) -> str:
    """The page to come back to after signing in: the one asked for, or for an htmx request or a form post,
    the page the staff member was on."""
    if request.method == "GET" and "hx-request" not in request.headers:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        came_from = urlsplit(request.headers.get("hx-current-url") or request.headers.get("referer") or "")
        target = came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return auth.local_path(target)


def sign_in_url(reason: str, next_page: str = auth.HOME) -> str:
    query = {"reason": reason} | ({"next": next_page} if next_page != auth.HOME else {})
    return f"{SIGN_IN}?{urlencode(query)}"


def send_to_sign_in(request: Request, reason: str) -> Response:
    url = sign_in_url(reason, wanted_page(request))
    if "text/event-stream" in request.headers.get("accept", ""):
        return PlainTextResponse("Sign in to use the staff console.", status_code=401)
    if "hx-request" in request.headers:  # htmx sends the whole page there
        return Response(status_code=401, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


class ConsoleRoute(APIRoute):
    """Turns the console's refusals into pages, and keeps its pages out of shared caches."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInNeeded as needed:
                response = send_to_sign_in(request, needed.reason)
            except PageRefusal as refused:
                response = page(request, "console/refused.html", refused.staff, status_code=refused.status,
                                title=refused.title, message=refused.message)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return guarded


def when(moment: datetime) -> str:
    return f"{as_utc(moment):%d %b %Y, %H:%M} UTC"


def factory_name(factory_id: str | None) -> str:
    if not factory_id:
        return ""
    try:
        found = reference.load().factory(factory_id)
    except KeyError:
        return factory_id
    return f"{found.name} ({found.country})"


def duration(seconds: float | None) -> str:
    """A wait in words a person reads at a glance: '45 s', '12 min', '3.5 h', '2.1 days'."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def sector_label(sector: str) -> str:
    return sector.replace("-", " ").capitalize()


LAYERS = {"declared": "the applicant (declared)", "lexical": "the vocabulary", "semantic": "the language model",
          "both": "the vocabulary and the language model"}


def layer_label(finding: Any) -> str:
    """Which layer of triage found a sector, in words; a weak cue alone is said to be one."""
    if finding.layer is None:
        return "the applicant (declared)" if finding.declared else "keywords"
    said = LAYERS.get(finding.layer, finding.layer)
    return said if finding.strong is not False else f"{said} (a weak cue)"


def page(request: Request, template: str, staff: Staff | None, *, status_code: int = 200, **context: Any) -> Response:
    return render(request, template, status_code=status_code, staff=staff, when=when, factory_name=factory_name,
                  sector_label=sector_label, layer_label=layer_label, statuses=QUEUE_STATUSES, outcomes=OUTCOMES, **context)


def set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    # No max-age: the server decides when a session ends (and can then say so); the browser forgets it on closing.
    response.set_cookie(name, value, path=auth.COOKIE_PATH, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
