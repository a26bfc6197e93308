"""Message ids a server has taken, remembered while they could come back.

A server records the id of every message it admits until the message
would expire (:class:`~zerodown.rpc.signing.Admission`).  The same id
again is a message redelivered after a lost connection, published twice
by a client that retried, or replayed by someone who captured it: it is
not run a second time.

:class:`MemoryReplayStore` forgets everything when the process stops;
:class:`FileReplayStore` keeps the ids in a SQLite file, so a restart
cannot reopen the window (services should use it: a message signed for
this server could otherwise be run once more after every restart, for as
long as it is valid).  Both are bounded: expired ids are dropped, and
past ``max_entries`` the oldest are.
"""

from __future__ import annotations

import collections
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from zerodown.files import private_file

__all__ = ["FileReplayStore", "MemoryReplayStore", "ReplayStore"]

DEFAULT_MAX_ENTRIES = 1_000_000
# Expired ids are swept after this many new ones.
_SWEEP_EVERY = 1024


class ReplayStore(Protocol):
    """Remembers message ids until they expire."""

    def first_time(self, message_id: str, expires_at: float) -> bool:
        """Record ``message_id``; ``False`` if it was recorded already."""

    def forget(self, message_id: str) -> None:
        """Drop ``message_id`` (its handling failed; let it come back)."""

    def close(self) -> None:
        """Release what the store holds open."""


class MemoryReplayStore:
    """Ids in a dict, oldest first; gone with the process."""

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_entries, self.clock = max_entries, clock
        self._ids: collections.OrderedDict[str, float] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()
        self._added = 0

    def first_time(self, message_id: str, expires_at: float) -> bool:
        with self._lock:
            if message_id in self._ids:
                return False
            self._ids[message_id] = expires_at
            self._added += 1
            if self._added % _SWEEP_EVERY == 0:
                self._sweep(self.clock())
            while len(self._ids) > self.max_entries:
                self._ids.popitem(last=False)
            return True

    def _sweep(self, now: float) -> None:
        expired = [i for i, until in self._ids.items() if until < now]
        for message_id in expired:
            del self._ids[message_id]

    def forget(self, message_id: str) -> None:
        with self._lock:
            self._ids.pop(message_id, None)

    def close(self) -> None:
        pass

    def __len__(self) -> int:
        return len(self._ids)


class FileReplayStore:
    """Ids in a SQLite file (created ``0600``), kept across restarts.

    One file per server: WAL with ``synchronous=NORMAL`` survives the
    process being killed (a machine crash may lose the last writes).
    """

    def __init__(
        self,
        path: str | Path,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.max_entries, self.clock = max_entries, clock
        self._lock = threading.Lock()
        self._added = 0
        self._db = _open(self.path)

    def first_time(self, message_id: str, expires_at: float) -> bool:
        with self._lock, self._transaction() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO seen (id, expires) VALUES (?, ?)",
                (message_id, expires_at),
            ).rowcount
            self._added += 1
            if inserted and self._added % _SWEEP_EVERY == 0:
                self._sweep(db)
            return bool(inserted)

    def _sweep(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM seen WHERE expires < ?", (self.clock(),))
        db.execute(
            "DELETE FROM seen WHERE rowid <= "
            "(SELECT max(rowid) FROM seen) - ?",
            (self.max_entries,),
        )

    def forget(self, message_id: str) -> None:
        with self._lock, self._transaction() as db:
            db.execute("DELETE FROM seen WHERE id = ?", (message_id,))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db:
            yield self._db

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _open(path: Path) -> sqlite3.Connection:
    # Private: the ids say what this server was sent, and nobody else
    # should grow or shrink the file.
    private_file(path)
    db = sqlite3.connect(path, check_same_thread=False, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS seen "
        "(id TEXT PRIMARY KEY, expires REAL NOT NULL)"
    )
    return db
