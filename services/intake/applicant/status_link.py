"""The status link: a capability link (it carries the application's secret token) that the applicant follows,
as JSON (`/v1/applications/<id>`) or as a page (`/status/<id>`). One query and one view serve both, so the page
shows what the API answers."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from fastapi import Request
from sqlmodel import col, select

from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.db import SessionFactory, as_utc

DECISION_FIELDS = ("outcome", "factory_id", "reasons", "policy_version", "decided_by", "expert_name",
                   "waiting_for_expert")


def token_hash(token: str) -> str:
    """What is kept of a status link's secret: its hash, which opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def link(request: Request, public_base_url: str | None, path: str, token: str) -> str:
    """The absolute status link: on PUBLIC_BASE_URL when set, else on the address the applicant called."""
    base = (public_base_url or str(request.base_url)).rstrip("/")
    return f"{base}{path}?token={token}"


@dataclass(frozen=True)
class Followed:
    application: ApplicationRecord
    timeline: list[TimelineEntry]


async def follow(sessions: SessionFactory, application_id: str, token: str) -> Followed | None:
    """The application and its timeline, oldest first; None when the id or the token is wrong (which one is not
    said, so the link cannot be guessed piece by piece)."""
    async with sessions() as session:
        # The timeline first: each entry commits with its effect on the application, and the row read after it
        # is at least as new, so the page never shows a decision in the timeline but not in the status.
        timeline = (await session.exec(
            select(TimelineEntry).where(TimelineEntry.application_id == application_id)
            .order_by(col(TimelineEntry.time), col(TimelineEntry.event_id))
        )).all()
        application = await session.get(ApplicationRecord, application_id)
        if application is None or not hmac.compare_digest(application.token_hash, token_hash(token)):
            return None
    return Followed(application, list(timeline))


def status_view(followed: Followed) -> dict:
    """What the status link shows: `{"application_id", "status", "decision"?, "timeline"}` (StatusView)."""
    application = followed.application
    body: dict = {
        "application_id": application.id,
        "status": application.status,
        "timeline": [{"time": as_utc(entry.time).isoformat(), "event": entry.event, "summary": entry.summary,
                      "trace_id": entry.trace_id} for entry in followed.timeline],
    }
    if application.decision:
        decision = json.loads(application.decision)
        body["decision"] = {key: decision.get(key) for key in DECISION_FIELDS}
    return body
