"""SIGKILL ``zerodown db migrate`` at random points, resume, and compare the
tables with a clean run: nothing lost, nothing applied twice.

Both migrations are deliberately not idempotent (``counter = counter + 1``,
``total = total + id``), so a batch applied twice would show; one is a
:class:`KeysetBackfill`, the other a function that keeps its own composite
cursor and updates row by row (long batches, so kills land inside them).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from zerodown.migrations import data
from zerodown.migrations.database import create_engine

MODULE = """
import sqlalchemy as sa

from zerodown.migrations.data import KeysetBackfill, data_migration


def migrations(suffix=""):
    @data_migration(name="bump_pairs" + suffix)
    def bump_pairs(ctx, max_count):
        a, b = ctx.cursor.get("after", [-1, ""])
        keys = ctx.connection.execute(
            sa.text(
                f"SELECT a, b FROM pairs{suffix} WHERE a > :a OR "
                "(a = :a AND b > :b) ORDER BY a, b LIMIT :n"
            ),
            {"a": a, "b": b, "n": max_count},
        ).all()
        for key in keys:
            ctx.connection.execute(
                sa.text(
                    f"UPDATE pairs{suffix} SET counter = counter + 1 "
                    "WHERE a = :a AND b = :b"
                ),
                {"a": key[0], "b": key[1]},
            )
        if keys:
            ctx.cursor["after"] = [keys[-1][0], keys[-1][1]]
        return len(keys), len(keys)

    return [
        KeysetBackfill(
            name="bump_items" + suffix,
            table="items" + suffix,
            key=("id",),
            assignments="counter = counter + 1, total = total + id",
        ),
        bump_pairs,
    ]


data_migrations = migrations()
"""
ITEMS, PAIRS = 2000, 600
KILLS = 3


def _tables(conn, suffix):
    conn.exec_driver_sql(
        f"CREATE TABLE items{suffix} (id INTEGER NOT NULL PRIMARY KEY, "
        "counter INTEGER NOT NULL, total INTEGER NOT NULL)"
    )
    conn.exec_driver_sql(
        f"CREATE TABLE pairs{suffix} (a INTEGER NOT NULL, b VARCHAR(20) "
        "NOT NULL, counter INTEGER NOT NULL, PRIMARY KEY (a, b))"
    )
    conn.execute(
        sa.text(f"INSERT INTO items{suffix} VALUES (:i, 0, :t)"),
        [{"i": i, "t": i % 13} for i in range(1, ITEMS + 1)],
    )
    conn.execute(
        sa.text(f"INSERT INTO pairs{suffix} VALUES (:a, :b, 0)"),
        [{"a": i % 9, "b": f"k{i:05d}"} for i in range(PAIRS)],
    )
    conn.commit()


def _contents(conn, suffix):
    found = {}
    for table in ("items", "pairs"):
        result = conn.exec_driver_sql(
            f"SELECT * FROM {table}{suffix} ORDER BY 1, 2"
        )
        found[table] = [tuple(row) for row in result]
    conn.rollback()
    return found


def _migrate(project, env):
    command = [
        str(Path(sys.executable).with_name("zerodown")),
        "db",
        "-c",
        str(project.ini),
        "migrate",
        "--format",
        "json",
        "--batch-size",
        "20",
        "--sleep",
        "0.002",
    ]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _kill_at_random(process, rng):
    """Read JSON lines; SIGKILL after a random number of batches plus a
    random delay.  Returns what happened, for the failure message."""
    batches = rng.randint(0, 25)
    seen = 0
    for line in process.stdout:
        event = json.loads(line)
        if event["event"] in ("batch", "started"):
            seen += event["event"] == "batch"
            if seen >= batches:
                # The subject: a kill at a random moment inside a batch.
                time.sleep(rng.uniform(0, 0.015))
                process.send_signal(signal.SIGKILL)
                process.wait()
                return f"killed after {seen} batches"
    return f"finished (rc {process.wait()}) before the kill point"


@pytest.mark.slow
def test_killed_migrate_resumes_without_loss_or_double_application(project):
    root = project.root
    (root / "dm_kill.py").write_text(MODULE)
    engine = create_engine(project.database.url)
    with engine.connect() as conn:
        _tables(conn, "")
        _tables(conn, "_clean")
    # The clean run, in this process, on the twin tables.
    sys.path.insert(0, str(root))
    try:
        import dm_kill

        with engine.connect() as conn:
            clean = data.run(conn, dm_kill.migrations("_clean"))
        assert clean.exit_code == 0
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("dm_kill", None)

    env = {
        **os.environ,
        "ZERODOWN_DATA_MIGRATIONS": "dm_kill",
        "PYTHONPATH": str(root),
    }
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    history = []
    for _ in range(KILLS):
        history.append(_kill_at_random(_migrate(project, env), rng))
    final = _migrate(project, env)
    out, _ = final.communicate(timeout=120)
    summary = json.loads(out.splitlines()[-1])
    assert final.returncode == 0, (seed, history, summary)

    with engine.connect() as conn:
        killed, expected = _contents(conn, ""), _contents(conn, "_clean")
    engine.dispose()
    assert killed["items"] == expected["items"], (seed, history)
    assert killed["pairs"] == expected["pairs"], (seed, history)
    assert {row[1] for row in killed["items"]} == {1}
    assert {row[2] for row in killed["pairs"]} == {1}
    assert any("killed" in step for step in history), history
