"""Create every topic of the registry with its dead-letter twin, explicitly (the broker never auto-creates), with
the retention of RETENTION, and bring the configs of existing topics to that plan.

Run: python -m infra.topics [--bootstrap 127.0.0.1:9092] [--replication-factor 1]. Existing topics are kept;
a planned config they lack or hold another value of is set (IncrementalAlterConfigs: nothing else of the topic's
configs changes), and every change is printed. The client settings are the operator's (infra.credentials:
KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_SSL_CAFILE, or KAFKA_AUTH=scram for the local secured broker).

Retention: a broker keeps a topic's records 7 days by default; here RETENTION is the one table to read. A topic
that carries personal data (`personal_data` in the registry: nearly all of them today), and its dead-letter twin,
keeps its records PERSONAL_DATA_RETENTION_DAYS (30: within the month the GDPR gives an erasure, every copy on
Kafka has gone; PRIVACY.md). Other event topics are the system's history and keep everything unless
EVENT_RETENTION_DAYS says otherwise; other dead letters wait for an operator DLQ_RETENTION_DAYS, a year. The
erasure registry is compacted and kept for ever (its own configs, from the registry). Intake's `rebuild` says
when a topic it replays no longer starts at its first record.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import Array, Boolean, Int8, Int16, Int32, Schema, String

from contracts import reference, topics
from infra.credentials import operator_options

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Retention:
    """How long a kind of topic keeps its records: `days` by default (None: for ever), or the environment
    variable `setting` (a number of days; 0 or less: for ever)."""

    setting: str
    days: int | None

    def retention_ms(self) -> str:
        days = float(os.environ[self.setting]) if os.environ.get(self.setting) else self.days
        return "-1" if days is None or days <= 0 else str(int(days * DAY_MS))


# The retention of each kind of topic: "personal data" for a topic that carries it and its `.dlq` twin (the
# bound wins over the others), else "event" for the registry's topics and the partners' offer topics, "dead
# letter" for their `.dlq` twins.
RETENTION = {
    "personal data": Retention("PERSONAL_DATA_RETENTION_DAYS", 30),
    "event": Retention("EVENT_RETENTION_DAYS", None),
    "dead letter": Retention("DLQ_RETENTION_DAYS", 365),
}


def topic_configs(name: str) -> dict[str, str]:
    """The configs the plan sets on topic `name`: its kind's retention, then a topic's own configs from the
    registry (not its twin's: a dead-letter topic is one like any other)."""
    dead_letter = name.endswith(topics.DLQ_SUFFIX)
    topic = topics.by_name(name.removesuffix(topics.DLQ_SUFFIX))
    kind = "personal data" if topic.personal_data else "dead letter" if dead_letter else "event"
    return {"retention.ms": RETENTION[kind].retention_ms(), **({} if dead_letter else dict(topic.config))}


def planned(replication_factor: int) -> list[NewTopic]:
    """The registry's topics and, for every factory of the reference data (the home one too: its offers and answers
    arrive from partners' instances), its offer topic and its answer topic, with .dlq twins."""
    data = reference.load()
    partners = [data.home_factory, *(factory.id for factory in data.partners)]
    return [NewTopic(name, num_partitions=topic.partitions, replication_factor=replication_factor,
                     topic_configs=topic_configs(name))
            for topic in topics.all_topics(partners) for name in (topic.name, topic.dlq)]


@dataclass(frozen=True)
class Change:
    topic: str
    config: str
    before: str | None
    after: str

    def __str__(self) -> str:
        return f"{self.topic}: {self.config} {self.before if self.before is not None else '(default)'} -> {self.after}"


async def create_topics(bootstrap: str, replication_factor: int = 1, **client_options: Any) -> list[str]:
    """Create what is missing; returns the names created. `client_options` are aiokafka's, e.g. the operator's
    SASL and TLS settings (infra.credentials.sasl) on a cluster with authentication."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000, **client_options)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in planned(replication_factor) if t.name not in existing]
        for new_topic in missing:
            try:
                await admin.create_topics([new_topic])
            except TopicAlreadyExistsError:
                pass  # created meanwhile by another caller
        return [t.name for t in missing]
    finally:
        await admin.close()


async def align_configs(bootstrap: str, names: list[str] | None = None, **client_options: Any) -> list[Change]:
    """Set on every planned topic (or those of `names`) the configs it lacks or holds another value of; returns
    what changed."""
    names = [t.name for t in planned(1)] if names is None else names
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000, **client_options)
    await admin.start()
    try:
        current = await _topic_configs(admin, names)
        changes = [Change(name, config, current[name].get(config), value) for name in names
                   for config, value in topic_configs(name).items() if current[name].get(config) != value]
        if changes:
            await _set_configs(admin, changes)
        return changes
    finally:
        await admin.close()


async def provision(bootstrap: str, replication_factor: int = 1, **client_options: Any) -> tuple[list[str],
                                                                                                  list[Change]]:
    """Create the missing topics and align the configs of those that were there: (names created, configs changed).
    A topic just created has the plan's configs already (and may not be known yet to the broker describing it)."""
    created = await create_topics(bootstrap, replication_factor, **client_options)
    existing = [t.name for t in planned(replication_factor) if t.name not in created]
    return created, await align_configs(bootstrap, existing, **client_options)


async def _topic_configs(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    """Each topic's configs as the broker describes them (including the broker's defaults)."""
    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
    found: dict[str, dict[str, str]] = {}
    for response in responses:
        for error_code, error_message, _, name, entries in response.resources:
            if error_code:
                raise for_code(error_code)(f"describing {name}: {error_message}")
            found[name] = {entry[0]: entry[1] for entry in entries}
    return found


class _IncrementalAlterConfigsResponse(Response):
    API_KEY, API_VERSION = 44, 0
    SCHEMA = Schema(("throttle_time_ms", Int32),
                    ("responses", Array(("error_code", Int16), ("error_message", String("utf-8")),
                                        ("resource_type", Int8), ("resource_name", String("utf-8")))))


class _IncrementalAlterConfigsStruct(RequestStruct):
    API_KEY, API_VERSION, RESPONSE_TYPE = 44, 0, _IncrementalAlterConfigsResponse
    SCHEMA = Schema(("resources", Array(("resource_type", Int8), ("resource_name", String("utf-8")),
                                        ("configs", Array(("name", String("utf-8")), ("operation", Int8),
                                                          ("value", String("utf-8")))))),
                    ("validate_only", Boolean))


class _IncrementalAlterConfigs(Request[_IncrementalAlterConfigsStruct]):
    """Kafka's IncrementalAlterConfigs (KIP-339), which aiokafka's admin client lacks: its alter_configs replaces
    a topic's whole config set, and would drop every config the plan does not name."""

    API_KEY = 44
    SET = 0

    def __init__(self, changes: list[Change]) -> None:
        by_topic: dict[str, list[tuple[str, int, str]]] = {}
        for change in changes:
            by_topic.setdefault(change.topic, []).append((change.config, self.SET, change.after))
        self._resources = [(ConfigResourceType.TOPIC, topic, configs) for topic, configs in by_topic.items()]

    def build(self, request_struct_class: type[_IncrementalAlterConfigsStruct]) -> _IncrementalAlterConfigsStruct:
        return request_struct_class(self._resources, False)


async def _set_configs(admin: AIOKafkaAdminClient, changes: list[Change]) -> None:
    response = await admin._send_request(_IncrementalAlterConfigs(changes))  # the controller or any broker
    for error_code, error_message, _, name in response.responses:
        if error_code:
            raise for_code(error_code)(f"setting the configs of {name}: {error_message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--replication-factor", type=int, default=1)
    args = parser.parse_args()
    created, changes = asyncio.run(provision(args.bootstrap, args.replication_factor, **operator_options()))
    for change in changes:
        print(f"changed {change}")
    total = len(planned(args.replication_factor))
    print(f"topics: {len(created)} created, {total - len(created)} already there, {len(changes)} configs changed "
          f"({args.bootstrap})")


if __name__ == "__main__":
    main()
