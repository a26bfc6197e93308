"""Telling "busy, try again" from "broken", and the backoff between tries."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from zerodown.migrations.data.busy import Backoff, describe, is_busy


class _PGError(Exception):
    def __init__(self, sqlstate):
        super().__init__(f"pg {sqlstate}")
        self.sqlstate = sqlstate


def _wrapped(orig, invalidated=False):
    return sa.exc.OperationalError(
        "UPDATE t", {}, orig, connection_invalidated=invalidated
    )


def _sqlite(code):
    err = sqlite3.OperationalError("database is locked")
    err.sqlite_errorcode = code
    return err


@pytest.mark.parametrize(
    ("orig", "busy"),
    [
        (_PGError("40P01"), True),  # deadlock
        (_PGError("55P03"), True),  # lock_timeout
        (_PGError("40001"), True),  # serialization failure
        (_PGError("57014"), True),  # statement_timeout
        (_PGError("42703"), False),  # undefined column
        (Exception(1205, "Lock wait timeout exceeded"), True),
        (Exception(1213, "Deadlock found"), True),
        (Exception(1969, "max_statement_time exceeded"), True),
        (Exception(1054, "Unknown column"), False),
        (_sqlite(5), True),  # SQLITE_BUSY
        (_sqlite(5 | (2 << 8)), True),  # SQLITE_BUSY_SNAPSHOT
        (_sqlite(6), True),  # SQLITE_LOCKED
        (_sqlite(1), False),  # SQLITE_ERROR
    ],
)
def test_busy_errors_by_backend(orig, busy):
    assert is_busy(_wrapped(orig)) is busy


def test_a_lost_connection_or_a_python_error_is_not_busy():
    assert not is_busy(_wrapped(_PGError("40P01"), invalidated=True))
    assert not is_busy(ValueError("40P01"))


def test_describe_gives_the_driver_error_on_one_line():
    err = _wrapped(Exception("first line\nsecond line"))
    assert describe(err) == "Exception: first line"


def test_backoff_doubles_up_to_the_cap_with_jitter():
    middle = Backoff(first=0.1, cap=1.0, jitter=lambda: 0.5)
    assert [middle.delay(n) for n in range(1, 6)] == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.0]
    )
    low = Backoff(first=0.1, jitter=lambda: 0.0)
    high = Backoff(first=0.1, jitter=lambda: 0.999)
    assert low.delay(1) == pytest.approx(0.05)
    assert high.delay(1) == pytest.approx(0.1499, abs=1e-3)
