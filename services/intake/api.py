"""The public HTTP API: submit an application, follow it through its capability link."""

from __future__ import annotations

import hmac
import json
import uuid
from http import HTTPStatus

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from sqlmodel import col, select

from contracts import asyncapi
from contracts.envelope import now
from contracts.events import ApplicationSubmitted
from contracts.topics import APPLICATION_SUBMITTED
from services.intake import simulation
from services.intake.limits import RESPONSES as LIMIT_RESPONSES, ErrorBody
from services.intake.models import ApplicationRecord, TimelineEntry
from services.intake.take_in import take_in, token_hash
from services.intake.requests import Accepted, StatusView, SubmitApplication
from services.runtime.db import as_utc
from services.runtime.messages import first_event
from services.runtime.service import Runtime

SERVICE = "intake"


def field_name(location: tuple) -> str:
    parts = [str(part) or '""' for part in location[1:]] if location[:1] == ("body",) else [str(p) for p in location]
    return ".".join(parts) if parts else "body"


def describe(error: dict) -> dict:
    if error["type"] == "json_invalid":  # its location is ('body', <character position>)
        position = error["loc"][-1]
        detail = error.get("ctx", {}).get("error", "")
        return {"field": "body", "message": f"Body is not valid JSON (at character {position}): {detail}",
                "type": error["type"]}
    return {"field": field_name(tuple(error["loc"])), "message": error["msg"], "type": error["type"]}


def invalid_request(errors: list[dict]) -> JSONResponse:
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse({"error": "invalid_request", "message": message, "errors": errors}, status_code=422)


async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    """422 naming every bad field, e.g. 'project.summary: Field required'."""
    return invalid_request([describe(e) for e in error.errors()])


async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
    """Every other refusal in the same shape: a code and a sentence."""
    if error.status_code == 400 and error.detail == "There was an error parsing the body":
        # A body that is not UTF-8 text cannot be JSON; name it like any other invalid body.
        return invalid_request([{"field": "body", "message": "Body is not valid JSON (it is not UTF-8 text)",
                                 "type": "json_invalid"}])
    code = getattr(error, "error", None) or HTTPStatus(error.status_code).phrase.lower().replace(" ", "_")
    return JSONResponse({"error": code, "message": str(error.detail), "errors": []},
                        status_code=error.status_code, headers=getattr(error, "headers", None))


def error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]


class Refusal(StarletteHTTPException):
    """A refusal whose code is not the status phrase, e.g. 503 'not_configured'."""

    def __init__(self, status_code: int, error: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, detail=message, headers=headers)
        self.error = error


STAFF_RESPONSES: dict[int | str, dict] = {
    401: {"model": ErrorBody, "description": "No staff token, or a wrong one (`Authorization: Bearer <token>`).",
          "headers": {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}}},
    503: {"model": ErrorBody, "description": "Staff access is not configured on this intake (STAFF_API_TOKEN)."},
}


def staff_only(staff_api_token: str | None):
    """A dependency that lets through a request bearing the staff token. Staff sign-in comes later; until then one
    shared token (STAFF_API_TOKEN) protects the staff endpoints, and without it they answer 503."""
    bearer = HTTPBearer(auto_error=False, description="The staff token, STAFF_API_TOKEN.")

    def check(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if not staff_api_token:
            raise Refusal(503, "not_configured",
                          "Staff access is not configured on this intake: set STAFF_API_TOKEN.")
        if credentials is None or not hmac.compare_digest(credentials.credentials.encode(),
                                                          staff_api_token.encode()):
            raise Refusal(401, "unauthorized",
                          "This endpoint is for L-AIF staff: send the staff token as 'Authorization: Bearer <token>'."
                          if credentials is None else "The staff token is not valid.",
                          headers={"WWW-Authenticate": "Bearer"})

    return check


def router(runtime: Runtime, public_base_url: str | None, staff_api_token: str | None = None) -> APIRouter:
    routes = APIRouter(prefix="/v1", tags=["applications"])
    tracer = runtime.tracing.get_tracer("aiguillage.intake")
    sessions = runtime.sessions

    @routes.post("/applications", status_code=202, response_model=Accepted,
                 summary="Submit an AI project application",
                 responses={422: {"description": "A field is missing or invalid; the message names it."},
                            **LIMIT_RESPONSES})
    async def submit(application: SubmitApplication, request: Request) -> JSONResponse:
        application_id = str(uuid.uuid4())
        with tracer.start_as_current_span("submit application", attributes={"application_id": application_id}):
            submitted = ApplicationSubmitted(application_id=application_id, submitted_at=now(), channel="api",
                                             **application.model_dump())
            envelope = first_event(APPLICATION_SUBMITTED, submitted, service=SERVICE, subject=application_id)
            async with sessions() as session:
                token = take_in(session, runtime.emit, envelope, "Application received")
                await session.commit()
        runtime.relay.wake()
        base = (public_base_url or str(request.base_url)).rstrip("/")
        status_url = f"{base}/v1/applications/{application_id}?token={token}"
        return JSONResponse({"application_id": application_id, "status_url": status_url}, status_code=202,
                            headers={"Location": status_url})

    @routes.get("/applications/{application_id}", response_model=StatusView,
                summary="Follow an application (the status link given at submission)",
                responses={404: {"description": "No application with this id and token."}})
    async def status(application_id: str, token: str = Query(description="The secret of the status link.")):
        async with sessions() as session:
            application = await session.get(ApplicationRecord, application_id)
            if application is None or not hmac.compare_digest(application.token_hash, token_hash(token)):
                return JSONResponse({"error": "not_found", "message": "No application with this id and token."},
                                    status_code=404)
            timeline = (await session.exec(
                select(TimelineEntry).where(TimelineEntry.application_id == application_id)
                .order_by(col(TimelineEntry.time), col(TimelineEntry.event_id))
            )).all()
        body = {
            "application_id": application.id,
            "status": application.status,
            "timeline": [{"time": as_utc(entry.time).isoformat(), "event": entry.event, "summary": entry.summary,
                          "trace_id": entry.trace_id} for entry in timeline],
        }
        if application.decision:
            decision = json.loads(application.decision)
            body["decision"] = {key: decision.get(key) for key in
                                ("outcome", "factory_id", "reasons", "policy_version", "decided_by", "expert_name",
                                 "waiting_for_expert")}
        return JSONResponse(body)

    @routes.post("/simulate", response_model=simulation.Simulation, tags=["staff"],
                 dependencies=[Depends(staff_only(staff_api_token))],
                 summary="Dry run (staff only): the decision an application would get; nothing is stored or published",
                 description="The same application as `POST /v1/applications`, scored and decided under the current "
                             "policies as triage and routing would. Not rate limited like submissions.",
                 responses={422: {"description": "A field is missing or invalid; the message names it."},
                            413: LIMIT_RESPONSES[413], **STAFF_RESPONSES})
    def simulate(application: SubmitApplication) -> dict:  # a plain def: FastAPI runs it in a worker thread
        return simulation.simulate(application)

    return routes


def install(app: FastAPI, routes: APIRouter) -> None:
    app.include_router(routes)
    app.add_api_route("/asyncapi.json", lambda: JSONResponse(asyncapi.document()), methods=["GET"],
                      tags=["contracts"], summary="AsyncAPI 3.0 document of every topic, for partner factories")
    error_handlers(app)
