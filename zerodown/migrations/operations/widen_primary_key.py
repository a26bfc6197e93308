"""Widen a table's integer primary key (``INTEGER`` to ``BIGINT``) in
place: the column keeps its name for both releases, and no writer waits
on a table rewrite.

Why an operation of its own rather than a mode of ``change_column_type``:
that one moves values into a column of *another name*, which the new
release reads while the old one writes the old name, and both columns
live until contract.  A primary key is used by its name in every query,
index, foreign key and client, so here nobody but zerodown ever sees the
copy: it is a shadow (a column on PostgreSQL, a table on MySQL/MariaDB)
synced one way by triggers, and contract swaps it in under the old name
in one short locked step, moving the constraint, the sequence or
identity, the default and the foreign keys with it.  The strategy is a
backend's own (:mod:`.widen_column`, :mod:`.widen_table`); SQLite needs
none.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import catalog, naming
from zerodown.migrations.operations.base import (
    _DIALECTS,
    Backfill,
    OnlineOperation,
    Step,
    Target,
)

__all__ = ["WidenPrimaryKey", "WidenStrategy"]

LOG = logging.getLogger(__name__)

OPERATION = "widen primary key"


@dataclass(frozen=True)
class WidenPrimaryKey(OnlineOperation):
    """``table_name.column_name``, the table's one-column integer primary
    key, takes the wider integer ``type_`` (``sa.BigInteger()``).

    PostgreSQL:
      expand:   a shadow column of ``type_`` (NOT NULL DEFAULT 0: no
                rewrite) kept equal to the key by a trigger on every
                write; ``zerodown db migrate`` copies the old rows.
      contract: a unique index on the shadow, built ``CONCURRENTLY``;
                then one statement under the lock timeout: the old column
                goes, the shadow takes its name, the index becomes the
                primary key (``USING INDEX``), the sequence (made
                ``type_``) or identity and the default move over, and the
                foreign keys that reference the key are added again ``NOT
                VALID``; then ``VALIDATE`` outside the lock.
    MySQL/MariaDB:
      expand:   a shadow table (``CREATE TABLE ... LIKE``, the key made
                ``type_``), triggers that copy every insert, update and
                delete into it; ``zerodown db migrate`` copies the old
                rows.  Foreign keys to or from the table (on any of
                its columns) are refused before anything runs, and
                again before the swap (:mod:`.widen_table`).
      contract: one atomic ``RENAME TABLE`` swaps the shadow in; the old
                table is dropped.
    SQLite: nothing to do.  Its integers take up to 8 bytes whatever the
    declared type, and an ``INTEGER PRIMARY KEY`` is the 64-bit rowid;
    declaring it ``BIGINT`` would even stop it being the rowid (and
    generating ids).
    rollback (before contract): the shadow and its triggers go, the
    backfill is forgotten.

    A contract killed at any point runs again from where it stopped: each
    step is planned from what the database shows.  Until contract, do not
    change the table's columns in another operation: the shadow copies
    the table's shape of expand.
    """

    name = "widen_primary_key"

    table_name: str
    column_name: str = "id"
    type_: Any = None  # None: sa.BigInteger()

    @property
    def new_type(self) -> sa.types.TypeEngine[Any]:
        chosen = self.type_ if self.type_ is not None else sa.BigInteger()
        return chosen() if isinstance(chosen, type) else chosen

    def strategy(self, target: Target) -> WidenStrategy:
        return WidenStrategy.registry[target.dialect](self, target)

    def validate(self, target: Target) -> None:
        self.check_key(target)
        self.strategy(target).validate()

    def expand(self, target: Target) -> Sequence[Step]:
        return self.strategy(target).expand()

    def backfill(self, target: Target) -> Backfill | None:
        return self.strategy(target).backfill()

    def contract(self, target: Target) -> Sequence[Step]:
        return self.strategy(target).contract()

    def rollback(self, target: Target) -> Sequence[Step]:
        return self.strategy(target).rollback()

    @property
    def backfill_name(self) -> str:
        return naming.backfill(self.name, self.table_name, self.column_name)

    def shadow_name(self) -> str:
        """The shadow column (PostgreSQL) or table (MySQL/MariaDB)."""
        return naming.generated("wide", self.table_name, self.column_name)

    def trigger_name(self) -> str:
        return naming.generated("widen", self.table_name, self.column_name)

    def check_key(self, target: Target) -> dict[str, Any] | None:
        """The key column as reflected (None offline); refuse anything but
        a one-column integer primary key narrower than ``type_``."""
        if not isinstance(self.new_type, sa.Integer):
            self.refuse(f"{self.new_type} is not an integer type")
        column = target.column(self.table_name, self.column_name)
        if column is None:
            return None
        key = tuple(target.primary_key(self.table_name))
        if key != (self.column_name,):
            self.refuse(
                f"the primary key of {self.table_name} is {key}, not "
                f"({self.column_name},) alone"
            )
        if not isinstance(column["type"], sa.Integer):
            self.refuse(f"it is of type {column['type']}, not an integer")
        if width(column["type"]) >= width(self.new_type):
            self.refuse(
                f"it is {column['type']} already, as wide as {self.new_type}"
            )
        return column

    def refuse(self, why: str) -> None:
        raise OperationRefused(
            operation=OPERATION, target=self.target_name, why=why
        )


def width(type_: sa.types.TypeEngine[Any]) -> int:
    """Bytes an integer type holds (MySQL's TINYINT and MEDIUMINT too)."""
    if isinstance(type_, sa.BigInteger):
        return 8
    if isinstance(type_, sa.SmallInteger):
        return 2
    return {"TINYINT": 1, "MEDIUMINT": 3}.get(type(type_).__name__, 4)


class WidenStrategy:
    """How one backend widens a key; planned per run from the live
    schema (or, offline, as on a database where expand just ran)."""

    dialect: ClassVar[str]
    registry: ClassVar[dict[str, type[WidenStrategy]]] = {}

    def __init_subclass__(cls) -> None:
        WidenStrategy.registry[cls.dialect] = cls

    def __init__(self, operation: WidenPrimaryKey, target: Target) -> None:
        self.op = operation
        self.target = target
        self.q = target.quote

    @property
    def table(self) -> str:
        return self.q(self.op.table_name)

    @property
    def column(self) -> str:
        return self.q(self.op.column_name)

    def type_sql(self) -> str:
        dialect = self.target.sql_dialect or _DIALECTS[self.target.dialect]
        return str(self.op.new_type.compile(dialect=dialect))

    def shadow_present(self) -> bool:
        """Whether the shadow exists (online; offline: as after expand)."""
        return True

    def swapped(self) -> bool:
        """Whether a contract swapped the shadow in already (a run killed
        after its swap): no shadow, and the key is of the wide type."""
        column = self.target.column(self.op.table_name, self.op.column_name)
        if column is None or self.shadow_present():
            return False
        return width(column["type"]) >= width(self.op.new_type)

    def validate(self) -> None:
        """Refuse, before any DDL, what the backend cannot swap."""

    def expand(self) -> Sequence[Step]:
        return ()

    def backfill(self) -> Backfill | None:
        return None

    def contract(self) -> Sequence[Step]:
        return ()

    def rollback(self) -> Sequence[Step]:
        return ()


class SQLiteWiden(WidenStrategy):
    """Nothing to do: SQLite stores any INTEGER in up to 8 bytes."""

    dialect = "sqlite"

    def validate(self) -> None:
        catalog.require_table(self.target, self.op.table_name)
        LOG.info(
            "%s: SQLite stores every integer in up to 8 bytes whatever the "
            "declared type (an INTEGER PRIMARY KEY is the 64-bit rowid); "
            "nothing to widen",
            self.op.target_name,
        )
