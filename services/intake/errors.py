"""Every refusal intake answers over HTTP, in one place.

The API, the dry run and the partner bridge answer in one JSON shape, `{"error", "message", "errors"}`: a code, a
sentence naming the problem, and the bad fields if any (`ErrorBody`). A route raises `Refusal`; FastAPI's own
refusals (an invalid body, a 404, a 405) are turned into the same shape by the handlers `install` adds. The
limits, which answer before FastAPI is reached, send `body(...)` themselves.

The console answers a person with a page instead: a route raises `PageRefusal` (why, in words) or
`SignInNeeded`, and the console's route class draws the page (console/pages.py).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorBody(BaseModel):
    """Intake's error answer: a code, a sentence naming the problem, and the bad fields (if any)."""

    error: str
    message: str
    errors: list[dict] = []


def body(error: str, message: str, errors: list[dict] | None = None) -> dict[str, Any]:
    return {"error": error, "message": message, "errors": errors or []}


class Refusal(StarletteHTTPException):
    """A refusal in intake's JSON shape whose code is not the status phrase, e.g. 503 'not_configured'."""

    def __init__(self, status_code: int, error: str, message: str, headers: dict[str, str] | None = None,
                 errors: list[dict] | None = None) -> None:
        super().__init__(status_code, detail=message, headers=headers)
        self.error = error
        self.errors = errors


def field_name(location: tuple) -> str:
    parts = [str(part) or '""' for part in location[1:]] if location[:1] == ("body",) else [str(p) for p in location]
    return ".".join(parts) if parts else "body"


def describe(error: dict) -> dict:
    """One of pydantic's errors as intake names it: the field, a sentence, the error's type."""
    if error["type"] == "json_invalid":  # its location is ('body', <character position>)
        position = error["loc"][-1]
        detail = error.get("ctx", {}).get("error", "")
        return {"field": "body", "message": f"Body is not valid JSON (at character {position}): {detail}",
                "type": error["type"]}
    return {"field": field_name(tuple(error["loc"])), "message": error["msg"], "type": error["type"]}


def invalid_request(errors: list[dict]) -> JSONResponse:
    """422 naming every bad field, e.g. 'project.summary: Field required'."""
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse(body("invalid_request", message, errors), status_code=422)


async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    return invalid_request([describe(e) for e in error.errors()])


async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
    """Every other refusal in the same shape: a code and a sentence."""
    if error.status_code == 400 and error.detail == "There was an error parsing the body":
        # A body that is not UTF-8 text cannot be JSON; name it like any other invalid body.
        return invalid_request([{"field": "body", "message": "Body is not valid JSON (it is not UTF-8 text)",
                                 "type": "json_invalid"}])
    code = getattr(error, "error", None) or HTTPStatus(error.status_code).phrase.lower().replace(" ", "_")
    return JSONResponse(body(code, str(error.detail), getattr(error, "errors", None)), status_code=error.status_code,
                        headers=getattr(error, "headers", None))


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]


class SignInNeeded(Exception):
    """A console page asked for without a staff session (`reason`: required, expired)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PageRefusal(Exception):
    """A request the console turns down with a page that says why (403 for a missing CSRF token or role).
    `staff`: the signed-in staff member, whom the page's header names."""

    def __init__(self, status: int, title: str, message: str, staff: Any = None) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.staff = status, title, message, staff
