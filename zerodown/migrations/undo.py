"""Undoing what a failed expand revision applied, where DDL commits itself.

On MySQL and MariaDB every DDL statement commits on its own, so an expand
revision that fails halfway would leave its first steps behind: the
column an online operation added, say, which makes the next ``zerodown db
expand`` refuse to add it again.  Each step the revision applied is
journaled with its inverse where one is known: the ``undo`` an online
operation's step declares (a dropped trigger for a created one), or, for
the plain Alembic operations an expand may hold, the drop of what they
added.  When the revision fails, :func:`undo_applied` runs the inverses,
newest first, and stops at the first step it cannot undo (raw SQL, say),
which stays applied with every step before it; the error names them.

Expand only adds, and nothing but this revision has used what it added
yet, so its inverse loses no data.  Contract and downgrades are never
undone: they drop data, which no inverse brings back.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import MutableMapping, MutableSequence

from alembic.operations import Operations, ops
from alembic.runtime.migration import MigrationContext

__all__ = ["inverse", "undo_applied"]

LOG = logging.getLogger(__name__)


@functools.singledispatch
def inverse(operation: ops.MigrateOperation) -> ops.MigrateOperation | None:
    """What undoes ``operation`` applied by an expand revision; None if
    zerodown does not know."""
    return None


@inverse.register
def _(operation: ops.AddColumnOp) -> ops.MigrateOperation:
    return ops.DropColumnOp(
        operation.table_name, operation.column.name, schema=operation.schema
    )


@inverse.register
def _(operation: ops.CreateTableOp) -> ops.MigrateOperation:
    return ops.DropTableOp(operation.table_name, schema=operation.schema)


@inverse.register
def _(operation: ops.CreateIndexOp) -> ops.MigrateOperation | None:
    if operation.index_name is None:
        return None  # a name the server chose: not ours to guess
    return ops.DropIndexOp(
        operation.index_name,
        table_name=operation.table_name,
        schema=operation.schema,
    )


def undo_applied(
    context: MigrationContext,
    journal: MutableSequence[str],
    inverses: MutableMapping[int, ops.MigrateOperation],
) -> list[str]:
    """Undo the journaled steps, newest first, while each has an inverse
    that succeeds; remove them from ``journal`` and return them."""
    # A plain Operations: the phase guard would refuse the drops, which
    # only take back what this same revision added.
    operations = Operations(context)
    undone = []
    while journal and (len(journal) - 1) in inverses:
        index = len(journal) - 1
        LOG.warning("undoing %s", journal[index])
        try:
            operations.invoke(inverses[index])
        except Exception as err:  # what stays applied is reported
            LOG.error("could not undo %s: %s", journal[index], err)
            break
        undone.append(journal.pop())
        del inverses[index]
    return undone
