"""A batched ``UPDATE`` that walks a table in primary-key order.

Each batch first finds its upper key, the ``max_count``-th row after the
cursor that still needs work, then updates the rows between the cursor and
that key in one statement::

    SELECT COUNT(*), MAX(k) FROM (
        SELECT t.k FROM t WHERE t.k > :after AND (<where>)
        ORDER BY t.k LIMIT <max_count>) AS zd_window
    UPDATE t SET <assignments> WHERE t.k > :after AND t.k <= :upper
        AND (<where>)

Finding the bound first works on every backend (MySQL and MariaDB refuse
``LIMIT`` inside an ``IN`` subquery), keeps each batch on one key range
(index range scans, no rescans of rows already done) and leaves the
cursor at a real key, saved with the batch.  Composite keys compare as row
values on PostgreSQL and SQLite and as the expanded ``a > x OR (a = x AND
b > y)`` on MySQL, whose optimiser ranges only on the leading column.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from zerodown.migrations import sqltext
from zerodown.migrations.data.protocol import DataContext
from zerodown.migrations.errors import InvalidDataMigration

__all__ = ["KeysetBackfill", "decode_key", "encode_key"]


@dataclass(frozen=True)
class KeysetBackfill:
    """``UPDATE table SET assignments [WHERE where]`` in key-ordered batches.

    :param name: unique and stable: progress is stored under it.
    :param table: the table to update (``schema`` qualifies it).
    :param key: its primary key (or any unique, NOT NULL, indexed columns).
    :param assignments: SQL of the ``SET`` clause, over the table's columns.
    :param where: SQL that is true for rows that still need the update; an
        idempotent backfill names it, so that re-runs skip finished rows.

    ``found`` counts the rows of a batch that match ``where``, ``done``
    those the ``UPDATE`` changed; a batch that finds no row after the
    cursor ends the migration.  Each row is updated once: the cursor only
    moves forward, so even a non-idempotent assignment is safe.
    """

    name: str
    table: str
    key: tuple[str, ...]
    assignments: str
    where: str | None = None
    schema: str | None = None
    _sql: dict[tuple[str, bool], _Statements] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if isinstance(self.key, str):
            object.__setattr__(self, "key", (self.key,))
        if not self.key:
            raise InvalidDataMigration(
                source=self.name,
                problem=f"table {self.table} has no primary key to walk; "
                "give key= unique NOT NULL columns",
            )

    def __call__(self, ctx: DataContext, max_count: int) -> tuple[int, int]:
        connection = ctx.connection
        after = _decoded(ctx.cursor.get("after"))
        sql = self._statements(connection.dialect, after is not None)
        params = _params("zd_lo", after)
        window = connection.execute(sql.window(max_count), params).first()
        if window is None or not window[0]:
            return 0, 0
        found, upper = int(window[0]), tuple(window[1:])
        params |= _params("zd_hi", upper)
        done = connection.execute(sql.update, params).rowcount
        ctx.cursor["after"] = [encode_key(value) for value in upper]
        return found, max(int(done), 0)

    def estimate(
        self, connection: sa.Connection, cursor: dict[str, Any]
    ) -> int | None:
        """Rows after ``cursor`` that match ``where`` (a full count)."""
        after = _decoded(cursor.get("after"))
        sql = self._statements(connection.dialect, after is not None)
        params = _params("zd_lo", after)
        return int(connection.execute(sql.count, params).scalar_one())

    def _statements(self, dialect: sa.Dialect, bounded: bool) -> _Statements:
        cache_key = (dialect.name, bounded)
        if cache_key not in self._sql:
            self._sql[cache_key] = _Statements.build(self, dialect, bounded)
        return self._sql[cache_key]


@dataclass(frozen=True)
class _Statements:
    window: Callable[[int], sa.TextClause]
    update: sa.TextClause
    count: sa.TextClause

    @classmethod
    def build(
        cls, backfill: KeysetBackfill, dialect: sa.Dialect, bounded: bool
    ) -> _Statements:
        # Names and the given SQL are escaped before the statements get
        # their own parameters (see zerodown.migrations.sqltext).
        quote = sqltext.quoter(dialect)
        table = sqltext.escape_binds(quote(backfill.table))
        if backfill.schema:
            schema = sqltext.escape_binds(quote(backfill.schema))
            table = f"{schema}.{table}"
        columns = [
            f"{table}.{sqltext.escape_binds(quote(k))}" for k in backfill.key
        ]
        compare = _expanded if dialect.name == "mysql" else _row_value
        lower = [compare(columns, ">", "zd_lo")] if bounded else []
        where = backfill.where
        given = [f"({sqltext.escape_binds(where)})"] if where else []
        todo = " AND ".join(lower + given) or "1 = 1"
        inside = " AND ".join(
            [*lower, compare(columns, "<=", "zd_hi"), *given]
        )
        assignments = sqltext.escape_binds(backfill.assignments)
        return cls(
            window=_window(table, columns, todo),
            update=sa.text(f"UPDATE {table} SET {assignments} WHERE {inside}"),
            count=sa.text(f"SELECT COUNT(*) FROM {table} WHERE {todo}"),
        )


def _window(
    table: str, columns: list[str], todo: str
) -> Callable[[int], sa.TextClause]:
    labels = [f"zd_k{i}" for i in range(len(columns))]
    picked = ", ".join(
        f"{c} AS {label}" for c, label in zip(columns, labels, strict=True)
    )
    order = ", ".join(columns)
    if len(columns) == 1:
        head = f"SELECT COUNT(*), MAX({labels[0]})"
        tail = ""
    else:  # the last row of the window, with the window's size
        head = f"SELECT COUNT(*) OVER (), {', '.join(labels)}"
        tail = " ORDER BY " + ", ".join(f"{label} DESC" for label in labels)
        tail += " LIMIT 1"
    cache: dict[int, sa.TextClause] = {}

    def window(limit: int) -> sa.TextClause:
        # The limit is inlined: PostgreSQL plans a bound LIMIT as "10% of
        # the table" in a generic plan, and the size changes each batch.
        if limit not in cache:
            if len(cache) > 64:
                cache.clear()
            cache[limit] = sa.text(
                f"{head} FROM (SELECT {picked} FROM {table} WHERE {todo} "
                f"ORDER BY {order} LIMIT {max(int(limit), 1)}) AS zd_window"
                f"{tail}"
            )
        return cache[limit]

    return window


def _row_value(columns: Sequence[str], op: str, prefix: str) -> str:
    binds = [f":{prefix}{i}" for i in range(len(columns))]
    if len(columns) == 1:
        return f"{columns[0]} {op} {binds[0]}"
    return f"({', '.join(columns)}) {op} ({', '.join(binds)})"


def _expanded(columns: Sequence[str], op: str, prefix: str) -> str:
    """``(a, b) > (x, y)`` as ``a >= x AND (a > x OR (a = x AND b > y))``."""
    binds = [f":{prefix}{i}" for i in range(len(columns))]
    if len(columns) == 1:
        return f"{columns[0]} {op} {binds[0]}"
    strict = op.rstrip("=")
    last = f"{columns[-1]} {op} {binds[-1]}"
    for column, bind in zip(
        reversed(columns[:-1]), reversed(binds[:-1]), strict=True
    ):
        last = f"({column} {strict} {bind} OR ({column} = {bind} AND {last}))"
    lead = "<=" if strict == "<" else ">="
    return f"{columns[0]} {lead} {binds[0]} AND {last}"


def _params(prefix: str, values: Sequence[Any] | None) -> dict[str, Any]:
    if values is None:
        return {}
    return {f"{prefix}{i}": value for i, value in enumerate(values)}


def _decoded(stored: Any) -> tuple[Any, ...] | None:
    if stored is None:
        return None
    return tuple(decode_key(value) for value in stored)


# Keys go to the JSON cursor: JSON's own types pass as they are, the other
# usual key types as a tagged string that decodes back to the same type.
_TAGGED: dict[str, tuple[type[Any], Callable[[str], Any]]] = {
    "datetime": (datetime.datetime, datetime.datetime.fromisoformat),
    "date": (datetime.date, datetime.date.fromisoformat),
    "decimal": (decimal.Decimal, decimal.Decimal),
    "uuid": (uuid.UUID, uuid.UUID),
    "bytes": (bytes, bytes.fromhex),
}


def encode_key(value: Any) -> Any:
    """A key value as JSON can store it (see :func:`decode_key`)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    for tag, (kind, _) in _TAGGED.items():
        if isinstance(value, kind):
            text = value.hex() if isinstance(value, bytes) else str(value)
            if isinstance(value, (datetime.date, datetime.datetime)):
                text = value.isoformat()
            return {"$": tag, "v": text}
    raise InvalidDataMigration(
        source=repr(value),
        problem=f"a key of type {type(value).__name__} cannot be stored "
        "in the cursor",
    )


def decode_key(stored: Any) -> Any:
    """The key value :func:`encode_key` stored."""
    if isinstance(stored, dict):
        return _TAGGED[stored["$"]][1](stored["v"])
    return stored
