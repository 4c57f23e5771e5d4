"""Tiers are folders: tests/unit is marked `unit`, tests/e2e `e2e`, and so on (run one with `-m`).

Real components start once per session and only when a test asks for them: the Kafka broker
(`kafka_bootstrap`), the PostgreSQL server (`database`: a new database by name), and the whole system
(`system`: the mailbox and the four services as processes, each with its own PostgreSQL database).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from infra.topics import create_topics
from tests.support.kafka import kafka_broker
from tests.support.postgres import postgres_server
from tests.support.system import running_system

TIERS = ("unit", "contract", "integration", "e2e", "resilience", "browser")  # in the order they run


def tier_of(item: pytest.Item) -> str:
    return Path(str(item.fspath)).parent.name


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier, and run the tiers in the order of TIERS: the quick ones first. (The browser
    tier also runs after every asynchronous test: Playwright's synchronous API keeps an event loop of its own.)"""
    for item in items:
        if tier_of(item) in TIERS:
            item.add_marker(getattr(pytest.mark, tier_of(item)))
    items.sort(key=lambda item: TIERS.index(tier_of(item)) if tier_of(item) in TIERS else len(TIERS))


def pytest_terminal_summary(terminalreporter) -> None:
    from tests.support.report import LINES

    if LINES:
        terminalreporter.section("measured")
        for line in LINES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory):
    with kafka_broker(tmp_path_factory.mktemp("broker")) as bootstrap:
        asyncio.run(create_topics(bootstrap))
        yield bootstrap


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory):
    with postgres_server(tmp_path_factory.mktemp("postgres")) as new_database:
        yield new_database


@pytest.fixture(scope="session")
def system(kafka_bootstrap: str, database, tmp_path_factory: pytest.TempPathFactory):
    """The whole system as `make up` runs it, on free ports, with its own var/ directory and databases. Its experts
    have room for every project the session accepts (EXPERT_MAX_ACTIVE), so that no test depends on how many
    others ran before it; experts at capacity are tested on a roster of their own (test_expert_capacity)."""
    with running_system(kafka_bootstrap, database, tmp_path_factory.mktemp("var"), "system",
                        EXPERT_MAX_ACTIVE="1000") as running:
        yield running
