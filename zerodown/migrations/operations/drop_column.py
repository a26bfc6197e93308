"""Drop a column once no release reads or writes it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alembic.operations import ops

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations.base import OnlineOperation, Step, Target

__all__ = ["DropColumn"]


@dataclass(frozen=True)
class DropColumn(OnlineOperation):
    """Drop ``table_name.column_name``.

    expand:     nothing: the old release still reads and writes it (the new
                release must stop using it; a NOT NULL column without a
                server default needs one, or the new release's inserts
                fail, and the check below refuses that).
    contract:   drop it (in place on SQLite 3.35 and later, which refuses
                a column that an index, a key or a trigger uses).
    uncontract: refused: the column's data is gone.
    """

    name = "drop_column"

    table_name: str
    column_name: str

    def validate(self, target: Target) -> None:
        column = target.column(self.table_name, self.column_name)
        if column is None or target.inspector is None:
            return
        if self.column_name in target.primary_key(self.table_name):
            raise OperationRefused(
                operation="drop column",
                target=self.target_name,
                why="it is part of the primary key",
            )
        if not column["nullable"] and column.get("default") is None:
            raise OperationRefused(
                operation="drop column",
                target=self.target_name,
                why="it is NOT NULL without a server default, so the new "
                "release, which no longer writes it, cannot insert; give "
                "it a default (or make it nullable) in an expand revision "
                "first",
            )

    def contract(self, target: Target) -> Sequence[Step]:
        target.column(self.table_name, self.column_name)
        return [
            Step(
                f"drop {self.target_name}",
                operation=ops.DropColumnOp(self.table_name, self.column_name),
            )
        ]
