"""A batch that meets a lock held by a long transaction steps back.

It waits at most ``migrate_lock_timeout``, rolls back (releasing the rows it
already locked, so writers do not queue behind it), waits with backoff and
retries smaller; a lock that is never released fails that migration only.
"""

from __future__ import annotations

import contextlib
import threading

import pytest
import sqlalchemy as sa
from datarows import bump, engine, make_items, rows

from zerodown.migrations import data
from zerodown.migrations.data import BusyRetry, DataMigrationSettings, Status
from zerodown.migrations.errors import DataMigrationBusy


@pytest.fixture
def eng(zerodown_db):
    made = engine(zerodown_db.url)
    yield made
    made.dispose()


@contextlib.contextmanager
def holding_a_lock(url, backend):
    """Another session holding a row lock (a file lock on SQLite)."""
    other = sa.create_engine(url, poolclass=sa.pool.NullPool)
    conn = other.connect()
    if backend == "sqlite":
        conn.connection.driver_connection.isolation_level = None
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.begin()
        conn.exec_driver_sql("UPDATE items SET label = 'held' WHERE id = 150")
    try:
        yield conn
    finally:
        with contextlib.suppress(Exception):
            conn.exec_driver_sql("ROLLBACK") if backend == "sqlite" else None
            conn.rollback()
        conn.close()
        other.dispose()


def _settings(retries):
    return DataMigrationSettings(
        migrate_initial_batch_size=100,
        migrate_lock_timeout=0.2,  # 1 s on MySQL, its least
        migrate_retries=retries,
        migrate_retry_delay=0.05,
    )


def _release(holder, backend, after):
    def release():
        if backend == "sqlite":
            holder.exec_driver_sql("ROLLBACK")
        else:
            holder.rollback()

    timer = threading.Timer(after, release)
    timer.start()
    return timer


def test_a_locked_batch_backs_off_and_retries(eng, zerodown_db):
    with eng.connect() as conn:
        make_items(conn, 300)
        # rows 1-100, and the state table, before the lock is taken
        data.run(conn, [bump()], _settings(0), max_count=100)
    backend = zerodown_db.backend
    with holding_a_lock(zerodown_db.url, backend) as holder:
        timer = _release(holder, backend, 2.5 if backend == "mysql" else 0.6)
        events = []
        with eng.connect() as conn:
            result = data.run(
                conn, [bump()], _settings(30), on_event=events.append
            )
        timer.join()
    retries = [e for e in events if isinstance(e, BusyRetry)]
    assert result.exit_code == 0, result.outcomes
    assert retries, "the lock never made the batch wait"
    if backend != "sqlite":  # SQLite locks the whole file, state included
        assert retries[0].name == "bump"
        assert retries[0].batch_size == 50  # the retry asks for less
    with eng.connect() as conn:
        assert {r[1] for r in rows(conn)} == {1}


def test_a_lock_never_released_fails_that_migration_only(eng, zerodown_db):
    with eng.connect() as conn:
        make_items(conn, 300)
        make_items(conn, 20, name="others")
        data.run(conn, [bump(), bump("others", "others")], max_count=1)
    backend = zerodown_db.backend
    migrations = [bump(), bump("others", "others")]
    with holding_a_lock(zerodown_db.url, backend), eng.connect() as conn:
        if backend == "sqlite":  # the whole file is locked: nothing runs
            with pytest.raises(DataMigrationBusy, match="3 attempts"):
                data.run(conn, migrations, _settings(2))
            return
        result = data.run(conn, migrations, _settings(2))
    assert result.exit_code == 2
    stuck, other = result.outcomes
    assert stuck.status is Status.FAILED
    assert "busy through 3 attempts" in stuck.error
    assert other.status is Status.COMPLETE
    with eng.connect() as conn:
        assert data.pending(conn)[0].status == "failed"
        conn.rollback()
        assert data.run(conn, [bump()], _settings(2)).exit_code == 0
        assert {r[1] for r in rows(conn)} == {1}
