"""Renaming a table breaks every query of the release still running."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import statements_of


@rule(
    "renaming-table",
    severity=Severity.ERROR,
    why="the rename is instant, but the other release still queries the "
    "old name and fails",
    recipe='zop.rename_table("old", "new"): the new table (or a view) '
    "serves the new release while the old name keeps working, and the "
    "old name goes in contract",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    operation = call.operation
    if isinstance(operation, ops.RenameTableOp) and ctx.live(
        operation.table_name
    ):
        yield Hit(
            f"renaming table {operation.table_name} to "
            f"{operation.new_table_name}",
            target=operation.table_name,
        )
    for statement in statements_of(call, "rename_table"):
        yield Hit(
            f"renaming a table in raw SQL: {statement.short}",
            target=statement.short,
        )
