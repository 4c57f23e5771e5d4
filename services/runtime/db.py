"""Database engine of a service: an SQLite file by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, event, func
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Field, Session, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

SessionFactory = async_sessionmaker[AsyncSession]
READ_ONLY_SQL_TRANSACTION = "25006"


def async_url(url: str) -> str:
    """'postgresql://...' (the usual form of DATABASE_URL) means the asyncpg driver here."""
    return url.replace("postgresql://", "postgresql+asyncpg://", 1) if url.startswith("postgresql://") else url


def make_engine(url: str, *, pool_timeout: float = 30.0) -> AsyncEngine:
    url = async_url(url)
    # A connection to PostgreSQL can die between two uses (a restart, a proxy's idle timeout): it is tested before
    # each use. An SQLite file cannot, and the test cost a quarter of each transaction's CPU (bench/, measured).
    # An error's text never carries the statement's parameters: they are applicants' names and addresses, and
    # errors reach logs and dead-letter headers.
    engine = create_async_engine(url, pool_pre_ping=not url.startswith("sqlite"), pool_timeout=pool_timeout,
                                 hide_parameters=True)
    if engine.dialect.name == "postgresql":
        event.listen(engine.sync_engine, "handle_error", _drop_read_only_connections)
    if engine.dialect.name == "sqlite":
        # Several writers (HTTP requests, subscribers, the outbox relay) share the file: WAL and a busy timeout.
        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def _drop_read_only_connections(context: ExceptionContext) -> None:
    """A read-only transaction (SQLSTATE 25006) comes from a server that became a standby (a failover) or a
    database set read-only: its connections keep that for life, so they are dropped, and the next ones find the
    primary, or the database once it is writable again."""
    if getattr(context.original_exception, "sqlstate", None) == READ_ONLY_SQL_TRANSACTION:
        context.is_disconnect = True


def sessions(engine: AsyncEngine) -> SessionFactory:
    # A session class of this factory's own: session events (the outbox relay's) concern its sessions only.
    session_class = type("ServiceSession", (Session,), {})
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, sync_session_class=session_class)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.exec_driver_sql("SELECT 1")


def insert_ignoring_duplicates(session: AsyncSession, model: type[SQLModel]):
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect; `rowcount` is 1 when the row is new."""
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model).on_conflict_do_nothing()


async def transaction_lock(session: AsyncSession, key: int, *, wait: bool = True) -> bool:
    """A lock held until the session's transaction ends, shared by every process on the same PostgreSQL
    database (an advisory lock). `wait=False` gives up at once and answers False. On SQLite, where one
    writer at a time is the rule anyway, it is always granted."""
    if session.bind.dialect.name != "postgresql":
        return True
    function = func.pg_advisory_xact_lock if wait else func.pg_try_advisory_xact_lock
    result = (await session.exec(select(function(key)))).one()  # type: ignore[call-overload]
    return True if wait else bool(result)


def utc_timestamp(**field: Any) -> Any:
    """A column for aware UTC datetimes (PostgreSQL: timestamptz; asyncpg refuses aware values otherwise)."""
    return Field(sa_type=DateTime(timezone=True), **field)


def as_utc(moment: datetime) -> datetime:
    """SQLite gives datetimes back without their zone; everything stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
