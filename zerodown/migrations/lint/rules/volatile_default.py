"""A new column whose default differs per row rewrites the whole table."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.columns import default_sql
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import column_target, heavy


@rule(
    "volatile-default",
    severity=Severity.ERROR,
    why="a default computed per row (gen_random_uuid(), random(), an "
    "expression) is written into every existing row while the table is "
    "locked",
    recipe="add the column nullable without a default, set the default "
    "in a second statement (it applies to new rows only), then backfill "
    "old rows in batches: zop.add_column(...) does all three",
)
def check(ctx: Context) -> Iterator[Hit]:
    operation = ctx.the_call.operation
    if not isinstance(operation, ops.AddColumnOp):
        return
    if not ctx.live(operation.table_name):
        return
    profile = ctx.profile
    sql = default_sql(operation.column, profile.family)
    if sql is None or not profile.volatile_default(sql):
        return
    cost = profile.cost("add_column_volatile_default")
    effect = cost.describe() if cost else "cannot add it"
    yield Hit(
        f"adding {column_target(operation)} with the default {sql}, "
        f"computed per row: {profile.describe()} {effect}",
        target=column_target(operation),
        severity=heavy(profile, cost) or Severity.WARNING,
    )
