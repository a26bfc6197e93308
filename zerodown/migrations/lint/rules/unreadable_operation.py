"""An operation whose arguments lint cannot read is reported, never
dropped: no other rule can judge it."""

from __future__ import annotations

from collections.abc import Iterator

from zerodown.migrations.guard import sql_head
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule


@rule(
    "unreadable-operation",
    severity=Severity.ERROR,
    why="lint judges an operation by its arguments; one it cannot read (a "
    "value computed at run time, a helper's result, a loop over one) "
    "escapes every rule, and may lock, rewrite or break anything",
    recipe="write the arguments as literals, module-level constants, or "
    "local names, loops and helper parameters bound to those (lint reads "
    "them); if the operation is safe, say why: lint_waivers = "
    '[waive("unreadable-operation", "<its first words>*", reason="...")]',
)
def check(ctx: Context) -> Iterator[Hit]:
    call = ctx.the_call
    if not call.unreadable or call.name == "execute":
        return  # raw-sql reports the SQL it cannot read
    shown = sql_head(call.source)
    unknown = ", ".join(dict.fromkeys(call.unreadable))
    yield Hit(
        f"operation lint cannot read: {shown} (known only when it runs: "
        f"{unknown})",
        target=shown,
    )
