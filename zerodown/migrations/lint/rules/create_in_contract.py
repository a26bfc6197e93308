"""Contract runs after the new release started: additions come too late
(the phase guard's rule, checked before anything runs)."""

from __future__ import annotations

from collections.abc import Iterator

from zerodown.migrations.guard import Effect
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import verdict
from zerodown.migrations.phases import Phase


@rule(
    "create-in-contract",
    severity=Severity.ERROR,
    why="the new release already runs when contract starts; whatever it "
    "needs must exist before, and the phase guard stops the revision",
    recipe="move it to an expand revision; if it only replaces what "
    "contract removes, declare phase_exceptions = [allow(kind, target, "
    "reason=...)]",
)
def check(ctx: Context) -> Iterator[Hit]:
    if ctx.script.phase is not Phase.CONTRACT:
        return
    found = verdict(ctx.the_call)
    if found is None or not found.effect & Effect.CREATES:
        return
    if any(exc.covers(found) for exc in ctx.script.phase_exceptions):
        return
    yield Hit(
        f"contract must not {found.kind.replace('_', ' ')} "
        f"({found.target}): additions belong in expand",
        target=found.target,
    )
