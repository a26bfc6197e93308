"""When the database is busy: recognise it, wait for it, never queue on it.

A batch that waits on a row lock held by a long transaction keeps the
locks of the rows it already updated, and every writer that touches one
of those rows queues behind it.  So each batch runs under a short lock
timeout (:func:`lock_timeout`); when it times out, deadlocks or meets a
serialization failure (:func:`is_busy`), the runner rolls the batch back,
waits (:class:`Backoff`: exponential, with jitter so that runners do not
retry in step) and tries again with a smaller batch.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from zerodown.migrations.errors import DataMigrationBusy

__all__ = [
    "Backoff",
    "apply_lock_timeout",
    "describe",
    "is_busy",
    "lock_timeout",
    "retrying",
]

LOG = logging.getLogger(__name__)
T = TypeVar("T")

# PostgreSQL SQLSTATEs: deadlock_detected, lock_not_available (lock_timeout),
# serialization_failure, query_canceled (statement_timeout).
_PG_BUSY = {"40P01", "55P03", "40001", "57014"}
# MySQL/MariaDB: lock wait timeout, deadlock, MySQL's max_execution_time,
# MariaDB's max_statement_time.
_MYSQL_BUSY = {1205, 1213, 3024, 1969}
# SQLite: SQLITE_BUSY and SQLITE_LOCKED (the primary result codes).
_SQLITE_BUSY = {5, 6}


def is_busy(err: BaseException) -> bool:
    """True when ``err`` says "contended, try again" rather than "broken"."""
    if not isinstance(err, sa.exc.DBAPIError) or err.connection_invalidated:
        return False
    orig: Any = err.orig
    if getattr(orig, "sqlstate", None) in _PG_BUSY:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in _SQLITE_BUSY
    args = tuple(getattr(orig, "args", ()))
    return bool(args) and args[0] in _MYSQL_BUSY


def describe(err: BaseException) -> str:
    """One line about ``err`` for logs and the state table."""
    orig = getattr(err, "orig", None) or err
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"


@dataclass
class Backoff:
    """Delays before each retry: ``first`` doubling up to ``cap``, each
    multiplied by a random factor in [0.5, 1.5)."""

    first: float = 0.1
    cap: float = 10.0
    jitter: Callable[[], float] = random.random

    def delay(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (1-based)."""
        base = min(self.cap, self.first * 2 ** max(attempt - 1, 0))
        return float(base * (0.5 + self.jitter()))


def retrying(
    name: str,
    action: Callable[[], T],
    retries: int,
    backoff: Backoff,
    on_busy: Callable[[int, float, BaseException], None],
    sleep: Callable[[float], None],
) -> tuple[T, int]:
    """Run ``action`` until it is not busy; return it and the attempts.

    Before each retry ``on_busy(attempt, delay, error)`` is told (it may
    shrink what ``action`` asks for), then the delay is slept.  After
    ``retries`` retries the error becomes :class:`DataMigrationBusy`.
    """
    attempt = 1
    while True:
        try:
            return action(), attempt
        except Exception as err:
            if not is_busy(err):
                raise
            if attempt > retries:
                raise DataMigrationBusy(
                    name=name, attempts=attempt, reason=describe(err)
                ) from err
            delay = backoff.delay(attempt)
            on_busy(attempt, delay, err)
            sleep(delay)
            attempt += 1


def apply_lock_timeout(connection: sa.Connection, seconds: float) -> None:
    """Bound lock waits of the transaction that ``connection`` is in."""
    name = connection.dialect.name
    if name == "postgresql":
        ms = max(1, int(seconds * 1000))
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
    elif name == "mysql":
        # Whole seconds only, 1 at least; it is a session variable, which
        # lock_timeout() restores when the run ends.
        whole = max(1, round(seconds))
        connection.exec_driver_sql(
            f"SET SESSION innodb_lock_wait_timeout = {whole}"
        )


@contextlib.contextmanager
def lock_timeout(connection: sa.Connection, seconds: float) -> Iterator[None]:
    """Session settings for a run, restored afterwards.

    SQLite's busy timeout is per connection: set once here.  MySQL's
    ``innodb_lock_wait_timeout`` is restored to what it was.
    """
    name = connection.dialect.name
    if name == "sqlite":
        with _sqlite_busy_timeout(connection, seconds):
            yield
        return
    restore: str | None = None
    if name == "mysql":
        before = connection.exec_driver_sql(
            "SELECT @@SESSION.innodb_lock_wait_timeout"
        ).scalar()
        restore = f"SET SESSION innodb_lock_wait_timeout = {int(before or 50)}"
    _settle(connection)
    try:
        yield
    finally:
        if restore is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                _settle(connection)
                connection.exec_driver_sql(restore)
                _settle(connection)


@contextlib.contextmanager
def _sqlite_busy_timeout(
    connection: sa.Connection, seconds: float
) -> Iterator[None]:
    # Straight on the driver's connection: through SQLAlchemy the pragma
    # would open a transaction, and zerodown's SQLite transactions begin
    # IMMEDIATE, which waits for the very lock we are timing.
    raw: Any = connection.connection.driver_connection
    before = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute(f"PRAGMA busy_timeout = {max(1, int(seconds * 1000))}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(before)}")


def _settle(connection: sa.Connection) -> None:
    if connection.in_transaction():
        connection.commit()
