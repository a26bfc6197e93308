"""Add a foreign key without a long lock on either table."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from alembic.operations import ops

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import catalog
from zerodown.migrations.operations.base import (
    Check,
    OnlineOperation,
    Step,
    Target,
)

__all__ = ["AddForeignKey"]

_LATE = (
    "the old release is gone; a key added in contract only tightens what "
    "the new release already respects"
)

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class AddForeignKey(OnlineOperation):
    """``source_table.local_cols`` must name a row of
    ``referent_table.remote_cols``, as ``constraint_name``.

    PostgreSQL
      expand:   ``ADD CONSTRAINT ... NOT VALID``: a catalog change under a
                short lock; from then on every write of either release is
                checked.
      contract: ``VALIDATE CONSTRAINT`` in its own transaction: it scans
                the existing rows holding only SHARE UPDATE EXCLUSIVE, so
                writers go on (``zerodown db migrate`` had the time to
                repair orphans).
    MySQL/MariaDB
      expand:   refuse if an orphan row exists; add the key with
                ``foreign_key_checks`` off, ``ALGORITHM=INPLACE,
                LOCK=NONE`` (the server cannot check old rows online);
                then check for orphans again: the key now stops new ones,
                so a clean second check covers the rows written between.
    SQLite
      expand:   refuse if an orphan row exists, then rebuild the table
                with the key (SQLite cannot add one in place; it holds the
                database's one write lock while it copies).  Refused while
                another operation's triggers are on the table.
    rollback: drop the key (on MySQL, also the index it created).

    Where the call stands in contract only, contract adds the key as
    expand would (and validates it, on PostgreSQL).
    """

    name = "add_foreign_key"

    constraint_name: str
    source_table: str
    referent_table: str
    local_cols: Sequence[str]
    remote_cols: Sequence[str]
    ondelete: str | None = None

    def validate(self, target: Target) -> None:
        if len(self.local_cols) != len(self.remote_cols) or not (
            self.local_cols
        ):
            raise OperationRefused(
                operation="add foreign key",
                target=self.constraint_name,
                why="local_cols and remote_cols must pair up, one or more",
            )
        self._refuse_unreadable(target)
        catalog.require_columns(target, self.source_table, self.local_cols)
        catalog.require_columns(target, self.referent_table, self.remote_cols)
        self._exists(target)  # refuses another key under the name
        self._refuse_orphans(target)

    def expand(self, target: Target) -> Sequence[Step]:
        return _EXPAND[target.dialect](self, target)

    def contract(self, target: Target) -> Sequence[Step]:
        steps: list[Step] = []
        late = target.inspector is not None and not self._exists(target)
        if late:  # the call stands in contract only: add the key here
            self.validate(target)
            steps += [
                dataclasses.replace(step, waiver=_LATE)
                for step in self.expand(target)
            ]
        if target.dialect != "postgresql":
            return steps
        if not late and catalog.constraint_validated(
            target, self.source_table, self.constraint_name
        ):
            return steps
        q = target.quote
        return [
            *steps,
            Step(
                f"validate {self.constraint_name} in its own transaction, "
                "writers going on",
                sql=f"ALTER TABLE {q(self.source_table)} VALIDATE "
                f"CONSTRAINT {q(self.constraint_name)}",
                autocommit=True,
            ),
        ]

    def rollback(self, target: Target) -> Sequence[Step]:
        q = target.quote
        table, name = q(self.source_table), q(self.constraint_name)
        if target.dialect == "sqlite":
            catalog.rebuild_needs_live_schema(
                target, self.source_table, "a foreign key's removal"
            )
            return [
                Step(
                    f"drop foreign key {self.constraint_name}",
                    operation=ops.DropConstraintOp(
                        self.constraint_name,
                        self.source_table,
                        type_="foreignkey",
                    ),
                )
            ]
        if target.dialect == "postgresql":
            drop = f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"
            return [Step(f"drop foreign key {self.constraint_name}", sql=drop)]
        steps = [
            Step(
                f"drop foreign key {self.constraint_name}",
                sql=f"ALTER TABLE {table} DROP FOREIGN KEY {name}, "
                "ALGORITHM=INPLACE, LOCK=NONE",
            )
        ]
        if self._implicit_index(target):
            steps.append(
                Step(
                    f"drop the index InnoDB made for {self.constraint_name}",
                    sql=f"ALTER TABLE {table} DROP INDEX {name}, "
                    "ALGORITHM=INPLACE, LOCK=NONE",
                )
            )
        return steps

    def uncontract(self, target: Target) -> Sequence[Step]:
        return ()  # a validated key stays valid

    def orphans(self, target: Target) -> str:
        """A query for one row whose key names no referent row."""
        q = target.quote
        src, ref = q(self.source_table), q(self.referent_table)
        join = " AND ".join(
            f"r.{q(remote)} = s.{q(local)}"
            for local, remote in zip(
                self.local_cols, self.remote_cols, strict=True
            )
        )
        present = " AND ".join(
            f"s.{q(c)} IS NOT NULL" for c in self.local_cols
        )
        keys = ", ".join(f"s.{q(c)}" for c in self.local_cols)
        return (
            f"SELECT {keys} FROM {src} s WHERE {present} AND NOT EXISTS "
            f"(SELECT 1 FROM {ref} r WHERE {join}) LIMIT 1"
        )

    def orphan_check(self, target: Target, when: str) -> Step:
        return Step(
            f"no {self.source_table} row lacks its {self.referent_table} "
            f"row ({when})",
            check=Check(
                self.orphans(target),
                operation="add foreign key",
                target=self.constraint_name,
                why=f"{self.source_table} has rows whose "
                f"{', '.join(self.local_cols)} names no "
                f"{self.referent_table} row, e.g. {{row}}; repair or "
                "delete them and run expand again",
            ),
        )

    def _refuse_unreadable(self, target: Target) -> None:
        # SQLAlchemy reads a key back from its table's CREATE statement on
        # SQLite and MySQL, and loses it when a name in it holds the
        # quote character escaped.
        quote = _UNREADABLE.get(target.dialect)
        names = (
            self.constraint_name,
            self.referent_table,
            *self.local_cols,
            *self.remote_cols,
        )
        if quote and any(quote in name for name in names):
            raise OperationRefused(
                operation="add foreign key",
                target=self.constraint_name,
                why=f"on {target.dialect}, SQLAlchemy cannot read back a key "
                f"whose names hold {quote}, so it could be added but never "
                "found again nor rolled back; choose names without one",
            )

    def _refuse_orphans(self, target: Target) -> None:
        if target.dialect == "postgresql" or target.inspector is None:
            return  # PostgreSQL: NOT VALID; VALIDATE in contract says
        rows = target.select(self.orphans(target))
        if rows:
            raise OperationRefused(
                operation="add foreign key",
                target=self.constraint_name,
                why=f"{self.source_table} has rows whose "
                f"{', '.join(self.local_cols)} names no "
                f"{self.referent_table} row, e.g. {tuple(rows[0])}",
            )

    def _exists(self, target: Target) -> bool:
        """Whether the key exists already (a re-run); refuse another one
        under the name."""
        if target.inspector is None:
            return False
        catalog.require_table(target, self.source_table)
        for fk in target.inspector.get_foreign_keys(self.source_table):
            if fk["name"] != self.constraint_name:
                continue
            wanted = (
                self.referent_table,
                tuple(self.local_cols),
                tuple(self.remote_cols),
            )
            found = (
                fk["referred_table"],
                tuple(fk["constrained_columns"]),
                tuple(fk["referred_columns"]),
            )
            if found != wanted:
                raise OperationRefused(
                    operation="add foreign key",
                    target=self.constraint_name,
                    why=f"a different foreign key of that name exists {found}",
                )
            return True
        return False

    def _implicit_index(self, target: Target) -> bool:
        if target.inspector is None:
            return True  # offline: render the drop with IF EXISTS intent
        return any(
            index["name"] == self.constraint_name
            for index in target.inspector.get_indexes(self.source_table)
        )

    def _references(self, target: Target) -> str:
        q = target.quote
        local = ", ".join(q(c) for c in self.local_cols)
        remote = ", ".join(q(c) for c in self.remote_cols)
        ondelete = f" ON DELETE {self.ondelete}" if self.ondelete else ""
        return (
            f"FOREIGN KEY ({local}) REFERENCES {q(self.referent_table)} "
            f"({remote}){ondelete}"
        )


def _postgresql(fk: AddForeignKey, target: Target) -> Sequence[Step]:
    if (
        catalog.constraint_validated(
            target, fk.source_table, fk.constraint_name
        )
        is not None
    ):
        LOG.info("%s already exists", fk.constraint_name)
        return []
    q = target.quote
    return [
        Step(
            f"add foreign key {fk.constraint_name} NOT VALID: new writes "
            "checked, old rows later",
            sql=f"ALTER TABLE {q(fk.source_table)} ADD CONSTRAINT "
            f"{q(fk.constraint_name)} {fk._references(target)} NOT VALID",
        )
    ]


def _mysql(fk: AddForeignKey, target: Target) -> Sequence[Step]:
    q = target.quote
    if fk._exists(target):
        return [fk.orphan_check(target, "the key exists from an earlier run")]
    checks_on = "SET foreign_key_checks = 1"
    return [
        fk.orphan_check(target, "before"),
        # Undone in any order, the session's checks end on.
        Step(
            "old rows were checked above",
            sql="SET foreign_key_checks = 0",
            undo=checks_on,
        ),
        Step(
            f"add foreign key {fk.constraint_name} in place, writes allowed",
            sql=f"ALTER TABLE {q(fk.source_table)} ADD CONSTRAINT "
            f"{q(fk.constraint_name)} {fk._references(target)}, "
            "ALGORITHM=INPLACE, LOCK=NONE",
            undo=_mysql_unadd(fk, target),
        ),
        Step("check new writes again", sql=checks_on, undo=checks_on),
        fk.orphan_check(target, "after: covers the rows written meanwhile"),
    ]


def _mysql_unadd(fk: AddForeignKey, target: Target) -> str:
    """Drop the key, and the index InnoDB makes for it where no index
    starts with its columns (the primary key included)."""
    q = target.quote
    drop = f"ALTER TABLE {q(fk.source_table)} DROP FOREIGN KEY " + q(
        fk.constraint_name
    )
    if _usable_index(fk, target):
        return f"{drop}, ALGORITHM=INPLACE, LOCK=NONE"
    return (
        f"{drop}, DROP INDEX {q(fk.constraint_name)}, "
        "ALGORITHM=INPLACE, LOCK=NONE"
    )


def _usable_index(fk: AddForeignKey, target: Target) -> bool:
    inspector = target.inspector
    if inspector is None:
        return False
    local = tuple(fk.local_cols)
    indexed = [
        tuple(index["column_names"])
        for index in inspector.get_indexes(fk.source_table)
    ]
    indexed.append(
        tuple(
            inspector.get_pk_constraint(fk.source_table)["constrained_columns"]
        )
    )
    return any(columns[: len(local)] == local for columns in indexed)


def _sqlite(fk: AddForeignKey, target: Target) -> Sequence[Step]:
    catalog.rebuild_needs_live_schema(target, fk.source_table, "a foreign key")
    if fk._exists(target):
        return [fk.orphan_check(target, "the key exists from an earlier run")]
    return [
        fk.orphan_check(target, "before the rebuild"),
        Step(
            f"rebuild {fk.source_table} with foreign key {fk.constraint_name}",
            operation=ops.CreateForeignKeyOp(
                fk.constraint_name,
                fk.source_table,
                fk.referent_table,
                list(fk.local_cols),
                list(fk.remote_cols),
                ondelete=fk.ondelete,
            ),
        ),
    ]


_EXPAND = {"postgresql": _postgresql, "mysql": _mysql, "sqlite": _sqlite}
_UNREADABLE = {"sqlite": '"', "mysql": "`"}
