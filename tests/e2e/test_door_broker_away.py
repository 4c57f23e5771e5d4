"""intake on SQLite (`make run`'s default) when Kafka is away or stuck, on a broker of its own that the tests
start late and freeze: intake starts without Kafka, serves the form, takes applications into its outbox, says
so in /healthz and delivers them when Kafka comes; a partner bridge request stuck on the broker holds up no
public submission."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from contracts import signing, topics
from infra import credentials, samples
from infra.kafka.local_kafka import LocalKafka, ensure_libs
from infra.localnet import free_port, free_ports
from infra.stack import Stack
from infra.topics import create_topics
from tests.e2e.test_partner_identity import incoming
from tests.support.kafka import ROOT, records_about


@pytest.fixture(scope="module")
def late_broker(tmp_path_factory) -> Iterator[LocalKafka]:
    """A broker of the module's own, not started yet."""
    kafka = LocalKafka(tmp_path_factory.mktemp("late-broker"), *free_ports(2),
                       libs_dir=ensure_libs(ROOT / "var" / "kafka" / "libs"))
    try:
        yield kafka
    finally:
        if kafka.pid is not None:
            os.kill(kafka.pid, signal.SIGCONT)
        kafka.stop()


@pytest.fixture(scope="module")
def sqlite_intake(late_broker, tmp_path_factory) -> Iterator[Stack]:
    """intake alone, on an SQLite file, started while its broker is not there."""
    var_dir = tmp_path_factory.mktemp("sqlite-intake")
    stack = Stack(var_dir, late_broker.bootstrap, {"intake": free_port()}, smtp_port=free_port(),
                  env={"RATE_LIMIT_PER_MINUTE": "0", "TRACES_EXPORTER": "none"})
    credentials.ensure(var_dir)
    subprocess.run([sys.executable, "-m", "services.runtime.migrations", "upgrade", "intake"], cwd=ROOT,
                   env=stack.service_env("intake"), check=True, stdout=subprocess.DEVNULL)
    stack.start_service("intake")
    try:
        deadline = time.monotonic() + 60
        while not answers(stack.url("intake") + "/healthz"):
            assert stack.processes["intake"].poll() is None, "intake exited: it does not start without Kafka"
            assert time.monotonic() < deadline, "intake does not answer"
            time.sleep(0.2)
        yield stack
    finally:
        stack.stop_all()


def answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=5)
        return True
    except httpx.HTTPError:
        return False


async def submit(intake: str, body: dict, timeout: float = 30) -> httpx.Response:
    async with httpx.AsyncClient(timeout=timeout) as client:
        return await client.post(f"{intake}/v1/applications", json=body)


async def test_intake_starts_without_kafka_takes_applications_and_delivers_them_when_kafka_comes(
        late_broker, sqlite_intake):
    intake = sqlite_intake.url("intake")
    # Given intake, started while Kafka is away: it says so
    async with httpx.AsyncClient(base_url=intake, timeout=10) as client:
        health = await client.get("/healthz")
        assert health.status_code == 503 and health.json()["kafka"] == "unreachable", health.text
        assert health.json()["database"] == "ok"
        # And it serves the form
        assert (await client.get("/apply")).status_code == 200

    # When an applicant submits
    accepted = await submit(intake, samples.MOSELLE_RE.body)
    # Then the application is taken in
    assert accepted.status_code == 202, accepted.text
    application_id = accepted.json()["application_id"]

    # When Kafka comes
    await asyncio.to_thread(late_broker.start)
    await create_topics(late_broker.bootstrap)
    # Then the application is announced on its topic, and intake is healthy
    deadline = time.monotonic() + 120
    while not await records_about(late_broker.bootstrap, topics.APPLICATION_SUBMITTED.name, application_id):
        assert time.monotonic() < deadline, "the application was never published"
        await asyncio.sleep(1)
    async with httpx.AsyncClient(base_url=intake, timeout=10) as client:
        while (health := await client.get("/healthz")).status_code != 200:
            assert time.monotonic() < deadline, health.text
            await asyncio.sleep(1)


async def test_a_bridge_request_stuck_on_the_broker_holds_up_no_public_submission(late_broker, sqlite_intake):
    intake = sqlite_intake.url("intake")
    assert late_broker.is_running(), "the test before starts the broker"
    # Given a partner's referral sent over the bridge while the broker is frozen (it takes nothing, answers nothing)
    referral = incoming("jaif", f"JAIF-STUCK-{time.time_ns()}")
    body = json.dumps(referral.model_dump(mode="json")).encode()
    path = "/v1/partners/jaif/referrals"
    key = credentials.Credentials(sqlite_intake.var_dir / "secrets").signing_key("jaif")
    headers = {"content-type": "application/json",
               **signing.http_headers("jaif", key, "POST", path, body, int(time.time()))}
    os.kill(late_broker.pid, signal.SIGSTOP)
    try:
        async with httpx.AsyncClient(base_url=intake, timeout=120) as partner:
            stuck = asyncio.create_task(partner.post(path, content=body, headers=headers))
            await asyncio.sleep(2)  # the bridge is waiting for the broker now
            assert not stuck.done(), "the bridge answered without the broker"

            # When applicants submit meanwhile
            answers = [await submit(intake, samples.ODYSSEA_NLP.body) for _ in range(3)]

            # Then each is taken in
            assert [answer.status_code for answer in answers] == [202] * 3, [a.text for a in answers]
            os.kill(late_broker.pid, signal.SIGCONT)
            # And the partner gets its answer once the broker is back (taken, or refused as unavailable)
            assert (await stuck).status_code in (202, 503)
    finally:
        os.kill(late_broker.pid, signal.SIGCONT)
