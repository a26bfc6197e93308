"""Build an index while both releases write to the table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zerodown.migrations.operations.base import OnlineOperation, Step, Target
from zerodown.migrations.operations.index_builds import (
    IndexSpec,
    drop_steps,
    plan_build,
    validate_spec,
)

__all__ = ["CreateIndex"]


@dataclass(frozen=True)
class CreateIndex(OnlineOperation):
    """Index ``columns`` of ``table_name`` under ``index_name``.

    expand:   PostgreSQL ``CREATE INDEX CONCURRENTLY`` outside the
              revision's transaction (an invalid index that an earlier,
              failed build left under the name is dropped and rebuilt);
              MySQL/MariaDB ``ALGORITHM=INPLACE, LOCK=NONE``; SQLite a
              plain ``CREATE INDEX``.
    contract: nothing.
    rollback: drop the index the same way.

    ``where`` makes a partial index (PostgreSQL and SQLite only).
    """

    name = "create_index"

    index_name: str
    table_name: str
    columns: Sequence[str]
    unique: bool = False
    where: str | None = None

    @property
    def spec(self) -> IndexSpec:
        return IndexSpec(
            self.index_name,
            self.table_name,
            tuple(self.columns),
            self.unique,
            self.where,
        )

    def validate(self, target: Target) -> None:
        validate_spec(self.spec, target, "create index")

    def expand(self, target: Target) -> Sequence[Step]:
        return plan_build(self.spec, target, "create index")

    def rollback(self, target: Target) -> Sequence[Step]:
        return drop_steps(self.index_name, self.table_name, target)

    def uncontract(self, target: Target) -> Sequence[Step]:
        return ()
