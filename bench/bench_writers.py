"""Writer processes that load a benchmark's database meanwhile.

Each benchmark runs one process per kind of write (update, insert), each
with its own connection in a closed loop, until told to stop; a process
writes its log to a file that the parent reads back.  What a loop writes
and logs is the benchmark's (``backfill_load.py``, ``widen_pk_load.py``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
KINDS = ("update", "insert")


def connect(backend: str, dsn: dict[str, Any], **postgresql: Any) -> Any:
    """A connection of the backend's driver, not autocommitting;
    ``postgresql`` are psycopg's own options."""
    if backend == "postgresql":
        import psycopg

        return psycopg.connect(
            host=dsn["host"],
            port=dsn["port"] or 5432,
            user=dsn["user"],
            password=dsn["password"],
            dbname=dsn["database"],
            **postgresql,
        )
    import pymysql

    return pymysql.connect(
        host=dsn["host"],
        port=dsn["port"] or 3306,
        user=dsn["user"],
        password=dsn["password"],
        database=dsn["database"],
        autocommit=False,
    )


class Writer:
    """A writer's connection, opened again when even a rollback fails."""

    def __init__(self, open_connection: Callable[[], Any]) -> None:
        self._open = open_connection
        self.conn = open_connection()

    def transaction(
        self, work: Callable[..., T], *args: Any
    ) -> tuple[T | None, Exception | None]:
        """``work(cursor, *args)`` committed: ``(its result, None)``; or
        rolled back: ``(None, the error)``."""
        try:
            with self.conn.cursor() as cursor:
                result = work(cursor, *args)
            self.conn.commit()
            return result, None
        except Exception as err:
            try:
                self.conn.rollback()
            except Exception:
                self.conn = self._open()
            return None, err

    def close(self) -> None:
        self.conn.close()


class WriterProcesses:
    """Start ``loop(kind, stop, path, *args)`` in a process per kind."""

    def __init__(
        self, loop: Callable[..., None], args: tuple[Any, ...], prefix: str
    ) -> None:
        context = mp.get_context("fork")
        self._stop = context.Event()
        self._dir = tempfile.mkdtemp(prefix=prefix)
        self._procs = {
            kind: context.Process(
                target=loop,
                args=(kind, self._stop, self._path(kind), *args),
                daemon=True,
            )
            for kind in KINDS
        }
        for proc in self._procs.values():
            proc.start()

    def _path(self, kind: str) -> str:
        return str(Path(self._dir) / kind)

    def collect(self, timeout: float) -> dict[str, bytes]:
        """Stop the writers; each one's log file, read and removed."""
        self._stop.set()
        logs = {}
        for kind, proc in self._procs.items():
            proc.join(timeout=timeout)
            path = Path(self._path(kind))
            logs[kind] = path.read_bytes()
            path.unlink()
        os.rmdir(self._dir)
        return logs
