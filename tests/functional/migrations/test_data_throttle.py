"""``zerodown db migrate`` watching the database: --max-load pauses while a
session waits on a lock, --critical-load stops with the cursor saved (exit
3), --max-impact takes a baseline and paces the batches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests.functional.migrations.throttled import (
    Migrate,
    counters,
    make_project,
)
from zerodown.testing.waiting import eventually

ROWS = 600
SLOW = ("--batch-size", "10", "--sleep", "0.05")  # ~3 s of batches


@contextmanager
def lock_wait(url: str) -> Iterator[None]:
    """One session holds a row lock and another waits on it, until the
    block ends; returns once the database shows the wait."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS blocker (id INTEGER PRIMARY KEY, "
            "v INTEGER NOT NULL)"
        )
        conn.exec_driver_sql("DELETE FROM blocker")
        conn.exec_driver_sql("INSERT INTO blocker VALUES (1, 0)")
    holder = engine.connect()
    holder.begin()
    holder.exec_driver_sql("UPDATE blocker SET v = 1 WHERE id = 1")

    waiting = threading.Event()
    session: list[int] = []

    def wait_on_it() -> None:
        with engine.begin() as conn:
            session.append(conn.exec_driver_sql(_SESSION_ID[dialect]).scalar())
            waiting.set()
            conn.exec_driver_sql("UPDATE blocker SET v = 2 WHERE id = 1")

    dialect = engine.dialect.name
    waiter = threading.Thread(target=wait_on_it)
    waiter.start()
    try:
        assert waiting.wait(30)
        _until_waiting(engine, session[0])
        yield
    finally:
        holder.rollback()
        holder.close()
        waiter.join()
        engine.dispose()


_SESSION_ID = {
    "postgresql": "SELECT pg_backend_pid()",
    "mysql": "SELECT CONNECTION_ID()",
}
_WAITING = {
    "postgresql": "SELECT count(*) FROM pg_stat_activity WHERE pid = :id "
    "AND wait_event_type = 'Lock'",
    "mysql": "SELECT count(*) FROM information_schema.INNODB_TRX WHERE "
    "trx_mysql_thread_id = :id AND trx_state = 'LOCK WAIT'",
}


def _until_waiting(engine: sa.Engine, session: int) -> None:
    query = sa.text(_WAITING[engine.dialect.name])
    with engine.connect() as conn:

        def waits() -> bool:
            conn.rollback()  # a fresh snapshot of the server's activity
            return bool(conn.execute(query, {"id": session}).scalar())

        eventually(
            waits,
            timeout=15,
            message="the second session never waited on the lock",
        )


def test_max_load_pauses_while_a_session_waits_on_a_lock(
    zerodown_db, tmp_path
):
    ini = make_project(tmp_path, zerodown_db.url, ROWS)
    if zerodown_db.backend == "sqlite":
        refused = Migrate(ini, "--max-load", "lock_waits=0")
        code, _ = _refused(refused)
        assert code == 127 and counters(zerodown_db.url) == [0] * ROWS
        return
    run = Migrate(ini, "--max-load", "lock_waits=0")
    try:
        with lock_wait(zerodown_db.url):
            paused = run.until(["paused", "batch"])
            assert paused["event"] == "paused", run.kinds()
            assert any(r.startswith("lock_waits=") for r in paused["reasons"])
            assert run.done() == 0
        resumed = run.until(["resumed"])
        assert resumed["seconds"] > 0
        code, summary = run.finish()
    finally:
        run.close()
    assert code == 0, summary
    assert summary["done"] == ROWS
    assert counters(zerodown_db.url) == [1] * ROWS


def test_critical_load_stops_with_the_cursor_saved(zerodown_db, tmp_path):
    ini = make_project(tmp_path, zerodown_db.url, ROWS)
    if zerodown_db.backend == "sqlite":
        code, _ = _refused(Migrate(ini, "--critical-load", "active=5"))
        assert code == 127 and counters(zerodown_db.url) == [0] * ROWS
        return
    run = Migrate(ini, "--critical-load", "lock_waits=0", *SLOW)
    try:
        run.until(["batch"])
        with lock_wait(zerodown_db.url):
            critical = run.until(["critical-load"])
            code, summary = run.finish()
    finally:
        run.close()
    assert any(r.startswith("lock_waits=") for r in critical["reasons"])
    assert code == 3, summary
    assert summary["stopped"] == "critical-load"
    done = run.done()
    assert 0 < done < ROWS and summary["done"] == done
    # What the batches did is committed with their cursor: the next run
    # takes the rest, and no row is done twice.
    assert counters(zerodown_db.url) == [1] * done + [0] * (ROWS - done)
    again = Migrate(ini)
    try:
        code, summary = again.finish()
    finally:
        again.close()
    assert code == 0 and summary["done"] == ROWS - done
    assert counters(zerodown_db.url) == [1] * ROWS


# A generous budget: how the controller slows down is the unit tests'
# business (a busy CI host would slow this run down as it should, and
# make the test long); here, that the command takes a baseline, decides
# on windows of probes, says so, and migrates every row once.
@pytest.mark.parametrize("impact", ["50"])
def test_max_impact_takes_a_baseline_and_paces_the_batches(
    zerodown_db, tmp_path, impact
):
    rows = 2000
    ini = make_project(tmp_path, zerodown_db.url, rows)
    quick = {
        "ZERODOWN_MIGRATE_BASELINE_TIME": "0.3",
        "ZERODOWN_MIGRATE_PROBE_INTERVAL": "0.002",
        "ZERODOWN_MIGRATE_BATCH_TIME": "0.02",
        "ZERODOWN_MIGRATE_INITIAL_BATCH_SIZE": "10",
        "ZERODOWN_MIGRATE_MAX_BATCH_SIZE": "20",
    }
    if zerodown_db.backend == "sqlite":
        code, _ = _refused(Migrate(ini, "--max-impact", impact, env=quick))
        assert code == 127 and counters(zerodown_db.url) == [0] * rows
        return
    # Not bounded in time: each batch (at most 20 rows) is followed by a
    # pause as long as it, and the probe runs all along, so the run lasts
    # for a few windows of probes however busy the host is.
    run = Migrate(ini, "--max-impact", impact, env=quick, timeout=600)
    try:
        baseline = run.until(["baseline"])
        code, summary = run.finish()
    finally:
        run.close()
    assert code == (0 if summary["done"] == rows else 1), summary
    assert baseline["samples"] > 0 and baseline["probe_p50_ms"] > 0
    assert baseline["probe_p50_ms"] <= baseline["probe_p99_ms"]
    assert baseline["budget_ms"] == pytest.approx(
        float(impact) * baseline["probe_p99_ms"], rel=1e-3
    )
    paces = [e for e in run.events if e["event"] == "pace"]
    assert paces, run.kinds()
    judged_on = baseline["probe_p99_ms"]
    for pace in paces:
        assert pace["action"] in ("slower", "faster", "hold", "rebaseline")
        assert pace["samples"] >= 30  # a window: 100 probes, or 3 s and 30
        assert pace["baseline_p99_ms"] > 0
        expected = pace["batch_time"] * (1 - pace["duty"]) / pace["duty"]
        assert pace["pause"] == pytest.approx(expected, abs=2e-4)
        assert pace["ratio"] == pytest.approx(
            pace["probe_p99_ms"] / judged_on, rel=1e-2
        )
        judged_on = pace["baseline_p99_ms"]  # the next is judged on this
    assert run.kinds().index("baseline") < run.kinds().index("batch")
    done = summary["done"]
    assert done == run.done() > 0
    assert counters(zerodown_db.url) == [1] * done + [0] * (rows - done)


def _refused(run: Migrate) -> tuple[int, str]:
    try:
        code = run.process.wait(timeout=60)
        errors = run.stderr()
    finally:
        run.close()
    assert "SQLite" in errors or "sqlite" in errors, errors
    return code, errors
