"""Everything intake holds about an application, as one JSON document (the right of access and to portability):
the application as submitted, the scores, every decision, the emails sent with their text, the journey and the
timeline. The applicant downloads it through their status link, staff from the console (console/privacy.py).

    GET /v1/applications/<id>/export?token=<secret>    the applicant; 404 for a wrong id or token

intake's read model holds a copy of what the other services keep about the application (their events reach it),
so this one document is the whole of it; the status link's secret is not in it (only its hash is kept).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import now
from contracts.topics import DECISION_MADE, EMAIL_SENT
from services.intake.applicant import status_link
from services.intake.errors import ErrorBody, Refusal
from services.intake.models import ApplicationRecord, JourneyRecord, TimelineEntry
from services.runtime.db import as_utc
from services.runtime.service import Runtime


def _parsed(payload: str | None) -> Any:
    return json.loads(payload) if payload else None


async def export(session: AsyncSession, application_id: str) -> dict | None:
    """The document, or None when there is no such application."""
    application = await session.get(ApplicationRecord, application_id)
    if application is None:
        return None
    timeline = (await session.exec(select(TimelineEntry).where(col(TimelineEntry.application_id) == application_id)
                                   .order_by(col(TimelineEntry.time), col(TimelineEntry.event_id)))).all()
    journey = (await session.exec(select(JourneyRecord).where(col(JourneyRecord.application_id) == application_id)
                                  .order_by(col(JourneyRecord.recorded_at), col(JourneyRecord.event_id)))).all()
    return {
        "application_id": application.id,
        "exported_at": now().isoformat(),
        "status": application.status,
        "channel": application.channel,
        "application": _parsed(application.submitted),
        "scores": _parsed(application.scores),
        "decision": _parsed(application.decision),
        "decisions": [_parsed(entry.payload) for entry in timeline if entry.event == DECISION_MADE.event_type],
        "emails": [_parsed(entry.payload) for entry in timeline if entry.event == EMAIL_SENT.event_type],
        "journey": [_parsed(record.payload) for record in journey],
        "timeline": [{"time": as_utc(entry.time).isoformat(), "event": entry.event, "summary": entry.summary,
                      "details": _parsed(entry.payload)} for entry in timeline],
    }


def download(document: dict) -> JSONResponse:
    """The document as a file to save, never cached (it holds personal data)."""
    return JSONResponse(document, headers={
        "Content-Disposition": f'attachment; filename="application-{document["application_id"]}.json"',
        "Cache-Control": "no-store"})


def router(runtime: Runtime) -> APIRouter:
    routes = APIRouter(tags=["applicants"])

    @routes.get("/v1/applications/{application_id}/export", summary="Download everything held about the application",
                responses={404: {"model": ErrorBody, "description": "No application with this id and token."}})
    async def applicant_export(application_id: str, token: str = "") -> JSONResponse:
        document = None
        if await status_link.follow(runtime.sessions, application_id, token) is not None:
            async with runtime.sessions() as session:
                document = await export(session, application_id)
        if document is None:
            raise Refusal(404, "not_found", "No application with this id and token.")
        return download(document)

    return routes
