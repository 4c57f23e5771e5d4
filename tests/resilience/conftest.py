"""The resilience tier runs the whole system on a three-broker KRaft cluster (replication factor 3,
min.insync.replicas 2), once on PostgreSQL and once on SQLite (the default of `make run` and the bench), and
injects one fault per test into a stream of applications.

The services take at most BATCH (20) records of a partition in one transaction here, so that a fault meets
batches in flight: the one case where a batch changes what an applicant sees is notify killed between the SMTP
server's answers and its commit, which sends that batch's emails again, with the same Message-IDs."""

from __future__ import annotations

import asyncio

import pytest

from infra.kafka.cluster import LocalKafkaCluster
from infra.kafka.local_kafka import ensure_libs
from infra.topics import create_topics
from tests.support.kafka import ROOT
from tests.support.system import running_system


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def kafka_cluster(request, tmp_path_factory: pytest.TempPathFactory):
    """A cluster for each kind of database: a replay of every topic from the start must meet only what its own
    system wrote."""
    cluster = LocalKafkaCluster(tmp_path_factory.mktemp(f"cluster-{request.param}"),
                                libs_dir=ensure_libs(ROOT / "var" / "kafka" / "libs"))
    cluster.database = request.param
    cluster.start()
    try:
        asyncio.run(create_topics(cluster.bootstrap, replication_factor=3))
        yield cluster
    finally:
        cluster.stop()


BATCH = 20


@pytest.fixture(scope="session")
def resilient_system(request, kafka_cluster: LocalKafkaCluster, tmp_path_factory: pytest.TempPathFactory):
    database = request.getfixturevalue("database") if kafka_cluster.database == "postgresql" else None
    with running_system(kafka_cluster.bootstrap, database, tmp_path_factory.mktemp("var"),
                        f"resilience_{kafka_cluster.database}", RATE_LIMIT_PER_MINUTE="0", MAX_ATTEMPTS="5",
                        TRACES_EXPORTER="none", BATCH_MAX_RECORDS=str(BATCH)) as running:
        running.database = kafka_cluster.database
        yield running
