"""Rename a table while the old release keeps using the old name.

The table takes its new name and an updatable view takes the old one, so
the old release reads and writes through the view (rows, defaults,
generated keys and all) until contract drops it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from zerodown.migrations.errors import ObjectNotFound, OperationRefused
from zerodown.migrations.operations import catalog, naming
from zerodown.migrations.operations.base import OnlineOperation, Step, Target

__all__ = ["RenameTable"]

_WAIVER = (
    "the view created under the old name in the same step keeps the old "
    "release working"
)


@dataclass(frozen=True)
class RenameTable(OnlineOperation):
    """``table_name`` becomes ``new_table_name``.

    expand:     PostgreSQL: rename and create the view in one transaction,
                so every query sees the table or the view, never neither;
                the view runs with the caller's privileges (``security_
                invoker``, PostgreSQL 15 and later).  MySQL/MariaDB, where
                each DDL commits itself: views are prepared under
                temporary names and one ``RENAME TABLE`` swaps table and
                view atomically, so there is no moment without the old
                name either.  SQLite: refused (below).
    contract:   drop the view.
    rollback:   the view goes and the table takes its old name back, in
                one transaction (PostgreSQL) or one ``RENAME TABLE``.
    uncontract: the view again.

    SQLite is refused: its views take writes only through INSTEAD OF
    triggers, and an insert through those reports no row id
    (``last_insert_rowid()`` reverts when the trigger ends), so the old
    release would read a wrong id back from every insert.
    """

    name = "rename_table"

    table_name: str
    new_table_name: str

    def validate(self, target: Target) -> None:
        self._supported(target)
        kind = catalog.relation_kind(target, self.table_name)
        if target.inspector is not None and kind != "table":
            raise ObjectNotFound(kind="table", name=self.table_name)
        taken = catalog.relation_kind(target, self.new_table_name)
        if taken is not None:
            raise OperationRefused(
                operation="rename table",
                target=self.target_name,
                why=f"a {taken} named {self.new_table_name} exists",
            )

    def expand(self, target: Target) -> Sequence[Step]:
        self._supported(target)
        if target.dialect == "mysql":
            return self._mysql_swap(target)
        q = target.quote
        return [
            Step(
                f"rename {self.table_name} to {self.new_table_name}",
                sql=f"ALTER TABLE {q(self.table_name)} RENAME TO "
                f"{q(self.new_table_name)}",
                waiver=_WAIVER,
            ),
            self._view(target, self.table_name, self.new_table_name),
        ]

    def contract(self, target: Target) -> Sequence[Step]:
        self._supported(target)
        if target.inspector is not None and (
            catalog.relation_kind(target, self.table_name) != "view"
        ):
            return ()  # nothing left of expand (a re-run)
        return [
            Step(
                f"drop the view {self.table_name} the old release used",
                sql=f"DROP VIEW {target.quote(self.table_name)}",
            )
        ]

    def rollback(self, target: Target) -> Sequence[Step]:
        self._supported(target)
        q = target.quote
        old, new = q(self.table_name), q(self.new_table_name)
        if target.dialect == "mysql":
            gone = q(self._gone)
            return [
                Step(
                    f"swap the view {self.table_name} out and the table "
                    "back in, atomically",
                    sql=f"RENAME TABLE {old} TO {gone}, {new} TO {old}",
                ),
                Step("drop the swapped-out view", sql=f"DROP VIEW {gone}"),
            ]
        return [
            Step(
                f"drop the view {self.table_name}",
                sql=f"DROP VIEW IF EXISTS {old}",
            ),
            Step(
                f"rename {self.new_table_name} back to {self.table_name}",
                sql=f"ALTER TABLE {new} RENAME TO {old}",
            ),
        ]

    def uncontract(self, target: Target) -> Sequence[Step]:
        self._supported(target)
        return [self._view(target, self.table_name, self.new_table_name)]

    @property
    def _gone(self) -> str:
        return naming.generated("gone", self.table_name, self.new_table_name)

    @property
    def _staged(self) -> str:
        return naming.generated("view", self.table_name, self.new_table_name)

    def _view(self, target: Target, name: str, over: str) -> Step:
        q = target.quote
        if target.dialect == "mysql":
            head = f"CREATE SQL SECURITY INVOKER VIEW {q(name)}"
        else:
            invoker = _pg_invoker(target)
            head = f"CREATE VIEW {q(name)}{invoker}"
        return Step(
            f"view {name} over {over}",
            sql=f"{head} AS SELECT * FROM {q(over)}",
        )

    def _mysql_swap(self, target: Target) -> Sequence[Step]:
        q = target.quote
        old, new = q(self.table_name), q(self.new_table_name)
        staged, gone = q(self._staged), q(self._gone)
        return [
            # A view must name an existing table, so the new name first
            # exists as a view over the table; the old name's future view
            # is staged over it.  Each step's undo takes the state back to
            # the one before it.
            _undone(
                self._view(target, self.new_table_name, self.table_name),
                f"DROP VIEW IF EXISTS {new}",
            ),
            _undone(
                self._view(target, self._staged, self.new_table_name),
                f"DROP VIEW IF EXISTS {staged}",
            ),
            Step(
                f"swap: {self.table_name} becomes {self.new_table_name} and "
                f"the staged view becomes {self.table_name}, atomically",
                sql=f"RENAME TABLE {new} TO {gone}, {old} TO {new}, "
                f"{staged} TO {old}",
                waiver=_WAIVER,
                undo=f"RENAME TABLE {old} TO {staged}, {new} TO {old}, "
                f"{gone} TO {new}",
            ),
            Step(
                "drop the stand-in view",
                sql=f"DROP VIEW {gone}",
                waiver="it drops the stand-in view of this same step, "
                "which no release uses",
                undo=f"CREATE VIEW {gone} AS SELECT * FROM {new}",
            ),
        ]

    def _supported(self, target: Target) -> None:
        if target.dialect == "sqlite":
            raise OperationRefused(
                operation="rename table",
                target=self.target_name,
                why="SQLite views take writes only through INSTEAD OF "
                "triggers, which report no row id for an insert, so the "
                "old release would read wrong ids; rename it in a release "
                "that stops the old code first",
            )


def _undone(step: Step, undo: str) -> Step:
    return dataclasses.replace(step, undo=undo)


def _pg_invoker(target: Target) -> str:
    major = target.server_version[:1]
    if not major or (isinstance(major[0], int) and major[0] >= 15):
        return " WITH (security_invoker = true)"
    return ""
