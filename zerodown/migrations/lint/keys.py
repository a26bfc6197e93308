"""Is an altered column a table's primary key?  Lint reads one script at
a time, without the database, so it goes by what the call says.

Autogenerate writes ``autoincrement=True`` on an ``alter_column`` of a
table's integer key; a column called ``id`` is a key by convention.
Widening such a key needs :func:`zop.widen_primary_key`, not a second
column of another name.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

__all__ = ["WIDEN_RECIPE", "widen_recipe", "widens_a_key"]

WIDEN_RECIPE = (
    "zop.widen_primary_key(table, column, sa.BigInteger()) in expand and "
    "again in contract: a shadow kept equal by triggers and copied in "
    "batches by 'zerodown db migrate', swapped in under the same name in "
    "one short locked step"
)
_MOVES = {
    "postgresql": " (the constraint, sequence or identity, default and "
    "referencing foreign keys move with it)",
    "mysql": " (a table with a foreign key to or from it, on any column, "
    "is refused: drop the key first, add it again after)",
    "sqlite": " (nothing to do on SQLite: its integers are 64-bit)",
}


def widen_recipe(family: str) -> str:
    """:data:`WIDEN_RECIPE` with what it means on ``family``."""
    return WIDEN_RECIPE + _MOVES.get(family, "")


def widens_a_key(operation: ops.AlterColumnOp, old: Any, new: Any) -> bool:
    """Whether ``operation`` changes an integer primary key to another
    integer type."""
    key = operation.kw.get("autoincrement") is True or (
        operation.column_name.lower() == "id"
    )
    return key and isinstance(old, sa.Integer) and isinstance(new, sa.Integer)
