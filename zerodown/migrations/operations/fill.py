"""Fill triggers: compute a column from the row's other columns whenever a
write leaves it NULL (the old release does not know the column), for
``add_column`` and ``set_not_null`` with a backfill."""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zerodown.migrations.operations import naming, triggers
from zerodown.migrations.operations.base import Step, Target
from zerodown.migrations.operations.triggers import Placed, Trigger

__all__ = ["ColumnFill", "fill_steps", "unfill_steps"]

# The suffixes of each backend's triggers, in creation order.
_SUFFIXES = {
    "postgresql": ("",),  # one trigger, and its function of the same name
    "mysql": ("_bi", "_bu"),
    "sqlite": ("_ai", "_au"),
}


@dataclass(frozen=True)
class ColumnFill:
    """Fill ``table.column`` with ``expression`` on writes that leave it
    NULL.

    ``expression`` is SQL with ``{other_column}`` placeholders.
    """

    table: str
    column: str
    expression: str
    key: tuple[str, ...]

    @property
    def name(self) -> str:
        """The triggers' base name (see :mod:`.naming`)."""
        return naming.generated("fill", self.table, self.column)

    @property
    def legacy_name(self) -> str:
        return naming.legacy("fill", self.table, self.column, length=56)

    def placed(self, dialect: str, base: str) -> list[Placed]:
        return [Placed(base + s, self.table) for s in _SUFFIXES[dialect]]

    def render(self, quote: Callable[[str], str], row: str = "") -> str:
        """The expression with its columns quoted (``row.column`` with a
        ``row``).  Built by hand rather than ``str.format``, which would
        read a column called ``a.b`` as an attribute of ``a``."""
        parts = ["("]
        for text, field, _, _ in string.Formatter().parse(self.expression):
            parts.append(text)
            if field is not None:
                parts.append(f"{row}.{quote(field)}" if row else quote(field))
        return "".join(parts) + ")"


def fill_steps(fill: ColumnFill, target: Target) -> Sequence[Step]:
    created = _FILLS[target.dialect](fill, target)
    return triggers.create_steps(
        created, target, f"fill {fill.table}.{fill.column} on writes"
    )


def unfill_steps(fill: ColumnFill, target: Target) -> Sequence[Step]:
    return triggers.drop_steps(
        fill.placed(target.dialect, fill.name),
        fill.placed(target.dialect, fill.legacy_name),
        target,
        f"stop filling {fill.table}.{fill.column}",
    )


def _pg_fill(fill: ColumnFill, target: Target) -> list[Trigger]:
    q = target.quote
    column, value = q(fill.column), fill.render(q, "NEW")
    (placed,) = fill.placed("postgresql", fill.name)
    name = q(placed.name)
    return [
        Trigger(
            placed,
            function=f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE "
            f"plpgsql AS $zd$ BEGIN IF NEW.{column} IS NULL THEN "
            f"NEW.{column} := {value}; END IF; RETURN NEW; END $zd$",
            body=f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON "
            f"{q(fill.table)} FOR EACH ROW EXECUTE FUNCTION {name}()",
        )
    ]


def _mysql_fill(fill: ColumnFill, target: Target) -> list[Trigger]:
    q = target.quote
    column, value = q(fill.column), fill.render(q, "NEW")
    body = f"IF NEW.{column} IS NULL THEN SET NEW.{column} = {value}; END IF"
    insert, update = fill.placed("mysql", fill.name)
    return [
        Trigger(
            placed,
            f"CREATE TRIGGER {q(placed.name)} BEFORE {event} ON "
            f"{q(fill.table)} FOR EACH ROW BEGIN {body}; END",
        )
        for placed, event in ((insert, "INSERT"), (update, "UPDATE"))
    ]


def _sqlite_fill(fill: ColumnFill, target: Target) -> list[Trigger]:
    q = target.quote
    table, column = q(fill.table), q(fill.column)
    row = " AND ".join(f"{q(k)} = NEW.{q(k)}" for k in fill.key)
    update = (
        f"UPDATE {table} SET {column} = {fill.render(q, 'NEW')} WHERE {row} "
        f"AND {column} IS NULL;"
    )
    insert, updated = fill.placed("sqlite", fill.name)
    return [
        Trigger(
            placed,
            f"CREATE TRIGGER {q(placed.name)} AFTER {event} ON {table} "
            f"WHEN NEW.{column} IS NULL BEGIN {update} END",
        )
        for placed, event in ((insert, "INSERT"), (updated, "UPDATE"))
    ]


_FILLS: dict[str, Callable[[ColumnFill, Target], list[Trigger]]] = {
    "postgresql": _pg_fill,
    "mysql": _mysql_fill,
    "sqlite": _sqlite_fill,
}
