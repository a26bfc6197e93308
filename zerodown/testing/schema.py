"""A comparable snapshot of a database schema, for "leaves no trace"."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["snapshot"]

# Alembic's and zerodown's own bookkeeping: created on first use and kept
# on purpose (the data-migration state outlives a rolled-back expand).
_IGNORED = {
    "alembic_version",
    "zerodown_data_migrations",
    "zerodown_gate_overrides",
}


def snapshot(connection: sa.Connection) -> dict[str, Any]:
    """Tables with their columns, indexes, unique and foreign keys."""
    inspector = sa.inspect(connection)
    result: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - _IGNORED):
        result[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"])
                for c in inspector.get_columns(table)
            ],
            "indexes": sorted(
                (i["name"] or "", tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(u["column_names"])
                for u in inspector.get_unique_constraints(table)
            ),
            "foreign_keys": sorted(
                (
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                )
                for f in inspector.get_foreign_keys(table)
            ),
        }
    return result
