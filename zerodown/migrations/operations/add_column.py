"""Add a column, NOT NULL included, while the old release keeps inserting
rows that do not mention it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from alembic.operations import ops

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import naming
from zerodown.migrations.operations.base import (
    Backfill,
    OnlineOperation,
    Step,
    Target,
)
from zerodown.migrations.operations.fill import (
    ColumnFill,
    fill_steps,
    unfill_steps,
)

__all__ = ["AddColumn"]


@dataclass(frozen=True)
class AddColumn(OnlineOperation):
    """Add ``column`` to ``table_name``.

    ``backfill`` computes the value for rows that lack it, as SQL over the
    row's columns in braces (``"lower({name}) || '@example.org'"``).  A NOT
    NULL column needs a server default or a backfill.

    expand:   add the column nullable (with its server default); with a
              backfill, a trigger fills it on every write that leaves it
              NULL and ``zerodown db migrate`` fills the existing rows.
    contract: drop the trigger and enforce NOT NULL.
    rollback: drop the trigger and the column.
    """

    name = "add_column"

    table_name: str
    column: sa.Column[object]
    backfill_sql: str | None = None

    @property
    def target_name(self) -> str:
        return f"{self.table_name}.{self.column.name}"

    def validate(self, target: Target) -> None:
        target.columns(self.table_name)
        target.absent(self.table_name, self.column.name)
        if (
            not self.column.nullable
            and self.column.server_default is None
            and self.backfill_sql is None
        ):
            raise OperationRefused(
                operation="add NOT NULL column",
                target=self.target_name,
                why="existing rows need a value: give it a server_default or "
                "backfill_sql",
            )

    def _fill(self, target: Target) -> ColumnFill | None:
        if self.backfill_sql is None:
            return None
        return ColumnFill(
            self.table_name,
            self.column.name,
            self.backfill_sql,
            key=target.primary_key(self.table_name),
        )

    def expand(self, target: Target) -> Sequence[Step]:
        loose = self.column._copy()
        loose.nullable = True
        fill = self._fill(target)
        return [
            Step(
                f"add {self.target_name} (nullable until contract)",
                operation=ops.AddColumnOp(self.table_name, loose),
            ),
            *(fill_steps(fill, target) if fill else ()),
        ]

    def backfill(self, target: Target) -> Backfill | None:
        fill = self._fill(target)
        if fill is None:
            return None
        column = target.quote(self.column.name)
        return Backfill(
            name=naming.backfill(self.name, self.table_name, self.column.name),
            table=self.table_name,
            assignments=f"{column} = {fill.render(target.quote)}",
            where=f"{column} IS NULL",
        )

    def contract(self, target: Target) -> Sequence[Step]:
        fill = self._fill(target)
        steps = list(unfill_steps(fill, target)) if fill else []
        if not self.column.nullable:
            steps.append(
                Step(
                    f"enforce NOT NULL on {self.target_name}",
                    operation=ops.AlterColumnOp(
                        self.table_name,
                        self.column.name,
                        existing_type=self.column.type,
                        existing_nullable=True,
                        existing_server_default=self.column.server_default
                        and self.column.server_default.arg,  # type: ignore[attr-defined]
                        modify_nullable=False,
                    ),
                )
            )
        return steps

    def rollback(self, target: Target) -> Sequence[Step]:
        fill = self._fill(target)
        return [
            *(unfill_steps(fill, target) if fill else ()),
            Step(
                f"drop {self.target_name}",
                operation=ops.DropColumnOp(self.table_name, self.column.name),
            ),
        ]

    def uncontract(self, target: Target) -> Sequence[Step]:
        if self.column.nullable:
            return ()
        return [
            Step(
                f"let {self.target_name} be NULL again",
                operation=ops.AlterColumnOp(
                    self.table_name,
                    self.column.name,
                    existing_type=self.column.type,
                    existing_nullable=False,
                    modify_nullable=True,
                ),
            )
        ]
