"""On old servers, any default on a new column rewrites the table."""

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
    # Only a default that costs rows under a lock is worth a finding.
    return adding_column(ctx, _default, "add_column_default")


def _default(
    operation: ops.AddColumnOp, profile: DialectProfile
) -> str | None:
    sql = default_sql(operation.column, profile.family)
    if sql is None or profile.volatile_default(sql):
        return None  # no default, or volatile-default's case
    return f"{column_target(operation)} with the default {sql}"
