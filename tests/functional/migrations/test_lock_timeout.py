"""DDL behind a long transaction times out, retries, and reports."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

FAST = {
    "ZERODOWN_LOCK_TIMEOUT": "0.3",
    "ZERODOWN_LOCK_RETRIES": "3",
    "ZERODOWN_LOCK_RETRY_DELAY": "0.1",
}


@pytest.fixture
def blocked(project):
    if project.database.backend == "sqlite":
        pytest.skip("capability: SQLite locks the whole file, no lock queue")
    project.zerodown("expand"), project.zerodown("contract")
    with project.database.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    (script,) = project.revision("add a column")
    project.write_upgrade(
        script, 'op.add_column("t", sa.Column("x", sa.Integer))'
    )
    # A long read transaction: its lock makes ALTER TABLE wait, and every
    # writer would queue behind the waiting ALTER.
    holder = project.database.engine.connect()
    holder.begin()
    holder.execute(sa.text("SELECT * FROM t"))
    yield project, holder
    holder.close()


def _columns(project):
    with project.database.engine.connect() as conn:
        return {c["name"] for c in sa.inspect(conn).get_columns("t")}


def test_gives_up_with_a_typed_error_instead_of_waiting(blocked, caplog):
    project, _holder = blocked
    started = time.monotonic()
    result = project.zerodown("expand", env=FAST)
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "could not get its lock" in result.output
    assert "in 4 attempts" in result.output
    assert elapsed < 30
    assert "x" not in _columns(project)
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 3


def test_retries_until_the_long_transaction_ends(blocked, caplog):
    project, holder = blocked
    env = {**FAST, "ZERODOWN_LOCK_RETRIES": "20"}
    release = threading.Timer(1.5, holder.rollback)
    release.start()
    try:
        result = project.zerodown("expand", env=env)
    finally:
        release.join()
    assert result.exit_code == 0, result.output
    assert "x" in _columns(project)
    assert any("waited" in r.getMessage() for r in caplog.records)
