"""Building envelopes: the first event of a journey, events caused by another one, and a person's command."""

from __future__ import annotations

import functools
import uuid

from pydantic import BaseModel

from contracts import signing
from contracts.envelope import SPEC_VERSION, Envelope, derived_event_id, now
from contracts.topics import Topic


def first_event(topic: Topic, data: BaseModel, *, service: str, subject: str) -> Envelope:
    """An event that starts a journey: its id is also the correlation id of everything that follows."""
    event_id = str(uuid.uuid4())
    return _envelope(topic, data, service=service, subject=subject, event_id=event_id, correlation_id=event_id)


def caused_by(cause: Envelope, topic: Topic, data: BaseModel, *, service: str, discriminator: str = "") -> Envelope:
    """An event caused by `cause`; processing `cause` again yields the same event id, so readers drop the copy."""
    return _envelope(
        topic, data, service=service, subject=cause.subject,
        event_id=derived_event_id(cause.id + discriminator, topic.event_type),
        correlation_id=cause.correlationid, causation_id=cause.id,
    )


def follow_up(cause_id: str, topic: Topic, data: BaseModel, *, service: str, subject: str, correlation_id: str,
              discriminator: str = "") -> Envelope:
    """An event caused by a fact that is not a message (a deadline passed, a stored step): its id is derived
    from the fact's id, so announcing the same fact twice yields the same event."""
    return _envelope(topic, data, service=service, subject=subject,
                     event_id=derived_event_id(cause_id + discriminator, topic.event_type),
                     correlation_id=correlation_id, causation_id=cause_id)


def command(topic: Topic, data: BaseModel, *, service: str, subject: str, correlation_id: str,
            causation_id: str | None = None, command_id: str | None = None) -> Envelope:
    """A command a person gave (a staff override) in an application's journey: a fact of its own, with a new id
    unless the form that gave it carried one (`command_id`, so that sending the form twice is one command);
    `causation_id` names the event the person acted on."""
    return _envelope(topic, data, service=service, subject=subject, event_id=command_id or str(uuid.uuid4()),
                     correlation_id=correlation_id, causation_id=causation_id)


@functools.cache
def envelope_class(payload: type[BaseModel]) -> type[Envelope]:
    """`Envelope[payload]`, built once: pydantic holds its generic classes only weakly, and building the class
    again for each event cost routing a twentieth of its CPU (bench/, profiled)."""
    return Envelope[payload]  # type: ignore[valid-type]


def _envelope(topic: Topic, data: BaseModel, *, service: str, subject: str, event_id: str,
              correlation_id: str, causation_id: str | None = None) -> Envelope:
    # On a topic another factory reads, the source names the factory that signs (contracts/signing.py), as the
    # reader checks.
    source = signing.partner_source(getattr(data, topic.signs)) if topic.signs else f"/aiguillage/{service}"
    return envelope_class(topic.payload)(
        id=event_id, source=source, type=topic.event_type, specversion=SPEC_VERSION, time=now(),
        subject=subject, dataschema=topic.dataschema, correlationid=correlation_id, causationid=causation_id,
        data=data,
    )

