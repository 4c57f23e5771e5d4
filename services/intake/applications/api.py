"""The public HTTP API: submit an application, follow it through its capability link."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse

from contracts import asyncapi
from services.intake.applicant import status_link
from services.intake.applications import take_in
from services.intake.applications.limits import RESPONSES as LIMIT_RESPONSES
from services.intake.applications.requests import Accepted, StatusView, SubmitApplication
from services.intake.errors import ErrorBody, Refusal
from services.runtime.service import Runtime


def router(runtime: Runtime, public_base_url: str | None) -> APIRouter:
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
