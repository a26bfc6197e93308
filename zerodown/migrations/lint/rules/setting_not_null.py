"""SET NOT NULL: the old release's inserts fail, and the table is read
under a lock that blocks everyone."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import heavy
from zerodown.migrations.phases import Phase


@rule(
    "setting-not-null",
    severity=Severity.ERROR,
    why="in expand the old release still inserts NULLs; in contract "
    "PostgreSQL checks every row under ACCESS EXCLUSIVE and MySQL/MariaDB "
    "rebuild the table",
    recipe="zop.set_not_null(table, column) in contract (PostgreSQL: "
    "CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, SET NOT "
    "NULL, drop the check), after a data migration filled the NULLs",
)
def check(ctx: Context) -> Iterator[Hit]:
    operation = ctx.the_call.operation
    if not isinstance(operation, ops.AlterColumnOp):
        return
    if operation.modify_nullable is not False:
        return
    if not ctx.live(operation.table_name):
        return
    target = f"{operation.table_name}.{operation.column_name}"
    if ctx.script.phase is Phase.EXPAND:
        yield Hit(
            f"making {target} NOT NULL in expand: the old release's "
            "inserts without it fail",
            target=target,
        )
        return
    profile = ctx.profile
    cost = profile.cost("set_not_null")
    severity = heavy(profile, cost)
    if cost is not None and severity is not None:
        yield Hit(
            f"making {target} NOT NULL: {profile.describe()} "
            f"{cost.describe()}",
            target=target,
            severity=severity,
        )
