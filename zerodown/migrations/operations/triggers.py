"""Creating and dropping the triggers of an online operation, per backend.

The dual-write modules (:mod:`.sync`, :mod:`.cross_sync`) write each
trigger's body; this module turns them into steps.  Every name is quoted;
every creation carries its undo (a MySQL expand that fails later drops
what it made); every drop says ``IF EXISTS``, so contract and rollback
also drop what a release up to 2.0 created under its older names (see
:func:`.naming.legacy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zerodown.migrations.operations import naming
from zerodown.migrations.operations.base import Step, Target

__all__ = ["Placed", "Trigger", "create_steps", "drop_steps"]


@dataclass(frozen=True)
class Placed:
    """A trigger's name (unquoted) and the table it is on."""

    name: str
    table: str


@dataclass(frozen=True)
class Trigger:
    """A trigger to create: ``body`` is its ``CREATE TRIGGER`` statement,
    ``function`` (PostgreSQL) the ``CREATE FUNCTION`` it executes, under
    the trigger's name."""

    placed: Placed
    body: str
    function: str | None = None


def create_steps(
    triggers: Sequence[Trigger], target: Target, description: str
) -> list[Step]:
    steps = []
    for trigger in triggers:
        name, table = trigger.placed.name, trigger.placed.table
        if trigger.function is not None:
            steps.append(
                Step(
                    description,
                    sql=trigger.function,
                    undo=_drop_function(target.quote(name)),
                )
            )
        steps.append(
            Step(
                description,
                sql=trigger.body,
                undo=_drop_trigger(target, target.quote(name), table),
            )
        )
    return steps


def drop_steps(
    placed: Sequence[Placed],
    legacy: Sequence[Placed],
    target: Target,
    description: str,
) -> list[Step]:
    """Drop ``placed``, and ``legacy`` as the releases that did not quote
    generated names created them (unquoted, so that PostgreSQL folds the
    name to lower case as it did then)."""
    statements = [
        sql for p in placed for sql in _drops(target, target.quote(p.name), p)
    ]
    statements += [
        sql
        for p in legacy
        if naming.is_plain(p.name)
        for sql in _drops(target, p.name, p)
    ]
    return [Step(description, sql=sql) for sql in statements]


def _drops(target: Target, name: str, placed: Placed) -> list[str]:
    drop = _drop_trigger(target, name, placed.table)
    if target.dialect == "postgresql":
        return [drop, _drop_function(name)]
    return [drop]


def _drop_trigger(target: Target, name: str, table: str) -> str:
    # Trigger names are per table on PostgreSQL, per schema elsewhere.
    if target.dialect == "postgresql":
        return f"DROP TRIGGER IF EXISTS {name} ON {target.quote(table)}"
    return f"DROP TRIGGER IF EXISTS {name}"


def _drop_function(name: str) -> str:
    return f"DROP FUNCTION IF EXISTS {name}()"
