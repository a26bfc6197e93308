"""Message ids a server has taken, remembered while they could come back.

A server records the id of every message it admits, with who took it,
until the message would expire (:class:`~zerodown.rpc.signing.Admission`),
and marks it finished once the message is settled.  When the same id
comes again:

* **finished**: it ran; a copy redelivered after a lost connection,
  published twice by a client that retried, or replayed by someone who
  captured it, never runs again;
* **taken by this server, not finished**: it is running here; the broker
  gave a copy back after a connection drop - skip it;
* **taken by another server (or an earlier life of this one), not
  finished, and redelivered by the broker**: its taker died before
  settling it - run it (at least once, as without a store);
* otherwise a second copy of a message in flight elsewhere: skip it.

Only the broker sets ``redelivered``, and a finished message is never run
again, so a captured message cannot be pushed through by having it
requeued.

:class:`MemoryReplayStore` forgets everything when the process stops;
:class:`FileReplayStore` keeps the ids in a SQLite file, so a restart
cannot reopen the window (services should use it).
:class:`SqlReplayStore` keeps them in the deployment's database
(``zerodown_rpc_messages``), shared by every server of a topic: a message
captured on a topic's shared queue and sent to it again would otherwise
run once on each of them.  All are bounded: expired ids are dropped, and
past ``max_entries`` (memory, file) the oldest are.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from zerodown.files import private_file

__all__ = [
    "MESSAGES",
    "FileReplayStore",
    "MemoryReplayStore",
    "ReplayStore",
    "Seen",
    "SqlReplayStore",
    "create_schema",
]

LOG = logging.getLogger(__name__)
DEFAULT_MAX_ENTRIES = 1_000_000
# Expired ids are swept after this many new ones, once they are this many
# seconds past their expiry: a host whose clock is behind the sweeper's
# (by less than the clock skew signatures allow) still finds them.
_SWEEP_EVERY = 1024
_GRACE = 120.0
# Finish marks a shared store keeps for a database that cannot be
# written: past this, more are dropped (their copies count as
# duplicates, not replays; nothing runs twice either way).
_MAX_PENDING = 100_000


@dataclasses.dataclass(frozen=True)
class Seen:
    """What a store knew of a message id before this delivery."""

    owner: str
    finished: bool


class ReplayStore(Protocol):
    """Remembers message ids, their taker and whether they finished."""

    def take(
        self, message_id: str, expires_at: float, owner: str
    ) -> Seen | None:
        """Record that ``owner`` takes ``message_id``: ``None`` if it is
        new, else what was known before (then nothing changes)."""

    def retake(self, message_id: str, owner: str) -> None:
        """``owner`` takes over a message whose taker is gone."""

    def finish(self, message_id: str) -> None:
        """The message is settled: it never runs again."""

    def forget(self, message_id: str) -> None:
        """Drop ``message_id`` (its handling failed; let it come back)."""

    def flush(self) -> None:
        """Write what :meth:`finish` may have deferred (a stopping
        server calls it)."""

    def close(self) -> None:
        """Release what the store holds open."""


@dataclasses.dataclass
class _Entry:
    expires: float
    owner: str
    finished: bool = False


class MemoryReplayStore:
    """Ids in a dict, oldest first; gone with the process."""

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_entries, self.clock = max_entries, clock
        self._ids: collections.OrderedDict[str, _Entry] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()
        self._added = 0

    def take(
        self, message_id: str, expires_at: float, owner: str
    ) -> Seen | None:
        with self._lock:
            entry = self._ids.get(message_id)
            if entry is not None:
                return Seen(entry.owner, entry.finished)
            self._ids[message_id] = _Entry(expires_at, owner)
            self._added += 1
            if self._added % _SWEEP_EVERY == 0:
                self._sweep(self.clock())
            while len(self._ids) > self.max_entries:
                self._ids.popitem(last=False)
            return None

    def _sweep(self, now: float) -> None:
        cutoff = now - _GRACE
        expired = [i for i, e in self._ids.items() if e.expires < cutoff]
        for message_id in expired:
            del self._ids[message_id]

    def retake(self, message_id: str, owner: str) -> None:
        with self._lock:
            entry = self._ids.get(message_id)
            if entry is not None:
                entry.owner = owner

    def finish(self, message_id: str) -> None:
        with self._lock:
            entry = self._ids.get(message_id)
            if entry is not None:
                entry.finished = True

    def forget(self, message_id: str) -> None:
        with self._lock:
            self._ids.pop(message_id, None)

    def flush(self) -> None:
        pass

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

    def take(
        self, message_id: str, expires_at: float, owner: str
    ) -> Seen | None:
        with self._lock, self._transaction() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO seen (id, expires, owner, finished) "
                "VALUES (?, ?, ?, 0)",
                (message_id, expires_at, owner),
            ).rowcount
            if not inserted:
                row = db.execute(
                    "SELECT owner, finished FROM seen WHERE id = ?",
                    (message_id,),
                ).fetchone()
                return Seen(str(row[0]), bool(row[1]))
            self._added += 1
            if self._added % _SWEEP_EVERY == 0:
                self._sweep(db)
            return None

    def _sweep(self, db: sqlite3.Connection) -> None:
        db.execute(
            "DELETE FROM seen WHERE expires < ?", (self.clock() - _GRACE,)
        )
        db.execute(
            "DELETE FROM seen WHERE rowid <= "
            "(SELECT max(rowid) FROM seen) - ?",
            (self.max_entries,),
        )

    def retake(self, message_id: str, owner: str) -> None:
        self._execute(
            "UPDATE seen SET owner = ? WHERE id = ?", owner, message_id
        )

    def finish(self, message_id: str) -> None:
        self._execute("UPDATE seen SET finished = 1 WHERE id = ?", message_id)

    def forget(self, message_id: str) -> None:
        self._execute("DELETE FROM seen WHERE id = ?", message_id)

    def flush(self) -> None:
        pass

    def _execute(self, sql: str, *params: object) -> None:
        with self._lock, self._transaction() as db:
            db.execute(sql, params)

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
        "CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, "
        "expires REAL NOT NULL, owner TEXT NOT NULL, "
        "finished INTEGER NOT NULL)"
    )
    return db


_METADATA = sa.MetaData()
#: The ids taken by the servers of shared topics, until they expire.
MESSAGES = sa.Table(
    "zerodown_rpc_messages",
    _METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("expires", sa.Float, nullable=False, index=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("finished", sa.Boolean, nullable=False),
)


def create_schema(engine: sa.Engine) -> None:
    """Create :data:`MESSAGES` if it does not exist."""
    _METADATA.create_all(engine, checkfirst=True)


class SqlReplayStore:
    """Ids in the deployment's database, shared by a topic's servers.

    The id is the table's primary key: of two servers taking the same
    message at once, one insert wins.  Expired rows are swept now and
    then by whoever inserts.  While the database cannot be written, ids
    go to ``fallback`` (this server's own store) and the message is still
    handled: a database outage costs the sharing, not the service.

    A take is written at once (it is the claim); a finish is written
    with others, ``finish_delay`` seconds later at most, in one
    statement.  On a shared queue nothing runs a message taken and not
    finished (a taker that died is not told from a live sibling), so the
    delay changes only what a copy arriving meanwhile is counted as: a
    duplicate rather than a replay.  ``fallback`` records the finish at
    once.  Two transactions a message were a third of a conductor's time
    on SQLite, whose writers take turns.
    """

    def __init__(
        self,
        engine: sa.Engine,
        fallback: ReplayStore | None = None,
        clock: Callable[[], float] = time.time,
        finish_delay: float = 0.2,
    ) -> None:
        self.engine, self.clock = engine, clock
        self.fallback: ReplayStore = fallback or MemoryReplayStore()
        self.finish_delay = finish_delay
        self._added = 0
        self._finished: set[str] = set()  # keys whose mark is not written
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one flush at a time
        self._flush_due = threading.Event()
        self._closed = threading.Event()
        self._flusher: threading.Thread | None = None

    def take(
        self, message_id: str, expires_at: float, owner: str
    ) -> Seen | None:
        row = {
            "id": _key(message_id),
            "expires": expires_at,
            "owner": owner[:64],
            "finished": False,
        }
        try:
            return self._insert(row)
        except sa.exc.SQLAlchemyError as err:
            LOG.warning(
                "shared replay store unavailable, using this server's: %s",
                str(err).splitlines()[0],
            )
            return self.fallback.take(message_id, expires_at, owner)

    def _insert(self, row: dict[str, object]) -> Seen | None:
        try:
            with self.engine.begin() as conn:
                conn.execute(MESSAGES.insert().values(**row))
                self._added += 1
                if self._added % _SWEEP_EVERY == 0:
                    conn.execute(
                        MESSAGES.delete().where(
                            MESSAGES.c.expires < self.clock() - _GRACE
                        )
                    )
            return None
        except sa.exc.IntegrityError:
            pass
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(MESSAGES.c.owner, MESSAGES.c.finished).where(
                    MESSAGES.c.id == row["id"]
                )
            ).first()
        if found is None:  # swept in between: a new message after all
            return self._insert(row)
        with self._lock:
            finished = bool(found[1]) or row["id"] in self._finished
        return Seen(str(found[0]), finished)

    def retake(self, message_id: str, owner: str) -> None:
        self.fallback.retake(message_id, owner)
        self._update(_key(message_id), owner=owner[:64])

    def finish(self, message_id: str) -> None:
        self.fallback.finish(message_id)
        with self._lock:
            if self._closed.is_set():
                self._update(_key(message_id), finished=True)
                return
            self._finished.add(_key(message_id))
            if self._flusher is None:
                self._flusher = threading.Thread(
                    target=self._flush_now_and_then,
                    name="replay-finish-marks",
                    daemon=True,
                )
                self._flusher.start()
        self._flush_due.set()

    def _flush_now_and_then(self) -> None:
        while not self._closed.is_set():
            self._flush_due.wait()
            # Gather what finishes meanwhile into the same statement.
            self._closed.wait(self.finish_delay)
            self._flush_due.clear()
            try:
                self.flush()
            except Exception:  # the marks wait for the next round
                LOG.exception("writing finish marks failed")

    def flush(self) -> None:
        """Write the pending finish marks; returns once they are (or
        those of a flush already running).  Marks a failed write loses
        are put back for the next one, at most :data:`_MAX_PENDING`."""
        with self._writing:
            with self._lock:
                keys, self._finished = sorted(self._finished), set()
            for start in range(0, len(keys), 500):
                batch = keys[start : start + 500]
                try:
                    with self.engine.begin() as conn:
                        conn.execute(
                            MESSAGES.update()
                            .where(MESSAGES.c.id.in_(batch))
                            .values(finished=True)
                        )
                except sa.exc.SQLAlchemyError as err:
                    LOG.warning(
                        "could not write %d finish marks (kept for the "
                        "next try): %s",
                        len(batch),
                        str(err).splitlines()[0],
                    )
                    with self._lock:
                        room = _MAX_PENDING - len(self._finished)
                        self._finished.update(keys[start:][: max(room, 0)])
                    return

    def _update(self, key: str, **values: object) -> None:
        with (
            contextlib.suppress(sa.exc.SQLAlchemyError),
            self.engine.begin() as conn,
        ):
            conn.execute(
                MESSAGES.update().where(MESSAGES.c.id == key).values(**values)
            )

    def forget(self, message_id: str) -> None:
        self.fallback.forget(message_id)
        key = _key(message_id)
        with self._lock:
            self._finished.discard(key)
        with (
            contextlib.suppress(sa.exc.SQLAlchemyError),
            self.engine.begin() as conn,
        ):
            conn.execute(MESSAGES.delete().where(MESSAGES.c.id == key))

    def close(self) -> None:
        self._closed.set()
        self._flush_due.set()
        flusher = self._flusher
        if flusher is not None:
            flusher.join(5)
        self.flush()
        self.fallback.close()


def _key(message_id: str) -> str:
    # A signed peer chooses its ids; long ones are stored by their hash.
    if len(message_id) <= 32 and message_id.isascii():
        return message_id
    digest = hashlib.sha256(message_id.encode("utf-8", "surrogatepass"))
    return "h:" + digest.hexdigest()[:62]
