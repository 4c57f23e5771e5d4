"""Assembly of one service process: settings, telemetry, broker, database, and an HTTP app around them.

Every service is a FastAPI app run by uvicorn; its lifespan starts the broker and background tasks, and it
serves `GET /healthz` (200 only when Kafka and the database answer) and `GET /metrics` (Prometheus).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts import signing
from services.runtime import db, settings as settings_module, telemetry
from services.runtime.broker import Kafka
from services.runtime.consumer import Consumer, Metrics
from services.runtime.db import SessionFactory
from services.runtime.migrations import check_current
from services.runtime.outbox import OutboxRelay
from services.runtime.partners import own_signing_key
from services.runtime.reactions import On, Reactions, Tx
from services.runtime.settings import Settings

log = logging.getLogger(__name__)

Hook = Callable[["Runtime"], Awaitable[None]]


@dataclass
class Runtime:
    settings: Settings
    tracing: TracerProvider
    registry: CollectorRegistry
    broker: Kafka
    engine: AsyncEngine
    sessions: SessionFactory
    relay: OutboxRelay
    tasks: list[asyncio.Task] = field(default_factory=list)
    reactions: list[On] = field(default_factory=list)
    periodic: dict[str, str] = field(default_factory=dict)  # work run every few seconds -> "ok" or why not

    def spawn(self, coroutine: Awaitable[None], name: str) -> None:
        """Run a background task for the life of the service."""
        self.tasks.append(asyncio.create_task(coroutine, name=name))  # type: ignore[arg-type]

    def every(self, seconds: float, work: Callable[[], Awaitable[None]], name: str) -> None:
        """Run `work` every `seconds` for the life of the service. An error does not end the loop: it is logged,
        `name` shows as failing in /healthz (503) until a round succeeds again, and the next round comes."""
        self.periodic[name] = "ok"

        async def loop() -> None:
            failing_since: datetime | None = None
            while True:
                try:
                    await work()
                    failing_since, self.periodic[name] = None, "ok"
                except Exception as error:  # noqa: BLE001 - reported by /healthz; the next round tries again
                    failing_since = failing_since or datetime.now(UTC)
                    self.periodic[name] = (f"failing since {failing_since.isoformat(timespec='seconds')}: "
                                           f"{type(error).__name__}: {error}")
                    log.exception("%s: a round of %s failed; the next comes in %.1f s",
                                  self.settings.service_name, name, seconds)
                await asyncio.sleep(seconds)

        self.spawn(loop(), name=name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One transaction of this service outside any message (an HTTP request, a timer): what it changes and
        the events it stages commit together when the block ends without an error, and the relay is woken."""
        async with self.sessions() as session:
            tx = Tx(self.settings.service_name, session)
            yield tx
            await session.commit()
        if tx.staged:
            self.relay.wake()

    def serve(self, reactions: Reactions) -> None:
        """Consume every topic of `reactions`, each entry in its consumer group, once the service starts."""
        self.reactions.extend(reactions)

    async def start(self) -> None:
        """Connect to Kafka, then relay the outbox and consume every topic served. Kafka away, the service starts
        all the same (its HTTP side works, what it stages waits in the outbox, /healthz names Kafka) and connects
        when Kafka comes."""
        self.spawn(self._when_connected(), name="kafka")

    async def _when_connected(self, first_wait: float = 1.0, longest_wait: float = 30.0) -> None:
        wait = first_wait
        while True:
            try:
                await self.broker.start()
                break
            except Exception as error:  # noqa: BLE001 - Kafka away: /healthz says so; the next try comes
                await self.broker.stop()
                log.warning("%s: Kafka does not answer (%s: %s); trying again in %.0f s",
                            self.settings.service_name, type(error).__name__, error, wait)
                await asyncio.sleep(wait)
                wait = min(2 * wait, longest_wait)
        self.spawn(self.relay.run(), name="outbox-relay")
        metrics = Metrics.of(self.registry)
        for entry in self.reactions:
            self.spawn(Consumer(self, entry, metrics).run(), name=f"consumer {entry.group}")

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        await self.broker.stop()


def build_runtime(service_name: str, settings_class: type[Settings] = Settings) -> Runtime:
    settings = settings_module.load(service_name, settings_class)
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {service_name} %(levelname)s %(name)s: %(message)s")
    return runtime_for(settings)


def _signer(settings: Settings) -> Callable[[bytes], str] | None:
    """What signs the messages for other factories: this factory's own private key."""
    key = own_signing_key(settings)
    return None if key is None else functools.partial(signing.sign, key)


def runtime_for(settings: Settings) -> Runtime:
    """The runtime of a service with these settings: nothing connects before `start` (the HTTP app's lifespan)."""
    engine = db.make_engine(settings.db_url(), pool_timeout=settings.database_pool_timeout_seconds)
    broker = Kafka(settings)
    sessions = db.sessions(engine)
    # On SQLite, one process owns the file: the relay takes what a transaction staged from memory (outbox.py).
    relay = OutboxRelay(sessions, broker, from_memory=engine.dialect.name == "sqlite", signer=_signer(settings))
    return Runtime(settings, telemetry.tracer_provider(settings), telemetry.metrics_registry(), broker, engine,
                   sessions, relay)


def http_app(runtime: Runtime, *, title: str, description: str, on_startup: Sequence[Hook] = (),
             on_shutdown: Sequence[Hook] = (), preflight: Mapping[str, Callable[[], str]] = {}) -> FastAPI:
    """`preflight`: what must load before the service takes a message (name -> a loader that says what it loaded,
    or raises). If one fails, the service consumes nothing and /healthz names the failure: it never runs without."""
    prepared: dict[str, str] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await check_current(runtime.settings.service_name, runtime.engine)
        for name, load in preflight.items():
            try:
                prepared[name] = f"ok: {await asyncio.to_thread(load)}"
            except Exception as error:  # noqa: BLE001 - reported by /healthz, and nothing is consumed
                prepared[name] = f"failed: {type(error).__name__}: {error}"
                log.error("%s cannot start: %s could not load: %s", runtime.settings.service_name, name, error)
        if any(value.startswith("failed") for value in prepared.values()):
            yield
            return
        await runtime.start()
        for hook in on_startup:
            await hook(runtime)
        try:
            yield
        finally:
            await runtime.stop()
            for hook in on_shutdown:
                await hook(runtime)
            await runtime.engine.dispose()
            runtime.tracing.shutdown()

    app = FastAPI(title=title, description=description, lifespan=lifespan)

    @app.get("/healthz", tags=["operations"], summary="200 when Kafka and the database answer, else 503")
    async def healthz() -> JSONResponse:
        checks = {"kafka": "ok" if await runtime.broker.ping(timeout=2.0) else "unreachable", **prepared,
                  **runtime.periodic}
        try:
            await db.ping(runtime.engine)
            checks["database"] = "ok"
        except Exception as error:  # noqa: BLE001 - the answer names what failed
            checks["database"] = f"unreachable: {type(error).__name__}"
        healthy = all(value == "ok" or value.startswith("ok: ") for value in checks.values())
        return JSONResponse({"status": "ok" if healthy else "unhealthy", **checks}, status_code=200 if healthy else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)

    return app
