"""Create every topic of the registry with its dead-letter twin, explicitly (the broker never auto-creates).

Run: python -m infra.topics [--bootstrap 127.0.0.1:9092] [--replication-factor 1]. Existing topics are kept.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from contracts import reference, topics


def planned(replication_factor: int) -> list[NewTopic]:
    """The registry's topics and one offer topic per partner factory of the reference data, with .dlq twins."""
    partners = [factory.id for factory in reference.load().partners]
    return [NewTopic(name, num_partitions=topic.partitions, replication_factor=replication_factor)
            for topic in topics.all_topics(partners) for name in (topic.name, topic.dlq)]


async def create_topics(bootstrap: str, replication_factor: int = 1, **client_options: Any) -> list[str]:
    """Create what is missing; returns the names created. `client_options` are aiokafka's, e.g. the operator's
    SASL settings (infra.credentials.sasl) on a cluster with authentication."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--replication-factor", type=int, default=1)
    args = parser.parse_args()
    created = asyncio.run(create_topics(args.bootstrap, args.replication_factor))
    total = len(planned(args.replication_factor))
    print(f"topics: {len(created)} created, {total - len(created)} already there ({args.bootstrap})")


if __name__ == "__main__":
    main()
