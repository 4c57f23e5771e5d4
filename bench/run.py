"""`make bench`: the pipeline measured side by side with a bare Kafka relay of the same depth, on one machine.

    python -m bench            # fixed loads of 20, 50, 200 and 1,000 applications/s, then saturation (10 minutes)
    python -m bench --quick    # one small load and a small burst: proves the bench works (CI), measures little

It starts its own Kafka broker, SMTP mailbox and the four services (SQLite, as `make run`) on free ports under
var/bench/, so a system started by `make up` is left alone. Three scenarios run at each load:

- baseline: three relay processes (bench/relay.py) carry each application through the same hops as submitted ->
  scored -> decided -> email-sent, with the same message bytes and headers the services wrote, the same
  partitions, acks=all;
- pipeline-http: applications POSTed to intake's `POST /v1/applications`, through all four services;
- pipeline-topic: application-submitted events published straight onto the topic, as intake's outbox would,
  through triage, routing and notify (intake is stopped first: its read model would meet applications it never
  took in).

Before the services start, it measures what triage's classification costs per application (CPU p50, p99, and
how often the model is asked) on the evaluation set's applications; triage's RSS, the model loaded, is in the
peak RSS of each phase.

Latency runs from the moment the schedule meant to offer an application to the moment the bench's own consumer
sees its decision (decided topic, or the baseline's third hop) and its email (email-sent, or the fourth hop). It
prints a table and writes bench/results/<date>.json and .png (<date>-quick.* with --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench import classification, load, profile, report
from bench.procs import Probe
from bench.relay import kind_of
from contracts.topics import APPLICATION_SCORED, APPLICATION_SUBMITTED, DECISION_MADE, EMAIL_SENT
from infra import samples
from infra.kafka.local_kafka import LocalKafka, ensure_libs
from infra.localnet import free_ports
from infra.stack import SERVICES, Stack
from infra.topics import create_topics
from services.intake.requests import SubmitApplication
from services.intake.take_in import submitted_event
from services.runtime.topic_reader import read_topics

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = [APPLICATION_SUBMITTED.name, APPLICATION_SCORED.name, DECISION_MADE.name, EMAIL_SENT.name]
BASELINE = [f"bench.baseline.hop{hop}" for hop in range(len(PIPELINE))]
RELAYS = [f"relay-{hop}" for hop in range(1, len(PIPELINE))]
DECISION_HOP, EMAIL_HOP = 2, 3
# Nothing new arrived for this long while applications are still missing: the phase ends and says so.
STALL_SECONDS = 60
PROFILE_SECONDS = 20  # of a saturation phase, with --profile


@dataclass(frozen=True)
class Plan:
    loads: tuple[float, ...]
    seconds: float  # how long each fixed load is offered
    max_per_load: int  # ... but never more applications than this in one phase
    saturation: int  # applications offered at once


FULL = Plan(loads=(20, 50, 200, 1000), seconds=10, max_per_load=5000, saturation=5000)
QUICK = Plan(loads=(20,), seconds=3, max_per_load=60, saturation=200)


def say(text: str) -> None:
    print(text, flush=True)


def submitted_message(body: dict) -> load.Message:
    """An application-submitted event as intake's outbox would publish it."""
    application_id = str(uuid.uuid4())
    envelope = submitted_event(SubmitApplication.model_validate(body), "api", application_id)
    return application_id.encode(), envelope.model_dump_json().encode(), [
        ("content-type", b"application/cloudevents+json")]


class Bench:
    def __init__(self, var_dir: Path, plan: Plan, quick: bool, profile: bool = False) -> None:
        self.var_dir, self.plan, self.quick, self.profile = var_dir, plan, quick, profile
        kafka_port, controller_port, smtp_port, *service_ports = free_ports(3 + len(SERVICES))
        self.kafka = LocalKafka(var_dir / "kafka", kafka_port, controller_port,
                                libs_dir=ensure_libs(ROOT / "var" / "kafka" / "libs"))
        self.stack = Stack(var_dir, self.kafka.bootstrap, dict(zip(SERVICES, service_ports)), smtp_port,
                           env={"RATE_LIMIT_PER_MINUTE": "0"})  # one client sends everything: no per-address limit
        self.relays: dict[str, subprocess.Popen] = {}
        self.collector = load.Collector(self.kafka.bootstrap, [PIPELINE[DECISION_HOP], PIPELINE[EMAIL_HOP],
                                                               BASELINE[DECISION_HOP], BASELINE[EMAIL_HOP]])
        self.producer: AIOKafkaProducer | None = None
        self.templates: dict = {}

    # -- the system ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        say(f"starting Kafka on {self.kafka.bootstrap} ...")
        self.kafka.start()
        await create_topics(self.kafka.bootstrap)
        admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, num_partitions=APPLICATION_SUBMITTED.partitions,
                                                replication_factor=1) for name in BASELINE])
        finally:
            await admin.close()
        say("starting the SMTP mailbox and the four services (SQLite) ...")
        self.stack.start_mailbox()
        self.stack.start_services()
        self.stack.wait_healthy(timeout=120)
        await self.collector.start()
        self.producer = AIOKafkaProducer(bootstrap_servers=self.kafka.bootstrap, acks="all", enable_idempotence=True)
        await self.producer.start()

    async def stop(self) -> None:
        for process in self.relays.values():
            process.terminate()
        for process in self.relays.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        await self.collector.stop()
        if self.producer:
            await self.producer.stop()
        self.stack.stop_all()
        self.kafka.stop()

    def pid(self, name: str) -> int:
        process = self.relays.get(name) or self.stack.processes[name]
        return process.pid

    async def calibrate(self) -> None:
        """One application of each sample through the real system: it warms the services up, and its messages on
        the four topics become the baseline's templates (same bytes, same headers)."""
        say("calibrating: one application of each sample through the system ...")
        ids: dict[str, int] = {}
        async with httpx.AsyncClient(timeout=30) as client:
            for index, sample in enumerate(samples.ALL):
                response = await client.post(f"{self.stack.url('intake')}/v1/applications", json=sample.body)
                response.raise_for_status()
                ids[response.json()["application_id"]] = index
        deadline = time.monotonic() + 60
        while self.collector.arrived(PIPELINE[EMAIL_HOP], ids) < len(ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        records = await read_topics(self.kafka.bootstrap, PIPELINE)
        by_key: dict[tuple[str, str], object] = {}
        for record in records:
            by_key.setdefault((record.topic, record.key.decode()), record)
        kinds = []
        for application_id, index in ids.items():
            hops = [by_key.get((topic, application_id)) for topic in PIPELINE]
            if all(hops):
                kinds.append({"sample": index, "story": samples.ALL[index].story,
                              "values": [r.value.decode() for r in hops],
                              "headers": [[[name, value.decode("latin-1")] for name, value in r.headers]
                                          for r in hops]})
        if not kinds:
            raise RuntimeError(f"no sample reached its email within 60 s; see the logs in {self.var_dir / 'log'}")
        kinds.sort(key=lambda kind: kind["sample"])
        self.templates = {"kinds": kinds}
        path = self.var_dir / "templates.json"
        path.write_text(json.dumps(self.templates))
        for hop, name in enumerate(RELAYS, start=1):
            log = (self.var_dir / "log" / f"{name}.log").open("ab")
            self.relays[name] = subprocess.Popen(
                [sys.executable, "-m", "bench.relay", "--bootstrap", self.kafka.bootstrap,
                 "--source", BASELINE[hop - 1], "--sink", BASELINE[hop], "--hop", str(hop), "--templates", str(path)],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
        await self._warm_up_relays()

    async def _warm_up_relays(self) -> None:
        """The relays have joined their groups once one message went through all three."""
        sent: dict[str, float] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            await load.feed_topic(self.producer, BASELINE[0], 1, None, self._baseline_message, sent)
            await asyncio.sleep(1)
            if self.collector.arrived(BASELINE[EMAIL_HOP], sent):
                return
        raise RuntimeError(f"the baseline relays did not answer within 60 s; see {self.var_dir / 'log'}/relay-*.log")

    def message_bytes(self) -> dict[str, float]:
        kinds = self.templates["kinds"]
        return {topic: round(sum(len(kind["values"][hop]) for kind in kinds) / len(kinds))
                for hop, topic in enumerate(PIPELINE)}

    @property
    def calibrated_samples(self) -> tuple[samples.Sample, ...]:
        """The samples whose application went through all four hops in the calibration."""
        return tuple(samples.ALL[kind["sample"]] for kind in self.templates["kinds"])

    def _baseline_message(self, _number: int) -> load.Message:
        key = str(uuid.uuid4()).encode()
        kind = self.templates["kinds"][kind_of(key, len(self.templates["kinds"]))]
        return key, kind["values"][0].encode(), [(n, v.encode("latin-1")) for n, v in kind["headers"][0]]

    # -- the phases ---------------------------------------------------------------------------------------------

    def count(self, rate: float | None) -> int:
        return self.plan.saturation if rate is None else min(self.plan.max_per_load, int(rate * self.plan.seconds))

    async def phase(self, scenario: str, rate: float | None) -> report.Phase:
        count = self.count(rate)
        label = f"{scenario} at {'saturation' if rate is None else f'{rate:g}/s'}"
        sent: dict[str, float] = {}
        refused: dict[str, int] = {}
        if scenario == "baseline":
            messages = [self._baseline_message(n) for n in range(count)]
            feed = load.feed_topic(self.producer, BASELINE[0], count, rate, messages.__getitem__, sent)
            topics, watched = BASELINE, RELAYS
        elif scenario == "pipeline-topic":
            messages = [submitted_message(samples.numbered(n, self.calibrated_samples)) for n in range(count)]
            feed = load.feed_topic(self.producer, PIPELINE[0], count, rate, messages.__getitem__, sent)
            topics, watched = PIPELINE, ["triage", "routing", "notify", "mailbox"]
        else:
            bodies = [samples.numbered(n, self.calibrated_samples) for n in range(count)]
            feed = load.feed_http(f"{self.stack.url('intake')}/v1/applications", count, rate, bodies.__getitem__,
                                  sent)
            topics, watched = PIPELINE, ["intake", "triage", "routing", "notify", "mailbox"]
        probe = Probe({name: self.pid(name) for name in watched})
        probe.start()
        profilers = [process for name in watched if self.profile and rate is None and name != "mailbox"
                     for process in profile.record(self.pid(name), self.var_dir / "profiles" / f"{scenario}-{name}",
                                                   PROFILE_SECONDS)]
        started = time.monotonic()
        feeding = asyncio.create_task(feed)
        decided_topic, email_topic = topics[DECISION_HOP], topics[EMAIL_HOP]
        last_progress, last_count, last_print = started, -1, 0.0
        while True:
            await asyncio.sleep(0.2)
            if feeding.done() and (outcome := feeding.result()) is not None:
                refused = {str(code): n for code, n in outcome.refused.items()}
                if outcome.failed:
                    refused["no answer"] = outcome.failed
            decided, emailed = self.collector.arrived(decided_topic, sent), self.collector.arrived(email_topic, sent)
            current = time.monotonic()
            if current - last_print >= 2:
                say(f"  {label}: {len(sent)}/{count} offered, {decided} decided, {emailed} emailed "
                    f"({current - started:.0f} s)")
                last_print = current
            if feeding.done() and emailed == len(sent):
                break
            if decided + emailed != last_count:
                last_count, last_progress = decided + emailed, current
            elif current - last_progress > STALL_SECONDS:
                say(f"  {label}: nothing arrived for {STALL_SECONDS} s; {len(sent) - emailed} applications missing")
                break
        usage = await probe.stop()
        for process in profilers:
            process.wait()
        for name in (watched if profilers else ()):
            if (recorded := self.var_dir / "profiles" / f"{scenario}-{name}.txt").exists():
                say(profile.summary(recorded))
        result = report.Phase.measured(scenario, rate, sent, self.collector.arrivals[decided_topic],
                                       self.collector.arrivals[email_topic], usage, refused,
                                       time.monotonic() - started)
        say(f"  {label}: {result.emailed}/{result.applications} emailed, "
            f"{report.rate_text(result.emails_per_second)}/s, p99 to decision "
            f"{report.ms_text(result.to_decision.p99_ms)} ms, to email {report.ms_text(result.to_email.p99_ms)} ms")
        return result


def machine() -> dict:
    memory_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:")), 0)
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    jars = sorted((ROOT / "var" / "kafka" / "libs").glob("kafka_2.13-*.jar"))
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "kernel": platform.release(),
            "kafka": jars[0].stem.removeprefix("kafka_2.13-") if jars else None,
            "database": "SQLite (one file per service)"}


async def run(plan: Plan, quick: bool, profile_services: bool = False,
              scenarios: tuple[str, ...] = ("baseline", "pipeline-http", "pipeline-topic")) -> report.Run:
    var_dir = ROOT / "var" / "bench"
    shutil.rmtree(var_dir, ignore_errors=True)
    bench = Bench(var_dir, plan, quick, profile_services)
    result = report.Run(date.today().isoformat(), quick, machine(), {})
    say("triage's classification: the evaluation set's applications, in this process")
    result.classification = classification.measure(40 if quick else None)
    try:
        await bench.start()
        await bench.calibrate()
        result.message_bytes = bench.message_bytes()
        for rate in (*plan.loads, None):
            for scenario in ("baseline", "pipeline-http"):
                if scenario in scenarios:
                    result.phases.append(await bench.phase(scenario, rate))
        if "pipeline-topic" in scenarios:
            bench.stack.stop("intake")
            for rate in (*plan.loads, None):
                result.phases.append(await bench.phase("pipeline-topic", rate))
    finally:
        say("stopping ...")
        await bench.stop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run that proves the bench works")
    parser.add_argument("--profile", action="store_true",
                        help="sample each service with py-spy during the saturation phases (var/bench/profiles/)")
    parser.add_argument("--only", action="append", choices=("baseline", "pipeline-http", "pipeline-topic"),
                        help="run only this scenario (repeatable); the default runs all three")
    parser.add_argument("--saturation", type=int, help="applications offered at once in the saturation phase")
    parser.add_argument("--loads", type=float, nargs="*", help="the fixed offered loads, applications/s")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    plan = Plan(tuple(args.loads) if args.loads is not None else plan.loads, plan.seconds, plan.max_per_load,
                args.saturation or plan.saturation)
    result = asyncio.run(run(plan, args.quick, args.profile, tuple(args.only or ()) or
                             ("baseline", "pipeline-http", "pipeline-topic")))
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
