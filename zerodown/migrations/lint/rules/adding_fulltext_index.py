"""MySQL/MariaDB: a FULLTEXT or SPATIAL index blocks writes while built."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import heavy

_KINDS = ("FULLTEXT", "SPATIAL")


@rule(
    "adding-fulltext-index",
    severity=Severity.ERROR,
    dialects=("mysql",),
    why="InnoDB builds a FULLTEXT or SPATIAL index in place but with "
    "LOCK=SHARED: writes wait for the whole build, and the table's first "
    "FULLTEXT index also rebuilds the table (LOCK=NONE is refused)",
    recipe="create it with the table; on a live table, build the table "
    "anew with gh-ost or pt-online-schema-change, or give the table an "
    "FTS_DOC_ID column first (see MySQL's 'InnoDB Full-Text Indexes') "
    "and build it when writes may wait",
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    operation = call.operation
    if isinstance(operation, ops.CreateIndexOp) and ctx.live(
        operation.table_name
    ):
        kind = str(operation.kw.get("mysql_prefix") or "").upper()
        if kind in _KINDS:
            name = f"{kind} index {operation.index_name}"
            yield from _hit(ctx, kind, name, str(operation.index_name))
    for statement in call.statements:
        if statement.index_kind in _KINDS and ctx.live(statement.table):
            kind = statement.index_kind
            yield from _hit(ctx, kind, f"a {kind} index", statement.short)


def _hit(ctx: Context, kind: str, name: str, target: str) -> Iterator[Hit]:
    profile = ctx.profile
    cost = profile.cost(f"create_{kind.lower()}_index")
    severity = heavy(profile, cost)
    if cost is None or severity is None:
        return  # InnoDB of this version has no such index
    yield Hit(
        f"adding {name}: {profile.describe()} {cost.describe()}",
        target=target,
        severity=severity,
    )
