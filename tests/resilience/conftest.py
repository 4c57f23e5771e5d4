"""The resilience tier runs the whole system on a three-broker KRaft cluster (replication factor 3,
min.insync.replicas 2) and PostgreSQL, and injects one fault per test into a stream of applications."""

from __future__ import annotations

import asyncio

import pytest

from infra.kafka.cluster import LocalKafkaCluster
from infra.kafka.local_kafka import ensure_libs
from infra.topics import create_topics
from tests.support.kafka import ROOT
from tests.support.system import running_system


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory):
    cluster = LocalKafkaCluster(tmp_path_factory.mktemp("cluster"),
                                libs_dir=ensure_libs(ROOT / "var" / "kafka" / "libs"))
    cluster.start()
    try:
        asyncio.run(create_topics(cluster.bootstrap, replication_factor=3))
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def resilient_system(kafka_cluster: LocalKafkaCluster, database, tmp_path_factory: pytest.TempPathFactory):
    with running_system(kafka_cluster.bootstrap, database, tmp_path_factory.mktemp("var"), "resilience",
                        RATE_LIMIT_PER_MINUTE="0", MAX_ATTEMPTS="5", TRACES_EXPORTER="none") as running:
        yield running
