"""The one shape of the "add a column with X" rules.

Adding a column with a default, a volatile default, an auto-increment or
a stored generated value costs the same kind of thing: the server writes
every existing row, maybe under a lock.  The rules differ only in what X
is, which cost it looks up, and what they say when the server has no way
to do it at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from alembic.operations import ops

from zerodown.migrations.lint.dialects import DialectProfile
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.rules import Context, Hit
from zerodown.migrations.lint.rules._common import column_target, heavy

__all__ = ["adding_column"]


def adding_column(
    ctx: Context,
    describe: Callable[[ops.AddColumnOp, DialectProfile], str | None],
    action: str,
    *,
    refused: str | None = None,
    fallback: Severity | None = None,
) -> Iterator[Hit]:
    """A hit for an ``add_column`` on a live table whose column has X.

    :param describe: ``"the ... column t.c"`` for a column with X, or None
        when the column is not this rule's case.
    :param action: the cost to look up in the server's profile.
    :param refused: what the server does when it has no such action; None
        to say nothing (the server's own error will).
    :param fallback: the severity when the cost touches no rows under a
        lock; None for no finding then.
    """
    operation = ctx.the_call.operation
    if not isinstance(operation, ops.AddColumnOp):
        return
    if not ctx.live(operation.table_name):
        return
    profile = ctx.profile
    what = describe(operation, profile)
    if what is None:
        return
    cost = profile.cost(action)
    if cost is None and refused is None:
        return
    severity = heavy(profile, cost) or fallback
    if severity is None:
        return
    effect = cost.describe() if cost else refused
    yield Hit(
        f"adding {what}: {profile.describe()} {effect}",
        target=column_target(operation),
        severity=severity,
    )
