"""`POST /v1/simulate`, for staff: the decision an application would get, and nothing stored or published.

The same application as `POST /v1/applications`, scored and decided under the current policies as triage and
routing would. That work is not intake's: it is done by the function the DRY_RUN_ENTRY_POINT setting names
('module:function', by default `services.simulation.dry_run:simulate`), loaded when intake starts, so that intake's
own code imports neither triage nor routing. The function takes the application and `compare` (an earlier triage
policy's version, or None) and answers a `Simulation`'s fields, or raises `DryRunRefused`. Without the setting, the
endpoint answers 503.

Staff only: one shared token (STAFF_API_TOKEN) protects it, and without it the endpoint answers 503. Not rate
limited like submissions.
"""

from __future__ import annotations

import hmac
import importlib
from collections.abc import Callable

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts import profile
from services.intake.applications.limits import RESPONSES as LIMIT_RESPONSES
from services.intake.applications.requests import DryRunRefused, Simulation, SubmitApplication
from services.intake.errors import ErrorBody, Refusal, body

DryRun = Callable[..., dict]  # (application, *, compare) -> the fields of a Simulation

STAFF_RESPONSES: dict[int | str, dict] = {
    401: {"model": ErrorBody, "description": "No staff token, or a wrong one (`Authorization: Bearer <token>`).",
          "headers": {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}}},
    503: {"model": ErrorBody, "description": "Staff access (STAFF_API_TOKEN) or the dry run (DRY_RUN_ENTRY_POINT) "
                                             "is not configured on this intake."},
}


def staff_only(staff_api_token: str | None):
    """A dependency that lets through a request bearing the staff token (STAFF_API_TOKEN); without one configured,
    503. The console has its own sign-in; this token is for scripts."""
    bearer = HTTPBearer(auto_error=False, description="The staff token, STAFF_API_TOKEN.")

    def check(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if not staff_api_token:
            raise Refusal(503, "not_configured",
                          "Staff access is not configured on this intake: set STAFF_API_TOKEN.")
        if credentials is None or not hmac.compare_digest(credentials.credentials.encode(),
                                                          staff_api_token.encode()):
            raise Refusal(401, "unauthorized",
                          f"This endpoint is for {profile.selected().identity.short_name} staff: send the staff token "
                          "as 'Authorization: Bearer <token>'."
                          if credentials is None else "The staff token is not valid.",
                          headers={"WWW-Authenticate": "Bearer"})

    return check


def load(entry_point: str) -> DryRun:
    """The function `entry_point` ('module:function') names; an entry point that does not load stops intake's
    start, naming it."""
    module, _, name = entry_point.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise RuntimeError(f"DRY_RUN_ENTRY_POINT {entry_point!r} does not load: {error}") from error


def router(staff_api_token: str | None, entry_point: str | None) -> APIRouter:
    routes = APIRouter(prefix="/v1", tags=["staff"])
    dry_run = load(entry_point) if entry_point else None

    @routes.post("/simulate", response_model=Simulation, dependencies=[Depends(staff_only(staff_api_token))],
                 summary="Dry run (staff only): the decision an application would get; nothing is stored or published",
                 description="The same application as `POST /v1/applications`, scored and decided under the current "
                             "policies as triage and routing would. With `?compare=triage-2026.11.3` (a triage policy "
                             "kept in the profile's triage/policies/), also the decision under that policy's classifier "
                             "and whether it changes. Not rate limited like submissions.",
                 responses={422: {"description": "A field is missing or invalid; the message names it."},
                            413: LIMIT_RESPONSES[413], **STAFF_RESPONSES})
    def simulate(application: SubmitApplication,  # a plain def: FastAPI runs it in a worker thread
                 compare: str | None = Query(default=None, description="The version of an earlier triage policy "
                                             "to compare with, e.g. 'triage-2026.11.3'.")) -> JSONResponse:
        if dry_run is None:
            raise Refusal(503, "not_configured", "Dry runs are not configured on this intake: set "
                                                 "DRY_RUN_ENTRY_POINT.")
        try:
            return JSONResponse(dry_run(application, compare=compare))
        except DryRunRefused as error:
            return JSONResponse(body("invalid_request", str(error), [{"field": "compare", "message": str(error)}]),
                                status_code=422)

    return routes
