"""``--replica URL --max-replica-lag S`` on real replicas: a PostgreSQL
streaming standby and a MariaDB binlog replica, started by
``scripts/replicas`` on servers of their own (the shared servers are left
alone).  The test stops the replica's replay while the backfill runs
(``pg_wal_replay_pause()``, ``STOP SLAVE SQL_THREAD``), sees the runner
pause because of the lag, starts replay again, and sees it resume and
finish with every row migrated exactly once, on the primary and on the
replica.

Serial: the replica servers are one pair per backend for the session, and
stopping a replica's replay would stall any other test using it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.functional.migrations.throttled import (
    Migrate,
    counters,
    make_project,
)
from zerodown.testing.backends import Backend, TestDatabase
from zerodown.testing.plugin import selected_backends
from zerodown.testing.waiting import eventually

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "replicas"
ROWS = 400
NAMES = {"postgresql": "PG", "mysql": "MYSQL"}
STOP_REPLAY = {
    "postgresql": "SELECT pg_wal_replay_pause()",
    "mysql": "STOP SLAVE SQL_THREAD",
}
START_REPLAY = {
    "postgresql": "SELECT pg_wal_replay_resume()",
    "mysql": "START SLAVE SQL_THREAD",
}

pytestmark = pytest.mark.serial


@pytest.fixture(scope="session")
def replica_servers() -> Iterator[dict[str, str]]:
    """The URLs of scripts/replicas' servers, started for the session
    (or those already given in ZERODOWN_TEST_*_PRIMARY_URL and
    ZERODOWN_TEST_*_REPLICA_URL)."""
    keys = [
        f"ZERODOWN_TEST_{n}_{role}_URL"
        for n in NAMES.values()
        for role in ("PRIMARY", "REPLICA")
    ]
    if all(os.environ.get(key) for key in keys):
        yield {key: os.environ[key] for key in keys}
        return
    started = subprocess.run(
        [str(SCRIPT), "start"], capture_output=True, text=True, timeout=180
    )
    assert started.returncode == 0, started.stderr
    urls = dict(
        line.split("=", 1)
        for line in started.stdout.splitlines()
        if "=" in line
    )
    try:
        yield urls
    finally:
        subprocess.run(
            [str(SCRIPT), "stop", urls["ZERODOWN_TEST_REPLICAS_DIR"]],
            check=True,
            timeout=120,
        )


@pytest.fixture(params=["postgresql", "mysql"])
def pair(
    request: pytest.FixtureRequest, replica_servers: dict[str, str]
) -> Iterator[tuple[TestDatabase, str]]:
    """A fresh database on the primary of one backend, and the URL of
    the same database on its replica."""
    backend = request.param
    if backend not in selected_backends(request.config):
        pytest.skip(f"{backend} is not among the selected backends")
    name = NAMES[backend]
    server = Backend.registry[backend](
        replica_servers[f"ZERODOWN_TEST_{name}_PRIMARY_URL"]
    )
    database = server.create()
    replica = make_url(replica_servers[f"ZERODOWN_TEST_{name}_REPLICA_URL"])
    replica_url = replica.set(
        database=make_url(database.url).database
    ).render_as_string(hide_password=False)
    try:
        yield database, replica_url
    finally:
        server.drop(database)


def test_a_lagging_replica_pauses_the_backfill_until_it_catches_up(
    pair, tmp_path
):
    primary, replica_url = pair
    ini = make_project(tmp_path, primary.url, ROWS)
    dialect = make_url(primary.url).get_dialect().name
    replica = sa.create_engine(replica_url, isolation_level="AUTOCOMMIT")
    run = Migrate(
        ini,
        "--replica",
        replica_url,
        "--max-replica-lag",
        "0.3",
        "--batch-size",
        "10",
        "--sleep",
        "0.05",
    )
    try:
        run.until(["batch"])
        with replica.connect() as conn:
            conn.exec_driver_sql(STOP_REPLAY[dialect])
        try:
            paused = run.until(["paused"])
            while not any("lag" in r for r in paused["reasons"]):
                # A standby that has just been sent a transaction can read
                # as behind for the moment it takes to replay it.
                run.until(["resumed"])
                paused = run.until(["paused"])
            done_while_paused = run.done()
            assert 0 < done_while_paused < ROWS
            assert counters(primary.url).count(1) == done_while_paused
        finally:
            with replica.connect() as conn:
                conn.exec_driver_sql(START_REPLAY[dialect])
        resumed = run.until(["resumed"])
        code, summary = run.finish()
    finally:
        run.close()
        replica.dispose()
    assert code == 0, summary
    kinds = run.kinds()
    # Nothing ran between the pause and the resume.
    paused_at = kinds.index("resumed") - 1
    assert kinds[paused_at] == "paused"
    assert resumed["seconds"] > 0
    assert summary["done"] == ROWS
    assert counters(primary.url) == [1] * ROWS
    _until_caught_up(replica_url)
    assert counters(replica_url) == [1] * ROWS


def test_a_replica_that_is_not_one_is_refused(pair, tmp_path):
    primary, _ = pair
    ini = make_project(tmp_path, primary.url, 10)
    run = Migrate(ini, "--replica", primary.url, "--max-replica-lag", "1")
    try:
        code = run.process.wait(timeout=60)
        errors = run.stderr()
    finally:
        run.close()
    assert code == 2, errors
    assert "cannot tell its lag" in errors and "not" in errors
    assert counters(primary.url) == [0] * 10


def _until_caught_up(url: str) -> None:
    """Wait until the replica shows the backfill's last commit."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    query = "SELECT count(*) FROM items WHERE counter = 1"
    try:
        with engine.connect() as conn:
            eventually(
                lambda: conn.exec_driver_sql(query).scalar() == ROWS,
                timeout=30,
                interval=0.05,
                message="the replica did not catch up",
            )
    finally:
        engine.dispose()
