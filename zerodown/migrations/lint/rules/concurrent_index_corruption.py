"""PostgreSQL 14.0-14.3 could corrupt indexes built CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule

# The first affected release and the one that fixed it.
AFFECTED = ((14, 0), (14, 4))
_ZOP_BUILDS = frozenset({"create_index", "add_unique"})


@rule(
    "concurrent-index-corruption",
    severity=Severity.ERROR,
    dialects=("postgresql",),
    why="PostgreSQL 14.0 to 14.3 can build a corrupt index with CREATE "
    "INDEX CONCURRENTLY or REINDEX CONCURRENTLY while rows change",
    recipe="upgrade PostgreSQL to 14.4 or later before building indexes "
    "concurrently (its release notes say how to find damaged ones with "
    "amcheck)",
)
def check(ctx: Context) -> Iterator[Hit]:
    first, fixed = AFFECTED
    if not first <= ctx.profile.version < fixed:
        return
    call = ctx.the_call
    operation = call.operation
    concurrent = (
        (
            isinstance(operation, ops.CreateIndexOp)
            and bool(operation.kw.get("postgresql_concurrently"))
        )
        or (call.receiver == "zop" and call.name in _ZOP_BUILDS)
        or any(
            s.concurrently and s.kind in ("create_index", "other")
            for s in call.statements
        )
    )
    if concurrent:
        yield Hit(
            f"a concurrent index build on {ctx.profile.describe()}",
            target=call.target,
        )
