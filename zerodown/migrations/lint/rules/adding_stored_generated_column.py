"""A new stored generated column computes and writes every row."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.columns import is_stored_generated
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import column_target, heavy


@rule(
    "adding-stored-generated-column",
    severity=Severity.ERROR,
    why="a stored generated column is computed for every existing row "
    "while the table is rewritten under a lock that blocks writes",
    recipe="add a plain nullable column kept current by the application "
    "(or a trigger) and backfill it in batches; on MySQL/MariaDB a "
    "VIRTUAL generated column is added in place",
)
def check(ctx: Context) -> Iterator[Hit]:
    operation = ctx.the_call.operation
    if not isinstance(operation, ops.AddColumnOp):
        return
    if not ctx.live(operation.table_name):
        return
    if not is_stored_generated(operation.column, ctx.profile.family):
        return
    profile = ctx.profile
    cost = profile.cost("add_column_stored_generated")
    if cost is None:
        return  # the server has no stored generated columns: it refuses
    yield Hit(
        f"adding the stored generated column {column_target(operation)}: "
        f"{profile.describe()} {cost.describe()}",
        target=column_target(operation),
        severity=heavy(profile, cost) or Severity.ERROR,
    )
