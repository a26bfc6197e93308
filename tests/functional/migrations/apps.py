"""Two releases of a tiny app writing concurrently, for online operations.

Each :class:`Writer` is one release's code: it inserts rows and updates only
rows it owns, remembering the last value it wrote to each, so that after
the upgrade every row can be checked against what its writer last said.
A test waits for a writer's progress (:meth:`Writer.wait_writes`), never
for time to pass.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

Write = Callable[[sa.Connection, int | None, str], int]
# Seconds between two writes of a running writer: the DDL it races gets a
# moment on SQLite's single file lock.  Pacing, not synchronisation.
PAUSE = 0.002
# How long a test waits for a writer's progress before it fails.
PATIENCE = 60.0
# Times a writer runs a transaction a deadlock rolled back.
DEADLOCK_TRIES = 5


def _deadlock(err: sa.exc.OperationalError) -> bool:
    """MySQL/MariaDB's 1213 or PostgreSQL's 40P01."""
    args = getattr(err.orig, "args", ())
    code = getattr(err.orig, "sqlstate", None)
    return (bool(args) and args[0] == 1213) or code == "40P01"


class Writer(threading.Thread):
    """One release's code writing in a loop, in its own thread.

    ``step()`` makes one write in the calling thread (rows that exist
    before the upgrade); ``start()`` writes until ``stop()``.  ``pause()``
    and ``resume()`` take the release off and back (a rollback), and
    ``wait_writes(n, since=mark)`` returns once ``n`` writes committed
    after ``mark`` (a value of ``writes``), or raises the writer's error.
    """

    def __init__(self, name: str, engine: sa.Engine, write: Write) -> None:
        super().__init__(name=name, daemon=True)
        self.engine, self.write = engine, write
        self.owned: dict[int, str] = {}
        self.errors: list[BaseException] = []
        self.writes = 0
        self.slowest = 0.0  # seconds, the longest write transaction
        self.deadlocks = 0  # transactions rolled back by one, run again
        self._progress = threading.Condition()
        self._halt = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._idle = threading.Event()
        self._random = random.Random(name)

    def run(self) -> None:
        try:
            self._loop()
        finally:
            self._idle.set()  # a writer that ended is idle too

    def _loop(self) -> None:
        while not self._halt.is_set():
            if not self._running.is_set():
                self._idle.set()
                self._running.wait()
                continue
            try:
                self.step()
            except BaseException as err:  # raised by wait_writes / check
                with self._progress:
                    self.errors.append(err)
                    self._progress.notify_all()
                return
            self._halt.wait(PAUSE)

    def step(self) -> None:
        value = f"{self.name}-{self.writes}"
        row = None
        if self.owned and self._random.random() < 0.6:
            row = self._random.choice(sorted(self.owned))
        started = time.monotonic()
        for attempt in itertools.count(1):
            try:
                with self.engine.begin() as conn:
                    row = self.write(conn, row, value)
                break
            except sa.exc.OperationalError as err:
                # A deadlock's victim is rolled back whole; an application
                # runs it again (oslo.db's retry_on_deadlock), as InnoDB's
                # and PostgreSQL's documentation ask.  Two releases' writes
                # through dual-write triggers can meet in one.
                if not _deadlock(err) or attempt == DEADLOCK_TRIES:
                    raise
                self.deadlocks += 1
        self.slowest = max(self.slowest, time.monotonic() - started)
        with self._progress:
            self.owned[row] = value
            self.writes += 1
            self._progress.notify_all()

    def wait_writes(self, count: int, since: int | None = None) -> None:
        """Return once ``count`` writes committed after ``since`` (a value
        of ``writes``; default: now)."""
        target = (self.writes if since is None else since) + count
        with self._progress:
            done = self._progress.wait_for(
                lambda: self.writes >= target or bool(self.errors),
                timeout=PATIENCE,
            )
        self.check()
        assert done, f"{self.name} made {self.writes} of {target} writes"

    def pause(self) -> None:
        """Stop writing until :meth:`resume`; returns once idle."""
        if self._running.is_set():
            self._idle.clear()
            self._running.clear()
        if self.is_alive():
            assert self._idle.wait(PATIENCE), f"{self.name} did not pause"
        self.check()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._halt.set()
        self._running.set()
        if self.ident is None:  # never started: it wrote by step() only
            return
        self.join(timeout=PATIENCE)
        assert not self.is_alive(), f"{self.name} did not stop"

    def check(self) -> None:
        """Raise what made the writer stop, if anything did."""
        if self.errors:
            raise AssertionError(f"{self.name} failed") from self.errors[0]


def engine_for(url: str, prepare: bool = True) -> sa.Engine:
    """The releases' engine.  Writers wait for DDL on SQLite's whole-file
    lock instead of failing.  Without ``prepare``, psycopg 3 does not
    prepare statements on the server (it does from a statement's fifth
    run, and PostgreSQL refuses to run a prepared statement whose result
    changed type, as an ``INSERT ... RETURNING id`` does once
    widen_primary_key swapped the key; psycopg2 never prepares)."""
    args: dict[str, Any] = {}
    if url.startswith("sqlite"):
        args["timeout"] = 60
    elif url.startswith("postgresql") and not prepare:
        args["prepare_threshold"] = None
    return sa.create_engine(url, connect_args=args, pool_pre_ping=True)


def number(value: str) -> int:
    """A writer's value as a number (for integer columns): stable, and
    distinct for distinct values in practice."""
    return zlib.crc32(value.encode()) % 10**8


def column_writer(
    table: str,
    *columns: str,
    convert: Callable[[str], Any] = str,
    fixed: dict[str, Any] | None = None,
) -> Write:
    """A release that knows ``table`` only through ``columns``: it writes
    the same value to each (``convert``-ed: ``number`` for an integer
    column), and ``fixed`` values on insert (a NOT NULL column it does
    not otherwise care about)."""
    meta = sa.MetaData()
    t = sa.Table(
        table,
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        *(sa.Column(column) for column in [*columns, *(fixed or {})]),
    )

    def write(conn: sa.Connection, row: int | None, value: str) -> int:
        values = dict.fromkeys(columns, convert(value))
        if row is None:
            result = conn.execute(
                t.insert().values({**(fixed or {}), **values})
            )
            return int(result.inserted_primary_key[0])
        conn.execute(t.update().where(t.c.id == row).values(values))
        return row

    return write


_keys = itertools.count()
_keys_lock = threading.Lock()


def _new_key() -> str:
    with _keys_lock:
        return f"key-{next(_keys):06d}"


def move_writers(
    source: str,
    target: str,
    key: str,
    column: str,
    target_key: str | None = None,
) -> tuple[Write, Write]:
    """The two releases of ``column`` moving from ``source`` to ``target``
    (one target row per source row: ``target.target_key`` holds the
    source's ``key``, default the same name), as Nova writes ``instances``
    and ``instance_extra``: the parent row first.

    The old release writes ``source.column`` and inserts target rows
    without it; the new one writes ``target.column`` only, finding the
    target row by key (MySQL cannot copy back a statement that reads the
    source while it writes the target).  Rows are the source's ids.
    """
    joined = target_key or key

    def tables(moved_to: str) -> tuple[sa.Table, sa.Table]:
        meta = sa.MetaData()
        return tuple(  # type: ignore[return-value]
            sa.Table(
                name,
                meta,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column(key if name == source else joined, sa.String(36)),
                *([sa.Column(column, sa.Text)] if name == moved_to else []),
            )
            for name in (source, target)
        )

    def release(moved_to: str) -> Write:
        src, tgt = tables(moved_to)
        written = src if moved_to == source else tgt
        written_key = written.c[key if written is src else joined]

        def write(conn: sa.Connection, row: int | None, value: str) -> int:
            extra = {column: value}
            if row is None:
                found = _new_key()
                result = conn.execute(
                    src.insert().values(
                        {key: found, **(extra if written is src else {})}
                    )
                )
                conn.execute(
                    tgt.insert().values(
                        {joined: found, **(extra if written is tgt else {})}
                    )
                )
                return int(result.inserted_primary_key[0])
            found = conn.execute(
                sa.select(src.c[key]).where(src.c.id == row)
            ).scalar_one()
            conn.execute(
                written.update().where(written_key == found).values(extra)
            )
            return row

        return write

    return release(source), release(target)
