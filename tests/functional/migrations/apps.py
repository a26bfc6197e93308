"""Two releases of a tiny app writing concurrently, for online operations.

Each :class:`Writer` is one release's code: it inserts rows and updates only
rows it owns, remembering the last value it wrote to each, so that after
the upgrade every row can be checked against what its writer last said.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

Write = Callable[[sa.Connection, int | None, str], int]


@dataclass(eq=False)
class Writer(threading.Thread):
    name_: str
    engine: sa.Engine
    write: Write  # (conn, row id or None to insert, value) -> row id
    owned: dict[int, str] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)
    writes: int = 0

    def __post_init__(self) -> None:
        threading.Thread.__init__(self, name=self.name_, daemon=True)
        self._halt = threading.Event()
        self._random = random.Random(self.name_)

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.step()
            except BaseException as err:  # recorded, asserted by the test
                self.errors.append(err)
                return
            time.sleep(0.002)

    def step(self) -> None:
        value = f"{self.name_}-{self.writes}"
        row = None
        if self.owned and self._random.random() < 0.6:
            row = self._random.choice(sorted(self.owned))
        with self.engine.begin() as conn:
            row = self.write(conn, row, value)
        self.owned[row] = value
        self.writes += 1

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=60)
        assert not self.is_alive(), f"{self.name_} did not stop"


def engine_for(url: str) -> sa.Engine:
    # Writers wait for DDL on SQLite's whole-file lock instead of failing.
    args = {"timeout": 60} if url.startswith("sqlite") else {}
    return sa.create_engine(url, connect_args=args, pool_pre_ping=True)


def column_writer(table: str, *columns: str) -> Write:
    """A release that knows ``table`` only through ``columns`` (it writes
    the same value to each)."""
    meta = sa.MetaData()
    t = sa.Table(
        table,
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        *(sa.Column(column, sa.String(100)) for column in columns),
    )

    def write(conn: sa.Connection, row: int | None, value: str) -> int:
        values = dict.fromkeys(columns, value)
        if row is None:
            result = conn.execute(t.insert().values(values))
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
    source: str, target: str, key: str, column: str
) -> tuple[Write, Write]:
    """The two releases of ``column`` moving from ``source`` to ``target``
    (one target row per source row, joined on ``key`` in both), as Nova
    writes ``instances`` and ``instance_extra``: the parent row first.

    The old release writes ``source.column`` and inserts target rows
    without it; the new one writes ``target.column`` only, finding the
    target row by key (MySQL cannot copy back a statement that reads the
    source while it writes the target).  Rows are the source's ids.
    """

    def tables(moved_to: str) -> tuple[sa.Table, sa.Table]:
        meta = sa.MetaData()
        return tuple(  # type: ignore[return-value]
            sa.Table(
                name,
                meta,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column(key, sa.String(36)),
                *([sa.Column(column, sa.Text)] if name == moved_to else []),
            )
            for name in (source, target)
        )

    def release(moved_to: str) -> Write:
        src, tgt = tables(moved_to)
        written = src if moved_to == source else tgt

        def write(conn: sa.Connection, row: int | None, value: str) -> int:
            if row is None:
                found = _new_key()
                extra = {column: value}
                result = conn.execute(
                    src.insert().values(
                        {key: found, **(extra if written is src else {})}
                    )
                )
                conn.execute(
                    tgt.insert().values(
                        {key: found, **(extra if written is tgt else {})}
                    )
                )
                return int(result.inserted_primary_key[0])
            found = conn.execute(
                sa.select(src.c[key]).where(src.c.id == row)
            ).scalar_one()
            conn.execute(
                written.update()
                .where(written.c[key] == found)
                .values({column: value})
            )
            return row

        return write

    return release(source), release(target)
