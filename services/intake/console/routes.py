"""The staff console: sign-in, the queue, an application, overrides and the indicators.

Every page needs a signed-in staff member (auth.py); without one the browser goes to the sign-in page, which
brings it back afterwards. Every POST carries the session's CSRF token (a hidden field, or the X-CSRF-Token header
htmx sends), else 403 and nothing happens. Viewers see; triagers and admins also override decisions.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy.exc import IntegrityError

from contracts import profile, reference
from contracts.envelope import now
from services.intake.console import auth, dossier, indicators, journey_form, overrides, privacy, queue
from services.intake.console.auth import NoSession, SignInThrottle, Staff, Throttled
from services.intake.console.pages import ConsoleRoute, duration, page, set_cookie, sign_in_url, text
from services.intake.errors import PageRefusal, SignInNeeded
from services.intake.journey.record import JourneyRefused, stage_record
from services.intake.journey.steps import EXIT_REASONS, step_label
from services.runtime.service import Runtime

# An event stream ends after this long and the browser reconnects (naming the last change it saw, so none is
# missed): a server shutting down never waits longer than this for an open console.
STREAM_SECONDS = 10.0
POLL_SECONDS = 1.0
SIGN_IN_MESSAGES = {
    "required": "Sign in to use the staff console.",
    "expired": "Your session has expired. Sign in again to continue.",
    "signed-out": "You have signed out.",
}
WRONG_CREDENTIALS = "The username or password is not right."

log = logging.getLogger(__name__)
OVERRIDE_SENT = "Override sent; the new decision appears when routing has made it."
JOURNEY_RECORDED = "Recorded in the project's journey."


def form_id(value: str) -> str | None:
    """The override form's id, if it is one we could have given (a UUID); else None, and a new command id."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def router(runtime: Runtime) -> APIRouter:
    routes = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)
    # Failed sign-ins per minute, for one account and from one address: enough for a person who mistypes, too few
    # to guess a password (counted in the database, so for every replica together).
    throttle = SignInThrottle()
    sessions = runtime.sessions
    session_minutes: float = runtime.settings.staff_session_minutes  # type: ignore[attr-defined]
    data = reference.load()
    tracer = runtime.tracing.get_tracer("aiguillage.intake")

    async def signed_in(request: Request) -> Staff:
        async with sessions() as session:
            found = await auth.find_staff(session, request.cookies.get(auth.SESSION_COOKIE))
        if isinstance(found, NoSession):
            raise SignInNeeded(found.reason)
        return found

    async def posted_by(request: Request, staff: Staff = Depends(signed_in)) -> Staff:
        """The staff member of a POST that carries their session's CSRF token."""
        token = text(await request.form(), auth.CSRF_FIELD) or request.headers.get(auth.CSRF_HEADER)
        if not auth.csrf_valid(staff.session_id, token):
            raise PageRefusal(403, "This form cannot be accepted",
                              "The form did not carry the security token of your session, so nothing was done. "
                              "Go back, reload the page and try again.", staff)
        return staff

    def sign_in_form(request: Request, *, status_code: int = 200, message: str | None = None,
                     error: str | None = None, errors: dict[str, str] | None = None, username: str = "",
                     next_page: str = auth.HOME) -> Response:
        secret = request.cookies.get(auth.SIGN_IN_COOKIE) or auth.new_secret()
        response = page(request, "console/sign_in.html", None, status_code=status_code, csrf=auth.csrf_token(secret),
                        message=message, error=error, errors=errors or {}, username=username, next_page=next_page)
        set_cookie(response, request, auth.SIGN_IN_COOKIE, secret)
        return response

    @routes.get("/sign-in")
    async def sign_in_page(request: Request, reason: str = "", next: str = auth.HOME) -> Response:
        async with sessions() as session:
            found = await auth.find_staff(session, request.cookies.get(auth.SESSION_COOKIE))
        if isinstance(found, Staff):
            return RedirectResponse(auth.local_path(next), status_code=303)
        return sign_in_form(request, message=SIGN_IN_MESSAGES.get(reason), next_page=auth.local_path(next))

    @routes.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        form = await request.form()
        if not auth.csrf_valid(request.cookies.get(auth.SIGN_IN_COOKIE), text(form, auth.CSRF_FIELD)):
            raise PageRefusal(403, "This form cannot be accepted",
                              "The sign-in form did not carry its security token (it may have been open too long, or "
                              "cookies are off), so nothing was done. Reload the sign-in page and try again.")
        username, next_page = text(form, "username"), auth.local_path(text(form, "next"))
        password = form.get("password") if isinstance(form.get("password"), str) else ""
        errors = {name: f"Enter your {name}" for name, value in (("username", username), ("password", password))
                  if not value}
        if errors:
            return sign_in_form(request, status_code=422, errors=errors, username=username, next_page=next_page)
        client = request.client.host if request.client else "unknown"
        try:
            async with throttle.attempt(runtime.transaction, username, client):
                async with runtime.transaction() as tx:
                    account = await auth.authenticate(tx.session, username, str(password), client)
                    if account is None:
                        return sign_in_form(request, status_code=401, error=WRONG_CREDENTIALS, username=username,
                                            next_page=next_page)
                    await throttle.succeeded(tx.session, username, client)
                    session_id = await auth.open_session(tx.session, account, session_minutes)
        except Throttled as throttled:
            log.warning("console sign-in refused for %r from %s: %s", username, client, throttled)
            response = sign_in_form(request, status_code=429, username=username, next_page=next_page,
                                    error=f"Too many failed sign-ins for this account or from this address. "
                                          f"Try again in {throttled.retry_after} seconds.")
            response.headers["Retry-After"] = str(throttled.retry_after)
            return response
        response = RedirectResponse(next_page, status_code=303)
        set_cookie(response, request, auth.SESSION_COOKIE, session_id)
        response.delete_cookie(auth.SIGN_IN_COOKIE, path=auth.COOKIE_PATH)
        return response

    @routes.post("/sign-out")
    async def sign_out(request: Request, staff: Staff = Depends(posted_by)) -> Response:
        async with runtime.transaction() as tx:
            await auth.close_session(tx.session, staff.session_id)
        response = RedirectResponse(sign_in_url("signed-out"), status_code=303)
        response.delete_cookie(auth.SESSION_COOKIE, path=auth.COOKIE_PATH)
        return response

    async def queue_context(request: Request) -> dict[str, Any]:
        chosen = queue.QueueFilter.parse(request.query_params)
        async with sessions() as session:
            return {"queue": await queue.load(session, chosen), "change": await queue.change_counter(session),
                    "sectors": sorted(data.sectors), "factories": data.factories}

    @routes.get("")
    async def queue_page(request: Request, staff: Staff = Depends(signed_in)) -> Response:
        return page(request, "console/queue.html", staff, active="queue", **await queue_context(request))

    @routes.get("/queue")
    async def queue_rows(request: Request, staff: Staff = Depends(signed_in)) -> Response:
        """The queue's rows and counts alone, for the live refresh (htmx)."""
        return page(request, "console/_queue.html", staff, **await queue_context(request))

    @routes.get("/events")
    async def events(request: Request, since: str = "", staff: Staff = Depends(signed_in)) -> StreamingResponse:
        """Server-sent events: 'changed' whenever the read model moves (polled from the database, so a change
        made through any intake replica counts). The browser names the last change it saw when it reconnects."""
        seen = request.headers.get("last-event-id") or since

        async def stream():
            nonlocal seen
            yield "retry: 1000\n\n"
            deadline = time.monotonic() + STREAM_SECONDS
            while True:
                async with sessions() as session:
                    current = await queue.change_counter(session)
                if current != seen:
                    yield f"event: changed\nid: {current}\ndata: {current}\n\n" if seen else f"id: {current}\n\n"
                    seen = current
                if time.monotonic() >= deadline:
                    return
                await asyncio.sleep(POLL_SECONDS)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})

    async def application_page(request: Request, staff: Staff, application_id: str, *, status_code: int = 200,
                               errors: dict[str, str] | None = None, chosen: dict[str, str] | None = None,
                               notice: str | None = None, journey_errors: dict[str, str] | None = None,
                               journey_chosen: dict | None = None, journey_notice: str | None = None) -> Response:
        async with sessions() as session:
            found = await dossier.load(session, application_id)
        if found is None:
            raise PageRefusal(404, "No such application", f"There is no application {application_id}.", staff)
        # One id per form shown: sent twice (a double click, a reload), it stages one command.
        chosen = {**(chosen or {}), "override_id": (chosen or {}).get("override_id") or str(uuid.uuid4())}
        journey_chosen = {"on": now().date().isoformat(), "providers": None, "datasets": [], **(journey_chosen or {})}
        journey_chosen["journey_id"] = journey_chosen.get("journey_id") or str(uuid.uuid4())
        return page(request, "console/application.html", staff, status_code=status_code, active="queue",
                    dossier=found, errors=errors or {}, chosen=chosen, notice=notice,
                    partners=data.partners, journey_offer=journey_form.offer(found.journey, found.submitted,
                                                                             found.scored),
                    journey_errors=journey_errors or {}, journey_chosen=journey_chosen, journey_notice=journey_notice,
                    step_label=journey_form.step_label, suggested_checked=journey_form.SUGGESTED_CHECKED)

    @routes.get("/applications/{application_id}")
    async def application(request: Request, application_id: str, override: str = "", journey: str = "",
                          staff: Staff = Depends(signed_in)) -> Response:
        return await application_page(request, staff, application_id,
                                      notice=OVERRIDE_SENT if override == "sent" else None,
                                      journey_notice=JOURNEY_RECORDED if journey == "recorded" else None)

    @routes.post("/applications/{application_id}/override")
    async def override(request: Request, application_id: str, staff: Staff = Depends(posted_by)) -> Response:
        if not staff.may_override:
            raise PageRefusal(403, "You may not change decisions",
                              f"Your account ({staff.role}) may see applications but not override their decisions, "
                              "so nothing was changed. A triager or an admin can.", staff)
        form = await request.form()
        chosen = {name: text(form, name) for name in ("outcome", "factory", "reason", "override_id")}
        errors = override_errors(chosen, {partner.id for partner in data.partners})
        if not errors:
            # A trace of its own, carried to routing and back: the timeline shows the override's trace id.
            with tracer.start_as_current_span("staff override", attributes={"application_id": application_id,
                                                                             "staff": staff.username}):
                try:
                    async with runtime.transaction() as tx:
                        await overrides.stage_override(
                            tx, application_id, chosen["outcome"],
                            chosen["factory"] if chosen["outcome"] == "forward" else None, chosen["reason"],
                            staff.username, staff.name, command_id=form_id(chosen["override_id"]))
                except overrides.OverrideRefused as refusal:
                    errors = {"outcome": str(refusal)}
                except IntegrityError:
                    pass  # the same form, sent twice at once: the other request staged it
        if errors:
            return await application_page(request, staff, application_id, status_code=422, errors=errors,
                                          chosen=chosen)
        return RedirectResponse(f"/console/applications/{application_id}?override=sent#decision", status_code=303)

    @routes.post("/applications/{application_id}/journey")
    async def record_journey(request: Request, application_id: str, staff: Staff = Depends(posted_by)) -> Response:
        if not staff.may_record_journey:
            raise PageRefusal(403, "You may not record the journey",
                              f"Your account ({staff.role}) may see applications but not record their journey, so "
                              "nothing was recorded. An expert, a triager or an admin can.", staff)
        chosen = journey_form.chosen_of(await request.form())
        errors, on = journey_form.errors_of(chosen)
        if not errors and on is not None:
            try:
                async with runtime.transaction() as tx:
                    await stage_record(tx, application_id, record=chosen["record"], on=on,
                                       staff_username=staff.username, staff_name=staff.name,
                                       step=chosen["step"] or None, note=chosen["note"],
                                       exit_reason=chosen["exit_reason"], reason=chosen["reason"],
                                       providers=tuple(chosen["providers"]), datasets=tuple(chosen["datasets"]),
                                       command_id=form_id(chosen["journey_id"]))
            except JourneyRefused as refusal:
                errors = {refusal.field if refusal.field in journey_form.FIELDS else "record": str(refusal)}
            except IntegrityError:
                pass  # the same form, sent twice at once: the other request recorded it
        if errors:
            return await application_page(request, staff, application_id, status_code=422,
                                          journey_errors=errors, journey_chosen=chosen)
        return RedirectResponse(f"/console/applications/{application_id}?journey=recorded#journey",
                                status_code=303)

    @routes.get("/indicators")
    async def indicators_page(request: Request, staff: Staff = Depends(signed_in)) -> Response:
        since, until, errors = indicator_range(request.query_params)
        async with sessions() as session:
            figures = await indicators.compute(session, *((None, None) if errors else (since, until)))
        return page(request, "console/indicators.html", staff, status_code=422 if errors else 200,
                    active="indicators", figures=figures, errors=errors, duration=duration, days=days,
                    step_label=step_label, exit_reasons=EXIT_REASONS,
                    since=request.query_params.get("since", ""), until=request.query_params.get("until", ""),
                    range_query=urlencode({k: v for k, v in (("since", since), ("until", until)) if v}))

    @routes.get("/indicators.csv")
    async def indicators_csv(request: Request, staff: Staff = Depends(signed_in)) -> Response:
        since, until, errors = indicator_range(request.query_params)
        if errors:
            raise PageRefusal(422, "The range is not valid", " ".join(errors.values()), staff)
        async with sessions() as session:
            figures = await indicators.compute(session, since, until)
        return Response(indicators.to_csv(figures), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{_indicators_file()}"'})

    privacy.install(routes, runtime, signed_in, posted_by)
    return routes


def days(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def indicator_range(params: Mapping[str, str]) -> tuple[date | None, date | None, dict[str, str]]:
    """The range of submission dates asked for (?since=, ?until=, ISO dates), and what is wrong with it."""
    chosen, errors = {}, {}
    for name in ("since", "until"):
        value = params.get(name, "").strip()
        try:
            chosen[name] = date.fromisoformat(value) if value else None
        except ValueError:
            chosen[name], errors[name] = None, "Enter a date as year-month-day, e.g. 2026-11-23."
    if chosen["since"] and chosen["until"] and chosen["since"] > chosen["until"]:
        errors["until"] = "The end of the range must be on or after its start."
    return chosen["since"], chosen["until"], errors


def override_errors(chosen: dict[str, str], partners: set[str]) -> dict[str, str]:
    """What is missing from an override form, by field."""
    errors = {}
    if chosen["outcome"] not in queue.OUTCOMES:
        errors["outcome"] = "Choose what should happen to the application."
    elif chosen["outcome"] == "forward" and chosen["factory"] not in partners:
        errors["factory"] = "Choose the partner AI Factory to forward the application to."
    if not chosen["reason"].strip():
        errors["reason"] = "Give the reason for the override: the applicant reads it."
    return errors


def _indicators_file() -> str:
    """The indicators' file name: the factory's short name in lower case, then '-indicators.csv'."""
    return f"{profile.selected().identity.short_name.lower()}-indicators.csv"
