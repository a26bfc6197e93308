"""A new auto-increment or identity column numbers every existing row."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.columns import is_auto_increment
from zerodown.migrations.lint.dialects import DialectProfile
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._adding_column import adding_column
from zerodown.migrations.lint.rules._common import column_target


@rule(
    "adding-auto-increment-column",
    severity=Severity.ERROR,
    why="every existing row gets its number while the table is rewritten "
    "and locked; statement-based MySQL replicas may number rows "
    "differently",
    recipe="create a new table with the key and copy the rows over in "
    "batches (as for a table rename), or add a nullable column and fill "
    "it from a sequence with a data migration",
)
def check(ctx: Context) -> Iterator[Hit]:
    return adding_column(
        ctx,
        _auto_increment,
        "add_column_auto_increment",
        refused="refuses",
        fallback=Severity.ERROR,
    )


def _auto_increment(
    operation: ops.AddColumnOp, profile: DialectProfile
) -> str | None:
    if not is_auto_increment(operation.column):
        return None
    return f"the auto-increment column {column_target(operation)}"
