"""The embedded broker's SQLite connection: WAL, and a quick wait for the
write lock.

Every publish, claim and acknowledgement is a write, and a call makes six
of them across four threads of two processes, so writers meet often.
SQLite's own busy handler sleeps 1 ms, then 2, 5, 10 ms... before it tries
again: most of a call's time when that happens.  A writer that finds the
lock taken here retries after 50 µs, doubling up to 2 ms, for up to
:data:`BUSY_TIMEOUT` seconds in all.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from zerodown.files import private_file

__all__ = ["BUSY_TIMEOUT", "Database"]

BUSY_TIMEOUT = 30.0
_FIRST_PAUSE = 0.00005
_LONGEST_PAUSE = 0.002


class Database:
    """A SQLite connection in autocommit mode whose statements wait for a
    busy database in short steps."""

    def __init__(self, path: str, schema: str) -> None:
        private_file(path)
        self.conn = sqlite3.connect(
            path, timeout=0.0, isolation_level=None, check_same_thread=False
        )
        self.execute("PRAGMA journal_mode=WAL")
        self.execute("PRAGMA synchronous=NORMAL")
        self._retry(self.conn.executescript, schema)

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        cursor: sqlite3.Cursor = self._retry(self.conn.execute, sql, params)
        return cursor

    def executemany(self, sql: str, rows: Iterable[Any]) -> sqlite3.Cursor:
        cursor: sqlite3.Cursor = self._retry(
            self.conn.executemany, sql, list(rows)
        )
        return cursor

    def close(self) -> None:
        self.conn.close()

    @staticmethod
    def _retry(run: Any, *args: Any) -> Any:
        pause, deadline = _FIRST_PAUSE, 0.0
        while True:
            try:
                return run(*args)
            except sqlite3.OperationalError as err:
                if not _busy(err):
                    raise
                now = time.monotonic()
                if not deadline:
                    deadline = now + BUSY_TIMEOUT
                elif now >= deadline:
                    raise
            time.sleep(pause)
            pause = min(_LONGEST_PAUSE, pause * 2)


def _busy(err: sqlite3.OperationalError) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(err)
    return "locked" in text or "busy" in text
