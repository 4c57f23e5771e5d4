"""The system the bench measures, on free ports under var/bench/ (a system started by `make up` is left alone): a
Kafka broker, the SMTP mailbox, the four services (SQLite, as `make run`), the bare and the durable relay, and what
each scenario is fed."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench import load
from bench.relay import kind_of
from bench.settle import Settle
from contracts.envelope import SPEC_VERSION, Envelope, now
from contracts.events import ApplicationSubmitted
from contracts.topics import APPLICATION_SCORED, APPLICATION_SUBMITTED, DECISION_MADE, EMAIL_SENT
from infra import samples
from infra.kafka.local_kafka import LocalKafka, ensure_libs
from infra.localnet import free_ports
from infra.stack import SERVICES, Stack
from infra.topics import create_topics
from services.runtime.topic_reader import read_topics
from services.triage.policy import DEFAULT_POLICY

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = [APPLICATION_SUBMITTED.name, APPLICATION_SCORED.name, DECISION_MADE.name, EMAIL_SENT.name]
# Each relay: its module (its hops' consumer groups are <module>.<hop>), its four topics (one per hop), the name of
# its processes.
RELAYS = {"bare-relay": ("bench.relay", [f"bench.bare.hop{hop}" for hop in range(len(PIPELINE))], "relay"),
          "durable-relay": ("bench.durable", [f"bench.durable.hop{hop}" for hop in range(len(PIPELINE))], "durable")}
DECISION_HOP, EMAIL_HOP = 2, 3
SUBMITTED = Envelope[ApplicationSubmitted]


def say(text: str) -> None:
    print(text, flush=True)


def submitted_message(body: dict) -> load.Message:
    """An application-submitted event as intake's outbox publishes it: the contract's envelope, a new journey."""
    application_id, event_id = str(uuid.uuid4()), str(uuid.uuid4())
    envelope = SUBMITTED(
        id=event_id, source="/aiguillage/intake", type=APPLICATION_SUBMITTED.event_type, specversion=SPEC_VERSION,
        time=now(), subject=application_id, dataschema=APPLICATION_SUBMITTED.dataschema, correlationid=event_id,
        data=ApplicationSubmitted(application_id=application_id, submitted_at=now(), channel="api", **body))
    return application_id.encode(), envelope.model_dump_json().encode(), [
        ("content-type", b"application/cloudevents+json")]


def write_lexical_policy(path: Path) -> str:
    """A copy of triage's policy that never asks the model; the layers triage's own policy uses."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    own = policy["classifier"]["layers"]
    policy["classifier"]["layers"] = "lexical"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(policy, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return own


class System:
    """What the bench runs and how it watches it: the broker, the mailbox, the four services and the relays, the
    bench's own producer, the collector of arrivals and the check that a phase has settled."""

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        kafka_port, controller_port, smtp_port, *service_ports = free_ports(3 + len(SERVICES))
        self.kafka = LocalKafka(var_dir / "kafka", kafka_port, controller_port,
                                libs_dir=ensure_libs(ROOT / "var" / "kafka" / "libs"))
        self.stack = Stack(var_dir, self.kafka.bootstrap, dict(zip(SERVICES, service_ports)), smtp_port,
                           # One client sends everything, to the sample applicants' few addresses: no limit per
                           # client address, no cap per recipient, at the door or on emails.
                           env={"RATE_LIMIT_PER_MINUTE": "0", "APPLICATIONS_PER_ADDRESS_PER_DAY": "0",
                                "APPLICATIONS_PER_DOMAIN_PER_DAY": "0", "MAX_EMAILS_PER_ADDRESS": "0",
                                "MAX_EMAILS_PER_DOMAIN": "0"})
        self.lexical_policy = var_dir / "policy-lexical.yaml"
        self.model = False  # whether triage (and the durable relay) ask the model now
        self.relays: dict[str, subprocess.Popen] = {}
        self.collector = load.Collector(self.kafka.bootstrap, [topics[hop] for topics in self.topics.values()
                                                               for hop in (DECISION_HOP, EMAIL_HOP)])
        self.settle = Settle(self.kafka.bootstrap, self.databases)
        self.producer: AIOKafkaProducer | None = None
        self.templates: dict = {}

    @property
    def topics(self) -> dict[str, list[str]]:
        return {"pipeline": PIPELINE, **{scenario: topics for scenario, (_, topics, _) in RELAYS.items()}}

    def databases(self) -> dict[str, Path]:
        """The SQLite file of each service running now."""
        return {service: self.var_dir / f"{service}.db" for service in SERVICES if service in self.stack.processes}

    async def start(self) -> dict[str, str]:
        """Start everything, triage with its model off; what triage's policy is with the model off and on."""
        say(f"starting Kafka on {self.kafka.bootstrap} ...")
        self.kafka.start()
        await create_topics(self.kafka.bootstrap)
        admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, num_partitions=APPLICATION_SUBMITTED.partitions,
                                                replication_factor=1)
                                       for _, topics, _ in RELAYS.values() for name in topics])
        finally:
            await admin.close()
        own_layers = write_lexical_policy(self.lexical_policy)
        say("starting the SMTP mailbox and the four services (SQLite), triage's model off ...")
        self.stack.start_mailbox()
        self.stack.start_services(extra_env={"triage": {"POLICY_FILE": str(self.lexical_policy)}})
        self.stack.wait_healthy(timeout=180)
        await self.collector.start()
        await self.settle.start()
        self.producer = AIOKafkaProducer(bootstrap_servers=self.kafka.bootstrap, acks="all", enable_idempotence=True)
        await self.producer.start()
        relative = self.lexical_policy.relative_to(ROOT)
        return {"model off": f"{relative}: triage's policy with classifier.layers lexical (POLICY_FILE)",
                "model on": f"{DEFAULT_POLICY.relative_to(ROOT)}: triage's own, classifier.layers {own_layers}"}

    async def stop(self) -> None:
        for process in self.relays.values():
            process.terminate()
        for process in self.relays.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        await self.collector.stop()
        await self.settle.stop()
        if self.producer:
            await self.producer.stop()
        self.stack.stop_all()
        self.kafka.stop()

    def pid(self, name: str) -> int:
        if name == "broker":
            assert self.kafka.pid is not None, "the broker is not running"
            return self.kafka.pid
        process = self.relays.get(name) or self.stack.processes[name]
        return process.pid

    async def calibrate(self) -> None:
        """One application of each sample through the real system: it warms the services up, and its messages on
        the four topics become the bare relay's templates (same bytes, same headers)."""
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
        (self.var_dir / "templates.json").write_text(json.dumps(self.templates))

    async def start_relay(self, scenario: str) -> None:
        """Start the three processes of a relay; return once an application went through all three."""
        module, topics, prefix = RELAYS[scenario]
        for hop in range(1, len(topics)):
            name = f"{prefix}-{hop}"
            options = (["--templates", str(self.var_dir / "templates.json")] if scenario == "bare-relay" else
                       ["--db", str(self.var_dir / f"{name}.db"), "--smtp-port", str(self.stack.smtp_port),
                        "--policy", str(DEFAULT_POLICY if self.model else self.lexical_policy)])
            log = (self.var_dir / "log" / f"{name}.log").open("ab")
            self.relays[name] = subprocess.Popen(
                [sys.executable, "-m", module, "--bootstrap", self.kafka.bootstrap, "--source", topics[hop - 1],
                 "--sink", topics[hop], "--hop", str(hop), *options],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
        message = self.message_maker(scenario)
        deadline = time.monotonic() + 180  # the durable relay's triage loads its vocabulary and model first
        while time.monotonic() < deadline:
            key, value, headers = message(0)
            await self.producer.send_and_wait(topics[0], value, key=key, headers=headers)  # type: ignore[union-attr]
            await asyncio.sleep(1)
            if key.decode() in self.collector.arrivals[topics[EMAIL_HOP]]:
                return
        raise RuntimeError(f"the {scenario} did not answer within 180 s; see {self.var_dir / 'log'}/{prefix}-*.log")

    async def use_model(self) -> None:
        """Triage restarted with its own policy, which asks the model."""
        say("restarting triage with its own policy: the model on ...")
        self.stack.stop("triage")
        self.stack.start_service("triage", extra_env={"POLICY_FILE": str(DEFAULT_POLICY)})
        self.stack.wait_healthy(("triage",), timeout=300)
        self.model = True

    def message_bytes(self) -> dict[str, float]:
        kinds = self.templates["kinds"]
        return {topic: round(sum(len(kind["values"][hop]) for kind in kinds) / len(kinds))
                for hop, topic in enumerate(PIPELINE)}

    @property
    def calibrated_samples(self) -> tuple[samples.Sample, ...]:
        """The samples whose application went through all four hops in the calibration."""
        return tuple(samples.ALL[kind["sample"]] for kind in self.templates["kinds"])

    def _bare_message(self, _number: int) -> load.Message:
        key = str(uuid.uuid4()).encode()
        kind = self.templates["kinds"][kind_of(key, len(self.templates["kinds"]))]
        return key, kind["values"][0].encode(), [(n, v.encode("latin-1")) for n, v in kind["headers"][0]]

    def message_maker(self, scenario: str):
        """The `number`th application a scenario is fed: a message for its first topic, or a body to POST."""
        if scenario == "bare-relay":
            return self._bare_message
        if scenario == "pipeline-http":
            return lambda number: samples.numbered(number, self.calibrated_samples)
        return lambda number: submitted_message(samples.numbered(number, self.calibrated_samples))

    @staticmethod
    def first_group(scenario: str) -> str:
        """The consumer group of a scenario's first stage that reads a topic."""
        return f"{RELAYS[scenario][0]}.1" if scenario in RELAYS else "triage"

    def processes(self, scenario: str) -> tuple[list[str], list[str]]:
        """The topics of a scenario's four hops, and the processes it runs on (with the mailbox and the broker)."""
        if scenario in RELAYS:
            _, topics, prefix = RELAYS[scenario]
            return topics, [f"{prefix}-{hop}" for hop in range(1, len(topics))] + ["mailbox", "broker"]
        services = ["intake"] * (scenario == "pipeline-http") + ["triage", "routing", "notify"]
        return PIPELINE, services + ["mailbox", "broker"]


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
