"""A new CHECK constraint reads every row under a blocking lock."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import heavy, statements_of

_MYSQL_RECIPE = (
    "MySQL and MariaDB have no NOT VALID: check the rule in the "
    "application, or rebuild the table with gh-ost or "
    "pt-online-schema-change"
)


@rule(
    "adding-check-constraint",
    severity=Severity.ERROR,
    why="validating a new CHECK reads every row while the table is "
    "locked (PostgreSQL ACCESS EXCLUSIVE, blocking reads too; "
    "MySQL/MariaDB copy the table)",
    recipe="on PostgreSQL add it NOT VALID (postgresql_not_valid=True) "
    "and VALIDATE CONSTRAINT in a later step, which lets reads and "
    "writes go on",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    operation = call.operation
    if (
        isinstance(operation, ops.CreateCheckConstraintOp)
        and ctx.live(operation.table_name)
        and not _not_valid(ctx, operation.kw)
    ):
        yield from _hit(ctx, str(operation.constraint_name))
    for statement in statements_of(call, "add_check"):
        if not (statement.not_valid and ctx.profile.not_valid) and ctx.live(
            statement.table
        ):
            yield from _hit(ctx, statement.short)


def _not_valid(ctx: Context, kw: dict[str, object]) -> bool:
    # Only PostgreSQL knows NOT VALID; elsewhere the option is ignored.
    return ctx.profile.not_valid and bool(kw.get("postgresql_not_valid"))


def _hit(ctx: Context, target: str) -> Iterator[Hit]:
    profile = ctx.profile
    cost = profile.cost("add_check")
    severity = heavy(profile, cost)
    if cost is None or severity is None:
        return  # e.g. MySQL before 8.0.16 ignores CHECK
    yield Hit(
        f"adding check constraint {target} validates every row: "
        f"{profile.describe()} {cost.describe()}",
        target=target,
        severity=severity,
        recipe=None if profile.not_valid else _MYSQL_RECIPE,
    )
