"""What the domain work costs per application, measured in the bench's own process: triage's classification on the
evaluation set's applications (320 in 23 languages) scored as triage scores them, with the vocabulary and the model
loaded first (the same measure as `make eval`'s, through its `decide_all`); and triage's scoring and routing's
decision on the bench's own applications, which a service's CPU per application contains."""

from __future__ import annotations

import time
from pathlib import Path

from contracts import reference
from contracts.envelope import now
from contracts.events import ApplicationSubmitted
from eval.cases import load
from eval.measure import decide_all, figures
from services.routing.handlers import load_policy as routing_policy, when_application_scored_decide_route
from services.triage.classify import Layers
from services.triage.handlers import when_application_submitted_score_it
from services.triage.policy import load_policy


def measure(limit: int | None = None) -> dict:
    policy, routing, facts = load_policy(), routing_policy(), reference.load()
    layers = Layers(policy)
    started = time.process_time()
    loaded = layers.load()
    load_seconds = time.process_time() - started
    asked: set[str] = set()  # the applications the model was asked about (not the warm-up)
    current = ""
    if layers.semantic is not None:
        rank = layers.semantic.rank

        def counted(sentences):
            asked.add(current)
            return rank(sentences)

        layers.semantic.rank = counted

    def score(submitted):
        nonlocal current
        current = submitted.application_id
        return when_application_submitted_score_it(submitted, facts, policy, layers.semantic)

    results = decide_all(load()[:limit], score,
                         lambda scored: when_application_scored_decide_route(scored, facts, routing))
    cost = figures(results)["cpu_ms"]
    return {"applications": len(results), "policy": policy.version, "loaded": loaded,
            "load_cpu_seconds": round(load_seconds, 1), "cpu_ms_p50": cost["p50"], "cpu_ms_p99": cost["p99"],
            "cpu_ms_mean": cost["mean"], "model_asked_share": round(len(asked - {"warm-up"}) / len(results), 3)}


def domain_cost(bodies: list[dict], policy_file: Path, rounds: int = 10) -> dict[str, float]:
    """Mean CPU ms per application of triage's scoring under the policy in `policy_file` (its classifier included)
    and of routing's decision, over `rounds` of `bodies`, after one of each to warm up."""
    policy, routing, facts = load_policy(policy_file), routing_policy(), reference.load()
    layers = Layers(policy)
    layers.load()
    submitted = [ApplicationSubmitted(application_id=f"bench-{number}", submitted_at=now(), channel="api", **body)
                 for number, body in enumerate(bodies)] * rounds

    def cpu_ms(work, items: list) -> tuple[float, list]:
        work(items[0])
        started = time.process_time()
        done = [work(item) for item in items]
        return round((time.process_time() - started) * 1000 / len(items), 2), done

    triage, scored = cpu_ms(lambda item: when_application_submitted_score_it(item, facts, policy, layers.semantic),
                            submitted)
    routing_ms, _ = cpu_ms(lambda item: when_application_scored_decide_route(item, facts, routing), scored)
    return {"triage": triage, "routing": routing_ms}
