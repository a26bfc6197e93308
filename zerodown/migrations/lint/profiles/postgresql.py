"""PostgreSQL: table-level lock modes, and what changed in which release.

Lock modes from the PostgreSQL manual, "Explicit Locking" and
``ALTER TABLE``; ``ACCESS EXCLUSIVE`` blocks every query, ``SHARE``
blocks writes, ``SHARE UPDATE EXCLUSIVE`` lets reads and writes go on.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import types as sqltypes

from zerodown.migrations.guard import string_kind
from zerodown.migrations.lint.dialects import Cost, DialectProfile, Lock

__all__ = ["PostgreSQL"]

ACCESS_EXCLUSIVE = Lock("ACCESS EXCLUSIVE", True, True)
SHARE = Lock("SHARE", False, True)
SHARE_ROW_EXCLUSIVE = Lock("SHARE ROW EXCLUSIVE", False, True)
SHARE_UPDATE_EXCLUSIVE = Lock("SHARE UPDATE EXCLUSIVE", False, False)

_CATALOG = Cost(ACCESS_EXCLUSIVE)  # brief: only the catalog changes
_REWRITE = Cost(ACCESS_EXCLUSIVE, rewrites=True)

# Functions whose value is fixed for a statement (STABLE or IMMUTABLE):
# a default built from them is evaluated once for every existing row.
_STABLE = frozenset(
    {
        "now",
        "current_timestamp",
        "current_date",
        "current_time",
        "localtime",
        "localtimestamp",
        "transaction_timestamp",
        "statement_timestamp",
        "current_user",
        "session_user",
        "current_schema",
        "lower",
        "upper",
    }
)
_CALL = re.compile(r"([a-z_][\w.]*)\s*\(")
_KEYWORD = re.compile(r"^[a-z_]+$")


class PostgreSQL(DialectProfile):
    dialect = "postgresql"
    family = "postgresql"
    assumed_version = (13,)
    concurrent_index = True
    not_valid = True
    lock_timeout_settings = ("lock_timeout",)

    costs = {
        "add_column": (((0,), _CATALOG),),
        "add_column_default": (
            ((0,), _REWRITE),
            # 11: a non-volatile default is kept in the catalog and
            # returned for old rows; no rewrite.
            ((11,), _CATALOG),
        ),
        "add_column_volatile_default": (((0,), _REWRITE),),
        "add_column_auto_increment": (((0,), _REWRITE),),
        # 12: generated columns exist; stored ones are computed per row.
        "add_column_stored_generated": (((12,), _REWRITE),),
        "alter_type": (((0,), _REWRITE),),
        # 9.2: a binary-coercible change (a longer varchar, varchar to
        # text, more numeric precision) skips the rewrite.
        "alter_type_widen": (((9, 2), _CATALOG),),
        "set_not_null": (((0,), Cost(ACCESS_EXCLUSIVE, scans=True)),),
        "create_index": (((0,), Cost(SHARE, scans=True)),),
        "create_index_concurrently": (
            ((8, 2), Cost(SHARE_UPDATE_EXCLUSIVE, scans=True)),
        ),
        "drop_index": (((0,), _CATALOG),),
        "drop_index_concurrently": (((9, 2), Cost(SHARE_UPDATE_EXCLUSIVE)),),
        # A foreign key locks the referenced table too.
        "add_foreign_key": (((0,), Cost(SHARE_ROW_EXCLUSIVE, scans=True)),),
        "add_foreign_key_not_valid": (((9, 1), Cost(SHARE_ROW_EXCLUSIVE)),),
        "add_check": (((0,), Cost(ACCESS_EXCLUSIVE, scans=True)),),
        "add_check_not_valid": (((9, 2), _CATALOG),),
        "validate_constraint": (
            ((9, 1), Cost(SHARE_UPDATE_EXCLUSIVE, scans=True)),
        ),
        "add_unique": (((0,), Cost(ACCESS_EXCLUSIVE, scans=True)),),
        # 9.0: exclusion constraints; no USING INDEX form attaches one
        # built concurrently.
        "add_exclusion": (((9, 0), Cost(ACCESS_EXCLUSIVE, scans=True)),),
        "rename_column": (((0,), _CATALOG),),
        "rename_table": (((0,), _CATALOG),),
        "drop_column": (((0,), _CATALOG),),
        "drop_table": (((0,), _CATALOG),),
    }

    def volatile_default(self, sql: str) -> bool:
        text = sql.strip().lower()
        while text.startswith("(") and text.endswith(")"):
            text = text[1:-1].strip()
        text = re.sub(r"::[\w\s\[\]]+$", "", text).strip()
        if _literal(text):
            return False
        called = {name.split(".")[-1] for name in _CALL.findall(text)}
        if called:
            return not called <= _STABLE
        return bool(_KEYWORD.match(text)) and text not in _STABLE

    def type_change(self, old: Any, new: Any, widening: bool) -> str:
        if not widening:
            return "alter_type"
        if isinstance(old, sqltypes.Integer):
            return "alter_type"  # int -> bigint stores every row anew
        if isinstance(old, sqltypes.String) and string_kind(old) in (
            "char",
            "enum",
        ):
            # char(n) pads to its length; an enum is a type of its own,
            # converted through text: both rewrite.
            return "alter_type"
        if isinstance(old, sqltypes.Numeric) and (old.scale or 0) != (
            new.scale or 0
        ):
            return "alter_type"
        return "alter_type_widen"


def _literal(text: str) -> bool:
    return bool(
        re.fullmatch(r"'([^']|'')*'|-?\d+(\.\d+)?|true|false|null", text)
    )
