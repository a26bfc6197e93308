"""Online operations: one schema change split across the upgrade's phases.

An :class:`OnlineOperation` never touches the database.  It returns its
work as :class:`Step` data for each phase, and one executor runs them, so
``--sql`` output, the guard and the journal all see the same plan.  The
same call stands in the expand revision and in the contract revision; the
phase of the running revision decides which steps run::

    # versions/expand/..._rename.py and versions/contract/..._rename.py
    zop.rename_column("users", "name", "full_name")
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from alembic.operations import ops

from zerodown.migrations import sqltext
from zerodown.migrations.errors import (
    DowngradeRefused,
    ObjectNotFound,
    OperationRefused,
)
from zerodown.migrations.operations.reflected import Reflected

__all__ = ["Backfill", "Check", "OnlineOperation", "Step", "Target"]


@dataclass(frozen=True)
class Check:
    """A query that must find no row for the revision to go on.

    A row found stops the revision with :class:`OperationRefused` built
    from ``operation``, ``target`` and ``why`` (``{row}`` in ``why`` is
    the row found).
    """

    query: str
    operation: str
    target: str
    why: str


@dataclass(frozen=True)
class Step:
    """One action on the database, as data.

    Exactly one of ``sql`` (a statement, with every name quoted and no
    parameters), ``operation`` (an Alembic operation, rendered portably per
    backend) or ``check`` is set.
    ``autocommit`` steps run outside the revision's transaction
    (``CONCURRENTLY``, or a scan that must not keep the revision's locks).
    ``cleanup`` is SQL that removes what a failed attempt left behind (the
    invalid index of an interrupted concurrent build): it runs before a
    lock-timeout retry and after the step finally fails.  ``waiver`` says
    why the step is safe in its phase although the phase guard would
    refuse its kind (a drop of that leftover during expand, say).
    ``undo`` (SQL or an Alembic operation) reverses the step: where DDL
    commits itself (MySQL, MariaDB), an expand that fails after the step
    ran undoes it (see :mod:`zerodown.migrations.undo`).
    """

    description: str
    sql: str | None = None
    operation: ops.MigrateOperation | None = None
    autocommit: bool = False
    check: Check | None = None
    cleanup: str | None = None
    waiver: str | None = None
    undo: str | ops.MigrateOperation | None = None


@dataclass(frozen=True)
class Backfill:
    """The data an operation must move between ``expand`` and ``contract``.

    ``assignments`` and ``where`` are SQL over the table's own columns,
    run in keyset-paginated batches by ``zerodown db migrate``.  It is
    stored as data when expand runs, so ``migrate`` needs no code of the
    revision.  ``facts`` keeps what expand saw and contract needs (the old
    column's NOT NULL, say, where expand had to relax it).  With
    ``copy_into``, the batches copy the rows ``where`` selects into that
    table instead of updating them (a shadow table's copy, see
    :mod:`.shadow_copy`); ``assignments`` is then unused.
    """

    name: str
    table: str
    assignments: str
    where: str | None = None
    facts: dict[str, Any] = dataclasses.field(default_factory=dict)
    copy_into: str | None = None

    def spec(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Backfill:
        return cls(**spec)


@dataclass(frozen=True)
class Target:
    """What an operation plans for: the backend and, online, its schema."""

    dialect: str
    server_version: tuple[int | str, ...] = ()
    is_mariadb: bool = False
    inspector: Reflected | None = None  # None when rendering --sql
    # What expand recorded for a backfill (by name); None when offline.
    recall: Callable[[str], dict[str, Any]] | None = None
    # The connection's own dialect (MariaDB's reserved words are not
    # MySQL's); None: the backend's generic one.
    sql_dialect: sa.Dialect | None = None
    # --sql: a column as the script made it so far (name, type, nullable,
    # default), where reflection cannot tell; None online.
    scripted: Callable[[str, str], dict[str, Any] | None] | None = None
    # --sql: the models env.py gives autogenerate (target_metadata).
    models: Any = None
    # Preflight renders to check phases only: a type nobody knows is
    # guessed rather than refused.
    guess_types: bool = False

    def facts(self, backfill: str) -> dict[str, Any]:
        return self.recall(backfill) if self.recall else {}

    def quote(self, name: str) -> str:
        """``name`` as an identifier in SQL text (see
        :mod:`zerodown.migrations.sqltext`)."""
        return self._quote(name)

    @functools.cached_property
    def _quote(self) -> sqltext.Quote:
        return sqltext.quoter(self.sql_dialect or _DIALECTS[self.dialect])

    def columns(self, table: str) -> dict[str, dict[str, Any]] | None:
        if self.inspector is None:
            return None
        if not self.inspector.has_table(table):
            raise ObjectNotFound(kind="table", name=table)
        return {c["name"]: dict(c) for c in self.inspector.get_columns(table)}

    def column(self, table: str, column: str) -> dict[str, Any] | None:
        """``table.column`` as reflected; offline, as the script made it
        (None: the script does not say)."""
        columns = self.columns(table)
        if columns is None:
            return self.scripted(table, column) if self.scripted else None
        if column not in columns:
            raise ObjectNotFound(kind="column", name=f"{table}.{column}")
        return columns[column]

    def model_type(self, table: str, column: str) -> Any:
        """Offline: the type the models give ``table.column``.  None when
        they do not and a script is being written (it would be a guess);
        planning alone (no script) and preflight guess TEXT."""
        for metadata in _listed(self.models):
            found = getattr(metadata, "tables", {}).get(table)
            if found is not None and column in found.c:
                return found.c[column].type
        return sa.Text() if self.guess_types or not self.scripted else None

    def absent(self, table: str, column: str) -> None:
        columns = self.columns(table)
        if columns is not None and column in columns:
            raise OperationRefused(
                operation="add",
                target=f"{table}.{column}",
                why="the column already exists",
            )

    def select(self, sql: str, **params: Any) -> list[sa.Row[Any]] | None:
        """Rows of a catalog query; None when rendering ``--sql``."""
        if self.inspector is None:
            return None
        connection = self.inspector.bind
        assert isinstance(connection, sa.Connection)
        # Without parameters, every colon is part of the SQL (a name).
        query = sa.text(sql) if params else sqltext.literal(sql)
        return list(connection.execute(query, params))

    def primary_key(self, table: str) -> tuple[str, ...]:
        if self.inspector is None:
            return ("id",)
        columns = self.inspector.get_pk_constraint(table)[
            "constrained_columns"
        ]
        if not columns:
            raise OperationRefused(
                operation="sync",
                target=table,
                why="the table has no primary key to address its rows",
            )
        return tuple(columns)


def _listed(models: Any) -> Sequence[Any]:
    if models is None:
        return ()
    return models if isinstance(models, Sequence) else (models,)


_DIALECTS = {
    name: sa.create_mock_engine(f"{name}://", lambda *a, **k: None).dialect
    for name in ("postgresql", "mysql", "sqlite")
}


class OnlineOperation(ops.MigrateOperation):
    """Base of every online operation; subclasses are frozen dataclasses.

    Subclasses set ``name`` (the ``zop`` method and registry key) and
    implement the phases they need; the defaults do nothing.
    """

    name: ClassVar[str]
    registry: ClassVar[dict[str, type[OnlineOperation]]] = {}
    # Its steps are journaled one by one (see the runtime), so that a
    # failed expand can undo each; the operation itself is not a step.
    zerodown_journals_steps: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            OnlineOperation.registry[cls.name] = cls

    @property
    def zerodown_kind(self) -> str:
        return self.name

    @property
    def target_name(self) -> str:
        values = [str(v) for v in dataclasses.astuple(self)[:2]]  # type: ignore[call-overload]
        return ".".join(values)

    def validate(self, target: Target) -> None:
        """Raise a typed error before any DDL if the change cannot apply."""

    def expand(self, target: Target) -> Sequence[Step]:
        return ()

    def backfill(self, target: Target) -> Backfill | None:
        return None

    def contract(self, target: Target) -> Sequence[Step]:
        return ()

    def rollback(self, target: Target) -> Sequence[Step]:
        """Undo ``expand`` (legal until contract ran)."""
        return ()

    def reverse(self) -> OnlineOperation:
        """The same call: in a downgrade it rolls back (see the executor)."""
        return self

    def uncontract(self, target: Target) -> Sequence[Step]:
        """Undo ``contract``; most operations cannot, their data is gone."""
        raise DowngradeRefused(
            operation=f"undo the contract of {self.name}",
            target=self.target_name,
            why="contract removed the old shape, which the previous "
            "release used, and no downgrade rebuilds it: restore the backup "
            "taken before this contract ran, or go forward with a new expand "
            "revision that adds back what is needed",
        )
