"""Renaming a column breaks every query of the release still running."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import statements_of


@rule(
    "renaming-column",
    severity=Severity.ERROR,
    why="the rename is instant, but the other release still reads and "
    "writes the old name and fails on every query",
    recipe='zop.rename_column("table", "old", "new") in expand and again '
    "in contract: a new column kept in sync both ways by triggers, "
    "backfilled, the old one dropped in contract",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    operation = call.operation
    if (
        isinstance(operation, ops.AlterColumnOp)
        and operation.modify_name is not None
        and ctx.live(operation.table_name)
    ):
        target = f"{operation.table_name}.{operation.column_name}"
        yield Hit(
            f"renaming {target} to {operation.modify_name}", target=target
        )
    for statement in statements_of(call, "rename_column"):
        yield Hit(
            f"renaming a column in raw SQL: {statement.short}",
            target=statement.short,
        )
