"""Raw SQL is opaque to lint: each statement needs an explicit waiver."""

from __future__ import annotations

from collections.abc import Iterator

from zerodown.migrations.guard import sql_head
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.sql import Statement

# Statements lint understands fully and that only protect the revision.
_HARMLESS = frozenset({"set_timeout"})
_ONLINE = frozenset({"INPLACE", "NOCOPY"})


@rule(
    "raw-sql",
    severity=Severity.ERROR,
    why="lint cannot tell which lock raw SQL takes, whether it rewrites a "
    "table or breaks the running release",
    recipe="use an Alembic or zop operation; if the SQL is safe, say why: "
    'lint_waivers = [waive("raw-sql", "<its first words>*", '
    'reason="...")]',
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    if call.name != "execute":
        return
    if not call.statements:
        shown = sql_head(call.source)
        yield Hit(f"SQL lint cannot read: {shown}", target=shown)
        return
    for statement in call.statements:
        if statement.kind in _HARMLESS or _refused_if_blocking(ctx, statement):
            continue
        yield Hit(f"raw SQL: {statement.short}", target=statement.short)


def _refused_if_blocking(ctx: Context, statement: Statement) -> bool:
    # MySQL/MariaDB run ALGORITHM=INPLACE (or NOCOPY), LOCK=NONE, and
    # ALGORITHM=INSTANT, without blocking, or refuse the statement: the
    # form the lint's own advice asks for.  Whether it breaks the running
    # release, the other rules still judge.
    if ctx.profile.family != "mysql" or statement.algorithm is None:
        return False
    if statement.algorithm == "INSTANT":
        return statement.lock in (None, "NONE", "DEFAULT")
    return statement.algorithm in _ONLINE and statement.lock == "NONE"
