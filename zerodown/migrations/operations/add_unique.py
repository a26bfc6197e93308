"""Add a unique constraint without locking writers out while it builds."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import catalog
from zerodown.migrations.operations.base import OnlineOperation, Step, Target
from zerodown.migrations.operations.index_builds import (
    IndexSpec,
    drop_steps,
    plan_build,
    validate_spec,
)

__all__ = ["AddUnique"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class AddUnique(OnlineOperation):
    """Make ``columns`` of ``table_name`` unique, as ``constraint_name``.

    expand:   PostgreSQL builds a unique index ``CONCURRENTLY`` (the only
              long part: writers go on) and turns it into the constraint
              with ``ADD CONSTRAINT ... UNIQUE USING INDEX`` (a catalog
              change under a short lock); a build that fails on duplicates
              leaves no index, and an invalid one left by a killed run is
              rebuilt.  MySQL/MariaDB: ``ADD CONSTRAINT ... UNIQUE`` with
              ``ALGORITHM=INPLACE, LOCK=NONE``.  SQLite: a unique index,
              which SQLite enforces exactly as a constraint, because adding
              a constraint would rebuild the table.
    contract: nothing.
    rollback: drop the constraint (and its index).

    Duplicates stop expand with the database's own message naming them.
    """

    name = "add_unique"

    constraint_name: str
    table_name: str
    columns: Sequence[str]

    @property
    def target_name(self) -> str:
        """``table.column`` (``table.a,b`` for several), as elsewhere."""
        return f"{self.table_name}.{','.join(self.columns)}"

    @property
    def spec(self) -> IndexSpec:
        return IndexSpec(
            self.constraint_name,
            self.table_name,
            tuple(self.columns),
            unique=True,
        )

    def validate(self, target: Target) -> None:
        if self._constraint(target) is None:
            validate_spec(self.spec, target, "add unique constraint")

    def expand(self, target: Target) -> Sequence[Step]:
        if self._constraint(target) is not None:
            LOG.info("%s already exists", self.constraint_name)
            return []
        if target.dialect == "mysql":
            return [self._mysql(target)]
        steps = plan_build(self.spec, target, "add unique constraint")
        if target.dialect == "postgresql":
            q = target.quote
            steps = [
                *steps,
                Step(
                    f"the index {self.constraint_name} becomes the constraint",
                    sql=f"ALTER TABLE {q(self.table_name)} ADD CONSTRAINT "
                    f"{q(self.constraint_name)} UNIQUE USING INDEX "
                    f"{q(self.constraint_name)}",
                ),
            ]
        return steps

    def rollback(self, target: Target) -> Sequence[Step]:
        if target.dialect == "sqlite":
            return drop_steps(self.constraint_name, self.table_name, target)
        q = target.quote
        name = q(self.constraint_name)
        drop = {
            "postgresql": f"DROP CONSTRAINT IF EXISTS {name}",
            "mysql": f"DROP INDEX {name}, ALGORITHM=INPLACE, LOCK=NONE",
        }[target.dialect]
        return [
            Step(
                f"drop unique constraint {self.constraint_name}",
                sql=f"ALTER TABLE {q(self.table_name)} {drop}",
            )
        ]

    def uncontract(self, target: Target) -> Sequence[Step]:
        return ()

    def _mysql(self, target: Target) -> Step:
        q = target.quote
        columns = ", ".join(q(c) for c in self.columns)
        return Step(
            f"add unique constraint {self.constraint_name} in place, "
            "writes allowed",
            sql=f"ALTER TABLE {q(self.table_name)} ADD CONSTRAINT "
            f"{q(self.constraint_name)} UNIQUE ({columns}), "
            "ALGORITHM=INPLACE, LOCK=NONE",
            undo=f"ALTER TABLE {q(self.table_name)} DROP INDEX "
            f"{q(self.constraint_name)}, ALGORITHM=INPLACE, LOCK=NONE",
        )

    def _constraint(self, target: Target) -> tuple[str, ...] | None:
        """The columns of an existing constraint of our name, if any."""
        if target.inspector is None:
            return None
        catalog.require_table(target, self.table_name)
        for unique in target.inspector.get_unique_constraints(self.table_name):
            if unique["name"] == self.constraint_name:
                columns = tuple(str(c) for c in unique["column_names"])
                if columns != tuple(self.columns):
                    raise OperationRefused(
                        operation="add unique constraint",
                        target=self.constraint_name,
                        why=f"it exists on other columns {columns}",
                    )
                return columns
        return None
