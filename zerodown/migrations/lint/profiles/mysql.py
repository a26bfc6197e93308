"""MySQL and MariaDB (InnoDB): online DDL algorithms and their locks.

From the MySQL 8.0 "Online DDL Operations" tables and the MariaDB
knowledge base "InnoDB Online DDL Operations".  ``LOCK=NONE`` lets reads
and writes go on; ``LOCK=SHARED`` blocks writes; ``ALGORITHM=COPY``
rebuilds the table row by row.  Every DDL also needs a brief exclusive
metadata lock, which is what ``lock_wait_timeout`` bounds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import types as sqltypes

from zerodown.migrations.guard import string_kind
from zerodown.migrations.lint.dialects import Cost, DialectProfile, Lock

__all__ = ["MariaDB", "MySQL"]

NONE = Lock("LOCK=NONE", False, False)
SHARED = Lock("LOCK=SHARED", False, True)
EXCLUSIVE = Lock("LOCK=EXCLUSIVE", True, True)

_INSTANT = Cost(NONE, algorithm="INSTANT")
_INPLACE = Cost(NONE, algorithm="INPLACE")
_REBUILD = Cost(NONE, rewrites=True, algorithm="INPLACE")
_COPY = Cost(SHARED, rewrites=True, algorithm="COPY")

# Functions MySQL accepts as a literal-like default of a DATETIME or
# TIMESTAMP column (not an expression default).
_TIME_DEFAULTS = frozenset(
    {"current_timestamp", "now", "localtime", "localtimestamp"}
)
_UTF8MB4_BYTES = 4


class MySQL(DialectProfile):
    dialect = "mysql"
    family = "mysql"
    assumed_version = (8, 0, 40)
    lock_timeout_settings = ("lock_wait_timeout",)

    costs = {
        "add_column": (
            ((0,), _REBUILD),
            # 8.0.12: INSTANT ADD COLUMN (as the last column; 8.0.29:
            # anywhere).
            ((8, 0, 12), _INSTANT),
        ),
        "add_column_default": (((0,), _REBUILD), ((8, 0, 12), _INSTANT)),
        # An expression default is computed per row: a copy.
        "add_column_volatile_default": (((0,), _COPY),),
        "add_column_auto_increment": (
            ((0,), Cost(SHARED, rewrites=True, algorithm="INPLACE")),
        ),
        "add_column_stored_generated": (((5, 7), _COPY),),
        "alter_type": (((0,), _COPY),),
        # 5.7: a longer VARCHAR with the same length prefix, or ENUM
        # members added at the end, is in place.
        "alter_type_widen": (((5, 7), _INPLACE),),
        "set_not_null": (((0,), _REBUILD),),
        "create_index": (((0,), _INPLACE),),
        "drop_index": (((0,), _INPLACE),),
        # InnoDB builds FULLTEXT (5.6) and SPATIAL (5.7) indexes in place
        # but without concurrent writes; the first FULLTEXT index also
        # rebuilds the table to add its FTS_DOC_ID column.
        "create_fulltext_index": (
            ((5, 6), Cost(SHARED, scans=True, algorithm="INPLACE")),
        ),
        "create_spatial_index": (
            ((5, 7), Cost(SHARED, scans=True, algorithm="INPLACE")),
        ),
        # With foreign_key_checks on, adding a foreign key copies.
        "add_foreign_key": (((0,), _COPY),),
        # 8.0.16: CHECK constraints are enforced (and checked on add).
        "add_check": (((8, 0, 16), _COPY),),
        "add_unique": (((0,), _INPLACE),),
        "rename_column": (((0,), _INPLACE), ((8, 0, 28), _INSTANT)),
        "rename_table": (((0,), _INSTANT),),
        "drop_column": (((0,), _REBUILD), ((8, 0, 29), _INSTANT)),
        "drop_table": (((0,), _INSTANT),),
    }

    def volatile_default(self, sql: str) -> bool:
        text = sql.strip().lower()
        if text.startswith("(") and text.endswith(")"):
            return True  # an expression default, MySQL 8.0.13+
        name = text.split("(")[0].strip()
        if "(" in text:
            return name not in _TIME_DEFAULTS
        return False

    def type_change(self, old: Any, new: Any, widening: bool) -> str:
        if not widening or not isinstance(old, sqltypes.String):
            return "alter_type"
        kinds = string_kind(old), string_kind(new)
        if kinds == ("enum", "enum"):
            return _enum_change(old, new)
        if kinds != ("varchar", "varchar"):
            return "alter_type"  # CHAR, TEXT sizes, VARCHAR to TEXT: copy
        if old.length is None or new.length is None:
            return "alter_type"
        # VARCHAR stores its length in one byte up to 255 bytes, then in
        # two; crossing that line rebuilds the table (utf8mb4 assumed).
        if _prefix(old.length) != _prefix(new.length):
            return "alter_type"
        return "alter_type_widen"


class MariaDB(MySQL):
    dialect = "mariadb"
    assumed_version = (10, 6, 20)

    costs = {
        **MySQL.costs,
        # 10.3.2: INSTANT ADD COLUMN (last column; 10.4: anywhere).
        "add_column": (((0,), _REBUILD), ((10, 3, 2), _INSTANT)),
        "add_column_default": (((0,), _REBUILD), ((10, 3, 2), _INSTANT)),
        # 10.2.1: CHECK constraints are enforced.
        "add_check": (((10, 2, 1), _COPY),),
        "rename_column": (((0,), _INPLACE),),
        # 10.4: INSTANT DROP COLUMN.
        "drop_column": (((0,), _REBUILD), ((10, 4), _INSTANT)),
        # 10.0.5: InnoDB FULLTEXT; 10.2.2: InnoDB SPATIAL.
        "create_fulltext_index": (
            ((10, 0, 5), Cost(SHARED, scans=True, algorithm="INPLACE")),
        ),
        "create_spatial_index": (
            ((10, 2, 2), Cost(SHARED, scans=True, algorithm="INPLACE")),
        ),
        # 10.2.2: a longer VARCHAR with the same length prefix in place.
        "alter_type_widen": (((10, 2, 2), _INPLACE),),
    }


def _enum_change(old: Any, new: Any) -> str:
    # Members added at the end, the storage size (one byte up to 255
    # members) unchanged: only the table's metadata changes.  Members
    # inserted or reordered: every stored index changes, a copy.
    appended = list(new.enums[: len(old.enums)]) == list(old.enums)
    same_size = (len(old.enums) <= 255) == (len(new.enums) <= 255)
    return "alter_type_widen" if appended and same_size else "alter_type"


def _prefix(length: int) -> int:
    return 1 if length * _UTF8MB4_BYTES <= 255 else 2
