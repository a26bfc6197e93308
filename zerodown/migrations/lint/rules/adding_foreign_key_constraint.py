"""A new foreign key checks every row while both tables are locked."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import (
    column_target,
    heavy,
    statements_of,
)

_MYSQL_RECIPE = (
    "zop.add_foreign_key(...) on a small table; for a large one build "
    "the table anew with gh-ost or pt-online-schema-change (MySQL and "
    "MariaDB validate a foreign key by copying the table)"
)


@rule(
    "adding-foreign-key-constraint",
    severity=Severity.ERROR,
    why="validating a new foreign key reads every row while writes to "
    "both tables wait (PostgreSQL SHARE ROW EXCLUSIVE; MySQL/MariaDB "
    "copy the table)",
    recipe="zop.add_foreign_key(...): on PostgreSQL ADD CONSTRAINT ... NOT "
    "VALID (postgresql_not_valid=True), then VALIDATE CONSTRAINT, which "
    "lets writes go on",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    operation = call.operation
    if (
        isinstance(operation, ops.CreateForeignKeyOp)
        and ctx.live(operation.source_table)
        and not _not_valid(ctx, operation.kw)
    ):
        yield from _hit(ctx, str(operation.constraint_name))
    if isinstance(operation, ops.AddColumnOp) and ctx.live(
        operation.table_name
    ):
        # An inline sa.ForeignKey: Alembic adds the column, then a
        # validating ADD FOREIGN KEY.
        for key in operation.column.foreign_keys:
            name = key.name or column_target(operation)
            yield from _hit(ctx, str(name), f"on {column_target(operation)} ")
    for statement in statements_of(call, "add_foreign_key"):
        if not (statement.not_valid and ctx.profile.not_valid) and ctx.live(
            statement.table
        ):
            yield from _hit(ctx, statement.short)


def _not_valid(ctx: Context, kw: dict[str, object]) -> bool:
    # Only PostgreSQL knows NOT VALID; elsewhere the option is ignored.
    return ctx.profile.not_valid and bool(kw.get("postgresql_not_valid"))


def _hit(ctx: Context, target: str, where: str = "") -> Iterator[Hit]:
    profile = ctx.profile
    cost = profile.cost("add_foreign_key")
    severity = heavy(profile, cost)
    if cost is None or severity is None:
        return
    yield Hit(
        f"adding foreign key {target} {where}validates every row: "
        f"{profile.describe()} {cost.describe()}",
        target=target,
        severity=severity,
        recipe=None if profile.not_valid else _MYSQL_RECIPE,
    )
