"""What triage's classification costs per application, measured in the bench's own process: the evaluation set's
applications (320 in 23 languages) scored as triage scores them, with the vocabulary and the model loaded first."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from contracts import reference
from contracts.events import ApplicationSubmitted
from eval.cases import load
from services.triage.classify import Layers
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def measure(limit: int | None = None) -> dict:
    policy, facts = load_policy(), reference.load()
    layers = Layers(policy)
    started = time.process_time()
    loaded = layers.load()
    load_seconds = time.process_time() - started
    asked = 0
    if layers.semantic is not None:  # count the applications the model is asked about
        rank = layers.semantic.rank

        def counted(sentences):
            nonlocal asked
            asked += 1
            return rank(sentences)

        layers.semantic.rank = counted
    costs = []
    for case in load()[:limit]:
        submitted = ApplicationSubmitted(application_id=case.id, submitted_at=datetime.now(UTC), channel="api",
                                         **case.application)
        started = time.process_time()
        when_application_submitted_score_it(submitted, facts, policy, layers.semantic)
        costs.append((time.process_time() - started) * 1000)
    return {"applications": len(costs), "policy": policy.version, "loaded": loaded,
            "load_cpu_seconds": round(load_seconds, 1), "cpu_ms_p50": _percentile(costs, 0.5),
            "cpu_ms_p99": _percentile(costs, 0.99), "cpu_ms_mean": round(sum(costs) / len(costs), 2),
            "model_asked_share": round(asked / len(costs), 3)}
