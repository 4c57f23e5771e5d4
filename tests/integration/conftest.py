"""The integration tier writes events about applications no system knows (flaky, hopeless, batched ones) onto
the registry's topics: it gets a broker of its own, so the whole system the e2e tier runs never reads them."""

from __future__ import annotations

import asyncio

import pytest

from infra.topics import create_topics
from tests.support.kafka import kafka_broker


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory):
    with kafka_broker(tmp_path_factory.mktemp("integration-broker")) as bootstrap:
        asyncio.run(create_topics(bootstrap))
        yield bootstrap
