"""A new column whose default differs per row rewrites the whole table."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.columns import default_sql
from zerodown.migrations.lint.dialects import DialectProfile
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._adding_column import adding_column
from zerodown.migrations.lint.rules._common import column_target


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
    return adding_column(
        ctx,
        _volatile,
        "add_column_volatile_default",
        refused="cannot add it",
        fallback=Severity.WARNING,
    )


def _volatile(
    operation: ops.AddColumnOp, profile: DialectProfile
) -> str | None:
    sql = default_sql(operation.column, profile.family)
    if sql is None or not profile.volatile_default(sql):
        return None
    return (
        f"{column_target(operation)} with the default {sql}, computed per row"
    )
