"""The live schema as online operations read it: SQLAlchemy's inspector,
with the names it reads back wrongly put right.

SQLAlchemy's MySQL reflection parses ``SHOW CREATE TABLE`` and returns
the names of columns, indexes and keys as they are written there, with a
backtick inside a name still doubled: ``o``ld`` for the column ``o`ld``.
An operation would then find no column of the name it was given.  A
doubled backtick can only be that escape, so halving it is exact.  (A
foreign key with a backtick in a name is not read back at all:
``add_foreign_key`` refuses such names.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

__all__ = ["Reflected"]

Row = dict[str, Any]


class Reflected:
    """The inspector calls operations make, names unescaped."""

    def __init__(self, inspector: sa.Inspector) -> None:
        self._inspector = inspector
        self.bind = inspector.bind
        mysql = inspector.dialect.name == "mysql"
        self._name: Callable[[str], str] = _unescaped if mysql else str

    def has_table(self, table: str) -> bool:
        return self._inspector.has_table(table)

    def get_table_names(self) -> list[str]:
        return self._inspector.get_table_names()

    def get_view_names(self) -> list[str]:
        return self._inspector.get_view_names()

    def get_columns(self, table: str) -> list[Row]:
        return [
            self._fixed(dict(c), "name")
            for c in self._inspector.get_columns(table)
        ]

    def get_pk_constraint(self, table: str) -> Row:
        found = dict(self._inspector.get_pk_constraint(table))
        return self._fixed(found, "constrained_columns")

    def get_indexes(self, table: str) -> list[Row]:
        return [
            self._fixed(dict(i), "name", "column_names")
            for i in self._inspector.get_indexes(table)
        ]

    def get_unique_constraints(self, table: str) -> list[Row]:
        return [
            self._fixed(dict(u), "name", "column_names")
            for u in self._inspector.get_unique_constraints(table)
        ]

    def get_foreign_keys(self, table: str) -> list[Row]:
        return [
            self._fixed(
                dict(f), "name", "constrained_columns", "referred_columns"
            )
            for f in self._inspector.get_foreign_keys(table)
        ]

    def _fixed(self, row: Row, *keys: str) -> Row:
        for key in keys:
            value = row.get(key)
            if isinstance(value, str):
                row[key] = self._name(value)
            elif isinstance(value, list):
                row[key] = [
                    self._name(v) if isinstance(v, str) else v for v in value
                ]
        return row


def _unescaped(name: str) -> str:
    return name.replace("``", "`")
