"""The applicant's data rights in the staff console: download everything held about an application, and erase
the applicant's personal data on their request (admins only, after a confirmation page).

    GET  /console/applications/<id>/export     the JSON document (applicant/export.py), for any staff member
    GET  /console/applications/<id>/erase      what erasure does, and the form that confirms it
    POST /console/applications/<id>/erase      erases (services/intake/privacy.py), then back to the application
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from services.intake import privacy
from services.intake.applicant.export import download, export
from services.intake.console.auth import Staff
from services.intake.console.pages import page, text
from services.intake.errors import PageRefusal
from services.runtime.service import Runtime

CONFIRM_FIELD = "confirm"
NOT_CONFIRMED = "Tick the box to confirm that the applicant asked for their data to be erased."


def may_erase(staff: Staff) -> bool:
    return staff.role == "admin"


def install(routes: APIRouter, runtime: Runtime, signed_in: Callable[..., Any], posted_by: Callable[..., Any]) -> None:
    """Add the routes to the console's router, which gives them its sign-in and CSRF checks."""
    sessions = runtime.sessions

    @routes.get("/applications/{application_id}/export")
    async def staff_export(application_id: str, staff: Staff = Depends(signed_in)) -> Response:
        async with sessions() as session:
            document = await export(session, application_id)
        if document is None:
            raise PageRefusal(404, "No such application", f"There is no application {application_id}.", staff)
        return download(document)

    def refuse_unless_admin(staff: Staff) -> None:
        if not may_erase(staff):
            raise PageRefusal(403, "You may not erase personal data",
                              f"Your account ({staff.role}) may see applications but not erase them, so nothing was "
                              "erased. An admin can.", staff)

    def confirmation(request: Request, staff: Staff, application_id: str, *, status_code: int = 200,
                     error: str | None = None) -> Response:
        return page(request, "console/erase.html", staff, status_code=status_code, active="queue",
                    application_id=application_id, error=error, confirm_field=CONFIRM_FIELD)

    @routes.get("/applications/{application_id}/erase")
    async def erase_page(request: Request, application_id: str, staff: Staff = Depends(signed_in)) -> Response:
        refuse_unless_admin(staff)
        return confirmation(request, staff, application_id)

    @routes.post("/applications/{application_id}/erase")
    async def erase(request: Request, application_id: str, staff: Staff = Depends(posted_by)) -> Response:
        refuse_unless_admin(staff)
        if text(await request.form(), CONFIRM_FIELD) != "yes":
            return confirmation(request, staff, application_id, status_code=422, error=NOT_CONFIRMED)
        try:
            async with runtime.transaction() as tx:
                await privacy.stage_erasure(tx, application_id, staff.username)
        except privacy.ErasureRefused as refusal:
            return confirmation(request, staff, application_id, status_code=422, error=str(refusal))
        return RedirectResponse(f"/console/applications/{application_id}#privacy", status_code=303)
