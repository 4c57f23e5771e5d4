"""A Kafka cluster of several KRaft nodes on 127.0.0.1, each both broker and controller, for fault-injection
tests: kill a node, restart it, check that no acknowledged message was lost.

    cluster = LocalKafkaCluster(tmp_path / "kafka", libs_dir=ensure_libs(ROOT / "var" / "kafka" / "libs"))
    cluster.start()
    try:
        ...produce to cluster.bootstrap...
        victim = await cluster.leader_of("topic", 0)
        cluster.kill(victim)          # SIGKILL, as a crash
        ...
        cluster.restart(victim)       # returns once it is back in every ISR
    finally:
        cluster.stop()
"""
from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from infra.kafka.local_kafka import LocalKafka, ensure_libs, new_cluster_id, stop_all
from infra.localnet import HOST, free_ports


class ClusterNode(LocalKafka):
    """One node of a LocalKafkaCluster: its controller is one voter of a static quorum (controller.quorum.voters),
    and its log dir is formatted with the cluster's id (no --standalone: the voters come from the config)."""

    def __init__(self, data_dir: Path, node_id: int, port: int, controller_port: int, *, voters: str,
                 cluster_id: str, replicas: int, libs_dir: Path, heap: str) -> None:
        super().__init__(data_dir, port, controller_port, libs_dir=libs_dir, heap=heap)
        self.node_id, self.voters, self.cluster_id, self.replicas = node_id, voters, cluster_id, replicas

    def _quorum_settings(self) -> str:
        # A killed broker loses its partition leaderships only when the controller fences it, after
        # broker.session.timeout.ms without heartbeats: 4 s instead of 9 s makes each fault cost less waiting.
        return (f"controller.quorum.voters={self.voters}\n"
                "broker.heartbeat.interval.ms=1000\n"
                "broker.session.timeout.ms=4000\n")

    def _format(self) -> None:
        self._storage_tool("format", "--cluster-id", self.cluster_id, "--config", str(self.config_file))


def formatted_cluster_id(data_dir: Path) -> str | None:
    """The cluster id of a node already formatted under data_dir, so that a reused directory stays one cluster."""
    for meta in sorted(data_dir.glob("node-*/data/meta.properties")):
        if match := re.search(r"^cluster\.id=(\S+)", meta.read_text(), re.M):
            return match.group(1)
    return None


class LocalKafkaCluster:
    """`size` nodes on free ports under data_dir/node-<id>; a reused data_dir keeps its cluster id and topics."""

    def __init__(self, data_dir: Path, size: int = 3, *, libs_dir: Path | None = None, heap: str = "384m") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.libs_dir = Path(libs_dir).resolve() if libs_dir else self.data_dir / "libs"
        ports = free_ports(2 * size)  # brokers first, then controllers
        ids = range(1, size + 1)
        voters = ",".join(f"{i}@{HOST}:{ports[size + i - 1]}" for i in ids)
        cluster_id = formatted_cluster_id(self.data_dir) or new_cluster_id()
        # Replication factor 3 and min.insync.replicas 2 (fewer on fewer nodes): one node may be down.
        self.nodes = [ClusterNode(self.data_dir / f"node-{i}", i, ports[i - 1], ports[size + i - 1], voters=voters,
                                  cluster_id=cluster_id, replicas=min(size, 3), libs_dir=self.libs_dir, heap=heap)
                      for i in ids]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def node(self, node_id: int) -> ClusterNode:
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        raise KeyError(f"no node {node_id} in this cluster (nodes {[node.node_id for node in self.nodes]})")

    def start(self, timeout: float = 120) -> None:
        """Start every node together (a node gives up after 60 s without its controller quorum) and wait until
        all are registered brokers with every replica in sync."""
        deadline = time.monotonic() + timeout
        ensure_libs(self.libs_dir)
        try:
            with ThreadPoolExecutor(len(self.nodes)) as pool:  # format concurrently: each format is a JVM run
                list(pool.map(ClusterNode.prepare, self.nodes))
            for node in self.nodes:
                node.launch()
            for node in self.nodes:
                node.wait_ready(deadline - time.monotonic())
            self._wait_healthy(deadline)
        except BaseException:  # including Ctrl-C: never leave a half-started cluster behind
            self.stop()
            raise

    def stop(self) -> None:
        stop_all(self.nodes, timeout=15)

    def kill(self, node_id: int) -> None:
        """SIGKILL one node, as a crash would: no controlled shutdown, nothing flushed."""
        self.node(node_id).kill()

    def restart(self, node_id: int, timeout: float = 90) -> None:
        """Start a node again on the same ports and dirs (a live node is first stopped cleanly); return once it
        is a registered broker again and has caught up with every partition it replicates."""
        deadline = time.monotonic() + timeout
        node = self.node(node_id)
        node.stop()
        node.start(deadline - time.monotonic())
        self._wait_healthy(deadline)

    async def leader_of(self, topic: str, partition: int) -> int:
        """Node id of the partition's leader in the cluster's metadata now (-1: none). Right after a kill this is
        still the dead node, until the controller fences it (broker.session.timeout.ms, 4 s here)."""
        for partitions in (await _metadata(self.bootstrap, [topic]))[1].values():
            for p in partitions:
                if p["partition"] == partition:
                    return p["leader"]
        raise LookupError(f"no partition {topic}-{partition}")

    def _wait_healthy(self, deadline: float) -> None:
        """Wait until every running node is a registered broker, in the ISR of every partition it replicates.
        Only running ones: a test may keep another node down on purpose."""
        problem = "not asked"
        while time.monotonic() < deadline:
            running = {node.node_id for node in self.nodes if node.alive()}
            if (problem := _run(_health(self.bootstrap, running))) is None:
                return
            time.sleep(0.5)
        raise RuntimeError(f"Kafka cluster {self.bootstrap} not healthy in time: {problem}\n"
                           + "\n".join(node._tail(10) for node in self.nodes))


async def _metadata(bootstrap: str, topics: list[str] | None = None) -> tuple[list[int], dict[str, list[dict]]]:
    """Live broker ids, and the partitions of each topic (all topics when None)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import for_code

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        brokers = [broker["node_id"] for broker in (await admin.describe_cluster())["brokers"]]
        partitions = {}
        for topic in await admin.describe_topics(topics):
            if topic["error_code"]:
                raise for_code(topic["error_code"])(f"topic {topic['topic']}")
            partitions[topic["topic"]] = topic["partitions"]
        return brokers, partitions
    finally:
        await admin.close()


async def _health(bootstrap: str, running: set[int]) -> str | None:
    """None when the running nodes are registered (unfenced) brokers, each in the ISR of every partition it
    replicates; else what is missing."""
    from aiokafka.errors import KafkaError

    try:  # TimeoutError is an OSError
        brokers, topics = await _metadata(bootstrap)
    except (KafkaError, OSError) as error:
        return f"no metadata ({error!r})"
    if missing := running - set(brokers):
        return f"nodes {sorted(missing)} not registered as brokers (registered: {sorted(brokers)})"
    lagging = [f"{topic}-{p['partition']}" for topic, partitions in topics.items() for p in partitions
               if not (running & set(p["replicas"])) <= set(p["isr"])]
    return f"replicas out of sync in {', '.join(lagging)}" if lagging else None


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to its end from synchronous code, also when called inside an event loop (async tests)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
