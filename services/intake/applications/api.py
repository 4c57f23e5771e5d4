"""The public HTTP API: submit an application, follow it through its capability link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse

from contracts import asyncapi
from services.intake.applicant import status_link
from services.intake.applications import idempotency, take_in
from services.intake.applications.idempotency import KeyReused
from services.intake.applications.limits import RESPONSES as LIMIT_RESPONSES
from services.intake.applications.recipients import FIELD as RECIPIENT_FIELD, RecipientCapped
from services.intake.applications.requests import Accepted, StatusView, SubmitApplication
from services.intake.applications.take_in import Door
from services.intake.errors import ErrorBody, Refusal
from services.runtime.service import Runtime


KEY_DESCRIPTION = (
    "Optional: a key of your own for this submission (a UUID is a good one), so that sending it again after a lost "
    "answer makes no second application. The same key with the same application within IDEMPOTENCY_KEY_HOURS (24) "
    "gets the first answer again; with another application, a 409. Keys are per client address.")


def refusal(error: KeyReused | RecipientCapped) -> Refusal:
    """The JSON refusal of a submission the door turned away: a key used for another application, or a cap."""
    if isinstance(error, KeyReused):
        return Refusal(409, "idempotency_key_reused", str(error),
                       errors=[{"field": idempotency.HEADER, "message": str(error), "type": "reused"}])
    return Refusal(429, "too_many_for_recipient", str(error), headers={"Retry-After": str(error.retry_after)},
                   errors=[{"field": RECIPIENT_FIELD, "message": str(error), "type": "too_many"}])


def router(runtime: Runtime, public_base_url: str | None, door: Door) -> APIRouter:
    routes = APIRouter(prefix="/v1", tags=["applications"])

    @routes.post("/applications", status_code=202, response_model=Accepted,
                 summary="Submit an AI project application",
                 responses={409: {"model": ErrorBody, "description": "The Idempotency-Key was used for another "
                                                                     "application; the message names the header."},
                            422: {"description": "A field or the Idempotency-Key is invalid; the message names it."},
                            **LIMIT_RESPONSES})
    async def submit(application: SubmitApplication, request: Request,
                     idempotency_key: Annotated[str | None, Header(alias=idempotency.HEADER,
                                                                   description=KEY_DESCRIPTION)] = None
                     ) -> JSONResponse:
        key = None
        if idempotency_key is not None:
            if problem := idempotency.problem(idempotency_key):
                raise Refusal(422, "invalid_request", f"{idempotency.HEADER}: {problem}",
                              errors=[{"field": idempotency.HEADER, "message": problem, "type": "invalid_key"}])
            key = door.key(idempotency.client_of(request), idempotency_key, application)
        try:
            submitted = await take_in.submit(runtime, door, application, "api", key)
        except (KeyReused, RecipientCapped) as turned_away:
            raise refusal(turned_away) from None
        status_url = status_link.link(request, public_base_url, f"/v1/applications/{submitted.application_id}",
                                      submitted.token)
        return JSONResponse({"application_id": submitted.application_id, "status_url": status_url},
                            status_code=202, headers={"Location": status_url})

    @routes.get("/applications/{application_id}", response_model=StatusView,
                summary="Follow an application (the status link given at submission)",
                responses={404: {"model": ErrorBody, "description": "No application with this id and token."}})
    async def status(application_id: str, token: str = Query(description="The secret of the status link.")):
        followed = await status_link.follow(runtime.sessions, application_id, token)
        if followed is None:
            raise Refusal(404, "not_found", "No application with this id and token.")
        return JSONResponse(status_link.status_view(followed))

    return routes


def install(app: FastAPI, routes: APIRouter) -> None:
    app.include_router(routes)
    app.add_api_route("/asyncapi.json", lambda: JSONResponse(asyncapi.document()), methods=["GET"],
                      tags=["contracts"], summary="AsyncAPI 3.0 document of every topic, for partner factories")
