"""Raw SQL is opaque to lint: each statement needs an explicit waiver."""

from __future__ import annotations

from collections.abc import Iterator

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule

# Statements lint understands fully and that only protect the revision.
_HARMLESS = frozenset({"set_timeout"})


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
        shown = call.source[:60]
        yield Hit(f"SQL lint cannot read: {shown}", target=shown)
        return
    for statement in call.statements:
        if statement.kind not in _HARMLESS:
            yield Hit(f"raw SQL: {statement.short}", target=statement.short)
