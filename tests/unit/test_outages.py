"""What a failure means, by its type and code (never its words): an outage of ours (the message waits, in order,
for a bounded time), a message to try again later (the same, bounded), a failure (retried, then a dead letter) or
a message that can never pass (a dead letter at once)."""

from __future__ import annotations

import errno
import smtplib
import sqlite3
import ssl

import pytest
from sqlalchemy import exc

from services.runtime.dead_letter import Fault, PermanentError, TryLater, Unavailable, classify, describe


def wrapped(cause: Exception, *, invalidated: bool = False) -> exc.DBAPIError:
    return exc.OperationalError("SELECT 1", {}, cause, connection_invalidated=invalidated)


class PostgresError(Exception):
    def __init__(self, sqlstate: str, message: str = "") -> None:
        super().__init__(message or f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def sqlite_error(code: int, message: str) -> sqlite3.Error:
    """An error as SQLite raises it, with its result code (what the module sets on the errors it raises)."""
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode, error.sqlite_errorname = code, f"SQLITE_{code}"
    return error


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
    TimeoutError("timed out"),
    Unavailable("the SMTP server answered 421"),
    OSError(errno.ENOSPC, "No space left on device"),
    ssl.SSLCertVerificationError("certificate verify failed"),
    smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
    wrapped(sqlite_error(sqlite3.SQLITE_BUSY, "database is locked")),
    wrapped(sqlite_error(sqlite3.SQLITE_FULL, "database or disk is full")),
    wrapped(sqlite_error(sqlite3.SQLITE_IOERR | (3 << 8), "disk I/O error")),  # an extended code: IOERR_WRITE
    wrapped(PostgresError("08006")),  # connection failure
    wrapped(PostgresError("57P01")),  # the server is shutting down
    wrapped(PostgresError("53100")),  # disk full
    wrapped(PostgresError("53300")),  # too many connections
    wrapped(PostgresError("25006")),  # read-only transaction
    wrapped(PostgresError("28P01")),  # our password is refused
    PostgresError("57P03"),           # the driver's own error at connect: the server is starting
    wrapped(Exception("anything"), invalidated=True),
], ids=repr)
def test_a_server_of_ours_that_is_away_or_full_is_an_outage(error):
    assert classify(error) is Fault.OUTAGE


@pytest.mark.parametrize("error", [
    TryLater("the SMTP server refused the recipient: SMTP 451 4.7.1"),
    wrapped(PostgresError("57014")),  # statement timeout
    wrapped(PostgresError("40001")),  # serialization failure
    wrapped(PostgresError("40P01")),  # deadlock
    wrapped(PostgresError("55P03")),  # lock timeout
], ids=repr)
def test_a_message_that_can_pass_later_is_tried_later(error):
    assert classify(error) is Fault.LATER


@pytest.mark.parametrize("error", [
    wrapped(sqlite_error(sqlite3.SQLITE_ERROR, "no such table: application")),
    wrapped(PostgresError("42P01")),  # undefined table
    exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
    LookupError("event about an unknown application"),
    ValueError("bad value"),
    wrapped(sqlite3.OperationalError("database is locked")),  # words are not read: only a code is
], ids=repr)
def test_a_bad_query_or_message_is_a_failure_retried_then_dead_lettered(error):
    assert classify(error) is Fault.FAILED


def test_a_message_that_can_never_pass_is_permanent():
    assert classify(PermanentError("the SMTP server refused the recipient: SMTP 550 5.1.1")) is Fault.PERMANENT


@pytest.mark.parametrize("error, expected", [
    (wrapped(PostgresError("22P02", 'invalid input syntax for type integer: "anne.weber@moselle-re.example"')),
     "SQLSTATE 22P02 (PostgresError)"),
    (smtplib.SMTPResponseException(451, b"4.7.1 <anne.weber@moselle-re.example>: Greylisted, try later"),
     "SMTP 451 4.7.1"),
    (smtplib.SMTPRecipientsRefused({"anne.weber@moselle-re.example": (550, b"no")}), "SMTPRecipientsRefused"),
], ids=repr)
def test_a_description_names_the_codes_and_not_the_personal_data_in_an_error(error, expected):
    assert describe(error) == expected
