"""The embedded broker's SQLite connection waits for a busy database in
short steps, and gives up with SQLite's own error after its timeout."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from zerodown.rpc.transport import embedded_db
from zerodown.rpc.transport.embedded_db import Database

SCHEMA = "CREATE TABLE IF NOT EXISTS t (v INTEGER);"


def _holder(path):
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock, held
    return other


def test_a_writer_waits_for_the_lock_and_then_writes(tmp_path, monkeypatch):
    path = str(tmp_path / "broker.db")
    db = Database(path, SCHEMA)
    holder = _holder(path)
    retried = threading.Event()
    pauses: list[float] = []
    # The subject: the broker's own pauses between tries, spied on.
    real_sleep = embedded_db.time.sleep

    def sleep(seconds):
        pauses.append(seconds)
        retried.set()
        real_sleep(seconds)

    monkeypatch.setattr(embedded_db.time, "sleep", sleep)
    writer = threading.Thread(
        target=db.execute, args=("INSERT INTO t VALUES (1)",)
    )
    writer.start()
    assert retried.wait(30)
    holder.execute("COMMIT")
    writer.join(30)
    assert not writer.is_alive()
    assert db.execute("SELECT v FROM t").fetchall() == [(1,)]
    assert pauses[0] == pytest.approx(0.00005)
    assert max(pauses) <= 0.002
    holder.close()
    db.close()


def test_a_writer_gives_up_after_the_timeout(tmp_path, monkeypatch):
    path = str(tmp_path / "broker.db")
    db = Database(path, SCHEMA)
    holder = _holder(path)
    monkeypatch.setattr(embedded_db, "BUSY_TIMEOUT", 0.05)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        db.execute("INSERT INTO t VALUES (1)")
    holder.execute("ROLLBACK")
    db.execute("INSERT INTO t VALUES (2)")
    assert db.execute("SELECT v FROM t").fetchall() == [(2,)]
    holder.close()
    db.close()


def test_other_errors_are_not_retried(tmp_path):
    db = Database(str(tmp_path / "broker.db"), SCHEMA)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        db.execute("SELECT * FROM missing")
    db.close()
