"""Move a column to another table, keyed by a join, while the old release
still reads and writes it where it was.

The shape of Nova moving ``numa_topology`` from ``instances`` to
``instance_extra`` (one ``instance_extra`` row per instance, found by
``instance_extra.instance_uuid = instances.uuid``)::

    zop.move_column("instances", "numa_topology", "instance_extra",
                    on={"instance_uuid": "uuid"})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
from zerodown.migrations.operations.cross_sync import (
    CrossDialect,
    TableSync,
    create_steps,
    drop_steps,
)

__all__ = ["MoveColumn"]


@dataclass(frozen=True)
class MoveColumn(OnlineOperation):
    """``table.column`` moves to ``target_table`` (``new_column_name``).

    ``on`` maps the target table's join columns to the source table's; it
    must identify one target row per source row.

    expand:   add the column to the target table (nullable) and
              dual-write triggers on both tables; ``zerodown db migrate``
              copies the existing values.
    contract: drop the triggers and the source column.
    rollback: drop the triggers and the target column.
    """

    name = "move_column"

    table_name: str
    column_name: str
    target_table: str
    on: Mapping[str, str]
    new_column_name: str | None = None

    def __hash__(self) -> int:
        return hash((self.table_name, self.column_name, self.target_table))

    @property
    def target_column(self) -> str:
        return self.new_column_name or self.column_name

    def validate(self, target: Target) -> None:
        target.column(self.table_name, self.column_name)
        target.absent(self.target_table, self.target_column)
        for target_key, source_key in self.on.items():
            target.column(self.target_table, target_key)
            target.column(self.table_name, source_key)
        if not self.on:
            raise OperationRefused(
                operation="move",
                target=self.target_name,
                why="'on' names no join columns",
            )

    def _sync(self) -> TableSync:
        return TableSync(
            self.table_name,
            self.column_name,
            self.target_table,
            self.target_column,
            tuple(self.on.items()),
        )

    def _lock_in_order(self, target: Target) -> Sequence[Step]:
        """PostgreSQL: take both tables' locks in the order writers do.

        The revision's transaction holds each lock it takes until commit;
        locking the target first (ADD COLUMN) while a writer holds the
        source and waits for the target is a deadlock, and PostgreSQL may
        cancel the writer.  Both are taken at once in the strongest mode
        the later steps need (ADD/DROP COLUMN, DROP TRIGGER), so no step
        upgrades a lock while a writer holds a weaker one: the lock
        statement is the only place a deadlock can happen, and it is
        retried.
        """
        if target.dialect != "postgresql":
            return ()
        q = target.quote
        return [
            Step(
                f"lock {self.table_name}, then {self.target_table}",
                sql=f"LOCK TABLE {q(self.table_name)}, "
                f"{q(self.target_table)} IN ACCESS EXCLUSIVE MODE",
            )
        ]

    def expand(self, target: Target) -> Sequence[Step]:
        column = sa.Column(
            self.target_column, self._type(target), nullable=True
        )
        return [
            *self._lock_in_order(target),
            Step(
                f"add {self.target_table}.{self.target_column}",
                operation=ops.AddColumnOp(self.target_table, column),
            ),
            *create_steps(self._sync(), target),
        ]

    def _type(self, target: Target) -> Any:
        """The source column's type: reflected online; in a ``--sql``
        script what the script made it, else the models' moved column."""
        source = target.column(self.table_name, self.column_name)
        if source is not None:
            return source["type"]
        kind = target.model_type(self.target_table, self.target_column)
        if kind is None:
            raise OperationRefused(
                operation="write the SQL of",
                target=f"move_column {self.target_name}",
                why="offline, the column's type is unknown: the script does "
                f"not create {self.target_name} and the models env.py gives "
                f"autogenerate have no {self.target_table}."
                f"{self.target_column}; run it online or start the script "
                "where the column is created",
            )
        return kind

    def backfill(self, target: Target) -> Backfill:
        dialect = CrossDialect.registry[target.dialect](target)
        sync = self._sync()
        row = target.quote(self.target_table)
        source_col = (
            f"{target.quote(self.table_name)}.{target.quote(self.column_name)}"
        )
        return Backfill(
            name=naming.backfill(self.name, self.table_name, self.column_name),
            table=self.target_table,
            assignments=(
                f"{target.quote(self.target_column)} = "
                f"{dialect.lookup(sync, row)}"
            ),
            where=(
                f"{target.quote(self.target_column)} IS NULL AND EXISTS "
                f"(SELECT 1 FROM {target.quote(self.table_name)} WHERE "
                f"{dialect.match_source(sync, row)} AND {source_col} "
                "IS NOT NULL)"
            ),
        )

    def contract(self, target: Target) -> Sequence[Step]:
        return [
            *self._lock_in_order(target),
            *drop_steps(self._sync(), target),
            Step(
                f"drop {self.table_name}.{self.column_name}",
                operation=ops.DropColumnOp(self.table_name, self.column_name),
            ),
        ]

    def rollback(self, target: Target) -> Sequence[Step]:
        return [
            *self._lock_in_order(target),
            *drop_steps(self._sync(), target),
            Step(
                f"drop {self.target_table}.{self.target_column}",
                operation=ops.DropColumnOp(
                    self.target_table, self.target_column
                ),
            ),
        ]
