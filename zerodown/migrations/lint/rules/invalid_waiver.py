"""A waiver must name a known rule, a target and a reason."""

from __future__ import annotations

from collections.abc import Iterator

from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit, Rule, rule


@rule(
    "invalid-waiver",
    severity=Severity.ERROR,
    scope="revision",
    why="a waiver without a reason hides a finding without saying why it "
    "is safe; one for an unknown rule or that lint cannot read waives "
    "nothing",
    recipe='waive("rule-id", "target-glob", reason="why it is safe here") '
    "with plain strings, in a module-level lint_waivers list",
)
def check(ctx: Context) -> Iterator[Hit]:
    for line, problem in ctx.script.waiver_errors:
        yield Hit(problem, line=line)
    for waiver in ctx.script.waivers:
        described = f"waive({waiver.rule!r}, {waiver.target!r})"
        if waiver.rule not in Rule.registry:
            yield Hit(
                f"{described} names no lint rule",
                target=waiver.rule,
                line=waiver.line,
            )
        elif not waiver.reason:
            yield Hit(
                f"{described} has no reason",
                target=waiver.rule,
                line=waiver.line,
            )
