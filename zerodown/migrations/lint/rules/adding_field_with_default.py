"""On old servers, any default on a new column rewrites the table."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.columns import default_sql
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import column_target, heavy


@rule(
    "adding-field-with-default",
    severity=Severity.ERROR,
    why="before PostgreSQL 11 (MySQL 8.0.12, MariaDB 10.3.2) adding a "
    "column with a default writes the default into every row; "
    "PostgreSQL holds ACCESS EXCLUSIVE meanwhile",
    recipe="add the column without a default, set the default in a "
    "second statement, then backfill old rows in batches "
    "(zop.add_column(...)); or upgrade the server first",
)
def check(ctx: Context) -> Iterator[Hit]:
    operation = ctx.the_call.operation
    if not isinstance(operation, ops.AddColumnOp):
        return
    if not ctx.live(operation.table_name):
        return
    profile = ctx.profile
    sql = default_sql(operation.column, profile.family)
    if sql is None or profile.volatile_default(sql):
        return  # no default, or volatile-default's case
    cost = profile.cost("add_column_default")
    severity = heavy(profile, cost)
    if cost is None or severity is None:
        return
    yield Hit(
        f"adding {column_target(operation)} with the default {sql}: "
        f"{profile.describe()} {cost.describe()}",
        target=column_target(operation),
        severity=severity,
    )
