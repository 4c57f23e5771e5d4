"""Staff overrides, intake's side: a staff member asks routing to make their decision the current one.

The command (aif.routing.override-requested.v1) and a timeline entry naming the staff member are staged in the
caller's transaction, so they commit together; routing carries the command out, and the new decision comes
back on the decision topic like any other. The console calls `stage_override` in a transaction of its own.
"""

from __future__ import annotations

from pydantic import ValidationError
from contracts import reference
from contracts.envelope import Envelope, now
from contracts.events import OverrideRequested, referring_partner
from contracts.topics import OVERRIDE_REQUESTED
from services.intake.journey.record import journey_ids
from services.intake.models import ApplicationRecord, TimelineEntry
from services.runtime.privacy import erased
from services.runtime.reactions import Tx
from services.runtime.telemetry import current_trace_id


class OverrideRefused(ValueError):
    """An override that cannot be sent; the message says why, in words for the staff member."""


def override_summary(override: OverrideRequested) -> str:
    where = f" to {override.factory_id}" if override.outcome == "forward" else ""
    return f"Override requested by {override.requested_by}: {override.outcome}{where} ({override.reason})"


async def stage_override(tx: Tx, application_id: str, outcome: str,
                         factory_id: str | None, reason: str, staff_username: str, staff_name: str,
                         command_id: str | None = None) -> Envelope[OverrideRequested] | None:
    """Stage the override of a decided application; raises OverrideRefused, naming why, and stages nothing when
    it cannot go. `factory_id` counts for a forward only: an acceptance is the home factory's, and a decline or a
    review names no factory. `command_id` is the form's own id: a form sent twice stages one command (the
    second time, nothing, and None is returned)."""
    if command_id and await tx.get(TimelineEntry, command_id) is not None:
        return None
    application = await tx.get(ApplicationRecord, application_id)
    if application is None:
        raise OverrideRefused(f"There is no application {application_id}.")
    if application.decision is None:
        raise OverrideRefused("The application has no decision yet: it can be changed once routing has decided.")
    if await erased(tx.session, application_id):
        raise OverrideRefused("The applicant's personal data was erased: no one could be told of a new decision, so "
                              "it can no longer change.")
    if not reason.strip():
        raise OverrideRefused("A reason is required: say why the decision changes (the applicant reads it).")
    data = reference.load()
    factory = {"forward": factory_id or None, "accept_local": data.home_factory}.get(outcome)
    if refusal := data.override_refusal(outcome, factory, referring_partner(application.channel)):
        raise OverrideRefused(refusal[0].upper() + refusal[1:] + ".")
    try:
        override = OverrideRequested(application_id=application_id, outcome=outcome, factory_id=factory,
                                     reason=reason.strip(), requested_by=staff_name.strip(),
                                     staff_username=staff_username, requested_at=now())
    except ValidationError as error:
        raise OverrideRefused("; ".join(f"{'.'.join(map(str, e['loc'])) or 'override'}: {e['msg']}"
                                        for e in error.errors(include_input=False))) from error
    correlation_id, decision_id = await journey_ids(tx, application_id)
    envelope = tx.command(OVERRIDE_REQUESTED, override, subject=application_id, correlation_id=correlation_id,
                          causation_id=decision_id, command_id=command_id)
    tx.add(TimelineEntry(event_id=envelope.id, application_id=application_id, time=envelope.time,
                         event=envelope.type, summary=override_summary(override), trace_id=current_trace_id()))
    tx.emit(OVERRIDE_REQUESTED, envelope)
    return envelope
