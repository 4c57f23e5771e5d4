"""Where the tests get a real PostgreSQL server: the one DATABASE_URL names (the tests create their own
databases in it), else the project's own local server on a free port. Never SQLite, never a mock."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from infra.localnet import free_port
from infra.postgres.local_postgres import LocalPostgres
from services.runtime.db import async_url

DatabaseFactory = Callable[[str], str]


async def _create_on(server_url: str, name: str) -> None:
    engine = create_async_engine(async_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        await engine.dispose()


@contextmanager
def postgres_server(work_dir: Path) -> Iterator[DatabaseFactory]:
    """Yield `database(name) -> url` of a new, empty database on a real server, for the whole session."""
    if external := os.environ.get("DATABASE_URL"):
        run = uuid.uuid4().hex[:8]

        def on_external(name: str) -> str:
            database = f"aiguillage_test_{run}_{name}"
            asyncio.run(_create_on(external, database))
            return make_url(external).set(database=database).render_as_string(hide_password=False)

        yield on_external
        return
    server = LocalPostgres(work_dir / "postgres", free_port())
    server.start()

    def local(name: str) -> str:
        server.create_database(name)
        return server.url(name)

    try:
        yield local
    finally:
        server.stop()
