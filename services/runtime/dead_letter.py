"""Retry, then dead letter: a message that cannot be processed never blocks the ones behind it; and an outage
never turns good messages into dead letters.

A reaction's error is retried with exponential backoff up to `max_attempts`; a message that can never succeed
(invalid JSON, a payload that fails validation, an unknown schema version) goes at once. The message is then
published unchanged to `<topic>.dlq` with the error, the service and the attempt count in its headers, and
the original offset is committed. If the dead-letter publish itself fails, the error propagates, the consumer
seeks back, and the message is tried again later: nothing is lost (services/runtime/consumer.py).

When what the reaction needs is away (the database, the mail relay: a refused or lost connection, a time-out, a
relay answering "try later"), nothing is wrong with the message: it is never dead-lettered. The consumer waits
(backoff growing to 30 s, logged) and seeks back, so the message comes again, as long as the outage lasts; the
partition waits, as every message behind it would fail alike.
"""

from __future__ import annotations

import json
import logging

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


def backoff(attempt: int, base_seconds: float) -> float:
    """The wait before the next try: doubling from `base_seconds`, never more than MAX_BACKOFF_SECONDS (so a
    long series of retries never outlasts the consumer's poll interval)."""
    return min(base_seconds * 2 ** min(attempt - 1, 16), MAX_BACKOFF_SECONDS)


def describe(error: BaseException) -> str:
    """What went wrong, for the headers and the log. A validation error names the fields, not their values:
    the headers must not copy personal data."""
    if isinstance(error, ValidationError):
        return str([(e["loc"], e["msg"]) for e in error.errors(include_input=False)])
    return str(error)


def origin(record) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"


async def send(kafka, record, error: BaseException, attempts: int, service: str) -> None:
    """Publish `record` unchanged to `<topic>.dlq`, with why, by whom and after how many attempts in its
    headers; returns once the broker has it (if it fails, the error propagates and the record is not
    committed: it comes again)."""
    description = describe(error)
    headers = {k: v for k, v in (record.headers or ())}
    headers.update({
        HEADER_ERROR: description[:2000].encode(),
        HEADER_ERROR_TYPE: type(error).__name__.encode(),
        HEADER_SERVICE: service.encode(),
        HEADER_ATTEMPTS: str(attempts).encode(),
        HEADER_ORIGIN: origin(record).encode(),
    })
    await kafka.publish(record.value, topic=record.topic + DLQ_SUFFIX, key=record.key, headers=list(headers.items()))
    log.error("%s: sent to %s after %d attempt(s): %s", origin(record), record.topic + DLQ_SUFFIX, attempts,
              description)
