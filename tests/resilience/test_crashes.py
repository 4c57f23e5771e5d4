"""Crashes mid-stream: a service killed with SIGKILL, a broker that led a partition killed, consumers joining
and leaving. After each fault every application answered 202 has exactly one decision and one email."""

from __future__ import annotations

import asyncio

import pytest

from contracts.topics import APPLICATION_SUBMITTED
from infra.stack import SERVICES
from tests.support.kafka import wait_for_members
from tests.resilience.conftest import BATCH
from tests.support.load import submit_stream, tally

STREAM = 150


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_killed_mid_stream_loses_and_repeats_nothing(resilient_system, service):
    stack = resilient_system.stack

    async def crash_and_restart() -> None:
        stack.kill(service)
        await asyncio.sleep(1.0)
        stack.start_service(service)
        await asyncio.to_thread(stack.wait_healthy, (service,), 60)

    # Given a stream of applications, When the service is SIGKILLed a third of the way in and restarted
    stream = await submit_stream(resilient_system, STREAM, fault_at=STREAM // 3, fault=crash_and_restart)
    # Then every application answered 202 has exactly one decision and one email
    result = await tally(resilient_system, stream, STREAM)
    print(result.line(f"kill {service}"))
    # SMTP cannot take an email back: killed between the server's answers and the commit that marks them, notify
    # sends that batch's emails again, with the same Message-IDs (which mail clients use to show each once).
    result.assert_invariants(resent_emails_allowed=BATCH if service == "notify" else 0)


# The windows where a crash costs most: a batch's transaction committed and its offsets not (all of it comes
# again, for the inboxes to drop), and an email taken by the SMTP server but not recorded (sent again).
WINDOWS = [("triage", "consumer.before-offset-commit"), ("routing", "consumer.before-offset-commit"),
           ("notify", "consumer.before-offset-commit"), ("notify", "notify.after-smtp")]


@pytest.mark.parametrize(("service", "point"), WINDOWS)
async def test_a_crash_in_the_window_that_matters_loses_and_repeats_nothing(resilient_system, service, point):
    stack = resilient_system.stack
    exits: list[int | None] = []

    async def crash_in_the_window() -> None:
        stack.stop(service)
        stack.start_service(service, extra_env={"FAILPOINTS": f"{point}:3"})  # dies at its third pass there
        process = stack.processes[service]
        async with asyncio.timeout(180):
            while process.poll() is None:
                await asyncio.sleep(0.1)
        exits.append(process.returncode)
        stack.start_service(service)
        await asyncio.to_thread(stack.wait_healthy, (service,), 60)

    # Given a stream of applications, When the service dies in the window a third of the way in, and restarts
    stream = await submit_stream(resilient_system, STREAM, fault_at=STREAM // 3, fault=crash_in_the_window)
    result = await tally(resilient_system, stream, STREAM)
    print(result.line(f"crash {service} at {point}"))
    # Then it did die there, and every application made has exactly one decision and one email (notify's batch in
    # flight at the crash is sent again, with the same Message-IDs)
    assert exits == [70]
    result.assert_invariants(resent_emails_allowed=BATCH if point == "notify.after-smtp" else 0)


async def test_the_partition_leader_killed_mid_stream_loses_no_acknowledged_application(
        resilient_system, kafka_cluster):
    killed: list[int] = []

    async def kill_the_leader() -> None:
        leader = await kafka_cluster.leader_of(APPLICATION_SUBMITTED.name, 0)
        killed.append(leader)
        kafka_cluster.kill(leader)
        await asyncio.sleep(5)
        await asyncio.to_thread(kafka_cluster.restart, leader)

    stream = await submit_stream(resilient_system, STREAM, fault_at=STREAM // 3, fault=kill_the_leader)
    result = await tally(resilient_system, stream, STREAM)
    print(result.line(f"kill broker {killed}"))
    result.assert_invariants()
    assert result.refused == 0  # the producer waited for the new leader; no client saw an error


# Two instances of a service share its database: PostgreSQL's case. On SQLite one process owns the file (the
# outbox relay takes commits from memory), and `make run` starts one instance of each service.
@pytest.mark.parametrize("kafka_cluster", ["postgresql"], indirect=True)
async def test_second_instances_joining_and_leaving_move_partitions_without_loss(resilient_system):
    stack = resilient_system.stack
    joined: list[bool] = []

    async def rebalance() -> None:
        for service in ("triage", "routing"):
            stack.start_service(service, instance=f"{service}-2")
        await asyncio.to_thread(stack.wait_healthy, ("triage-2", "routing-2"), 60)
        for group in ("triage", "routing"):  # the second instances did join, and took partitions
            await wait_for_members(resilient_system.bootstrap, group, 2)
        joined.append(True)
        await asyncio.sleep(3)
        for name in ("triage-2", "routing-2"):
            stack.stop(name)  # leave gracefully: the group rebalances again

    stream = await submit_stream(resilient_system, STREAM, fault_at=STREAM // 4, fault=rebalance)
    result = await tally(resilient_system, stream, STREAM)
    print(result.line("rebalance"))
    assert joined, "the second instances never joined their groups"
    result.assert_invariants()
