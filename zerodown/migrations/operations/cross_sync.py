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

from zerodown.migrations.operations.base import Step, Target

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
        return f"zd_move_{self.source}_{self.column}"[:54]


class CrossDialect:
    dialect: ClassVar[str]
    registry: ClassVar[dict[str, type[CrossDialect]]] = {}

    def __init_subclass__(cls) -> None:
        CrossDialect.registry[cls.dialect] = cls

    def __init__(self, target: Target) -> None:
        self.q = target.quote

    def create(self, sync: TableSync) -> list[str]:
        raise NotImplementedError

    def drop(self, sync: TableSync) -> list[str]:
        raise NotImplementedError

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

    def create(self, sync: TableSync) -> list[str]:
        q, n = self.q, sync.name
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
        return [
            _function(f"{n}_s", f"{to_target} RETURN NEW;"),
            f"CREATE TRIGGER {n}_s AFTER INSERT OR UPDATE OF {src_col} ON "
            f"{q(sync.source)} FOR EACH ROW EXECUTE FUNCTION {n}_s()",
            _function(f"{n}_f", f"{fill} RETURN NEW;"),
            f"CREATE TRIGGER {n}_f BEFORE INSERT ON {q(sync.target)} "
            f"FOR EACH ROW EXECUTE FUNCTION {n}_f()",
            _function(
                f"{n}_t",
                f"IF NEW.{tgt_col} IS NOT NULL OR TG_OP = 'UPDATE' THEN "
                f"{to_source} END IF; RETURN NEW;",
            ),
            f"CREATE TRIGGER {n}_t AFTER INSERT OR UPDATE OF {tgt_col} ON "
            f"{q(sync.target)} FOR EACH ROW EXECUTE FUNCTION {n}_t()",
        ]

    def drop(self, sync: TableSync) -> list[str]:
        statements = []
        for suffix, table in (
            ("s", sync.source),
            ("f", sync.target),
            ("t", sync.target),
        ):
            name = f"{sync.name}_{suffix}"
            statements.append(
                f"DROP TRIGGER IF EXISTS {name} ON {self.q(table)}"
            )
            statements.append(f"DROP FUNCTION IF EXISTS {name}()")
        return statements


def _function(name: str, body: str) -> str:
    # A backfill's own writes are not echoed back (see QUIET_SQL).
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$zd$ BEGIN IF current_setting('{QUIET_SETTING}', true) = 'on' "
        f"THEN RETURN NEW; END IF; {body} END $zd$"
    )


class MySQLCross(CrossDialect):
    dialect = "mysql"

    def create(self, sync: TableSync) -> list[str]:
        q, n = self.q, sync.name
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
        source, target = q(sync.source), q(sync.target)
        return [
            # No AFTER INSERT copy on the source: looking for a target
            # row that a brand-new source row could have takes InnoDB gap
            # locks on the target key, and two writers inserting (source
            # then target) deadlock on them.  A target row inserted after
            # its source row (parent then child, as Nova writes instances
            # and instance_extra) takes the value from the fill trigger.
            _guarded(
                f"{n}_su", "AFTER UPDATE", source, changed_src, to_target
            ),
            f"CREATE TRIGGER {n}_f BEFORE INSERT ON {target} FOR "
            f"EACH ROW BEGIN IF NEW.{tgt_col} IS NULL THEN SET NEW.{tgt_col}"
            f" = {self.lookup(sync, 'NEW')}; END IF; END",
            _guarded(
                f"{n}_ti",
                "AFTER INSERT",
                target,
                f"NEW.{tgt_col} IS NOT NULL",
                to_source,
            ),
            _guarded(
                f"{n}_tu", "AFTER UPDATE", target, changed_tgt, to_source
            ),
        ]

    def drop(self, sync: TableSync) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {sync.name}_{suffix}"
            for suffix in ("su", "f", "ti", "tu")
        ]


def _copy(table: str, column: str, value: str, where: str) -> str:
    # MySQL raises error 1442 for an UPDATE of the table whose statement
    # fired the trigger, even one matching no row; a backfill's UPDATE of
    # the target reads the source.  Only run the UPDATE when a row differs.
    return (
        f"IF EXISTS (SELECT 1 FROM {table} WHERE {where}) THEN "
        f"UPDATE {table} SET {column} = {value} WHERE {where}; END IF"
    )


def _guarded(
    name: str, when: str, table: str, condition: str, body: str
) -> str:
    return (
        f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW BEGIN\n"
        "  DECLARE EXIT HANDLER FOR SQLEXCEPTION\n"
        "    BEGIN SET @zd_sync = NULL; RESIGNAL; END;\n"
        f"  IF @zd_sync IS NULL AND {condition} THEN\n"
        f"    SET @zd_sync = 1; {body}; SET @zd_sync = NULL;\n"
        "  END IF;\nEND"
    )


class SQLiteCross(CrossDialect):
    dialect = "sqlite"

    def create(self, sync: TableSync) -> list[str]:
        q, n = self.q, sync.name
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
        return [
            f"CREATE TRIGGER {n}_si AFTER INSERT ON {src} "
            f"BEGIN {to_target} END",
            f"CREATE TRIGGER {n}_su AFTER UPDATE OF {src_col} ON {src} "
            f"WHEN NEW.{src_col} IS NOT OLD.{src_col} BEGIN {to_target} END",
            f"CREATE TRIGGER {n}_ti AFTER INSERT ON {tgt} BEGIN "
            f"UPDATE {tgt} SET {tgt_col} = {self.lookup(sync, 'NEW')} WHERE "
            f"{key} AND NEW.{tgt_col} IS NULL; "
            f"UPDATE {src} SET {src_col} = NEW.{tgt_col} WHERE "
            f"{self.match_source(sync, 'NEW')} AND NEW.{tgt_col} IS NOT NULL "
            f"AND {src_col} IS NOT NEW.{tgt_col}; END",
            f"CREATE TRIGGER {n}_tu AFTER UPDATE OF {tgt_col} ON {tgt} "
            f"WHEN NEW.{tgt_col} IS NOT OLD.{tgt_col} BEGIN {to_source} END",
        ]

    def drop(self, sync: TableSync) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {sync.name}_{suffix}"
            for suffix in ("si", "su", "ti", "tu")
        ]


def create_steps(sync: TableSync, target: Target) -> Sequence[Step]:
    dialect = CrossDialect.registry[target.dialect](target)
    return [
        Step(f"sync {sync.source}.{sync.column} -> {sync.target}", sql=sql)
        for sql in dialect.create(sync)
    ]


def drop_steps(sync: TableSync, target: Target) -> Sequence[Step]:
    dialect = CrossDialect.registry[target.dialect](target)
    return [
        Step(f"stop syncing {sync.source}.{sync.column}", sql=sql)
        for sql in dialect.drop(sync)
    ]
