"""Make a column NOT NULL without scanning the table under a lock."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import catalog, naming
from zerodown.migrations.operations.base import (
    Backfill,
    Check,
    OnlineOperation,
    Step,
    Target,
)
from zerodown.migrations.operations.fill import (
    ColumnFill,
    fill_steps,
    unfill_steps,
)

__all__ = ["SetNotNull"]

_WAIVER = (
    "a check that this contract validates and drops at once; it only "
    "spares SET NOT NULL its scan under ACCESS EXCLUSIVE"
)


@dataclass(frozen=True)
class SetNotNull(OnlineOperation):
    """``table_name.column_name`` becomes NOT NULL.

    ``backfill_sql`` (SQL over the row's columns in braces, as for
    ``add_column``) gives NULLs a value: a trigger fills every write that
    leaves the column NULL and ``zerodown db migrate`` fills the old rows.
    Without it, both releases must already write a value.

    PostgreSQL (12 or later)
      expand:   ``CHECK (column IS NOT NULL) NOT VALID``: new writes are
                checked at once, old rows are not scanned.
      contract: ``VALIDATE`` the check in its own transaction (a scan that
                lets writers go on), then ``SET NOT NULL``, which trusts the
                valid check instead of scanning, then drop the check.  Where
                the call stands in contract only, contract adds the check
                first.
    MySQL/MariaDB (no NOT VALID constraints)
      expand:   only the fill trigger, if any.
      contract: refuse if a NULL remains, then ``MODIFY ... NOT NULL`` with
                ``ALGORITHM=INPLACE, LOCK=NONE``: an online rebuild that
                writers do not wait for, which fails (and changes nothing)
                if a NULL arrives meanwhile.
    SQLite
      expand:   only the fill trigger, if any.
      contract: refuse if a NULL remains, then rebuild the table.
    rollback:   drop the check and the trigger.
    uncontract: back to the state after expand.
    """

    name = "set_not_null"

    table_name: str
    column_name: str
    backfill_sql: str | None = None
    existing_type: Any = None  # MySQL's MODIFY when rendering --sql

    @property
    def check_name(self) -> str:
        """The PostgreSQL check's name (see :mod:`.naming`)."""
        return naming.generated("nn", self.table_name, self.column_name)

    def _check_name(self, target: Target) -> str:
        """The check's name in this database: :attr:`check_name`, or the
        name a release up to 2.0 gave it if its expand made it so."""
        legacy = naming.clipped(
            naming.legacy("nn", self.table_name, self.column_name, length=63)
        )
        present = functools.partial(
            catalog.constraint_validated, target, self.table_name
        )
        if present(self.check_name) is None and present(legacy) is not None:
            return legacy
        return self.check_name

    def validate(self, target: Target) -> None:
        column = target.column(self.table_name, self.column_name)
        if column is not None and not column["nullable"]:
            raise OperationRefused(
                operation="set NOT NULL on",
                target=self.target_name,
                why="it is NOT NULL already",
            )
        version = tuple(int(v) for v in target.server_version[:1] if v)
        if target.dialect == "postgresql" and version and version < (12,):
            raise OperationRefused(
                operation="set NOT NULL on",
                target=self.target_name,
                why="PostgreSQL before 12 scans the table under ACCESS "
                "EXCLUSIVE for SET NOT NULL even with a valid check",
            )

    def expand(self, target: Target) -> Sequence[Step]:
        steps = list(self._fill_steps(target))
        if target.dialect == "postgresql":
            present = catalog.constraint_validated(
                target, self.table_name, self._check_name(target)
            )
            if present is None:
                steps.append(self._add_check(target))
        return steps

    def backfill(self, target: Target) -> Backfill | None:
        fill = self._fill(target)
        if fill is None:
            return None
        column = target.quote(self.column_name)
        return Backfill(
            name=naming.backfill(self.name, self.table_name, self.column_name),
            table=self.table_name,
            assignments=f"{column} = {fill.render(target.quote)}",
            where=f"{column} IS NULL",
        )

    def contract(self, target: Target) -> Sequence[Step]:
        fill = self._fill(target)
        unfill = list(unfill_steps(fill, target)) if fill else []
        if target.dialect == "postgresql":
            return [*self._postgresql_contract(target), *unfill]
        tighten = (
            self._mysql_modify(target)
            if target.dialect == "mysql"
            else self._sqlite_alter(target)
        )
        # SQLite's rebuild drops the fill trigger; drop it first anyway.
        return [*unfill, self._no_nulls(target), tighten]

    def rollback(self, target: Target) -> Sequence[Step]:
        steps = list(self._fill_unsteps(target))
        if target.dialect == "postgresql":
            steps.append(self._drop_check(target))
        return steps

    def uncontract(self, target: Target) -> Sequence[Step]:
        q = target.quote
        relax: Step
        if target.dialect == "postgresql":
            relax = Step(
                f"let {self.target_name} be NULL again",
                sql=f"ALTER TABLE {q(self.table_name)} ALTER COLUMN "
                f"{q(self.column_name)} DROP NOT NULL",
            )
            return [relax, self._add_check(target), *self._fill_steps(target)]
        if target.dialect == "mysql":
            relax = self._mysql_modify(target, nullable=True)
        else:
            relax = self._sqlite_alter(target, nullable=True)
        return [relax, *self._fill_steps(target)]

    def _fill(self, target: Target) -> ColumnFill | None:
        if self.backfill_sql is None:
            return None
        return ColumnFill(
            self.table_name,
            self.column_name,
            self.backfill_sql,
            key=target.primary_key(self.table_name),
        )

    def _fill_steps(self, target: Target) -> Sequence[Step]:
        fill = self._fill(target)
        return fill_steps(fill, target) if fill else ()

    def _fill_unsteps(self, target: Target) -> Sequence[Step]:
        fill = self._fill(target)
        return unfill_steps(fill, target) if fill else ()

    def _add_check(self, target: Target) -> Step:
        q = target.quote
        return Step(
            f"check {self.target_name} IS NOT NULL on new writes (NOT VALID)",
            sql=f"ALTER TABLE {q(self.table_name)} ADD CONSTRAINT "
            f"{q(self.check_name)} CHECK ({q(self.column_name)} IS NOT NULL) "
            "NOT VALID",
        )

    def _drop_check(self, target: Target, name: str | None = None) -> Step:
        q = target.quote
        name = name or self._check_name(target)
        return Step(
            f"drop the check {name}",
            sql=f"ALTER TABLE {q(self.table_name)} DROP CONSTRAINT IF EXISTS "
            f"{q(name)}",
        )

    def _postgresql_contract(self, target: Target) -> Sequence[Step]:
        q = target.quote
        table = q(self.table_name)
        steps = []
        name = self._check_name(target)
        state = catalog.constraint_validated(target, self.table_name, name)
        if state is None and target.inspector is not None:
            # The call stands in contract only: the check that lets SET
            # NOT NULL skip its scan is made here, and dropped below.
            steps.append(
                dataclasses.replace(self._add_check(target), waiver=_WAIVER)
            )
        if not state:
            steps.append(
                Step(
                    f"validate {name} in its own transaction, "
                    "writers going on",
                    sql=f"ALTER TABLE {table} VALIDATE CONSTRAINT {q(name)}",
                    autocommit=True,
                )
            )
        steps += [
            Step(
                f"NOT NULL on {self.target_name}, proven by the valid check",
                sql=f"ALTER TABLE {table} ALTER COLUMN "
                f"{q(self.column_name)} SET NOT NULL",
            ),
            self._drop_check(target, name),
        ]
        return steps

    def _no_nulls(self, target: Target) -> Step:
        q = target.quote
        return Step(
            f"no NULL left in {self.target_name}",
            check=Check(
                f"SELECT 1 FROM {q(self.table_name)} "
                f"WHERE {q(self.column_name)} IS NULL LIMIT 1",
                operation="set NOT NULL on",
                target=self.target_name,
                why="rows still hold NULL; run zerodown db migrate (or fill "
                "them) first",
            ),
        )

    def _existing(self, target: Target) -> dict[str, Any]:
        column = target.column(self.table_name, self.column_name)
        if column is not None:
            return column
        if self.existing_type is None:
            raise OperationRefused(
                operation="render NOT NULL on",
                target=self.target_name,
                why="offline, MySQL's MODIFY needs existing_type=",
            )
        return {"type": self.existing_type, "default": None, "comment": None}

    def _mysql_modify(self, target: Target, nullable: bool = False) -> Step:
        column = self._existing(target)
        q = target.quote
        kind = sa.types.to_instance(column["type"]).compile(
            dialect=_MYSQL_DIALECT
        )
        default = column.get("default")
        comment = column.get("comment")
        definition = " ".join(
            part
            for part in (
                kind,
                "NULL" if nullable else "NOT NULL",
                f"DEFAULT {default}" if default is not None else "",
                f"COMMENT {_mysql_string(comment)}" if comment else "",
            )
            if part
        )
        state = "NULL again" if nullable else "NOT NULL"
        return Step(
            f"{self.target_name} {state}, rebuilt in place, writes allowed",
            sql=f"ALTER TABLE {q(self.table_name)} MODIFY COLUMN "
            f"{q(self.column_name)} {definition}, "
            "ALGORITHM=INPLACE, LOCK=NONE",
        )

    def _sqlite_alter(self, target: Target, nullable: bool = False) -> Step:
        catalog.rebuild_needs_live_schema(target, self.table_name, "NOT NULL")
        column = self._existing(target)
        return Step(
            f"rebuild {self.table_name} with {self.column_name} "
            + ("NULL again" if nullable else "NOT NULL"),
            operation=ops.AlterColumnOp(
                self.table_name,
                self.column_name,
                existing_type=column["type"],
                existing_nullable=not nullable,
                modify_nullable=nullable,
            ),
        )


def _mysql_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


_MYSQL_DIALECT = sa.create_mock_engine(
    "mysql://", lambda *a, **k: None
).dialect
