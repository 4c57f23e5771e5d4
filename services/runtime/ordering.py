"""Effects in the order routing made its decisions: a replayed older decision never undoes a newer one.

Routing numbers each application's decisions (DecisionMade.sequence). A reader that keeps the current decision
(intake's read model) or acts on it (notify's emails) remembers the number of the last one it applied, and drops
a decision that does not come after it: a dead letter replayed after a staff override, say. A stale decision is
no error and no dead letter: it is logged, counted in `aiguillage_stale_decisions_total`, and its offset is
committed like any other's.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter

from contracts.envelope import Envelope
from contracts.events import DecisionMade

log = logging.getLogger(__name__)

# Registered in every service's registry (telemetry.metrics_registry), shown on its /metrics.
STALE_DECISIONS = Counter("aiguillage_stale_decisions", "Decisions dropped as older than one applied, by service",
                          ["service"], registry=None)


def is_stale(service: str, envelope: Envelope[DecisionMade], applied: int) -> bool:
    """Whether the decision is older than the one numbered `applied` that `service` applied last (0: none, or
    only unnumbered ones); a stale decision is logged and counted."""
    if envelope.data.comes_after(applied):
        return False
    log.info("decision %s (number %d) on application %s dropped: decision number %d is applied already",
             envelope.id, envelope.data.sequence, envelope.data.application_id, applied)
    STALE_DECISIONS.labels(service).inc()
    return True
