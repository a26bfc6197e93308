"""A NOT NULL column without a default breaks the old release's inserts."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.guard import Effect
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import column_target, verdict


@rule(
    "adding-not-nullable-field",
    severity=Severity.ERROR,
    why="the old release inserts rows without the new column, and the "
    "database refuses them; on PostgreSQL the ALTER itself fails on a "
    "table that has rows",
    recipe="zop.add_column(...): nullable in expand, backfilled by "
    "'zerodown db migrate', NOT NULL enforced in contract; or give the "
    "column a constant server_default",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    found = verdict(call)
    if not isinstance(call.operation, ops.AddColumnOp) or found is None:
        return
    if not ctx.live(call.operation.table_name):
        return
    if found.effect & Effect.BREAKS:
        yield Hit(
            f"adding {column_target(call.operation)} NOT NULL without a "
            "server default",
            target=column_target(call.operation),
        )
