"""Drop a table once no release uses it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alembic.operations import ops

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import catalog
from zerodown.migrations.operations.base import OnlineOperation, Step, Target

__all__ = ["DropTable"]


@dataclass(frozen=True)
class DropTable(OnlineOperation):
    """Drop ``table_name``.

    expand:     nothing: the old release still uses it.
    contract:   drop it; refused while a foreign key of another table
                references it (drop that key first: a cascade would take
                other tables' constraints silently).
    uncontract: refused: the table's data is gone.
    """

    name = "drop_table"

    table_name: str

    @property
    def target_name(self) -> str:
        return self.table_name

    def validate(self, target: Target) -> None:
        self._droppable(target)

    def contract(self, target: Target) -> Sequence[Step]:
        self._droppable(target)
        return [
            Step(
                f"drop table {self.table_name}",
                operation=ops.DropTableOp(self.table_name),
            )
        ]

    def _droppable(self, target: Target) -> None:
        catalog.require_table(target, self.table_name)
        inspector = target.inspector
        if inspector is None:
            return
        for table in inspector.get_table_names():
            if table == self.table_name:
                continue
            for fk in inspector.get_foreign_keys(table):
                if fk["referred_table"] == self.table_name:
                    raise OperationRefused(
                        operation="drop table",
                        target=self.table_name,
                        why=f"{table}.{fk['name'] or 'a foreign key'} "
                        "references it; drop that key first",
                    )
