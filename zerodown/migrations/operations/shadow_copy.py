"""The batched copy of a table into its shadow (MySQL/MariaDB), as a data
migration that ``zerodown db migrate`` runs.

It walks the table in key order like :class:`KeysetBackfill` (the same
window query finds each batch's upper key) and copies the batch's key
range: it reads the rows with a locking read, then inserts them::

    SELECT * FROM t WHERE t.k > :lo AND t.k <= :hi LOCK IN SHARE MODE
    INSERT IGNORE INTO shadow VALUES (...), (...), ...

The shared locks are what make the copy safe beside the triggers that
copy every write (pt-online-schema-change takes the same): the copy reads
the latest committed version of each row and holds it until the batch
commits, so a writer's update or delete of that row waits and its trigger
then rewrites or deletes the copy; a row the triggers copied first is
newer than what the copy would write, and ``IGNORE`` keeps it.

Why not one ``INSERT ... SELECT``: with ``innodb_autoinc_lock_mode = 1``
(MariaDB's default) that statement holds the shadow's table-level
AUTO-INC lock until it ends, while it waits for row locks; a writer whose
trigger inserts a new row into the shadow then waits for that lock while
holding the row the copy wants, and InnoDB kills the writer as the
deadlock's victim.  A multi-row ``INSERT ... VALUES`` takes no such lock.

Every row is walked once: asking the window for the rows the shadow
lacks (``where``) would have MariaDB scan the whole shadow for each
batch (it materializes the anti-join), and the triggers keep every row
written after expand in the shadow anyway.  ``where`` is what the
contract checks before it swaps (one scan).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sqlalchemy as sa

from zerodown.migrations import sqltext
from zerodown.migrations.data import DataContext, KeysetBackfill
from zerodown.migrations.data import keyset as _keyset
from zerodown.migrations.data.keyset import decode_key, encode_key

__all__ = ["ShadowCopy", "missing_from"]


def missing_from(
    quote: sqltext.Quote, table: str, shadow: str, key: str
) -> str:
    """SQL true for a row of ``table`` that ``shadow`` lacks."""
    k = quote(key)
    return (
        f"NOT EXISTS (SELECT 1 FROM {quote(shadow)} AS zd_copy WHERE "
        f"zd_copy.{k} = {quote(table)}.{k})"
    )


@dataclass(frozen=True)
class ShadowCopy(KeysetBackfill):
    """Copy every row of ``table`` into ``copy_into``, in key-ordered
    batches (a one-column key); ``where`` selects the rows still to copy
    (for the check before the swap)."""

    copy_into: str = ""

    def __call__(self, ctx: DataContext, max_count: int) -> tuple[int, int]:
        connection = ctx.connection
        stored = ctx.cursor.get("after")
        after = None if stored is None else decode_key(stored[0])
        walk = self._statements(connection.dialect, after is not None)
        params = {} if after is None else {"zd_lo0": after}
        window = connection.execute(walk.window(max_count), params).first()
        if window is None or not window[0]:
            return 0, 0
        found, upper = int(window[0]), window[1]
        params["zd_hi0"] = upper
        rows = connection.execute(walk.update, params).all()
        done = 0
        if rows:
            names = [f"zd_c{i}" for i in range(len(rows[0]))]
            insert = sa.text(
                f"INSERT IGNORE INTO {self._quoted(connection.dialect)} "
                f"VALUES ({', '.join(':' + n for n in names)})"
            )
            values = [dict(zip(names, row, strict=True)) for row in rows]
            done = max(connection.execute(insert, values).rowcount, 0)
        ctx.cursor["after"] = [encode_key(upper)]
        return found, done

    def _statements(
        self, dialect: sa.Dialect, bounded: bool
    ) -> _keyset._Statements:
        # The walk of every row, its "update" the batch's locking read.
        cache_key = (dialect.name, bounded)
        if cache_key not in self._sql:
            every_row = KeysetBackfill(self.name, self.table, self.key, "")
            walk = _keyset._Statements.build(every_row, dialect, bounded)
            self._sql[cache_key] = dataclasses.replace(
                walk, update=self._read(dialect, bounded)
            )
        return self._sql[cache_key]

    def _read(self, dialect: sa.Dialect, bounded: bool) -> sa.TextClause:
        quote = sqltext.quoter(dialect)
        table = sqltext.escape_binds(quote(self.table))
        (key,) = self.key
        column = f"{table}.{sqltext.escape_binds(quote(key))}"
        inside = [f"{column} > :zd_lo0"] if bounded else []
        inside.append(f"{column} <= :zd_hi0")
        return sa.text(
            f"SELECT * FROM {table} WHERE {' AND '.join(inside)} "
            f"ORDER BY {column} LOCK IN SHARE MODE"
        )

    def _quoted(self, dialect: sa.Dialect) -> str:
        return sqltext.escape_binds(sqltext.quoter(dialect)(self.copy_into))
