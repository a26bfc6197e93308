"""Changing a column's type: broken readers, or a locked rewrite."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from zerodown.migrations.guard import is_narrowing, is_widening
from zerodown.migrations.lint.columns import render_type, type_of
from zerodown.migrations.lint.findings import Severity
from zerodown.migrations.lint.keys import widen_recipe, widens_a_key
from zerodown.migrations.lint.rules import Context, Hit, rule
from zerodown.migrations.lint.rules._common import heavy
from zerodown.migrations.phases import Phase


@rule(
    "changing-column-type",
    severity=Severity.ERROR,
    why="a conversion changes what both releases read and write; most "
    "type changes also rewrite the table (PostgreSQL under ACCESS "
    "EXCLUSIVE, MySQL/MariaDB with ALGORITHM=COPY)",
    recipe="zop.change_column_type(table, column, new_type, up=..., "
    "down=...): a new column kept in sync by triggers, backfilled in "
    "batches, swapped in contract",
)
def check(ctx: Context) -> Iterator[Hit]:
    operation = ctx.the_call.operation
    if not isinstance(operation, ops.AlterColumnOp):
        return
    if operation.modify_type is None or not ctx.live(operation.table_name):
        return
    target = f"{operation.table_name}.{operation.column_name}"
    old, new = type_of(operation.existing_type), type_of(operation.modify_type)
    if old is None or new is None:
        yield Hit(
            f"changing the type of {target} without existing_type: lint "
            "cannot tell whether old values fit (give existing_type=)",
            target=target,
        )
        return
    family = ctx.profile.family
    before, after = _shown(old, family), _shown(new, family)
    if before == after:
        return  # the same type on this backend: nothing changes
    change = f"{target} from {before} to {after}"
    if not widens_a_key(operation, old, new):
        yield from _judge(ctx, old, new, change, target)
        return
    # A primary key is used by its name everywhere: no second column.
    recipe = widen_recipe(family)
    for hit in _judge(ctx, old, new, f"the primary key {change}", target):
        yield dataclasses.replace(hit, recipe=recipe)


def _judge(
    ctx: Context, old: Any, new: Any, change: str, target: str
) -> Iterator[Hit]:
    widening = is_widening(old, new)
    if not widening and not is_narrowing(old, new):
        yield Hit(
            f"changing {change} converts its values while both releases "
            "use it",
            target=target,
        )
        return
    if not widening and ctx.script.phase is Phase.EXPAND:
        yield Hit(
            f"narrowing {change} in expand: the old release may still "
            "write values that no longer fit (narrow in contract)",
            target=target,
        )
        return
    profile = ctx.profile
    # Before a server learnt the cheap way, it took the general one.
    cost = profile.cost(profile.type_change(old, new, widening))
    cost = cost or profile.cost("alter_type")
    severity = heavy(profile, cost)
    if cost is not None and severity is not None:
        yield Hit(
            f"changing {change}: {profile.describe()} {cost.describe()}",
            target=target,
            severity=severity,
        )


def _shown(type_: Any, family: str) -> str:
    # A PostgreSQL ENUM renders as its name alone: its members tell.
    text = render_type(type_, family)
    if isinstance(type_, sa.Enum) and "(" not in text:
        text += " (" + ", ".join(map(str, type_.enums)) + ")"
    return text
