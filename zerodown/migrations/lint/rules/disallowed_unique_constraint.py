"""PostgreSQL: a new UNIQUE or PRIMARY KEY constraint builds its index
under ACCESS EXCLUSIVE."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import statements_of

_CONSTRAINTS = (ops.CreateUniqueConstraintOp, ops.CreatePrimaryKeyOp)


@rule(
    "disallowed-unique-constraint",
    severity=Severity.ERROR,
    dialects=("postgresql",),
    why="ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) builds the index while "
    "holding ACCESS EXCLUSIVE: no reads or writes until it is done",
    recipe="zop.add_unique(...): CREATE UNIQUE INDEX CONCURRENTLY, then "
    "ADD CONSTRAINT ... USING INDEX, which is instant",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    operation = call.operation
    cost = ctx.profile.cost("add_unique")
    effect = f"{ctx.profile.describe()} {cost.describe() if cost else ''}"
    if isinstance(operation, _CONSTRAINTS) and ctx.live(operation.table_name):
        yield Hit(
            f"adding constraint {operation.constraint_name} to "
            f"{operation.table_name}: {effect}",
            target=str(operation.constraint_name),
        )
    for statement in statements_of(call, "add_unique"):
        if "USING INDEX" not in statement.text.upper() and ctx.live(
            statement.table
        ):
            yield Hit(
                f"adding a unique constraint in raw SQL: {effect}",
                target=statement.short,
            )
