"""Lock safety: every DDL statement waits a short time for its lock, then
steps back and retries, instead of queueing behind a long transaction and
blocking every writer that arrives after it.

PostgreSQL: ``SET LOCAL lock_timeout`` inside a savepoint, so a timeout
rolls back only the statement and the revision's transaction survives.
MySQL/MariaDB: ``lock_wait_timeout`` for the session (DDL commits itself,
so a timed-out statement simply runs again).  SQLite locks the whole file
and has no lock queue to jump; statements run as they are.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext

from zerodown.migrations.errors import LockTimeout
from zerodown.migrations.settings import MigrationSettings
from zerodown.migrations.sqltext import literal

__all__ = [
    "cleanup_between_attempts",
    "is_lock_timeout",
    "run_with_lock_timeout",
]

LOG = logging.getLogger(__name__)
T = TypeVar("T")

_MYSQL_LOCK_WAIT = {
    1205
}  # ER_LOCK_WAIT_TIMEOUT, also raised for metadata locks
_PG_LOCK_NOT_AVAILABLE = "55P03"
# A deadlock victim's statement is rolled back to its savepoint (each
# statement has one), releasing the locks it took: retry it like a
# timeout.
_PG_DEADLOCK = "40P01"
_MAX_DELAY = 30.0
_CLEANUP: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "zerodown_lock_cleanup", default=None
)


@contextlib.contextmanager
def cleanup_between_attempts(sql: str | None) -> Iterator[None]:
    """Run ``sql`` before each retry of the statements in this block.

    A concurrent index build that times out waiting for old transactions
    leaves an invalid index behind, and a plain retry would fail on its
    name; the cleanup drops it first, under the same lock timeout.
    """
    token = _CLEANUP.set(sql)
    try:
        yield
    finally:
        _CLEANUP.reset(token)


def is_lock_timeout(err: BaseException) -> bool:
    """True when ``err`` says a statement gave up waiting for a lock (or,
    on PostgreSQL, lost a deadlock)."""
    orig = getattr(err, "orig", err)
    if getattr(orig, "sqlstate", None) in (
        _PG_LOCK_NOT_AVAILABLE,
        _PG_DEADLOCK,
    ):
        return True
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    return bool(args) and args[0] in _MYSQL_LOCK_WAIT


def run_with_lock_timeout(
    context: MigrationContext,
    settings: MigrationSettings,
    statement: Callable[[], T],
    described: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``statement`` under a lock timeout, retrying with backoff."""
    if context.as_sql or context.connection is None:
        return statement()
    runner = _RUNNERS.get(context.dialect.name)
    if runner is None:
        return statement()
    delay = settings.lock_retry_delay
    connection = context.connection
    for attempt in range(settings.lock_retries + 1):
        try:
            result: T = runner(
                connection, settings, _attempt(connection, statement, attempt)
            )
            return result
        except sa.exc.DBAPIError as err:
            if not is_lock_timeout(err) or attempt == settings.lock_retries:
                if is_lock_timeout(err):
                    raise LockTimeout(
                        step=described,
                        attempts=attempt + 1,
                        timeout=settings.lock_timeout,
                    ) from err
                raise
            wait = min(delay, _MAX_DELAY) * random.uniform(0.5, 1.5)
            LOG.warning(
                "%s waited %.1fs for its lock; retry %d/%d in %.1fs",
                described,
                settings.lock_timeout,
                attempt + 1,
                settings.lock_retries,
                wait,
            )
            sleep(wait)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def _attempt(
    connection: sa.Connection, statement: Callable[[], T], attempt: int
) -> Callable[[], T]:
    cleanup = _CLEANUP.get()
    if not attempt or cleanup is None:
        return statement

    def cleaned() -> T:
        LOG.info("before the retry: %s", cleanup)
        connection.execute(literal(cleanup))  # as the statement's own SQL
        return statement()

    return cleaned


def _postgresql(
    connection: sa.Connection,
    settings: MigrationSettings,
    statement: Callable[[], T],
) -> T:
    milliseconds = int(settings.lock_timeout * 1000)
    if _autocommit(connection):  # autocommit block (CONCURRENTLY)
        connection.exec_driver_sql(f"SET lock_timeout = {milliseconds}")
        try:
            return statement()
        finally:
            connection.exec_driver_sql("RESET lock_timeout")
    savepoint = f"zd_lock_{uuid.uuid4().hex[:8]}"
    connection.exec_driver_sql(f"SAVEPOINT {savepoint}")
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")
    try:
        result = statement()
    except Exception:
        connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {savepoint}")
        raise
    connection.exec_driver_sql(f"RELEASE SAVEPOINT {savepoint}")
    return result


def _autocommit(connection: sa.Connection) -> bool:
    # Alembic's autocommit block opens a transaction that is only
    # SQLAlchemy's bookkeeping; the isolation level tells the truth.
    level = connection.get_execution_options().get("isolation_level")
    return level == "AUTOCOMMIT" or not connection.in_transaction()


def _mysql(
    connection: sa.Connection,
    settings: MigrationSettings,
    statement: Callable[[], T],
) -> T:
    seconds = max(1, round(settings.lock_timeout))  # whole seconds only
    connection.exec_driver_sql(f"SET SESSION lock_wait_timeout = {seconds}")
    connection.exec_driver_sql(
        f"SET SESSION innodb_lock_wait_timeout = {seconds}"
    )
    return statement()


_RUNNERS: dict[str, Callable[[sa.Connection, MigrationSettings, Any], Any]] = {
    "postgresql": _postgresql,
    "mysql": _mysql,
}
