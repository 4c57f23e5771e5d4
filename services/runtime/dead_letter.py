"""Retry, then dead letter: a message that cannot be processed never blocks the ones behind it; and an outage
never turns good messages into dead letters.

A handler error is retried with exponential backoff up to `max_attempts`; a message that can never succeed
(invalid JSON, a payload that fails validation, an unknown schema version) goes at once. The message is then
published unchanged to `<topic>.dlq` with the error, the service and the attempt count in its headers, and
the original offset is committed. If the dead-letter publish itself fails, the error propagates, the
subscriber's NACK_ON_ERROR policy seeks back, and the message is tried again later: nothing is lost.

When what the handler needs is away (the database, the mail relay: a refused or lost connection, a time-out, a
relay answering "try later"), nothing is wrong with the message: it is never dead-lettered. The middleware waits
(backoff growing to 30 s, logged) and lets the error through, so the subscriber seeks back and the message
comes again, as long as the outage lasts; the partition waits, as every message behind it would fail alike.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from faststream import BaseMiddleware
from pydantic import ValidationError

from contracts.topics import DLQ_SUFFIX

log = logging.getLogger(__name__)

HEADER_ERROR = "x-dlq-error"
HEADER_ERROR_TYPE = "x-dlq-error-type"
HEADER_SERVICE = "x-dlq-service"
HEADER_ATTEMPTS = "x-dlq-attempts"
HEADER_ORIGIN = "x-dlq-origin"


class PermanentError(Exception):
    """Raised by a handler for a message that will never succeed, however often it is retried."""


class Unavailable(Exception):
    """Raised by a handler when something it needs is away for now (e.g. a mail relay answering 4xx): the
    message waits for it, and is never dead-lettered for it."""


# SQLSTATE classes of a database that is away or overloaded: connection exception, insufficient resources,
# operator intervention (e.g. a server shutting down).
_OUTAGE_SQLSTATE_CLASSES = ("08", "53", "57")
# What SQLite and the drivers say when the database is busy or the connection is gone.
_OUTAGE_WORDS = ("database is locked", "connect", "connection", "timeout", "timed out")


def is_outage(error: BaseException) -> bool:
    """Whether `error` says that a database, relay or other server is away, rather than that the message (or the
    code) is bad: a missing table or a failing query is no outage, and must not hold the partition for ever."""
    from sqlalchemy import exc

    if isinstance(error, (Unavailable, ConnectionError, TimeoutError)):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    cause = error.orig
    sqlstate = str(getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None) or "")
    if sqlstate:
        return sqlstate[:2] in _OUTAGE_SQLSTATE_CLASSES
    return isinstance(cause, (ConnectionError, TimeoutError)) or any(word in str(cause).lower()
                                                                    for word in _OUTAGE_WORDS)


MAX_BACKOFF_SECONDS = 30.0
PERMANENT = (PermanentError, ValidationError, json.JSONDecodeError, UnicodeDecodeError)


def dead_letter_middleware(service: str, max_attempts: int, backoff_seconds: float) -> type[BaseMiddleware]:
    outages: dict[str, int] = {}  # per message (origin): how often it came back because of an outage

    class DeadLetterMiddleware(BaseMiddleware):
        async def consume_scope(self, call_next, msg) -> Any:
            attempt = 0
            while True:
                attempt += 1
                try:
                    result = await call_next(msg)
                    outages.pop(_origin(msg), None)
                    return result
                except PERMANENT as error:
                    outages.pop(_origin(msg), None)
                    return await self._dead_letter(msg, error, attempt)
                except Exception as error:  # noqa: BLE001 - every other error is worth a retry
                    if is_outage(error):
                        await self._wait_out(msg, error)
                        raise  # NACK: the subscriber seeks back and the message comes again
                    if attempt >= max_attempts:
                        outages.pop(_origin(msg), None)
                        return await self._dead_letter(msg, error, attempt)
                    log.warning("%s: attempt %d failed (%s), retrying", _origin(msg), attempt, error)
                    # Capped, so a long series of retries never outlasts the consumer's poll interval.
                    await asyncio.sleep(min(backoff_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))

        @staticmethod
        async def _wait_out(msg, error: BaseException) -> None:
            origin = _origin(msg)
            outages[origin] = times = outages.get(origin, 0) + 1
            delay = min(backoff_seconds * 2 ** min(times - 1, 16), MAX_BACKOFF_SECONDS)
            log.warning("%s: waiting for an outage to end (%s: %s); try %d again in %.1f s", origin,
                        type(error).__name__, error, times + 1, delay)
            await asyncio.sleep(delay)

        async def _dead_letter(self, msg, error: BaseException, attempts: int) -> None:
            # A validation error names the fields, not their values: the headers must not copy personal data.
            description = (str([(e["loc"], e["msg"]) for e in error.errors(include_input=False)])
                           if isinstance(error, ValidationError) else str(error))
            raw = msg.raw_message
            headers = {k: v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for k, v in raw.headers}
            headers.update({
                HEADER_ERROR: description[:2000],
                HEADER_ERROR_TYPE: type(error).__name__,
                HEADER_SERVICE: service,
                HEADER_ATTEMPTS: str(attempts),
                HEADER_ORIGIN: _origin(msg),
            })
            broker = self.context.get("broker")
            await broker.publish(raw.value, topic=raw.topic + DLQ_SUFFIX, key=raw.key, headers=headers)
            log.error("%s: sent to %s after %d attempt(s): %s", _origin(msg), raw.topic + DLQ_SUFFIX, attempts,
                      description)

    return DeadLetterMiddleware


def _origin(msg) -> str:
    raw = msg.raw_message
    return f"{raw.topic}[{raw.partition}]@{raw.offset}"
