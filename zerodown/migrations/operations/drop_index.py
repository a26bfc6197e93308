"""Drop an index once the old release, which may rely on it, is gone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zerodown.migrations.errors import ObjectNotFound, OperationRefused
from zerodown.migrations.operations import catalog
from zerodown.migrations.operations.base import OnlineOperation, Step, Target
from zerodown.migrations.operations.index_builds import (
    IndexSpec,
    build_steps,
    drop_steps,
)

__all__ = ["DropIndex"]


@dataclass(frozen=True)
class DropIndex(OnlineOperation):
    """Drop ``index_name`` of ``table_name``.

    expand:     nothing (the old release's queries may need the index).
    contract:   PostgreSQL ``DROP INDEX CONCURRENTLY``; MySQL/MariaDB
                ``ALGORITHM=INPLACE, LOCK=NONE``; SQLite ``DROP INDEX``.
    uncontract: rebuild it online, if ``columns`` (and ``unique``) say
                what it was; refused otherwise.
    """

    name = "drop_index"

    index_name: str
    table_name: str
    columns: Sequence[str] = ()
    unique: bool = False

    def validate(self, target: Target) -> None:
        self._existing(target)

    def contract(self, target: Target) -> Sequence[Step]:
        self._existing(target)
        return drop_steps(self.index_name, self.table_name, target)

    def uncontract(self, target: Target) -> Sequence[Step]:
        if not self.columns:
            raise OperationRefused(
                operation="rebuild the dropped index",
                target=self.index_name,
                why="drop_index was not told its columns=",
            )
        spec = IndexSpec(
            self.index_name, self.table_name, tuple(self.columns), self.unique
        )
        return build_steps(spec, target)

    def _existing(self, target: Target) -> None:
        catalog.require_table(target, self.table_name)
        if target.inspector is None:
            return
        found = catalog.existing_index(target, self.index_name)
        if found is None or found.table != self.table_name:
            raise ObjectNotFound(
                kind="index", name=f"{self.table_name}.{self.index_name}"
            )
        backing = {
            str(u["name"])
            for u in target.inspector.get_unique_constraints(self.table_name)
        }
        if self.index_name in backing and target.dialect == "postgresql":
            raise OperationRefused(
                operation="drop index",
                target=self.index_name,
                why="it backs a unique constraint: drop the constraint",
            )
