"""A service's runtime running for the length of a test block: started, then stopped and its database let go."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from services.runtime.service import Runtime


@contextlib.asynccontextmanager
async def running(runtime: Runtime) -> AsyncIterator[Runtime]:
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()
        await runtime.engine.dispose()
