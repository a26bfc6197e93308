"""A backfill run by the real ``zerodown db migrate`` in a subprocess, its
JSON events read as they come, so a test can act on the database while
the runner waits (hold a lock, pause a replica) and see it react."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from zerodown.migrations import command

MODULE = """
from zerodown.migrations.data import KeysetBackfill

data_migrations = [
    KeysetBackfill(
        name="bump_items",
        table="items",
        key=("id",),
        assignments="counter = counter + 1",
    )
]
"""


def make_project(root: Path, url: str, rows: int) -> Path:
    """A project on ``url`` whose one data migration bumps ``rows`` rows
    of ``items`` by one (not idempotent: a row done twice shows)."""
    command.init(root / "migrations", root / "alembic.ini", url)
    (root / "throttled_migration.py").write_text(MODULE)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, "
            "counter INTEGER NOT NULL)"
        )
        conn.execute(
            sa.text("INSERT INTO items VALUES (:i, 0)"),
            [{"i": i} for i in range(1, rows + 1)],
        )
    engine.dispose()
    return root / "alembic.ini"


def counters(url: str) -> list[int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = [
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT counter FROM items ORDER BY id"
            )
        ]
    engine.dispose()
    return found


class Migrate:
    """``zerodown db migrate --format json ARGS`` running; read its events
    with :meth:`until`, then :meth:`finish`.  Killed after ``timeout``
    seconds whatever happens, so a hung runner fails the test."""

    def __init__(
        self,
        ini: Path,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 90,
    ) -> None:
        argv = [
            str(Path(sys.executable).with_name("zerodown")),
            "db",
            "-c",
            str(ini),
            "migrate",
            "--format",
            "json",
            *args,
        ]
        # closed by close(), which every test calls in a finally
        self._errors = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            argv,
            env={
                **os.environ,
                "PYTHONPATH": str(ini.parent),
                "ZERODOWN_DATA_MIGRATIONS": "throttled_migration",
                **(env or {}),
            },
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
        )
        self.events: list[dict[str, Any]] = []
        self._timer = threading.Timer(timeout, self.process.kill)
        self._timer.start()

    def until(self, kinds: Iterable[str]) -> dict[str, Any]:
        """Read events up to and including the next of ``kinds``."""
        wanted = set(kinds)
        assert self.process.stdout is not None
        for line in self.process.stdout:
            event = json.loads(line)
            self.events.append(event)
            if event["event"] in wanted:
                return event
        raise AssertionError(
            f"no {wanted} event; saw {self.kinds()}; stderr: {self.stderr()}"
        )

    def finish(self) -> tuple[int, dict[str, Any]]:
        """Read the rest; the exit code and the summary."""
        summary = self.until(["summary"])
        code = self.process.wait()
        self._timer.cancel()
        return code, summary

    def kinds(self) -> list[str]:
        return [event["event"] for event in self.events]

    def done(self) -> int:
        """Rows the batches reported so far."""
        return sum(e["done"] for e in self.events if e["event"] == "batch")

    def close(self) -> None:
        self._timer.cancel()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._errors.close()

    def stderr(self) -> str:
        self.process.kill()
        self.process.wait()
        self._errors.seek(0)
        return self._errors.read()[-2000:]
