"""Effects in the order they happened: a replayed older event never undoes a newer one.

Routing numbers each application's decisions (DecisionMade.sequence). A reader that keeps the current decision
(intake's read model) or acts on it (notify's emails) remembers the number of the last one it applied, and drops
a decision numbered lower: a dead letter replayed after a staff override, say. The same number again is the
same decision, not a stale one: notify records a decision as acted on even when its email is dead-lettered
(the runtime keeps what a rejected cause did), and the replay of that dead letter must still send it. The steps of the
referral exchange carry no number; they are ordered by their time, which routing gives each as it takes it (one
application's steps are taken in turn, under its offers' locks, seconds to days apart).

A stale event is no error and no dead letter: it is logged, counted in `aiguillage_stale_events_total`, and its
offset is committed like any other's.
"""

from __future__ import annotations

import logging
from datetime import datetime

from prometheus_client import Counter

from contracts.envelope import Envelope
from contracts.events import DecisionMade

log = logging.getLogger(__name__)

# Registered in every service's registry (telemetry.metrics_registry), shown on its /metrics.
STALE_EVENTS = Counter("aiguillage_stale_events", "Events dropped as older than what was applied, by service and "
                       "event type", ["service", "type"], registry=None)


def is_stale(service: str, envelope: Envelope[DecisionMade], applied: int) -> bool:
    """Whether the decision is older than the one numbered `applied` that `service` applied last (0: none, or
    only unnumbered ones); a stale decision is logged and counted."""
    if not envelope.data.is_older_than(applied):
        return False
    dropped(service, envelope, f"decision number {envelope.data.sequence}, and number {applied} is applied")
    return True


def is_older(service: str, envelope: Envelope, than: datetime | None, what: str) -> bool:
    """Whether the event happened before `than`, the time of `what` that `service` applied already (None: nothing
    applied yet); an older event is logged and counted."""
    if than is None or envelope.time >= than:
        return False
    dropped(service, envelope, f"of {envelope.time.isoformat()}, and {what} of {than.isoformat()} is applied")
    return True


def dropped(service: str, envelope: Envelope, why: str) -> None:
    """Log and count `envelope` as stale, for `why`."""
    log.info("%s %s about application %s dropped as stale: %s", envelope.type, envelope.id, envelope.subject, why)
    STALE_EVENTS.labels(service, envelope.type).inc()
