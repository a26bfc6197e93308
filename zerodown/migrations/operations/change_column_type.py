"""Move a column's values into a new column, converting them on the way,
while the old release still reads and writes the old column.

``rename_column`` is the same operation with no conversion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import naming
from zerodown.migrations.operations.base import (
    Backfill,
    Check,
    OnlineOperation,
    Step,
    Target,
)
from zerodown.migrations.operations.sync import (
    ColumnSync,
    create_steps,
    drop_steps,
)

__all__ = ["ChangeColumnType", "RenameColumn"]


@dataclass(frozen=True)
class ChangeColumnType(OnlineOperation):
    """``table.column`` moves to ``table.new_column_name`` of ``type_``.

    ``up`` converts an old value into the new type and ``down`` back, as
    SQL with ``{value}`` for the other column (``CAST({value} AS BIGINT)``).

    expand:   add the new column (nullable, no default) and dual-write
              triggers; ``zerodown db migrate`` converts the old rows.
    contract: drop the triggers and the old column; the new column takes
              the old one's NOT NULL and server default.
    rollback: drop the triggers and the new column.
    """

    name = "change_column_type"

    table_name: str
    column_name: str
    new_column_name: str
    type_: Any = None  # None: the old column's type
    up: str = "{value}"
    down: str = "{value}"

    def validate(self, target: Target) -> None:
        target.column(self.table_name, self.column_name)
        target.absent(self.table_name, self.new_column_name)

    def expand(self, target: Target) -> Sequence[Step]:
        old = self._old(target)
        new_type = self.type_ if self.type_ is not None else old["type"]
        column = sa.Column(self.new_column_name, new_type, nullable=True)
        return [
            Step(
                f"add {self.table_name}.{self.new_column_name}",
                operation=ops.AddColumnOp(self.table_name, column),
            ),
            *relax_not_null(self.table_name, self.column_name, old, target),
            *create_steps(self._sync(target), target),
        ]

    def backfill(self, target: Target) -> Backfill:
        q = target.quote
        old, new = q(self.column_name), q(self.new_column_name)
        existing = target.column(self.table_name, self.column_name)
        facts = {}
        if existing is not None:
            default = existing.get("default")
            facts = {
                "nullable": bool(existing["nullable"]),
                "default": None if default is None else str(default),
            }
        return Backfill(
            name=self._backfill_name,
            table=self.table_name,
            assignments=f"{new} = {self.up.format(value=old)}",
            where=f"{new} IS NULL AND {old} IS NOT NULL",
            facts=facts,
        )

    def contract(self, target: Target) -> Sequence[Step]:
        steps = [
            *drop_steps(self._sync(target), target),
            Step(
                f"drop {self.table_name}.{self.column_name}",
                operation=ops.DropColumnOp(self.table_name, self.column_name),
            ),
        ]
        facts = target.facts(self._backfill_name)
        if facts.get("nullable") is False or facts.get("default"):
            default = facts.get("default")
            steps.append(
                Step(
                    f"{self.table_name}.{self.new_column_name} takes the old "
                    "column's NOT NULL and default",
                    operation=ops.AlterColumnOp(
                        self.table_name,
                        self.new_column_name,
                        existing_type=self._new_type(target),
                        existing_nullable=True,
                        modify_nullable=False
                        if not facts["nullable"]
                        else None,
                        modify_server_default=sa.text(default)
                        if default
                        else False,
                    ),
                )
            )
        return steps

    def rollback(self, target: Target) -> Sequence[Step]:
        steps = [
            *drop_steps(self._sync(target), target),
            Step(
                f"drop {self.table_name}.{self.new_column_name}",
                operation=ops.DropColumnOp(
                    self.table_name, self.new_column_name
                ),
            ),
        ]
        if target.facts(self._backfill_name).get("nullable") is False:
            old = target.column(self.table_name, self.column_name)
            steps += restore_not_null(
                self.table_name, self.column_name, old, target
            )
        return steps

    @property
    def _backfill_name(self) -> str:
        return naming.backfill(self.name, self.table_name, self.column_name)

    def _sync(self, target: Target) -> ColumnSync:
        return ColumnSync(
            self.table_name,
            self.column_name,
            self.new_column_name,
            key=target.primary_key(self.table_name),
            to_new=self.up,
            to_old=self.down,
        )

    def _old(self, target: Target) -> dict[str, Any]:
        column = target.column(self.table_name, self.column_name)
        if column is not None:
            return column
        # Offline, and the script did not create it: its type from the
        # call or the models; whether it is NOT NULL nobody can tell (a
        # script that starts after the column's creation assumes NULL).
        kind = self.type_ or target.model_type(
            self.table_name, self.new_column_name
        )
        if kind is None:
            raise OperationRefused(
                operation="write the SQL of",
                target=f"{self.name} {self.target_name}",
                why="offline, the column's type is unknown: the script does "
                f"not create {self.target_name} and the models env.py gives "
                f"autogenerate have no {self.table_name}."
                f"{self.new_column_name}; pass type_=, run it online or "
                "start the script where the column is created",
            )
        return {"type": kind, "nullable": True}

    def _new_type(self, target: Target) -> Any:
        column = target.column(self.table_name, self.new_column_name)
        return column["type"] if column else self.type_


@dataclass(frozen=True)
class RenameColumn(ChangeColumnType):
    """``table.column`` becomes ``table.new_column_name``, same type.

    The old and the new release both keep working: dual-write triggers
    copy each write to the other column until contract drops the old one.
    """

    name = "rename_column"


def relax_not_null(
    table: str, column: str, existing: dict[str, Any], target: Target
) -> Sequence[Step]:
    """Let the new release omit a NOT NULL old column where the triggers
    cannot cover it: SQLite's run after the constraint is checked, and on
    MySQL/MariaDB contract drops the triggers and the column in two
    statements that each commit, with inserts landing in between.  SQLite
    rebuilds the table for it; the triggers of another operation in flight
    on it are made again (see the executor).
    """
    if existing.get("nullable", True) or target.dialect == "postgresql":
        return ()
    return [
        Step(
            f"let {table}.{column} be NULL while the new release omits it",
            operation=ops.AlterColumnOp(
                table,
                column,
                existing_type=existing["type"],
                existing_nullable=False,
                modify_nullable=True,
            ),
            undo=ops.AlterColumnOp(
                table,
                column,
                existing_type=existing["type"],
                existing_nullable=True,
                modify_nullable=False,
            ),
        )
    ]


def restore_not_null(
    table: str,
    column: str,
    existing: dict[str, Any] | None,
    target: Target,
) -> Sequence[Step]:
    """Rolling back: the old column is NOT NULL again, as before expand
    relaxed it (see :func:`relax_not_null`).  On SQLite the table is
    rebuilt; the rollback drops its own triggers first, and the executor
    makes those of other operations in flight again."""
    if existing is None or existing["nullable"] is False:
        return ()  # offline, or PostgreSQL, where expand left it alone
    q = target.quote
    return [
        Step(
            f"no NULL in {table}.{column}",
            check=Check(
                f"SELECT 1 FROM {q(table)} WHERE {q(column)} IS NULL LIMIT 1",
                operation="restore NOT NULL on",
                target=f"{table}.{column}",
                why="rows written meanwhile hold NULL; fill them first",
            ),
        ),
        Step(
            f"{table}.{column} is NOT NULL again",
            operation=ops.AlterColumnOp(
                table,
                column,
                existing_type=existing["type"],
                existing_nullable=True,
                modify_nullable=False,
            ),
        ),
    ]
