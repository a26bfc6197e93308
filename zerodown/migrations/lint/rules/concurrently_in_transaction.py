"""PostgreSQL refuses CONCURRENTLY inside a transaction block."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule


@rule(
    "concurrently-in-transaction",
    severity=Severity.ERROR,
    dialects=("postgresql",),
    why="zerodown runs each revision in one transaction, and PostgreSQL "
    "refuses CREATE/DROP INDEX CONCURRENTLY there: the revision fails at "
    "deploy time",
    recipe="wrap it in 'with op.get_context().autocommit_block():', or "
    "use zop.create_index / zop.drop_index, which do",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    if call.autocommit:
        return
    operation = call.operation
    if isinstance(
        operation, (ops.CreateIndexOp, ops.DropIndexOp)
    ) and operation.kw.get("postgresql_concurrently"):
        yield Hit(
            f"index {operation.index_name} CONCURRENTLY inside the "
            "revision's transaction",
            target=str(operation.index_name),
        )
    for statement in call.statements:
        if statement.concurrently:
            yield Hit(
                f"CONCURRENTLY inside the revision's transaction: "
                f"{statement.short}",
                target=statement.short,
            )
