"""Several AI Factories, each running Aiguillage with its own profile, Kafka cluster, databases, mailbox and staff,
exchanging referrals between their clusters through Kafka's MirrorMaker 2.

How a referral crosses (README, "Running Aiguillage for another factory"):
- The referring factory's routing writes its offer to `aif.referrals.to.<partner>.v1` in its own cluster, signed
  with its own Ed25519 key; the partner's routing writes its answer to `aif.referrals.replies.to.<referrer>.v1`
  in the partner's cluster, signed with the partner's key.
- Each factory runs one MirrorMaker 2 (dedicated mode) beside its own cluster. It pulls, from every partner's
  cluster, the two topics addressed to it, `aif.referrals.to.<home>.v1` and `aif.referrals.replies.to.<home>.v1`,
  into its own cluster under the same names (IdentityReplicationPolicy), records, keys, partitions and headers
  (the signature) unchanged. It writes nothing to a partner's cluster (its offset syncs stay home), so a factory
  needs only the right to read those two topics in a partner's cluster.
- Intake reads the offers arriving (contracts.topics.offers_arriving), routing the answers; each checks the
  signature with the sender's public key, and drops a copy it has seen (a record MirrorMaker copied twice after
  a restart keeps its envelope id).

    python -m infra.federation demo    # two factories side by side, the two journeys, then everything stops

The demo (`make federation-demo`) starts Luxembourg (profiles/lux-aif) and Pharos, Greece (profiles/pharos),
submits a Greek health project to Luxembourg and a Luxembourg fintech project to Pharos, and prints each journey
as both clusters hold it. Its state is under var/federation/ (FEDERATION_DIR), removed at each run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from contracts import signing, topics
from infra import credentials, samples
from infra.demo import REFERRAL_STEP, wait_for as poll_status
from infra.kafka.local_kafka import LocalKafka, ensure_libs, stop_all
from infra.localnet import free_ports
from infra.stack import SERVICES, Stack
from infra.topics import provision
from services.runtime.topic_reader import read_topics

ROOT = Path(__file__).resolve().parent.parent
LIBS = ROOT / "var" / "kafka" / "libs"
MIRROR_MAIN = "org.apache.kafka.connect.mirror.MirrorMaker"
# What a factory's MirrorMaker pulls from each partner's cluster: the offers and the answers addressed to it.
ADDRESSED_TO = r"aif\.referrals\.(replies\.)?to\.{home}\.v1"


def mirror_properties(home: str, clusters: dict[str, str], replication_factor: int = 1,
                      client_settings: dict[str, dict[str, str]] | None = None) -> str:
    """MirrorMaker 2's configuration for the factory `home`: one flow from each other cluster of `clusters`
    ({factory id: bootstrap}) into home's, of the topics addressed to home, under their own names.
    `client_settings` gives a cluster's Kafka client settings ({factory id: {"security.protocol": "SASL_SSL",
    "sasl.mechanism": ..., "sasl.jaas.config": ..., "ssl.truststore.location": ...}}): home's user on a partner's
    cluster needs only Read on the two topics addressed to home."""
    escaped = ADDRESSED_TO.format(home=home.replace("-", r"\-")).replace("\\", "\\\\")  # a .properties file
    lines = [f"clusters = {', '.join(clusters)}",
             *(f"{alias}.bootstrap.servers = {bootstrap}" for alias, bootstrap in clusters.items()),
             *(f"{alias}.{name} = {value}" for alias, settings in (client_settings or {}).items()
               for name, value in settings.items())]
    for partner in clusters:
        if partner != home:
            lines += [f"{partner}->{home}.enabled = true", f"{partner}->{home}.topics = {escaped}"]
    lines += [
        # The same topic names on both sides: the offers to home are read there as if written there.
        "replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
        # Nothing is written to a partner's cluster: the offset syncs stay in home's.
        "offset-syncs.topic.location = target",
        # Each factory keeps its own topic configs (retention: infra/topics.py) and ACLs.
        "sync.topic.configs.enabled = false", "sync.topic.acls.enabled = false",
        "sync.group.offsets.enabled = false", "emit.heartbeats.enabled = false",
        # Topics are made beforehand (infra/topics.py); a partner's new one is found within this.
        "refresh.topics.interval.seconds = 10",
        *(f"{name}.replication.factor = {replication_factor}" for name in (
            "checkpoints.topic", "heartbeats.topic", "offset-syncs.topic", "offset.storage", "status.storage",
            "config.storage")),
        f"replication.factor = {replication_factor}",
    ]
    return "\n".join(lines) + "\n"


def start_mirror(stack: Stack, home: str, clusters: dict[str, str]) -> None:
    """Start `home`'s MirrorMaker 2, a JVM of its own, as one more process of its stack (var/log/mirror.log;
    `Stack.stop_all` stops it first)."""
    directory = stack.var_dir / "mirror"
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "mirror.properties"
    config.write_text(mirror_properties(home, clusters))
    logging = directory / "log4j2.properties"
    logging.write_text("status = warn\nappender.out.type = Console\nappender.out.name = out\n"
                       "appender.out.layout.type = PatternLayout\nappender.out.layout.pattern = [%d] %p %m (%c)%n\n"
                       "rootLogger.level = INFO\nrootLogger.appenderRef.out.ref = out\n")
    stack.start("mirror", ["java", "-Xms128m", "-Xmx256m", "-Djava.awt.headless=true",
                           f"-Dlog4j2.configurationFile={logging}", "-cp", str(ensure_libs(LIBS) / "*"), MIRROR_MAIN,
                           str(config), "--clusters", home], dict(os.environ), detached=False)


@dataclass
class Instance:
    """One factory's Aiguillage: its own broker, services, databases (SQLite files), mailbox and MirrorMaker."""

    factory_id: str
    directory: Path
    kafka: LocalKafka
    stack: Stack
    clusters: dict[str, str] = field(default_factory=dict)  # every factory's bootstrap, its MirrorMaker's sources

    @property
    def intake(self) -> str:
        return self.stack.url("intake")

    @property
    def secrets(self) -> Path:
        return self.directory / "secrets"

    def start_broker(self) -> None:
        if not self.kafka.is_running():
            self.kafka.start()
        asyncio.run(provision(self.kafka.bootstrap))
        credentials.ensure(self.directory)

    def start_services(self) -> None:
        self.stack.start_mailbox()
        self.stack.start_services()
        self.stack.wait_healthy(timeout=120)
        if self.clusters:
            start_mirror(self.stack, self.factory_id, self.clusters)

    def stop(self) -> None:
        """Everything of this factory stops: a partner down, as far as the others can tell."""
        self.stack.stop_all()
        stop_all([self.kafka])


def new_instance(factory_id: str, directory: Path, **env: str) -> Instance:
    """A factory's instance on free ports, its profile profiles/<factory_id>, its state in `directory`."""
    ports = free_ports(len(SERVICES) + 3)
    kafka = LocalKafka(directory / "kafka", ports[0], ports[1], libs_dir=LIBS, heap="384m")
    env = {"FACTORY_PROFILE": str(ROOT / "profiles" / factory_id), **env}
    stack = Stack(directory, kafka.bootstrap, dict(zip(SERVICES, ports[2:])), smtp_port=ports[-1], env=env)
    return Instance(factory_id, directory, kafka, stack)


def exchange_public_keys(instances: list[Instance]) -> None:
    """Each factory holds the others' public keys, in its partner keys file, and never their private keys."""
    for instance in instances:
        keys_file = credentials.Credentials(instance.secrets).partner_keys_file
        keys = json.loads(keys_file.read_text()) if keys_file.exists() else {}
        keys.pop(instance.factory_id, None)  # a simulated partner of its own name, had the profile been another
        for other in instances:
            if other is not instance:
                private = signing.load_private_key(credentials.Credentials(other.secrets).factory_signing_key_file)
                keys[other.factory_id] = {"public_key": signing.public_key_text(private)}
        keys_file.write_text(json.dumps(keys, indent=2))


@contextmanager
def federation(directory: Path, factory_ids: tuple[str, ...], **env: str) -> Iterator[dict[str, Instance]]:
    """The factories `factory_ids` running side by side, each with its own cluster, linked by their
    MirrorMakers; everything stops at the end, whatever happened."""
    instances = {factory_id: new_instance(factory_id, directory / factory_id, **env) for factory_id in factory_ids}
    clusters = {factory_id: instance.kafka.bootstrap for factory_id, instance in instances.items()}
    for instance in instances.values():
        instance.clusters = clusters
    with ExitStack() as cleanup:
        for instance in instances.values():
            cleanup.callback(instance.stop)
        for instance in instances.values():
            instance.kafka.launch()  # the brokers start together
        for instance in instances.values():
            instance.kafka.wait_ready(90)
            instance.start_broker()
        exchange_public_keys(list(instances.values()))
        for instance in instances.values():
            instance.start_services()
        yield instances


# -- the demo ---------------------------------------------------------------------------------------------------

def submit(instance: Instance, sample: samples.Sample) -> str:
    """Submit the sample's application to `instance`; its status link."""
    response = httpx.post(f"{instance.intake}/v1/applications", json=sample.body, timeout=10)
    response.raise_for_status()
    return response.json()["status_url"]


def answered(status: dict) -> bool:
    """Whether the partner's answer to the offer is in the applicant's timeline."""
    return any(entry["event"] == REFERRAL_STEP and (" accepted " in entry["summary"] or " declined " in
                                                    entry["summary"]) for entry in status["timeline"])


def wait_for(status_url: str, condition=answered, timeout: float = 120) -> dict:
    """The applicant's status once `condition` holds (the demo's polling, with the time a crossing may take)."""
    with httpx.Client(timeout=10) as client:
        return poll_status(client, status_url, condition, timeout)


async def journey(instances: dict[str, Instance], home: str, application_id: str) -> list[tuple]:
    """Every event of the journey of application `application_id` of factory `home`, as each factory's cluster
    holds it, in time order: (time, factory, topic, envelope). The correlation id carries it across."""
    names = [t.name for t in (*topics.PIPELINE, topics.REFERRAL_UPDATED)] + [
        t.name for factory_id in instances for t in (topics.referrals_to(factory_id), topics.replies_to(factory_id))]
    events = []
    for factory_id, instance in instances.items():
        for record in await read_topics(instance.kafka.bootstrap, names):
            body = json.loads(record.value)
            events.append((datetime.fromtimestamp(record.timestamp / 1000, UTC), factory_id, record.topic, body))
    first = next(body for _, factory_id, _, body in events
                 if factory_id == home and body.get("subject") == application_id)
    return sorted((event for event in events if event[3].get("correlationid") == first["correlationid"]),
                  key=lambda event: event[0])


def said(topic: str, data: dict) -> str:
    """A line of what an event says."""
    if "outcome" in data:
        return f"{data['outcome']} {data.get('factory_id') or ''}  {(data.get('reasons') or [''])[0][:90]}"
    if "offer_id" in data and "answer" in data:
        return f"{data['factory_id']} answers {data['answer']}: {(data.get('reason') or '')[:90]}"
    if "offer_id" in data:
        return f"offered to {data['factory_id']} by {data['from_factory']} (hops {' > '.join(data.get('hops', []))})"
    if "step" in data:
        return f"{data['step']}: {data['reason'][:90]}"
    if "channel" in data:
        return f"submitted through {data['channel']}: {data['project']['title']}"
    if "total_score" in data:
        return (f"sectors {', '.join(s['sector'] for s in data['sectors']) or 'none'}, score {data['total_score']}, "
                f"best partner {(data['partner_fit'] or [{'factory_id': '-'}])[0]['factory_id']}")
    if "message_id" in data:
        return f"email to {data['to']}: {data['subject']}"
    return ", ".join(sorted(data))[:90]


def print_journey(title: str, events: list[tuple]) -> None:
    """One line per event; a record MirrorMaker copied into a factory's cluster is marked so (same time: a copy
    keeps the record's timestamp)."""
    print(f"\n{title}")
    for when, factory_id, topic, body in events:
        copied = topic in (topics.referrals_to(factory_id).name, topics.replies_to(factory_id).name)
        print(f"  {when:%H:%M:%S.%f}"[:-3] + f"  {factory_id:8} {'<= ' if copied else '   '}{topic:38} "
              f"{said(topic, body.get('data', {}))}")


def demo(directory: Path) -> int:
    shutil.rmtree(directory, ignore_errors=True)
    print("starting two factories, each with its own Kafka cluster, services and MirrorMaker 2 "
          "(Luxembourg, profiles/lux-aif; Pharos, profiles/pharos) ...", flush=True)
    with federation(directory, ("lux-aif", "pharos")) as instances:
        lux, pharos = instances["lux-aif"], instances["pharos"]
        print(f"  lux-aif: Kafka {lux.kafka.bootstrap}, intake {lux.intake}")
        print(f"  pharos:  Kafka {pharos.kafka.bootstrap}, intake {pharos.intake}", flush=True)
        journeys = [(samples.ATHENS_CARDIO, lux), (samples.KIRCHBERG_PAY, pharos)]
        links = [(sample, instance, submit(instance, sample)) for sample, instance in journeys]
        for sample, instance, status_url in links:
            status = wait_for(status_url)
            events = asyncio.run(journey(instances, instance.factory_id, status["application_id"]))
            print_journey(f"{sample.story}.\nAt {instance.factory_id} it is now '{status['status']}'; its journey "
                          "on both clusters:", events)
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.federation", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["demo"])
    parser.parse_args()
    directory = Path(os.environ.get("FEDERATION_DIR", ROOT / "var" / "federation")).resolve()
    try:
        return demo(directory)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - what failed is said; everything was stopped already
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
