"""Building and dropping an index without blocking writers, per backend.

* PostgreSQL: ``CREATE INDEX CONCURRENTLY`` outside the transaction.  A
  build that fails (duplicates, a lock timeout while it waits for old
  transactions, a killed process) leaves an *invalid* index under the
  name; the build step drops it before a retry and after a failure, and
  the next run of the operation finds any that remains and rebuilds it.
* MySQL/MariaDB: ``ALGORITHM=INPLACE, LOCK=NONE``, so the server fails
  the statement rather than silently copying the table under a lock.
* SQLite: a plain ``CREATE INDEX`` (one writer at a time, whatever we do).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from alembic.operations import ops

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import catalog
from zerodown.migrations.operations.base import Step, Target
from zerodown.migrations.operations.catalog import IndexState

__all__ = ["IndexDialect", "IndexSpec", "build_steps", "drop_steps"]

LOG = logging.getLogger(__name__)

REPAIR_WAIVER = (
    "it drops only the invalid leftover of an interrupted concurrent "
    "build, which no query uses"
)


@dataclass(frozen=True)
class IndexSpec:
    """An index as the operation wants it."""

    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None  # a partial index (PostgreSQL, SQLite)


class IndexDialect:
    """How one backend builds and drops an index online."""

    dialect: ClassVar[str]
    partial: ClassVar[bool] = True
    registry: ClassVar[dict[str, type[IndexDialect]]] = {}

    def __init_subclass__(cls) -> None:
        IndexDialect.registry[cls.dialect] = cls

    def __init__(self, target: Target) -> None:
        self.q = target.quote

    @classmethod
    def of(cls, target: Target) -> IndexDialect:
        return cls.registry[target.dialect](target)

    def columns(self, spec: IndexSpec) -> str:
        return ", ".join(self.q(c) for c in spec.columns)

    def create(self, spec: IndexSpec) -> list[Step]:
        raise NotImplementedError

    def drop(self, name: str, table: str) -> list[Step]:
        raise NotImplementedError

    def repair(self, spec: IndexSpec) -> list[Step]:
        return []


class PostgreSQLIndexes(IndexDialect):
    dialect = "postgresql"

    def create(self, spec: IndexSpec) -> list[Step]:
        unique = "UNIQUE " if spec.unique else ""
        where = f" WHERE {spec.where}" if spec.where else ""
        name = self.q(spec.name)
        return [
            Step(
                f"build index {spec.name} concurrently",
                sql=f"CREATE {unique}INDEX CONCURRENTLY {name} ON "
                f"{self.q(spec.table)} ({self.columns(spec)}){where}",
                autocommit=True,
                cleanup=f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
            )
        ]

    def drop(self, name: str, table: str) -> list[Step]:
        return [
            Step(
                f"drop index {name} concurrently",
                sql=f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(name)}",
                autocommit=True,
            )
        ]

    def repair(self, spec: IndexSpec) -> list[Step]:
        return [
            Step(
                f"drop the invalid index {spec.name} that a failed "
                "concurrent build left",
                sql=f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(spec.name)}",
                autocommit=True,
                waiver=REPAIR_WAIVER,
            )
        ]


class MySQLIndexes(IndexDialect):
    dialect = "mysql"
    partial = False

    def create(self, spec: IndexSpec) -> list[Step]:
        unique = "UNIQUE " if spec.unique else ""
        return [
            Step(
                f"build index {spec.name} in place, writes allowed",
                sql=f"CREATE {unique}INDEX {self.q(spec.name)} ON "
                f"{self.q(spec.table)} ({self.columns(spec)}) "
                "ALGORITHM=INPLACE LOCK=NONE",
                undo=self.drop_sql(spec.name, spec.table),
            )
        ]

    def drop(self, name: str, table: str) -> list[Step]:
        return [
            Step(
                f"drop index {name} in place, writes allowed",
                sql=self.drop_sql(name, table),
            )
        ]

    def drop_sql(self, name: str, table: str) -> str:
        # MariaDB's DROP INDEX takes no ALGORITHM; ALTER TABLE does.
        return (
            f"ALTER TABLE {self.q(table)} DROP INDEX {self.q(name)}, "
            "ALGORITHM=INPLACE, LOCK=NONE"
        )


class SQLiteIndexes(IndexDialect):
    dialect = "sqlite"

    def create(self, spec: IndexSpec) -> list[Step]:
        where: dict[str, Any] = (
            {"sqlite_where": sa.text(spec.where)} if spec.where else {}
        )
        return [
            Step(
                f"build index {spec.name}",
                operation=ops.CreateIndexOp(
                    spec.name,
                    spec.table,
                    list(spec.columns),
                    unique=spec.unique,
                    **where,
                ),
            )
        ]

    def drop(self, name: str, table: str) -> list[Step]:
        return [
            Step(
                f"drop index {name}",
                operation=ops.DropIndexOp(name, table_name=table),
            )
        ]


def validate_spec(spec: IndexSpec, target: Target, operation: str) -> None:
    """Refuse what cannot be built, before any DDL."""
    if not spec.columns:
        raise OperationRefused(
            operation=operation, target=spec.name, why="it names no columns"
        )
    if spec.where and not IndexDialect.registry[target.dialect].partial:
        raise OperationRefused(
            operation=operation,
            target=spec.name,
            why=f"{target.dialect} has no partial indexes (where=...)",
        )
    catalog.require_columns(target, spec.table, spec.columns)
    if plan_build(spec, target, operation) and spec.unique:
        _refuse_duplicates(spec, target, operation)


def _refuse_duplicates(
    spec: IndexSpec, target: Target, operation: str
) -> None:
    # The build would find them too, but only at its end, and on
    # PostgreSQL with the message's detail (the values) on a second line.
    q = target.quote
    columns = ", ".join(q(c) for c in spec.columns)
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in spec.columns)
    where = f" AND ({spec.where})" if spec.where else ""
    rows = target.select(
        f"SELECT {columns} FROM {q(spec.table)} WHERE {present}{where} "
        f"GROUP BY {columns} HAVING COUNT(*) > 1 LIMIT 1"
    )
    if rows:
        raise OperationRefused(
            operation=operation,
            target=spec.name,
            why=f"{spec.table} holds duplicates of ({', '.join(spec.columns)})"
            f", e.g. {tuple(rows[0])}; remove them and run expand again",
        )


def plan_build(
    spec: IndexSpec, target: Target, operation: str
) -> Sequence[Step]:
    """The steps that leave ``spec`` built, given what exists.

    An invalid leftover is dropped and rebuilt; the same index, valid, is
    left alone (a re-run after a later step failed); another index under
    the name is refused.
    """
    dialect = IndexDialect.of(target)
    state = catalog.index_state(target, spec.name)
    if state is IndexState.INVALID:
        LOG.warning("index %s is invalid: rebuilding it", spec.name)
        return [*dialect.repair(spec), *dialect.create(spec)]
    if state is IndexState.VALID:
        if _same(catalog.existing_index(target, spec.name), spec):
            LOG.info("index %s is already built", spec.name)
            return []
        raise OperationRefused(
            operation=operation,
            target=spec.name,
            why="another index of that name exists",
        )
    kind = catalog.relation_kind(target, spec.name)
    if kind is not None:
        raise OperationRefused(
            operation=operation,
            target=spec.name,
            why=f"a {kind} of that name exists",
        )
    return dialect.create(spec)


def _same(found: catalog.ExistingIndex | None, spec: IndexSpec) -> bool:
    return (
        found is not None
        and found.table == spec.table
        and found.columns == spec.columns
        and found.unique == spec.unique
    )


def build_steps(spec: IndexSpec, target: Target) -> Sequence[Step]:
    return IndexDialect.of(target).create(spec)


def drop_steps(name: str, table: str, target: Target) -> Sequence[Step]:
    return IndexDialect.of(target).drop(name, table)
