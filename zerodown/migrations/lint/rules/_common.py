"""Small helpers the rules share."""

from __future__ import annotations

from collections.abc import Iterator

from alembic.operations import ops

from zerodown.migrations import guard
from zerodown.migrations.lint.dialects import Cost, DialectProfile
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.script import Call
from zerodown.migrations.lint.sql import Statement

__all__ = ["column_target", "heavy", "statements_of", "verdict"]


# When a call's arguments are not plain data (a loop variable, a helper's
# result), its method name is all lint knows; these names say enough.
_BY_NAME = {
    "drop_table": guard.Effect.BREAKS,
    "drop_column": guard.Effect.BREAKS,
    "drop_index": guard.Effect.BREAKS,
    "drop_constraint": guard.Effect.BREAKS,
    "create_table": guard.Effect.CREATES,
    "create_index": guard.Effect.CREATES,
}


def verdict(call: Call) -> guard.Verdict | None:
    """The phase guard's classification of the call's operation."""
    if call.operation is not None:
        return guard.classify(call.operation)
    effect = _BY_NAME.get(call.name)
    if effect is None or call.receiver == "zop":
        return None
    return guard.Verdict(call.name, call.target, effect)


def statements_of(call: Call, *kinds: str) -> Iterator[Statement]:
    """The call's SQL statements of the given kinds."""
    for statement in call.statements:
        if statement.kind in kinds:
            yield statement


def column_target(operation: ops.AddColumnOp) -> str:
    return f"{operation.table_name}.{operation.column.name}"


def heavy(profile: DialectProfile, cost: Cost | None) -> Severity | None:
    """How bad a cost is: None when it touches no rows under a lock.

    Work on every row under a blocking lock is an error where the
    backend offers an online way; on SQLite, which has none, a warning.
    """
    if cost is None or not (cost.rewrites or cost.scans):
        return None
    if cost.blocking and profile.online_ddl:
        return Severity.ERROR
    return Severity.WARNING
