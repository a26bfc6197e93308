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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from zerodown.migrations.operations import naming, triggers
from zerodown.migrations.operations.base import Step, Target
from zerodown.migrations.operations.triggers import Placed, Trigger

__all__ = ["ColumnSync", "create_steps", "drop_steps"]


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
        """The triggers' base name (see :mod:`.naming`)."""
        return naming.generated("sync", self.table, self.old, self.new)

    @property
    def legacy_name(self) -> str:
        return naming.legacy("sync", self.table, self.new, length=56)


class SyncDialect:
    dialect: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]
    registry: ClassVar[dict[str, type[SyncDialect]]] = {}

    def __init_subclass__(cls) -> None:
        SyncDialect.registry[cls.dialect] = cls

    def __init__(self, target: Target) -> None:
        self.q = target.quote

    def create(self, sync: ColumnSync) -> list[Trigger]:
        raise NotImplementedError

    def placed(self, sync: ColumnSync, base: str) -> list[Placed]:
        return [Placed(base + suffix, sync.table) for suffix in self.suffixes]

    def expr(self, template: str, row: str, column: str) -> str:
        return "(" + template.format(value=f"{row}.{self.q(column)}") + ")"


class PostgreSQLSync(SyncDialect):
    dialect = "postgresql"
    suffixes = ("",)  # the trigger and its function share the name

    def create(self, sync: ColumnSync) -> list[Trigger]:
        old, new = self.q(sync.old), self.q(sync.new)
        (placed,) = self.placed(sync, sync.name)
        name = self.q(placed.name)
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
            Trigger(
                placed,
                function=f"CREATE FUNCTION {name}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $zd${body}\n$zd$",
                body=f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON "
                f"{self.q(sync.table)} FOR EACH ROW EXECUTE FUNCTION "
                f"{name}()",
            )
        ]


class MySQLSync(SyncDialect):
    dialect = "mysql"
    suffixes = ("_bi", "_bu")

    def create(self, sync: ColumnSync) -> list[Trigger]:
        old, new, table = (
            self.q(sync.old),
            self.q(sync.new),
            self.q(sync.table),
        )
        to_new = self.expr(sync.to_new, "NEW", sync.old)
        to_old = self.expr(sync.to_old, "NEW", sync.new)
        insert, update = self.placed(sync, sync.name)
        return [
            Trigger(
                insert,
                f"CREATE TRIGGER {self.q(insert.name)} BEFORE INSERT ON "
                f"{table} FOR EACH ROW BEGIN\n"
                f"  IF NEW.{new} IS NULL AND NEW.{old} IS NOT NULL THEN "
                f"SET NEW.{new} = {to_new};\n"
                f"  ELSEIF NEW.{old} IS NULL AND NEW.{new} IS NOT NULL THEN "
                f"SET NEW.{old} = {to_old};\n"
                f"  END IF;\nEND",
            ),
            Trigger(
                update,
                f"CREATE TRIGGER {self.q(update.name)} BEFORE UPDATE ON "
                f"{table} FOR EACH ROW BEGIN\n"
                f"  IF NOT (NEW.{old} <=> OLD.{old}) AND "
                f"(NEW.{new} <=> OLD.{new}) THEN SET NEW.{new} = {to_new};\n"
                f"  ELSEIF NOT (NEW.{new} <=> OLD.{new}) AND "
                f"(NEW.{old} <=> OLD.{old}) THEN SET NEW.{old} = {to_old};\n"
                f"  END IF;\nEND",
            ),
        ]


class SQLiteSync(SyncDialect):
    """SQLite triggers cannot assign NEW: AFTER triggers update the row."""

    dialect = "sqlite"
    suffixes = ("_ai", "_uo", "_un")

    def create(self, sync: ColumnSync) -> list[Trigger]:
        old, new, table = (
            self.q(sync.old),
            self.q(sync.new),
            self.q(sync.table),
        )
        row = " AND ".join(f"{self.q(k)} = NEW.{self.q(k)}" for k in sync.key)
        to_new = self.expr(sync.to_new, "NEW", sync.old)
        to_old = self.expr(sync.to_old, "NEW", sync.new)
        insert, of_old, of_new = self.placed(sync, sync.name)
        return [
            Trigger(
                insert,
                f"CREATE TRIGGER {self.q(insert.name)} AFTER INSERT ON "
                f"{table} BEGIN\n"
                f"  UPDATE {table} SET {new} = {to_new} WHERE {row} "
                f"AND NEW.{new} IS NULL AND NEW.{old} IS NOT NULL;\n"
                f"  UPDATE {table} SET {old} = {to_old} WHERE {row} "
                f"AND NEW.{old} IS NULL AND NEW.{new} IS NOT NULL;\nEND",
            ),
            Trigger(
                of_old,
                f"CREATE TRIGGER {self.q(of_old.name)} AFTER UPDATE OF {old} "
                f"ON {table} WHEN NEW.{old} IS NOT OLD.{old} AND "
                f"NEW.{new} IS OLD.{new} BEGIN\n"
                f"  UPDATE {table} SET {new} = {to_new} WHERE {row};\nEND",
            ),
            Trigger(
                of_new,
                f"CREATE TRIGGER {self.q(of_new.name)} AFTER UPDATE OF {new} "
                f"ON {table} WHEN NEW.{new} IS NOT OLD.{new} AND "
                f"NEW.{old} IS OLD.{old} BEGIN\n"
                f"  UPDATE {table} SET {old} = {to_old} WHERE {row};\nEND",
            ),
        ]


def create_steps(sync: ColumnSync, target: Target) -> Sequence[Step]:
    dialect = SyncDialect.registry[target.dialect](target)
    return triggers.create_steps(
        dialect.create(sync),
        target,
        f"sync {sync.table}.{sync.old} <-> {sync.new}",
    )


def drop_steps(sync: ColumnSync, target: Target) -> Sequence[Step]:
    dialect = SyncDialect.registry[target.dialect](target)
    return triggers.drop_steps(
        dialect.placed(sync, sync.name),
        dialect.placed(sync, sync.legacy_name),
        target,
        f"stop syncing {sync.table}.{sync.old} <-> {sync.new}",
    )
