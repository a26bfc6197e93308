"""Dual-write triggers: keep an old and a new column equal while both
releases write, one implementation per backend.

A row written by the old release carries only the old column, one written
by the new release only the new one; the trigger fills the other side:

* on INSERT, the side left NULL is computed from the side that was given;
* on UPDATE, the side that changed (while the other did not) is copied.

``to_new`` and ``to_old`` are SQL expressions with ``{value}`` standing
for the other column (``{value}`` alone for a rename).  The expand step
adds the new column without a server default, so "left NULL" really means
"not written by this release".
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from zerodown.migrations.operations.base import Step, Target

__all__ = [
    "ColumnFill",
    "ColumnSync",
    "create_steps",
    "drop_steps",
    "fill_steps",
    "unfill_steps",
]


@dataclass(frozen=True)
class ColumnSync:
    """Keep ``table.old`` and ``table.new`` in step."""

    table: str
    old: str
    new: str
    key: tuple[str, ...]
    to_new: str = "{value}"
    to_old: str = "{value}"

    @property
    def name(self) -> str:
        # Trigger names share one namespace per schema on PostgreSQL and
        # MySQL, and are limited to 63/64 characters.
        return f"zd_sync_{self.table}_{self.new}"[:56]


class SyncDialect:
    dialect: ClassVar[str]
    registry: ClassVar[dict[str, type[SyncDialect]]] = {}

    def __init_subclass__(cls) -> None:
        SyncDialect.registry[cls.dialect] = cls

    def __init__(self, target: Target) -> None:
        self.q = target.quote

    def create(self, sync: ColumnSync) -> list[str]:
        raise NotImplementedError

    def drop(self, sync: ColumnSync) -> list[str]:
        raise NotImplementedError

    def expr(self, template: str, row: str, column: str) -> str:
        return "(" + template.format(value=f"{row}.{self.q(column)}") + ")"


class PostgreSQLSync(SyncDialect):
    dialect = "postgresql"

    def create(self, sync: ColumnSync) -> list[str]:
        old, new, name = self.q(sync.old), self.q(sync.new), sync.name
        to_new = self.expr(sync.to_new, "NEW", sync.old)
        to_old = self.expr(sync.to_old, "NEW", sync.new)
        body = f"""
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.{new} IS NULL AND NEW.{old} IS NOT NULL THEN
      NEW.{new} := {to_new};
    ELSIF NEW.{old} IS NULL AND NEW.{new} IS NOT NULL THEN
      NEW.{old} := {to_old};
    END IF;
  ELSIF NEW.{old} IS DISTINCT FROM OLD.{old}
        AND NEW.{new} IS NOT DISTINCT FROM OLD.{new} THEN
    NEW.{new} := {to_new};
  ELSIF NEW.{new} IS DISTINCT FROM OLD.{new}
        AND NEW.{old} IS NOT DISTINCT FROM OLD.{old} THEN
    NEW.{old} := {to_old};
  END IF;
  RETURN NEW;
END"""
        return [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $zd${body}\n$zd$",
            f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON "
            f"{self.q(sync.table)} FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]

    def drop(self, sync: ColumnSync) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {sync.name} ON {self.q(sync.table)}",
            f"DROP FUNCTION IF EXISTS {sync.name}()",
        ]


class MySQLSync(SyncDialect):
    dialect = "mysql"

    def create(self, sync: ColumnSync) -> list[str]:
        old, new, table = (
            self.q(sync.old),
            self.q(sync.new),
            self.q(sync.table),
        )
        to_new = self.expr(sync.to_new, "NEW", sync.old)
        to_old = self.expr(sync.to_old, "NEW", sync.new)
        return [
            f"CREATE TRIGGER {sync.name}_bi BEFORE INSERT ON {table} "
            f"FOR EACH ROW BEGIN\n"
            f"  IF NEW.{new} IS NULL AND NEW.{old} IS NOT NULL THEN "
            f"SET NEW.{new} = {to_new};\n"
            f"  ELSEIF NEW.{old} IS NULL AND NEW.{new} IS NOT NULL THEN "
            f"SET NEW.{old} = {to_old};\n"
            f"  END IF;\nEND",
            f"CREATE TRIGGER {sync.name}_bu BEFORE UPDATE ON {table} "
            f"FOR EACH ROW BEGIN\n"
            f"  IF NOT (NEW.{old} <=> OLD.{old}) AND (NEW.{new} <=> OLD.{new})"
            f" THEN SET NEW.{new} = {to_new};\n"
            f"  ELSEIF NOT (NEW.{new} <=> OLD.{new}) AND "
            f"(NEW.{old} <=> OLD.{old}) THEN SET NEW.{old} = {to_old};\n"
            f"  END IF;\nEND",
        ]

    def drop(self, sync: ColumnSync) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {sync.name}_bi",
            f"DROP TRIGGER IF EXISTS {sync.name}_bu",
        ]


class SQLiteSync(SyncDialect):
    """SQLite triggers cannot assign NEW: AFTER triggers update the row."""

    dialect = "sqlite"

    def create(self, sync: ColumnSync) -> list[str]:
        old, new, table = (
            self.q(sync.old),
            self.q(sync.new),
            self.q(sync.table),
        )
        row = " AND ".join(f"{self.q(k)} = NEW.{self.q(k)}" for k in sync.key)
        to_new = self.expr(sync.to_new, "NEW", sync.old)
        to_old = self.expr(sync.to_old, "NEW", sync.new)
        return [
            f"CREATE TRIGGER {sync.name}_ai AFTER INSERT ON {table} BEGIN\n"
            f"  UPDATE {table} SET {new} = {to_new} WHERE {row} "
            f"AND NEW.{new} IS NULL AND NEW.{old} IS NOT NULL;\n"
            f"  UPDATE {table} SET {old} = {to_old} WHERE {row} "
            f"AND NEW.{old} IS NULL AND NEW.{new} IS NOT NULL;\nEND",
            f"CREATE TRIGGER {sync.name}_uo AFTER UPDATE OF {old} ON {table} "
            f"WHEN NEW.{old} IS NOT OLD.{old} AND NEW.{new} IS OLD.{new} "
            f"BEGIN\n  UPDATE {table} SET {new} = {to_new} WHERE {row};\nEND",
            f"CREATE TRIGGER {sync.name}_un AFTER UPDATE OF {new} ON {table} "
            f"WHEN NEW.{new} IS NOT OLD.{new} AND NEW.{old} IS OLD.{old} "
            f"BEGIN\n  UPDATE {table} SET {old} = {to_old} WHERE {row};\nEND",
        ]

    def drop(self, sync: ColumnSync) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {sync.name}_{suffix}"
            for suffix in ("ai", "uo", "un")
        ]


def create_steps(sync: ColumnSync, target: Target) -> Sequence[Step]:
    dialect = SyncDialect.registry[target.dialect](target)
    return [
        Step(f"sync {sync.table}.{sync.old} <-> {sync.new}", sql=sql)
        for sql in dialect.create(sync)
    ]


def drop_steps(sync: ColumnSync, target: Target) -> Sequence[Step]:
    dialect = SyncDialect.registry[target.dialect](target)
    return [
        Step(f"stop syncing {sync.table}.{sync.old} <-> {sync.new}", sql=sql)
        for sql in dialect.drop(sync)
    ]


@dataclass(frozen=True)
class ColumnFill:
    """Compute ``table.column`` from the row's other columns whenever a
    write leaves it NULL (the old release does not know the column).

    ``expression`` is SQL with ``{other_column}`` placeholders.
    """

    table: str
    column: str
    expression: str
    key: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"zd_fill_{self.table}_{self.column}"[:56]

    def render(self, quote: Callable[[str], str], row: str = "") -> str:
        names = {
            field: f"{row}.{quote(field)}" if row else quote(field)
            for _, field, _, _ in string.Formatter().parse(self.expression)
            if field
        }
        return "(" + self.expression.format(**names) + ")"


def fill_steps(fill: ColumnFill, target: Target) -> Sequence[Step]:
    q = target.quote
    table, column = q(fill.table), q(fill.column)
    value = fill.render(q, "NEW")
    statements = _FILLS[target.dialect](fill, table, column, value, q)
    return [
        Step(f"fill {fill.table}.{fill.column} on writes", sql=sql)
        for sql in statements
    ]


def unfill_steps(fill: ColumnFill, target: Target) -> Sequence[Step]:
    q = target.quote
    statements = {
        "postgresql": [
            f"DROP TRIGGER IF EXISTS {fill.name} ON {q(fill.table)}",
            f"DROP FUNCTION IF EXISTS {fill.name}()",
        ],
        "mysql": [
            f"DROP TRIGGER IF EXISTS {fill.name}_bi",
            f"DROP TRIGGER IF EXISTS {fill.name}_bu",
        ],
        "sqlite": [
            f"DROP TRIGGER IF EXISTS {fill.name}_ai",
            f"DROP TRIGGER IF EXISTS {fill.name}_au",
        ],
    }[target.dialect]
    return [
        Step(f"stop filling {fill.table}.{fill.column}", sql=sql)
        for sql in statements
    ]


def _pg_fill(
    fill: ColumnFill, table: str, column: str, value: str, q: Quote
) -> list[str]:
    return [
        f"CREATE FUNCTION {fill.name}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$zd$ BEGIN IF NEW.{column} IS NULL THEN NEW.{column} := {value}; "
        "END IF; RETURN NEW; END $zd$",
        f"CREATE TRIGGER {fill.name} BEFORE INSERT OR UPDATE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {fill.name}()",
    ]


def _mysql_fill(
    fill: ColumnFill, table: str, column: str, value: str, q: Quote
) -> list[str]:
    body = f"IF NEW.{column} IS NULL THEN SET NEW.{column} = {value}; END IF"
    return [
        f"CREATE TRIGGER {fill.name}_{suffix} BEFORE {event} ON {table} "
        f"FOR EACH ROW BEGIN {body}; END"
        for suffix, event in (("bi", "INSERT"), ("bu", "UPDATE"))
    ]


def _sqlite_fill(
    fill: ColumnFill, table: str, column: str, value: str, q: Quote
) -> list[str]:
    row = " AND ".join(f"{q(k)} = NEW.{q(k)}" for k in fill.key)
    update = (
        f"UPDATE {table} SET {column} = {value} WHERE {row} "
        f"AND {column} IS NULL;"
    )
    return [
        f"CREATE TRIGGER {fill.name}_ai AFTER INSERT ON {table} "
        f"WHEN NEW.{column} IS NULL BEGIN {update} END",
        f"CREATE TRIGGER {fill.name}_au AFTER UPDATE ON {table} "
        f"WHEN NEW.{column} IS NULL BEGIN {update} END",
    ]


Quote = Callable[[str], str]
_FILLS: dict[str, Callable[..., list[str]]] = {
    "postgresql": _pg_fill,
    "mysql": _mysql_fill,
    "sqlite": _sqlite_fill,
}
