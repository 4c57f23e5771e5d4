"""`make bench`: the pipeline measured side by side with two relays of the same depth, on one machine.

    python -m bench            # fixed loads of 20, 50, 200 and 1,000 applications/s, then saturation (15 minutes)
    python -m bench --quick    # 50/s over HTTP, 200/s on the topic, shorter saturation (CI, under 4 minutes)

It starts its own Kafka broker, SMTP mailbox and the four services (SQLite, as `make run`) on free ports under
var/bench/, so a system started by `make up` is left alone. Four scenarios:

- bare-relay: three relay processes (bench/relay.py) carry each application through the same hops as
  submitted -> scored -> decided -> email-sent, with the same message bytes and headers the services wrote, the
  same partitions, acks=all; no database, no domain work;
- durable-relay: the same loop (bench/durable.py) with one SQLite transaction per batch in each hop (inbox and
  outbox rows), triage's scoring and routing's decision as the services call them, and a real email per
  application to the same mailbox;
- pipeline-http: applications POSTed to intake's `POST /v1/applications`, through all four services;
- pipeline-topic: application-submitted events published straight onto the topic, as intake's outbox would,
  through triage, routing and notify (intake is stopped first: its read model would meet applications it never
  took in).

Triage's model is off for the bare relay's comparison and the latencies (triage runs a copy of its policy with
`classifier.layers: lexical`, through POLICY_FILE), and on, on both sides, for the durable relay's (triage
restarted with its own policy); every phase says which. Saturation holds a standing backlog for a fixed time and
takes the rate and the CPU of a steady window; before each phase, every consumer group's lag must be 0 and every
outbox empty (bench/settle.py). Every phase counts the CPU of its processes, the broker's and the mailbox's.

Latency runs from the moment the schedule meant to offer an application to the moment the bench's own consumer
sees its decision (decided topic, or the relay's third hop) and its email (email-sent, or the fourth hop). It
prints tables and writes bench/results/<date>.json and .png (<date>-quick.* with --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from bench import classification, load, profile, report
from bench.procs import Probe
from bench.system import DECISION_HOP, EMAIL_HOP, ROOT, System, machine, say
from services.triage.policy import DEFAULT_POLICY

SCENARIOS = ("bare-relay", "durable-relay", "pipeline-http", "pipeline-topic")
# Nothing new arrived for this long while applications are still missing: the phase ends and says so.
STALL_SECONDS = 60
PROFILE_SECONDS = 20  # of a saturation phase, with --profile


@dataclass(frozen=True)
class Plan:
    topic_loads: tuple[float, ...]  # pipeline-topic's fixed loads, applications/s
    http_loads: tuple[float, ...]  # pipeline-http's (the bare relay runs at both)
    seconds: float  # how long each fixed load is offered
    max_per_load: int  # ... but never more applications than this in one phase
    saturation_seconds: float  # how long a saturation phase holds its backlog
    warm_up_seconds: float  # ... of which the first are not counted

    @property
    def relay_loads(self) -> tuple[float, ...]:
        return tuple(sorted({*self.topic_loads, *self.http_loads}))


FULL = Plan((20, 50, 200, 1000), (20, 50, 200, 1000), seconds=10, max_per_load=5000, saturation_seconds=30,
            warm_up_seconds=5)
QUICK = Plan((200,), (50,), seconds=4, max_per_load=1000, saturation_seconds=20, warm_up_seconds=5)


def feeder(system: System, plan: Plan, scenario: str, rate: float | None, sent: dict[str, float],
           outcome: load.HttpOutcome, backlog: load.Backlog) -> tuple[Coroutine, int | None]:
    """What feeds a phase (at `rate` a second, or saturating it with `backlog`), and how many applications it
    offers (None: as many as the saturation takes)."""
    make = system.message_maker(scenario)
    if rate is None:
        count = None
        ticks = load.saturating(plan.saturation_seconds, backlog, lambda: len(sent) + outcome.waiting)
    else:
        count = min(plan.max_per_load, int(rate * plan.seconds))
        made = [make(number) for number in range(count)]  # before the clock starts
        make, ticks = made.__getitem__, load.schedule(count, rate)
    if scenario == "pipeline-http":
        return load.feed_http(f"{system.stack.url('intake')}/v1/applications", ticks, make, sent, outcome), count
    topic = system.processes(scenario)[0][0]
    return load.feed_topic(system.producer, topic, ticks, make, sent), count  # type: ignore[arg-type]


async def phase(system: System, plan: Plan, scenario: str, rate: float | None, profiling: bool = False
                ) -> report.Phase:
    """One scenario at one load: once the phase before has settled, feed it, watch what arrives, and measure its
    processes, the broker and the mailbox (and the bench's own)."""
    load_text = "saturation" if rate is None else f"{rate:g}/s"
    label = f"{scenario} at {load_text}, model {report.model_text(system.model)}"
    settled = await system.settle.wait(say)
    topics, watched = system.processes(scenario)
    decided_topic, email_topic = topics[DECISION_HOP], topics[EMAIL_HOP]
    done_before = {topic: system.collector.count(topic) for topic in (decided_topic, email_topic)}

    def done(topic: str = email_topic) -> int:
        return system.collector.count(topic) - done_before[topic]

    # What the first stage has finished, for a saturation's backlog (an admin request every 0.1 s).
    first_stage = load.Follower(partial(system.settle.committed, system.first_group(scenario)))
    if rate is None:
        await first_stage.start()
    sent: dict[str, float] = {}
    outcome = load.HttpOutcome()
    feed, count = feeder(system, plan, scenario, rate, sent, outcome, load.Backlog(done, first_stage))
    probe = Probe({name: system.pid(name) for name in watched} | {report.BENCH: os.getpid()})
    probe.start()
    profilers = [process for name in watched if profiling and rate is None and name not in ("mailbox", "broker")
                 for process in profile.record(system.pid(name), system.var_dir / "profiles" / f"{scenario}-{name}",
                                               PROFILE_SECONDS)]
    started = time.monotonic()
    window_from, window_to = started + plan.warm_up_seconds, started + plan.saturation_seconds
    window: list[tuple[float, dict[str, float]]] = []  # the steady window's two ends: time, CPU so far
    feeding = asyncio.create_task(feed)
    last_progress, last_count, last_print = started, -1, 0.0
    while True:
        await asyncio.sleep(0.1)
        current = time.monotonic()
        if rate is None and len(window) < 2 and current >= (window_to if window else window_from):
            window.append((current, probe.cpu_now()))
        decided, emailed = done(decided_topic), done()
        if current - last_print >= 2:
            say(f"  {label}: {len(sent)}{'' if count is None else f'/{count}'} offered, {decided} decided, "
                f"{emailed} emailed ({current - started:.0f} s)")
            last_print = current
        if feeding.done() and emailed >= len(sent) and system.collector.arrived(email_topic, sent) == len(sent):
            break
        if decided + emailed != last_count:
            last_count, last_progress = decided + emailed, current
        elif current - last_progress > STALL_SECONDS:
            say(f"  {label}: nothing arrived for {STALL_SECONDS} s; "
                f"{len(sent) - system.collector.arrived(email_topic, sent)} applications missing")
            break
    await feeding
    await first_stage.stop()
    usage = await probe.stop()
    for process in profilers:
        process.wait()
    for name in (watched if profilers else ()):
        if (recorded := system.var_dir / "profiles" / f"{scenario}-{name}.txt").exists():
            say(profile.summary(recorded))
    refused = {str(code): n for code, n in outcome.refused.items()}
    if outcome.failed:
        refused["no answer"] = outcome.failed
    steady = (window[0][0], window[1][0]) if len(window) == 2 else None
    cpu = {name: window[1][1][name] - window[0][1][name] for name in window[0][1]} if steady else None
    result = report.Phase.measured(scenario, system.model, rate, sent, system.collector.arrivals[decided_topic],
                                   system.collector.arrivals[email_topic], usage, refused,
                                   time.monotonic() - started, settled, steady, cpu)
    say(f"  {label}: {result.emailed}/{result.applications} emailed, "
        f"{report.rate_text(result.emails_per_second)}/s{' over the steady window' if steady else ''}, "
        f"p99 to decision {report.ms_text(result.to_decision.p99_ms)} ms, CPU "
        f"{report.ms_text(result.cpu_ms_per_application['total'])} ms per application in all")
    return result


async def run(plan: Plan, quick: bool, profile_services: bool = False,
              scenarios: tuple[str, ...] = SCENARIOS) -> report.Run:
    """Model off: the fixed loads of the bare relay and pipeline-http, the saturations of pipeline-http, the bare
    relay and (intake stopped) pipeline-topic, then pipeline-topic's fixed loads. Model on: the saturations of the
    durable relay and pipeline-topic."""
    var_dir = ROOT / "var" / "bench"
    shutil.rmtree(var_dir, ignore_errors=True)
    system = System(var_dir)
    result = report.Run(date.today().isoformat(), quick, machine(), {})
    say("triage's classification: the evaluation set's applications, in this process")
    result.classification = classification.measure(40 if quick else None)

    async def measure(scenario: str, rates: tuple[float | None, ...]) -> None:
        if scenario in scenarios:
            for rate in rates:
                result.phases.append(await phase(system, plan, scenario, rate, profile_services))

    try:
        result.policies = await system.start()
        await system.calibrate()
        result.message_bytes = system.message_bytes()
        bodies = [sample.body for sample in system.calibrated_samples]
        result.domain_ms = {"model off": classification.domain_cost(bodies, system.lexical_policy),
                            "model on": classification.domain_cost(bodies, DEFAULT_POLICY)}
        say(f"-- model off: triage runs {result.policies['model off']}")
        if "bare-relay" in scenarios:
            await system.start_relay("bare-relay")
        for rate in plan.relay_loads:
            await measure("bare-relay", (rate,))
            await measure("pipeline-http", (rate,) if rate in plan.http_loads else ())
        # The saturations one after the other, the bare relay's between the pipeline's two: the machine is shared.
        await measure("pipeline-http", (None,))
        await measure("bare-relay", (None,))
        system.stack.stop("intake")
        await measure("pipeline-topic", (None,))
        await measure("pipeline-topic", plan.topic_loads)
        if {"durable-relay", "pipeline-topic"} & set(scenarios):
            await system.use_model()
            say(f"-- model on: triage runs {result.policies['model on']}")
            if "durable-relay" in scenarios:
                await system.start_relay("durable-relay")
            await measure("durable-relay", (None,))
            await measure("pipeline-topic", (None,))
    finally:
        say("stopping ...")
        await system.stop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (CI), its ratios still meaningful")
    parser.add_argument("--profile", action="store_true",
                        help="sample each service with py-spy during the saturation phases (var/bench/profiles/)")
    parser.add_argument("--only", action="append", choices=SCENARIOS,
                        help="run only this scenario (repeatable); the default runs all four")
    parser.add_argument("--saturation", type=float, help="seconds a saturation phase holds its backlog")
    parser.add_argument("--loads", type=float, nargs="*", help="the fixed offered loads, applications/s")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    loads = tuple(args.loads) if args.loads is not None else None
    plan = Plan(loads if loads is not None else plan.topic_loads, loads if loads is not None else plan.http_loads,
                plan.seconds, plan.max_per_load, args.saturation or plan.saturation_seconds, plan.warm_up_seconds)
    result = asyncio.run(run(plan, args.quick, args.profile, tuple(args.only or ()) or SCENARIOS))
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / (result.date + ("-quick" if args.quick else ""))
    stem.with_suffix(".json").write_text(result.to_json() + "\n")
    report.plot(result, stem.with_suffix(".png"))
    say("")
    say(report.table(result))
    say(f"\nwritten: {stem.with_suffix('.json')}, {stem.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
