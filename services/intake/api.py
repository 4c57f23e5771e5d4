"""The public HTTP API: submit an application, follow it through its capability link."""

from __future__ import annotations

import hmac
from http import HTTPStatus

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from contracts import asyncapi
from services.intake import simulation, status_link, take_in
from services.intake.limits import RESPONSES as LIMIT_RESPONSES, ErrorBody
from services.intake.requests import Accepted, StatusView, SubmitApplication
from services.runtime.service import Runtime


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

    @routes.post("/applications", status_code=202, response_model=Accepted,
                 summary="Submit an AI project application",
                 responses={422: {"description": "A field is missing or invalid; the message names it."},
                            **LIMIT_RESPONSES})
    async def submit(application: SubmitApplication, request: Request) -> JSONResponse:
        submitted = await take_in.submit(runtime, application, channel="api")
        status_url = status_link.link(request, public_base_url, f"/v1/applications/{submitted.application_id}",
                                      submitted.token)
        return JSONResponse({"application_id": submitted.application_id, "status_url": status_url},
                            status_code=202, headers={"Location": status_url})

    @routes.get("/applications/{application_id}", response_model=StatusView,
                summary="Follow an application (the status link given at submission)",
                responses={404: {"description": "No application with this id and token."}})
    async def status(application_id: str, token: str = Query(description="The secret of the status link.")):
        followed = await status_link.follow(runtime.sessions, application_id, token)
        if followed is None:
            return JSONResponse({"error": "not_found", "message": "No application with this id and token."},
                                status_code=404)
        return JSONResponse(status_link.status_view(followed))

    @routes.post("/simulate", response_model=simulation.Simulation, tags=["staff"],
                 dependencies=[Depends(staff_only(staff_api_token))],
                 summary="Dry run (staff only): the decision an application would get; nothing is stored or published",
                 description="The same application as `POST /v1/applications`, scored and decided under the current "
                             "policies as triage and routing would. With `?compare=triage-2026.11.3` (a triage policy "
                             "kept in services/triage/policies/), also the decision under that policy's classifier "
                             "and whether it changes. Not rate limited like submissions.",
                 responses={422: {"description": "A field is missing or invalid; the message names it."},
                            413: LIMIT_RESPONSES[413], **STAFF_RESPONSES})
    def simulate(application: SubmitApplication,  # a plain def: FastAPI runs it in a worker thread
                 compare: str | None = Query(default=None, description="The version of an earlier triage policy "
                                             "to compare with, e.g. 'triage-2026.11.3'.")) -> JSONResponse:
        try:
            return JSONResponse(simulation.simulate(application, compare=compare))
        except simulation.SimulationError as error:
            return JSONResponse({"error": "invalid_request", "message": str(error),
                                 "errors": [{"field": "compare", "message": str(error)}]}, status_code=422)

    return routes


def install(app: FastAPI, routes: APIRouter) -> None:
    app.include_router(routes)
    app.add_api_route("/asyncapi.json", lambda: JSONResponse(asyncapi.document()), methods=["GET"],
                      tags=["contracts"], summary="AsyncAPI 3.0 document of every topic, for partner factories")
    error_handlers(app)
