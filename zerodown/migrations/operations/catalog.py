"""What operations ask the database before they plan, beyond SQLAlchemy's
inspector: whether an index left by a concurrent build is valid, whether a
constraint added NOT VALID was validated.

Every question returns ``None`` offline (``--sql``): the plan then assumes
a clean slate (no leftover of an earlier, failed run).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from zerodown.migrations.errors import ObjectNotFound, OperationRefused
from zerodown.migrations.operations.base import Target

__all__ = [
    "ExistingIndex",
    "IndexState",
    "constraint_validated",
    "existing_index",
    "index_state",
    "rebuild_needs_live_schema",
    "relation_kind",
    "require_columns",
    "require_table",
]


class IndexState(enum.Enum):
    ABSENT = "absent"
    VALID = "valid"
    INVALID = "invalid"  # a concurrent build that did not finish


@dataclass(frozen=True)
class ExistingIndex:
    table: str
    columns: tuple[str, ...]
    unique: bool


def index_state(target: Target, name: str) -> IndexState | None:
    """The state of the index ``name``; None offline."""
    if target.inspector is None:
        return None
    if target.dialect != "postgresql":
        return IndexState.VALID if _lookup(target, name) else IndexState.ABSENT
    rows = target.select(
        "SELECT i.indisvalid FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = :name "
        "AND c.relnamespace = current_schema()::regnamespace",
        name=name,
    )
    if not rows:
        return IndexState.ABSENT
    return IndexState.VALID if rows[0][0] else IndexState.INVALID


def existing_index(target: Target, name: str) -> ExistingIndex | None:
    """The index called ``name`` (on any table), if the inspector sees it."""
    return _lookup(target, name)


def _lookup(target: Target, name: str) -> ExistingIndex | None:
    inspector = target.inspector
    if inspector is None:
        return None
    for table in _tables_with_index_names(target, name):
        for index in inspector.get_indexes(table):
            if index["name"] == name:
                columns = tuple(str(c) for c in index["column_names"])
                return ExistingIndex(table, columns, bool(index["unique"]))
    return None


def _tables_with_index_names(target: Target, name: str) -> Sequence[str]:
    # Index names are per schema on PostgreSQL and SQLite, per table on
    # MySQL; ask the catalog where to look instead of every table.
    queries = {
        "postgresql": "SELECT t.relname FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_class t ON t.oid = i.indrelid WHERE c.relname = :name "
        "AND c.relnamespace = current_schema()::regnamespace",
        "mysql": "SELECT DISTINCT table_name FROM information_schema."
        "statistics WHERE table_schema = DATABASE() AND index_name = :name",
        "sqlite": "SELECT tbl_name FROM sqlite_master "
        "WHERE type = 'index' AND name = :name",
    }
    rows = target.select(queries[target.dialect], name=name) or []
    return [str(row[0]) for row in rows]


def relation_kind(target: Target, name: str) -> str | None:
    """ "table", "view", another kind, or None (absent or offline)."""
    inspector = target.inspector
    if inspector is None:
        return None
    if name in inspector.get_view_names():
        return "view"
    if inspector.has_table(name):
        return "table"
    if target.dialect == "postgresql":
        rows = target.select(
            "SELECT relkind FROM pg_class WHERE relname = :name "
            "AND relnamespace = current_schema()::regnamespace",
            name=name,
        )
        if rows:
            return f"relation (pg_class.relkind {rows[0][0]!r})"
    return None


def constraint_validated(target: Target, table: str, name: str) -> bool | None:
    """PostgreSQL: None if ``table`` has no constraint ``name`` (or
    offline), else whether it was validated."""
    if target.inspector is None or target.dialect != "postgresql":
        return None
    rows = target.select(
        "SELECT convalidated FROM pg_constraint "
        "WHERE conname = :name AND conrelid = CAST(:table AS regclass)",
        name=name,
        table=target.quote(table),
    )
    return bool(rows[0][0]) if rows else None


def rebuild_needs_live_schema(
    target: Target, table: str, operation: str
) -> None:
    """Refuse to render (``--sql``) a SQLite table rebuild."""
    if target.dialect == "sqlite" and target.inspector is None:
        raise OperationRefused(
            operation=f"render {operation}",
            target=table,
            why="SQLite rebuilds the table for it, which needs the live "
            "schema; run it against the database instead of --sql",
        )


def require_table(target: Target, table: str) -> None:
    """ObjectNotFound unless ``table`` exists (online)."""
    if target.inspector is not None and not target.inspector.has_table(table):
        raise ObjectNotFound(kind="table", name=table)


def require_columns(
    target: Target, table: str, columns: Sequence[str]
) -> None:
    """ObjectNotFound for the first of ``columns`` missing (online)."""
    for column in columns:
        target.column(table, column)
