"""Retry, then dead letter: a message that cannot be processed never blocks the ones behind it.

A handler error is retried with exponential backoff up to `max_attempts`; a message that can never succeed
(invalid JSON, a payload that fails validation, an unknown schema version) goes at once. The message is then
published unchanged to `<topic>.dlq` with the error, the service and the attempt count in its headers, and
the original offset is committed. If the dead-letter publish itself fails, the error propagates, the
subscriber's NACK_ON_ERROR policy seeks back, and the message is tried again later: nothing is lost.
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


MAX_BACKOFF_SECONDS = 30.0
PERMANENT = (PermanentError, ValidationError, json.JSONDecodeError, UnicodeDecodeError)


def dead_letter_middleware(service: str, max_attempts: int, backoff_seconds: float) -> type[BaseMiddleware]:
    class DeadLetterMiddleware(BaseMiddleware):
        async def consume_scope(self, call_next, msg) -> Any:
            attempt = 0
            while True:
                attempt += 1
                try:
                    return await call_next(msg)
                except PERMANENT as error:
                    return await self._dead_letter(msg, error, attempt)
                except Exception as error:  # noqa: BLE001 - every other error is worth a retry
                    if attempt >= max_attempts:
                        return await self._dead_letter(msg, error, attempt)
                    log.warning("%s: attempt %d failed (%s), retrying", _origin(msg), attempt, error)
                    # Capped, so a long series of retries never outlasts the consumer's poll interval.
                    await asyncio.sleep(min(backoff_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))

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
