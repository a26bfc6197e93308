"""Dual-write across two tables: ``source.column`` and ``target.column``,
the target's row found by a join key, kept equal while both releases run.

The old release writes ``source``; the new one writes ``target``:

* a change of ``source.column`` is copied to the matching target row;
* a target row inserted without the column takes it from its source row;
* a target row inserted or updated with the column copies it back.

MySQL/MariaDB refuse a trigger that updates the table whose statement
fired it (error 1442) even through a second trigger, so the copy carries a
session flag that stops the echo; an error handler clears it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from zerodown.migrations.operations import naming, triggers
from zerodown.migrations.operations.base import Step, Target
from zerodown.migrations.operations.triggers import Placed, Trigger

__all__ = ["QUIET_SQL", "TableSync", "create_steps", "drop_steps"]

# A backfill copies source to target; echoing its writes back to the
# source would lock source rows after target rows, the reverse of the
# application's order, and deadlock it.  The backfill's transaction turns
# the triggers' copies off with these (MySQL's session flag is the one the
# triggers already use against error 1442).
QUIET_SETTING = "zerodown.quiet"
QUIET_SQL = {
    "postgresql": (f"SET LOCAL {QUIET_SETTING} = 'on'", None),
    "mysql": ("SET @zd_sync = 1", "SET @zd_sync = NULL"),
}


@dataclass(frozen=True)
class TableSync:
    source: str
    column: str
    target: str
    target_column: str
    on: tuple[tuple[str, str], ...]  # (target column, source column) pairs

    @property
    def name(self) -> str:
        """The triggers' base name (see :mod:`.naming`)."""
        return naming.generated(
            "move", self.source, self.column, self.target, self.target_column
        )

    @property
    def legacy_name(self) -> str:
        return naming.legacy("move", self.source, self.column, length=54)


class CrossDialect:
    dialect: ClassVar[str]
    # Each trigger's suffix and whether it is on the source table.
    parts: ClassVar[tuple[tuple[str, bool], ...]]
    registry: ClassVar[dict[str, type[CrossDialect]]] = {}

    def __init_subclass__(cls) -> None:
        CrossDialect.registry[cls.dialect] = cls

    def __init__(self, target: Target) -> None:
        self.q = target.quote

    def create(self, sync: TableSync) -> list[Trigger]:
        raise NotImplementedError

    def placed(self, sync: TableSync, base: str) -> list[Placed]:
        return [
            Placed(base + suffix, sync.source if on_source else sync.target)
            for suffix, on_source in self.parts
        ]

    def match_source(self, sync: TableSync, row: str) -> str:
        """Condition on ``source`` selecting the row of target ``row``."""
        return " AND ".join(
            f"{self.q(sync.source)}.{self.q(s)} = {row}.{self.q(t)}"
            for t, s in sync.on
        )

    def match_target(self, sync: TableSync, row: str) -> str:
        return " AND ".join(
            f"{self.q(sync.target)}.{self.q(t)} = {row}.{self.q(s)}"
            for t, s in sync.on
        )

    def lookup(self, sync: TableSync, row: str) -> str:
        return (
            f"(SELECT {self.q(sync.source)}.{self.q(sync.column)} FROM "
            f"{self.q(sync.source)} WHERE {self.match_source(sync, row)})"
        )


class PostgreSQLCross(CrossDialect):
    dialect = "postgresql"
    parts = (("_s", True), ("_f", False), ("_t", False))

    def create(self, sync: TableSync) -> list[Trigger]:
        q = self.q
        src_col, tgt_col = q(sync.column), q(sync.target_column)
        to_target = (
            f"UPDATE {q(sync.target)} SET {tgt_col} = NEW.{src_col} WHERE "
            f"{self.match_target(sync, 'NEW')} AND {tgt_col} IS DISTINCT "
            f"FROM NEW.{src_col};"
        )
        to_source = (
            f"UPDATE {q(sync.source)} SET {src_col} = NEW.{tgt_col} WHERE "
            f"{self.match_source(sync, 'NEW')} AND {src_col} IS DISTINCT "
            f"FROM NEW.{tgt_col};"
        )
        fill = (
            f"IF TG_OP = 'INSERT' AND NEW.{tgt_col} IS NULL THEN "
            f"NEW.{tgt_col} := {self.lookup(sync, 'NEW')}; END IF;"
        )
        source, filled, target = self.placed(sync, sync.name)
        return [
            self._trigger(
                source,
                f"AFTER INSERT OR UPDATE OF {src_col}",
                f"{to_target} RETURN NEW;",
            ),
            self._trigger(filled, "BEFORE INSERT", f"{fill} RETURN NEW;"),
            self._trigger(
                target,
                f"AFTER INSERT OR UPDATE OF {tgt_col}",
                f"IF NEW.{tgt_col} IS NOT NULL OR TG_OP = 'UPDATE' THEN "
                f"{to_source} END IF; RETURN NEW;",
            ),
        ]

    def _trigger(self, placed: Placed, when: str, body: str) -> Trigger:
        name = self.q(placed.name)
        # A backfill's own writes are not echoed back (see QUIET_SQL).
        function = (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$zd$ BEGIN IF current_setting('{QUIET_SETTING}', true) = 'on' "
            f"THEN RETURN NEW; END IF; {body} END $zd$"
        )
        return Trigger(
            placed,
            function=function,
            body=f"CREATE TRIGGER {name} {when} ON {self.q(placed.table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        )


class MySQLCross(CrossDialect):
    dialect = "mysql"
    parts = (("_su", True), ("_f", False), ("_ti", False), ("_tu", False))

    def create(self, sync: TableSync) -> list[Trigger]:
        q = self.q
        src_col, tgt_col = q(sync.column), q(sync.target_column)
        to_target = _copy(
            q(sync.target),
            tgt_col,
            f"NEW.{src_col}",
            f"{self.match_target(sync, 'NEW')} AND NOT ({tgt_col} <=> "
            f"NEW.{src_col})",
        )
        to_source = _copy(
            q(sync.source),
            src_col,
            f"NEW.{tgt_col}",
            f"{self.match_source(sync, 'NEW')} AND NOT ({src_col} <=> "
            f"NEW.{tgt_col})",
        )
        changed_src = f"NOT (NEW.{src_col} <=> OLD.{src_col})"
        changed_tgt = f"NOT (NEW.{tgt_col} <=> OLD.{tgt_col})"
        source, filled, inserted, updated = self.placed(sync, sync.name)
        return [
            # No AFTER INSERT copy on the source: looking for a target
            # row that a brand-new source row could have takes InnoDB gap
            # locks on the target key, and two writers inserting (source
            # then target) deadlock on them.  A target row inserted after
            # its source row (parent then child, as Nova writes instances
            # and instance_extra) takes the value from the fill trigger.
            self._guarded(source, "AFTER UPDATE", changed_src, to_target),
            Trigger(
                filled,
                f"CREATE TRIGGER {q(filled.name)} BEFORE INSERT ON "
                f"{q(filled.table)} FOR EACH ROW BEGIN IF NEW.{tgt_col} IS "
                f"NULL THEN SET NEW.{tgt_col} = {self.lookup(sync, 'NEW')}; "
                "END IF; END",
            ),
            self._guarded(
                inserted,
                "AFTER INSERT",
                f"NEW.{tgt_col} IS NOT NULL",
                to_source,
            ),
            self._guarded(updated, "AFTER UPDATE", changed_tgt, to_source),
        ]

    def _guarded(
        self, placed: Placed, when: str, condition: str, body: str
    ) -> Trigger:
        return Trigger(
            placed,
            f"CREATE TRIGGER {self.q(placed.name)} {when} ON "
            f"{self.q(placed.table)} FOR EACH ROW BEGIN\n"
            "  DECLARE EXIT HANDLER FOR SQLEXCEPTION\n"
            "    BEGIN SET @zd_sync = NULL; RESIGNAL; END;\n"
            f"  IF @zd_sync IS NULL AND {condition} THEN\n"
            f"    SET @zd_sync = 1; {body}; SET @zd_sync = NULL;\n"
            "  END IF;\nEND",
        )


def _copy(table: str, column: str, value: str, where: str) -> str:
    # MySQL raises error 1442 for an UPDATE of the table whose statement
    # fired the trigger, even one matching no row; a backfill's UPDATE of
    # the target reads the source.  Only run the UPDATE when a row differs.
    return (
        f"IF EXISTS (SELECT 1 FROM {table} WHERE {where}) THEN "
        f"UPDATE {table} SET {column} = {value} WHERE {where}; END IF"
    )


class SQLiteCross(CrossDialect):
    dialect = "sqlite"
    parts = (("_si", True), ("_su", True), ("_ti", False), ("_tu", False))

    def create(self, sync: TableSync) -> list[Trigger]:
        q = self.q
        src, tgt = q(sync.source), q(sync.target)
        src_col, tgt_col = q(sync.column), q(sync.target_column)
        key = " AND ".join(f"{q(t)} = NEW.{q(t)}" for t, _ in sync.on)
        to_target = (
            f"UPDATE {tgt} SET {tgt_col} = NEW.{src_col} WHERE "
            f"{self.match_target(sync, 'NEW')} AND {tgt_col} IS NOT "
            f"NEW.{src_col};"
        )
        to_source = (
            f"UPDATE {src} SET {src_col} = NEW.{tgt_col} WHERE "
            f"{self.match_source(sync, 'NEW')} AND {src_col} IS NOT "
            f"NEW.{tgt_col};"
        )
        inserted, updated, target_in, target_up = self.placed(sync, sync.name)
        return [
            Trigger(
                inserted,
                f"CREATE TRIGGER {q(inserted.name)} AFTER INSERT ON {src} "
                f"BEGIN {to_target} END",
            ),
            Trigger(
                updated,
                f"CREATE TRIGGER {q(updated.name)} AFTER UPDATE OF {src_col} "
                f"ON {src} WHEN NEW.{src_col} IS NOT OLD.{src_col} BEGIN "
                f"{to_target} END",
            ),
            Trigger(
                target_in,
                f"CREATE TRIGGER {q(target_in.name)} AFTER INSERT ON {tgt} "
                f"BEGIN UPDATE {tgt} SET {tgt_col} = "
                f"{self.lookup(sync, 'NEW')} WHERE {key} AND NEW.{tgt_col} "
                f"IS NULL; UPDATE {src} SET {src_col} = NEW.{tgt_col} WHERE "
                f"{self.match_source(sync, 'NEW')} AND NEW.{tgt_col} IS NOT "
                f"NULL AND {src_col} IS NOT NEW.{tgt_col}; END",
            ),
            Trigger(
                target_up,
                f"CREATE TRIGGER {q(target_up.name)} AFTER UPDATE OF "
                f"{tgt_col} ON {tgt} WHEN NEW.{tgt_col} IS NOT "
                f"OLD.{tgt_col} BEGIN {to_source} END",
            ),
        ]


def create_steps(sync: TableSync, target: Target) -> Sequence[Step]:
    dialect = CrossDialect.registry[target.dialect](target)
    return triggers.create_steps(
        dialect.create(sync),
        target,
        f"sync {sync.source}.{sync.column} -> {sync.target}",
    )


def drop_steps(sync: TableSync, target: Target) -> Sequence[Step]:
    dialect = CrossDialect.registry[target.dialect](target)
    return triggers.drop_steps(
        dialect.placed(sync, sync.name),
        dialect.placed(sync, sync.legacy_name),
        target,
        f"stop syncing {sync.source}.{sync.column}",
    )
