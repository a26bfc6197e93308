"""SQLite: one writer at a time, and a table copy for most ALTERs.

SQLite locks the whole database for a write, so there is no lock queue
for a DDL to block (a busy writer makes the others wait or fail after
their busy timeout).  ``ALTER TABLE`` only adds, renames and drops
columns; Alembic's batch mode does everything else by copying the table
("move and copy"), holding the write lock for the whole copy.
"""

from __future__ import annotations

import re

from zerodown.migrations.lint.dialects import Cost, DialectProfile, Lock

__all__ = ["SQLite"]

WRITE_LOCK = Lock("the database write lock", False, True)

_ALTER = Cost(WRITE_LOCK)
_COPY = Cost(WRITE_LOCK, rewrites=True)


class SQLite(DialectProfile):
    dialect = "sqlite"
    family = "sqlite"
    assumed_version = (3, 40)
    lock_queue = False
    online_ddl = False

    costs = {
        "add_column": (((0,), _ALTER),),
        "add_column_default": (((0,), _ALTER),),
        # ALTER TABLE refuses a non-constant default; batch mode copies.
        "add_column_volatile_default": (((0,), _COPY),),
        "add_column_auto_increment": (((0,), _COPY),),
        "add_column_stored_generated": (((3, 31), _COPY),),
        "alter_type": (((0,), _COPY),),
        "alter_type_widen": (((0,), _COPY),),
        "set_not_null": (((0,), _COPY),),
        "create_index": (((0,), Cost(WRITE_LOCK, scans=True)),),
        "drop_index": (((0,), _ALTER),),
        "add_foreign_key": (((0,), _COPY),),
        "add_check": (((0,), _COPY),),
        "add_unique": (((0,), _COPY),),
        # 3.25: ALTER TABLE RENAME COLUMN.
        "rename_column": (((0,), _COPY), ((3, 25), _ALTER)),
        "rename_table": (((0,), _ALTER),),
        # 3.35: ALTER TABLE DROP COLUMN.
        "drop_column": (((0,), _COPY), ((3, 35), _ALTER)),
        "drop_table": (((0,), _ALTER),),
    }

    def volatile_default(self, sql: str) -> bool:
        # ALTER TABLE ADD COLUMN accepts constants only: no CURRENT_*,
        # no parenthesised expression.
        text = sql.strip().lower()
        return text.startswith("(") or bool(
            re.match(r"current_(time|date|timestamp)\b|\w+\s*\(", text)
        )
