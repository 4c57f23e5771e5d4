"""Recording the journey, intake's side: an expert records a step, an exit or a correction in the console.

The record, its timeline entry and its event (aif.journey.step-recorded.v1) are staged in the caller's
transaction, so they commit together, or not at all when the record is refused. intake also reads the topic
back (`when_journey_step_recorded`): what it staged is found there already, and a database rebuilt from the
topics gets every record again.
"""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import profile
from contracts.envelope import Envelope, now
from contracts.events import Applicant, ApplicationSubmitted, DecisionMade, JourneyStepRecorded
from contracts.topics import APPLICATION_SUBMITTED, DECISION_MADE, JOURNEY_STEP_RECORDED
from services.intake.journey import datasets as dataset_catalogue, providers as provider_directory
from services.intake.journey.steps import EXIT_REASONS, Journey, fold, refusal, step_label
from services.intake.models import ApplicationRecord, JourneyRecord, TimelineEntry
from services.runtime.db import as_utc
from services.runtime.reactions import Tx
from services.runtime.telemetry import current_trace_id


class JourneyRefused(ValueError):
    """A record that cannot be made; `field` is the form's field it concerns, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def summary(record: JourneyStepRecorded) -> str:
    """The timeline's line for a record, naming who made it."""
    by = f"recorded by {record.recorded_by}"
    if record.record == "step":
        return f"Journey: {step_label(record.step)} reached on {record.on.isoformat()} ({by})"
    if record.record == "exit":
        return (f"Journey: left at {step_label(record.step)} on {record.on.isoformat()}: "
                f"{EXIT_REASONS.get(record.exit_reason or '', record.exit_reason)} ({by})")
    return f"Journey corrected by {record.recorded_by}: back to {step_label(record.step)} ({record.reason})"


async def journey_rows(session: AsyncSession, application_id: str) -> list[JourneyRecord]:
    """The application's journey records, in the order they were recorded."""
    return list((await session.exec(
        select(JourneyRecord).where(col(JourneyRecord.application_id) == application_id)
        .order_by(col(JourneyRecord.recorded_at), col(JourneyRecord.event_id)))).all())


def parsed(rows: list[JourneyRecord]) -> list[tuple[str, JourneyStepRecorded]]:
    return [(row.event_id, JourneyStepRecorded.model_validate_json(row.payload)) for row in rows]


async def journey_of(session: AsyncSession, application_id: str) -> Journey:
    return fold(parsed(await journey_rows(session, application_id)))


async def journey_ids(tx: Tx, application_id: str) -> tuple[str, str | None]:
    """The correlation id of the application's journey (the id of its submitted event, for an application intake
    started) and the id of the latest decision, which the staff member acts on."""
    entries = (await tx.exec(
        select(TimelineEntry).where(col(TimelineEntry.application_id) == application_id)
        .where(col(TimelineEntry.event).in_([APPLICATION_SUBMITTED.event_type, DECISION_MADE.event_type]))
        .order_by(col(TimelineEntry.time), col(TimelineEntry.event_id)))).all()
    submitted = next(entry.event_id for entry in entries if entry.event == APPLICATION_SUBMITTED.event_type)
    decisions = [entry.event_id for entry in entries if entry.event == DECISION_MADE.event_type]
    return submitted, (decisions[-1] if decisions else None)


def applicant_of(submitted: ApplicationSubmitted) -> Applicant:
    return Applicant(company_name=submitted.company.name, contact_name=submitted.contact.name,
                     email=submitted.contact.email, language=submitted.contact.language,
                     project_title=submitted.project.title)


def _expert_of(application: ApplicationRecord) -> str:
    decision = DecisionMade.model_validate_json(application.decision) if application.decision else None
    if decision is None or decision.outcome != "accept_local":
        raise JourneyRefused("record", f"Only a project the {profile.selected().identity.short_name} accepted has a "
                                       "journey.")
    if not decision.expert_id:
        raise JourneyRefused("record", "The project waits for an expert: its journey starts once one takes it on.")
    return decision.expert_id


def _known(chosen: list[str], known: set[str], what: str) -> list[str]:
    if unknown := [item for item in chosen if item not in known]:
        raise JourneyRefused(what, f"Not in the {what} list: {', '.join(unknown)}.")
    return chosen


async def stage_record(tx: Tx, application_id: str, *, record: str, on: date,
                       staff_username: str, staff_name: str, step: str | None = None, note: str = "",
                       exit_reason: str = "", reason: str = "", providers: tuple[str, ...] = (),
                       datasets: tuple[str, ...] = (), command_id: str | None = None,
                       ) -> Envelope[JourneyStepRecorded] | None:
    """Stage a record of the application's journey; raises JourneyRefused, naming the field and why, and stages
    nothing when it cannot be made. `step` is the step reached (a step) or gone back to (a correction); an exit
    leaves at the current step. `command_id` is the form's own id: a form sent twice is one record (the second
    time nothing is staged, and None is returned)."""
    if command_id and await tx.get(TimelineEntry, command_id) is not None:
        return None
    # Locked, so that two records sent at once for one project are checked one after the other.
    application = await tx.session.get(ApplicationRecord, application_id, with_for_update=True)
    if application is None:
        raise JourneyRefused("record", f"There is no application {application_id}.")
    expert_id = _expert_of(application)
    journey = await journey_of(tx.session, application_id)
    try:
        data = JourneyStepRecorded(
            application_id=application_id, record=record, step=journey.current if record == "exit" else step,
            on=on, note=note.strip() or None, exit_reason=exit_reason or None, reason=reason.strip() or None,
            providers=_known(list(providers), {p.id for p in provider_directory.load().providers}, "providers"),
            datasets=_known(list(datasets), {d.id for d in dataset_catalogue.load().datasets}, "datasets"),
            expert_id=expert_id, recorded_by=staff_name.strip(), staff_username=staff_username,
            recorded_at=now(), applicant=applicant_of(ApplicationSubmitted.model_validate_json(application.submitted)))
    except ValidationError as error:
        first = error.errors(include_input=False)[0]
        raise JourneyRefused(".".join(map(str, first["loc"])) or "record", first["msg"]) from error
    correlation_id, decision_id = await journey_ids(tx, application_id)
    decided = await tx.get(TimelineEntry, decision_id) if decision_id else None
    if refused := refusal(journey, data, now().date(), as_utc(decided.time).date() if decided else None):
        raise JourneyRefused(*refused)
    envelope = tx.command(JOURNEY_STEP_RECORDED, data, subject=application_id, correlation_id=correlation_id,
                          causation_id=decision_id, command_id=command_id)
    for table, values in rows_of(envelope):
        tx.add(table(**values))
    tx.emit(JOURNEY_STEP_RECORDED, envelope)
    return envelope


def rows_of(envelope: Envelope[JourneyStepRecorded]) -> list[tuple[type, dict]]:
    """What intake keeps of a journey event: its record and its timeline entry, the same whether staged with the
    event or read back from the topic."""
    payload = envelope.data.model_dump_json()
    return [(JourneyRecord, {"event_id": envelope.id, "application_id": envelope.subject,
                             "recorded_at": envelope.time, "payload": payload}),
            (TimelineEntry, {"event_id": envelope.id, "application_id": envelope.subject, "time": envelope.time,
                             "event": envelope.type, "summary": summary(envelope.data),
                             "trace_id": current_trace_id(), "payload": payload, "caused_by": envelope.causationid})]
