"""PostgreSQL: a plain CREATE INDEX blocks writes for the whole build."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import statements_of


@rule(
    "require-concurrent-index-creation",
    severity=Severity.ERROR,
    dialects=("postgresql",),
    why="CREATE INDEX holds a SHARE lock, which blocks every write to the "
    "table until the index is built",
    recipe="zop.create_index(...): CREATE INDEX CONCURRENTLY outside the "
    "revision's transaction, repairing an invalid index a failed build "
    "left behind",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    operation = call.operation
    cost = ctx.profile.cost("create_index")
    effect = f"{ctx.profile.describe()} {cost.describe() if cost else ''}"
    if (
        isinstance(operation, ops.CreateIndexOp)
        and not operation.kw.get("postgresql_concurrently")
        and ctx.live(operation.table_name)
    ):
        yield Hit(
            f"creating index {operation.index_name} on "
            f"{operation.table_name} without CONCURRENTLY: {effect}",
            target=str(operation.index_name),
        )
    for statement in statements_of(call, "create_index"):
        if not statement.concurrently and ctx.live(statement.table):
            yield Hit(
                f"CREATE INDEX without CONCURRENTLY: {effect}",
                target=statement.short,
            )
