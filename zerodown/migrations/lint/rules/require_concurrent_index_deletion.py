"""PostgreSQL: a plain DROP INDEX takes ACCESS EXCLUSIVE on the table."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import statements_of


@rule(
    "require-concurrent-index-deletion",
    severity=Severity.WARNING,
    dialects=("postgresql",),
    why="DROP INDEX takes ACCESS EXCLUSIVE on the table: brief, but it "
    "waits behind every running query and blocks every query behind it",
    recipe="zop.drop_index(...): DROP INDEX CONCURRENTLY outside the "
    "revision's transaction",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    operation = call.operation
    if (
        isinstance(operation, ops.DropIndexOp)
        and not operation.kw.get("postgresql_concurrently")
        and ctx.live(operation.table_name)
    ):
        yield Hit(
            f"dropping index {operation.index_name} without CONCURRENTLY",
            target=str(operation.index_name),
        )
    for statement in statements_of(call, "drop_index"):
        if not statement.concurrently:
            yield Hit(
                "DROP INDEX without CONCURRENTLY", target=statement.short
            )
