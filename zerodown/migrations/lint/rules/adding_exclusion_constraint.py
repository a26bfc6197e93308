"""PostgreSQL: a new EXCLUDE constraint builds its index and checks every
row under ACCESS EXCLUSIVE, and has no online form."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.ddl.postgresql import CreateExcludeConstraintOp

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import statements_of


@rule(
    "adding-exclusion-constraint",
    severity=Severity.ERROR,
    dialects=("postgresql",),
    why="ADD CONSTRAINT ... EXCLUDE builds its index and compares every "
    "row while holding ACCESS EXCLUSIVE: no reads or writes until it is "
    "done; unlike UNIQUE, it cannot adopt an index built CONCURRENTLY",
    recipe="declare it with the table (op.create_table), or build a new "
    "table with it and move the rows online (zop.move_column, "
    "zop.rename_table); for a table small enough to lock, waive it with "
    "its size as the reason",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    operation = call.operation
    cost = ctx.profile.cost("add_exclusion")
    effect = f"{ctx.profile.describe()} {cost.describe() if cost else ''}"
    if isinstance(operation, CreateExcludeConstraintOp) and ctx.live(
        operation.table_name
    ):
        yield Hit(
            f"adding exclusion constraint {operation.constraint_name} to "
            f"{operation.table_name}: {effect}",
            target=str(operation.constraint_name),
        )
    for statement in statements_of(call, "add_exclusion"):
        if ctx.live(statement.table):
            yield Hit(
                f"adding an exclusion constraint in raw SQL: {effect}",
                target=statement.short,
            )
