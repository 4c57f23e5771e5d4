"""Retry, then dead letter: a message that cannot be processed never blocks the ones behind it for long; and an
outage never turns good messages into dead letters while it lasts a normal time.

What an error means is read from its type and its code, never from its words (`classify`, and the tables below):

- **permanent** (invalid JSON, a payload that fails validation, an unknown schema version, an address a mail relay
  refuses for good): the message goes to `<topic>.dlq` at once;
- **failed** (any error not in the tables: a bug, a query the database refuses, an unknown application): retried
  with exponential backoff up to `max_attempts`, then the dead-letter topic;
- **later** (this message cannot be taken now, but will be: a greylisted recipient, a statement timeout behind a
  lock, a serialization failure or deadlock): the partition waits and the message is tried again, backoff
  growing to 30 s, for at most `RETRY_LATER_MAX_SECONDS` (default 10 minutes), then the dead-letter topic;
- **outage** (what the reaction needs on our side is away: the database refuses connections, is read-only, its
  disk or pool is full; the mail relay is away or refuses our credentials or TLS): the partition waits, as every
  message behind would fail alike, for at most `OUTAGE_MAX_WAIT_SECONDS` (default 15 minutes), then the
  dead-letter topic, to be replayed once the outage is over.

Waits are per partition (the consumer seeks back to the message that waits, and the messages behind it wait
too); their bound is per message: the time since that message (its partition and offset) first failed in this
consumer, whatever the errors between. A consumer that restarts, or a partition given to another member, starts
counting again.

A dead letter is the message unchanged, with in its headers why (the error's class and code: SQLSTATE, SQLite
result code, SMTP reply code; never the error's text where it may hold personal data), which fault, after how
many attempts and how long a wait; the original offset is then committed. If the dead-letter publish itself
fails, the error propagates, the consumer seeks back, and the message is tried again later: nothing is lost
(services/runtime/consumer.py).
"""

from __future__ import annotations

import errno
import json
import logging
import re
import smtplib
import socket
import sqlite3
import ssl
from enum import StrEnum

from pydantic import ValidationError
from sqlalchemy import exc

from contracts.topics import DLQ_SUFFIX

log = logging.getLogger(__name__)

HEADER_ERROR = "x-dlq-error"
HEADER_ERROR_TYPE = "x-dlq-error-type"
HEADER_FAULT = "x-dlq-fault"
HEADER_WAITED = "x-dlq-waited-seconds"
HEADER_SERVICE = "x-dlq-service"
HEADER_ATTEMPTS = "x-dlq-attempts"
HEADER_ORIGIN = "x-dlq-origin"


class Fault(StrEnum):
    PERMANENT = "permanent"
    FAILED = "failed"
    LATER = "later"
    OUTAGE = "outage"


class PermanentError(Exception):
    """Raised by a handler for a message that will never succeed, however often it is retried."""


class TryLater(Exception):
    """Raised by a handler when this one message cannot be taken now but will be (e.g. a greylisted recipient)."""


class Unavailable(Exception):
    """Raised by a handler when something it needs on our side is away (e.g. a mail relay answering 421, or
    refusing our credentials): the message waits for it."""


PERMANENT = (PermanentError, ValidationError, json.JSONDecodeError, UnicodeDecodeError)

# PostgreSQL's SQLSTATE: a code of five characters is looked up first, then its class (the first two).
SQLSTATES: dict[str, Fault] = {
    "08": Fault.OUTAGE,     # connection exception: refused, lost, the server cannot be reached
    "28": Fault.OUTAGE,     # invalid authorization: our database user or password
    "3D000": Fault.OUTAGE,  # invalid catalog name: our database is missing
    "25006": Fault.OUTAGE,  # read-only SQL transaction: a standby after a failover, a database set read-only
    "53": Fault.OUTAGE,     # insufficient resources: 53100 disk full, 53200 out of memory, 53300 connections
    "57": Fault.OUTAGE,     # operator intervention: 57P01 admin shutdown, 57P02 crash shutdown, 57P03 starting
    "57014": Fault.LATER,   # query canceled by statement_timeout: a lock or a load that passes, or this message's
                            # own query too slow for ever: bounded
    "58": Fault.OUTAGE,     # system error: 58030 I/O error
    "40": Fault.LATER,      # transaction rollback: 40001 serialization failure, 40P01 deadlock
    "55P03": Fault.LATER,   # lock not available (lock_timeout)
}

# SQLite's primary result codes (an extended code carries its primary one in its low byte).
SQLITE_CODES: dict[int, Fault] = {
    sqlite3.SQLITE_BUSY: Fault.OUTAGE,      # another writer held the file past busy_timeout
    sqlite3.SQLITE_LOCKED: Fault.OUTAGE,    # a table locked by another connection of the process
    sqlite3.SQLITE_FULL: Fault.OUTAGE,      # the disk is full
    sqlite3.SQLITE_IOERR: Fault.OUTAGE,     # the disk failed a read or write
    sqlite3.SQLITE_NOMEM: Fault.OUTAGE,     # out of memory
    sqlite3.SQLITE_READONLY: Fault.OUTAGE,  # the file or its folder is read-only
    sqlite3.SQLITE_CANTOPEN: Fault.OUTAGE,  # the file cannot be opened (a volume gone, a permission)
    sqlite3.SQLITE_PROTOCOL: Fault.OUTAGE,  # the WAL lock protocol failed: contention
}

# errno of an OSError (a socket, a file) that says our side is away or full.
ERRNOS: dict[int, Fault] = {code: Fault.OUTAGE for code in (
    errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.ENOMEM, errno.EMFILE, errno.ENFILE, errno.ENOBUFS,
    errno.EAGAIN, errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ETIMEDOUT,
    errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.ENETUNREACH, errno.ENETDOWN, errno.EADDRNOTAVAIL)}

# Exception classes that say our side is away, whatever their code.
OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    Unavailable, ConnectionError, TimeoutError,
    ssl.SSLError,                # TLS to a server failed: its certificate, our trust store, the protocol
    socket.gaierror,             # a server's name cannot be resolved
    smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError,
    exc.TimeoutError,            # SQLAlchemy's pool: every connection is taken (pool_timeout)
    exc.DisconnectionError)


def classify(error: BaseException) -> Fault:
    """What `error` says: that the message is bad, that something of ours is away, or that the message is to be
    tried again later; by the error's type and its code (SQLSTATE, SQLite result code, errno)."""
    if isinstance(error, PERMANENT):
        return Fault.PERMANENT
    if isinstance(error, TryLater):
        return Fault.LATER
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return Fault.OUTAGE
        return classify(error.orig) if error.orig is not None else Fault.FAILED
    if code := sqlstate(error):
        return SQLSTATES.get(code) or SQLSTATES.get(code[:2]) or Fault.FAILED
    if (result := sqlite_code(error)) is not None:
        return SQLITE_CODES.get(result & 0xFF, Fault.FAILED)
    if isinstance(error, OUTAGE_TYPES):
        return Fault.OUTAGE
    if isinstance(error, OSError) and error.errno is not None:
        return ERRNOS.get(error.errno, Fault.FAILED)
    return Fault.FAILED


def sqlstate(error: BaseException) -> str:
    """The SQLSTATE a PostgreSQL driver's error carries (asyncpg's own, or as SQLAlchemy adapts it), or ''."""
    return str(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or "")


def sqlite_code(error: BaseException) -> int | None:
    """The (extended) result code SQLite gave `error`, or None (an error made elsewhere has none)."""
    return getattr(error, "sqlite_errorcode", None) if isinstance(error, sqlite3.Error) else None


MAX_BACKOFF_SECONDS = 30.0


def backoff(attempt: int, base_seconds: float) -> float:
    """The wait before the next try: doubling from `base_seconds`, never more than MAX_BACKOFF_SECONDS (so a
    long series of retries never outlasts the consumer's poll interval)."""
    return min(base_seconds * 2 ** min(attempt - 1, 16), MAX_BACKOFF_SECONDS)


_ENHANCED_STATUS = re.compile(rb"\b[245]\.\d{1,3}\.\d{1,3}\b")


def describe(error: BaseException) -> str:
    """What went wrong, for the headers and the log, without personal data: a validation error names the
    fields, not their values; a database error its class and code, not its text (PostgreSQL's quotes values, and
    SQLAlchemy's statement parameters are hidden by the engine anyway); an SMTP answer its codes, not its text
    (a relay echoes the recipient's address)."""
    if isinstance(error, ValidationError):
        return str([(e["loc"], e["msg"]) for e in error.errors(include_input=False)])
    if isinstance(error, exc.DBAPIError):
        cause = error.orig
        coded = cause is not None and (sqlstate(cause) or sqlite_code(cause) is not None)
        return describe(cause) if coded else type(cause).__name__
    if code := sqlstate(error):
        driver = error.__cause__ or error  # SQLAlchemy's adapted error is raised from the driver's own
        return f"SQLSTATE {code} ({type(driver).__name__})"
    if sqlite_code(error) is not None:
        # SQLite's messages name tables and columns, never values
        return f"{getattr(error, 'sqlite_errorname', None)}: {error}"
    if isinstance(error, smtplib.SMTPResponseException):
        enhanced = _ENHANCED_STATUS.search(error.smtp_error or b"")
        return f"SMTP {error.smtp_code}" + (f" {enhanced.group().decode()}" if enhanced else "")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return type(error).__name__
    return str(error) or type(error).__name__


def origin(record) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"


async def send(kafka, record, error: BaseException, attempts: int, service: str, *, fault: Fault,
               waited_seconds: float = 0.0) -> None:
    """Publish `record` unchanged to `<topic>.dlq`, with why (the error, the fault and how long it waited), by
    whom and after how many attempts in its headers; returns once the broker has it (if it fails, the error
    propagates and the record is not committed: it comes again)."""
    description = describe(error)
    headers = {k: v for k, v in (record.headers or ())}
    headers.update({
        HEADER_ERROR: description[:2000].encode(),
        HEADER_ERROR_TYPE: type(error).__name__.encode(),
        HEADER_FAULT: fault.value.encode(),
        HEADER_WAITED: f"{waited_seconds:.0f}".encode(),
        HEADER_SERVICE: service.encode(),
        HEADER_ATTEMPTS: str(attempts).encode(),
        HEADER_ORIGIN: origin(record).encode(),
    })
    await kafka.publish(record.value, topic=record.topic + DLQ_SUFFIX, key=record.key, headers=list(headers.items()))
    log.error("%s: sent to %s after %d attempt(s) (%s, waited %.0f s): %s", origin(record),
              record.topic + DLQ_SUFFIX, attempts, fault.value, waited_seconds, description)
