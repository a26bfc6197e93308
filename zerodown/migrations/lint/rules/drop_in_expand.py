"""Expand runs while the old release serves: it must not take anything
away (the phase guard's rule, checked before anything runs)."""

from __future__ import annotations

from collections.abc import Iterator

from zerodown.migrations.guard import Effect
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import verdict
from zerodown.migrations.phases import Phase

# Breaking operations that have a rule of their own, with a better recipe.
_DEDICATED = frozenset(
    {
        "add_column",
        "change_column_type",
        "rename_column",
        "rename_table",
        "set_not_null",
    }
)


@rule(
    "drop-in-expand",
    severity=Severity.ERROR,
    why="expand runs while the old release still serves and uses what is "
    "dropped; the phase guard would stop the revision halfway",
    recipe="move it to a contract revision ('zerodown db revision "
    "--contract'), or zop.drop_column / zop.drop_table, which do nothing "
    "in expand; if nothing old uses it, declare phase_exceptions = "
    "[allow(kind, target, reason=...)]",
)
def check(ctx: Context) -> Iterator[Hit]:
    if ctx.script.phase is not Phase.EXPAND:
        return
    found = verdict(ctx.the_call)
    if found is None or not found.effect & Effect.BREAKS:
        return
    if found.kind in _DEDICATED:
        return
    if any(exc.covers(found) for exc in ctx.script.phase_exceptions):
        return
    why = found.why or "the old release still uses it"
    yield Hit(
        f"expand must not {found.kind.replace('_', ' ')} ({found.target}): "
        f"{why}",
        target=found.target,
    )
