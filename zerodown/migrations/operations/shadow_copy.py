"""The batched copy of a table into its shadow (MySQL/MariaDB), as a data
migration that ``zerodown db migrate`` runs.

It walks the table in key order like :class:`KeysetBackfill` (the same
window query finds each batch's upper key, among the rows the shadow
still lacks) and copies the batch's key range with::

    INSERT IGNORE INTO shadow SELECT * FROM t
    WHERE t.k > :lo AND t.k <= :hi AND <not in shadow> LOCK IN SHARE MODE

The shared locks are what make the copy safe beside the triggers that
copy every write (pt-online-schema-change takes the same): the copy reads
the latest committed version of each row and holds it until the batch
commits, so a writer's update or delete of that row waits and its trigger
then rewrites or deletes the copy; a row the triggers copied first is
newer than what the copy would write, and ``IGNORE`` keeps it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sqlalchemy as sa

from zerodown.migrations import sqltext
from zerodown.migrations.data import KeysetBackfill
from zerodown.migrations.data import keyset as _keyset

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
    """Copy the rows of ``table`` that ``where`` selects into
    ``copy_into``, in key-ordered batches (a one-column key)."""

    copy_into: str = ""

    def _statements(
        self, dialect: sa.Dialect, bounded: bool
    ) -> _keyset._Statements:
        cache_key = (dialect.name, bounded)
        if cache_key not in self._sql:
            walk = _keyset._Statements.build(self, dialect, bounded)
            self._sql[cache_key] = dataclasses.replace(
                walk, update=self._copy(dialect, bounded)
            )
        return self._sql[cache_key]

    def _copy(self, dialect: sa.Dialect, bounded: bool) -> sa.TextClause:
        quote = sqltext.quoter(dialect)
        table = sqltext.escape_binds(quote(self.table))
        (key,) = self.key
        column = f"{table}.{sqltext.escape_binds(quote(key))}"
        inside = [f"{column} > :zd_lo0"] if bounded else []
        inside.append(f"{column} <= :zd_hi0")
        if self.where:
            inside.append(f"({sqltext.escape_binds(self.where)})")
        shadow = sqltext.escape_binds(quote(self.copy_into))
        return sa.text(
            f"INSERT IGNORE INTO {shadow} SELECT * FROM {table} WHERE "
            f"{' AND '.join(inside)} LOCK IN SHARE MODE"
        )
