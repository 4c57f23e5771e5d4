"""Which failures are an outage (the message waits, in order, for as long as it lasts) and which are not (retried,
then a dead letter): a database or relay that is away is one; a bug in a query or a bad address is not."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import exc

from services.runtime.dead_letter import Unavailable, is_outage


def wrapped(cause: Exception, *, invalidated: bool = False) -> exc.DBAPIError:
    return exc.OperationalError("SELECT 1", {}, cause, connection_invalidated=invalidated)


class PostgresError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("error", [
    ConnectionRefusedError("[Errno 111] Connection refused"),
    TimeoutError("timed out"),
    Unavailable("the SMTP server answered 421"),
    wrapped(sqlite3.OperationalError("database is locked")),
    wrapped(PostgresError("08006")),  # connection failure
    wrapped(PostgresError("57P01")),  # the server is shutting down
    wrapped(Exception("anything"), invalidated=True),
], ids=repr)
def test_a_server_that_is_away_is_an_outage(error):
    assert is_outage(error)


@pytest.mark.parametrize("error", [
    wrapped(sqlite3.OperationalError("no such table: application")),
    wrapped(PostgresError("42P01")),  # undefined table
    exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
    LookupError("event about an unknown application"),
    ValueError("bad value"),
], ids=repr)
def test_a_bad_query_or_message_is_no_outage(error):
    assert not is_outage(error)
