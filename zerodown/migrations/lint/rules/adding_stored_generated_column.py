"""A new stored generated column computes and writes every row."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.columns import is_stored_generated
from zerodown.migrations.lint.dialects import DialectProfile
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._adding_column import adding_column
from zerodown.migrations.lint.rules._common import column_target


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
    # A server without stored generated columns refuses them itself.
    return adding_column(
        ctx, _stored, "add_column_stored_generated", fallback=Severity.ERROR
    )


def _stored(operation: ops.AddColumnOp, profile: DialectProfile) -> str | None:
    if not is_stored_generated(operation.column, profile.family):
        return None
    return f"the stored generated column {column_target(operation)}"
