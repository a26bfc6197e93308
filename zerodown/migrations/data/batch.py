"""One batch: one transaction holding the data change and its cursor.

The transaction locks the migration's row of the state table, reads the
cursor from it, calls the migration, and writes back the new cursor and
the counts; it commits all of that together or nothing.  That single
commit is why a run killed at any moment neither loses a batch nor
applies one twice.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from zerodown.migrations.data import busy, state
from zerodown.migrations.data.protocol import DataContext, DataMigration
from zerodown.migrations.errors import InvalidDataMigration

__all__ = ["Batch", "run_batch"]


@dataclass(frozen=True)
class Batch:
    """What one committed batch did."""

    size: int  # the max_count it was given
    found: int
    done: int
    complete: bool  # found nothing: the migration is done
    stalled: bool  # found rows, migrated none, cursor unmoved
    seconds: float  # its transaction, begin to commit
    attempts: int = 1


def run_batch(
    connection: sa.Connection,
    migration: DataMigration,
    size: int,
    lock_timeout: float,
    now: Callable[[], float],
    synchronous_commit: bool = False,
) -> Batch:
    """Run one batch of ``migration`` asking for ``size`` rows.

    Without ``synchronous_commit``, PostgreSQL does not wait for the
    batch's WAL to reach the disk before it answers the commit.  A server
    crash may then lose the last batches, but it loses their cursor with
    them (one transaction), so the next run redoes exactly those: nothing
    is lost or applied twice, and the backfill spends no fsync a batch.
    """
    name = migration.name
    started = now()
    with connection.begin():
        busy.apply_lock_timeout(connection, lock_timeout)
        if not synchronous_commit and connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        row = state.claim(connection, name)
        if row.complete:  # another runner finished it meanwhile
            return Batch(size, 0, 0, True, False, now() - started)
        before = state.dumps_cursor(row.cursor, name)
        ctx = DataContext(connection, copy.deepcopy(row.cursor), name)
        found, done = _counts(name, migration(ctx, size))
        after = state.dumps_cursor(ctx.cursor, name)
        state.record_batch(connection, name, after, found, done, not found)
    stalled = bool(found) and not done and after == before
    return Batch(size, found, done, not found, stalled, now() - started)


def _counts(name: str, result: object) -> tuple[int, int]:
    if (
        isinstance(result, tuple)
        and len(result) == 2
        and all(isinstance(n, int) and n >= 0 for n in result)
    ):
        return int(result[0]), int(result[1])
    raise InvalidDataMigration(
        source=name,
        problem=f"returned {result!r}; a data migration returns (found, "
        "done), two integers >= 0",
    )
