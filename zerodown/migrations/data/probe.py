"""Does a data migration still find rows?  The contract gate's question.

A migration recorded as complete finds nothing.  Any other is asked: it is
called once with ``max_count = 1`` inside a transaction (or a savepoint,
if the connection is in one) that is then rolled back, so the answer is
the migration's own, and nothing changes.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from zerodown.migrations.data import state
from zerodown.migrations.data.busy import describe
from zerodown.migrations.data.discovery import Discovered
from zerodown.migrations.data.protocol import DataContext, DataMigration

__all__ = ["Remaining", "remaining"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Remaining:
    """A migration that still finds rows (``found`` >= 1: the probe asks
    for one row) or that fails when asked (``error``)."""

    name: str
    found: int
    error: str | None = None
    done: int = 0  # rows it has migrated so far, over every run

    def __str__(self) -> str:
        if self.error:
            return f"data migration {self.name} fails: {self.error}"
        return (
            f"data migration {self.name} still finds rows "
            f"({self.done} done so far); run 'zerodown db migrate'"
        )


def remaining(
    connection: sa.Connection,
    migrations: Sequence[Discovered | DataMigration],
) -> list[Remaining]:
    """The migrations of ``migrations`` that still find rows, in order."""
    states = state.load(connection)
    left = []
    for item in migrations:
        migration = item.migration if isinstance(item, Discovered) else item
        known = states.get(migration.name)
        if known is not None and known.complete:
            continue
        found = _probe(connection, migration, known.cursor if known else {})
        if found.found or found.error:
            done = known.done if known else 0
            left.append(Remaining(found.name, found.found, found.error, done))
    return left


def _probe(
    connection: sa.Connection,
    migration: DataMigration,
    cursor: dict[str, Any],
) -> Remaining:
    nested = connection.in_transaction()
    transaction = connection.begin_nested() if nested else connection.begin()
    try:
        ctx = DataContext(connection, copy.deepcopy(cursor), migration.name)
        found, _done = migration(ctx, 1)
        return Remaining(migration.name, int(found))
    except Exception as err:  # reported as the reason the gate stays shut
        LOG.warning("probing %s failed: %s", migration.name, err)
        return Remaining(migration.name, 0, describe(err))
    finally:
        transaction.rollback()
