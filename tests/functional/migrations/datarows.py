"""Tables for the data-migration tests, and migrations that show double
application: ``counter = counter + 1`` is wrong if run twice on a row."""

from __future__ import annotations

import sqlalchemy as sa

from zerodown.migrations.data import KeysetBackfill, data_migration
from zerodown.migrations.database import create_engine

ITEMS = (
    "CREATE TABLE {name} (id INTEGER NOT NULL PRIMARY KEY, "
    "counter INTEGER NOT NULL, total INTEGER NOT NULL, "
    "label VARCHAR(40) NULL)"
)
PAIRS = (
    "CREATE TABLE pairs (a INTEGER NOT NULL, b VARCHAR(20) NOT NULL, "
    "counter INTEGER NOT NULL, PRIMARY KEY (a, b))"
)


def engine(url: str) -> sa.Engine:
    """An engine as zerodown's commands make them."""
    return create_engine(url)


def make_items(conn: sa.Connection, rows: int, name: str = "items") -> None:
    conn.exec_driver_sql(ITEMS.format(name=name))
    conn.execute(
        sa.text(f"INSERT INTO {name} VALUES (:i, 0, 0, NULL)"),
        [{"i": i} for i in range(1, rows + 1)],
    )
    conn.commit()


def make_pairs(conn: sa.Connection, rows: int) -> None:
    conn.exec_driver_sql(PAIRS)
    conn.execute(
        sa.text("INSERT INTO pairs VALUES (:a, :b, 0)"),
        [{"a": i % 7, "b": f"k{i:05d}"} for i in range(rows)],
    )
    conn.commit()


def rows(conn: sa.Connection, table: str = "items") -> list[tuple]:
    found = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2")
    result = [tuple(row) for row in found]
    conn.rollback()
    return result


def bump(name: str = "bump", table: str = "items") -> KeysetBackfill:
    """Not idempotent: a row updated twice shows it."""
    return KeysetBackfill(
        name=name,
        table=table,
        key=("id",),
        assignments="counter = counter + 1, total = total + id",
    )


def bump_pairs() -> KeysetBackfill:
    return KeysetBackfill(
        name="bump_pairs",
        table="pairs",
        key=("a", "b"),
        assignments="counter = counter + 1",
    )


@data_migration(description="label rows, its own cursor in ctx.cursor")
def label_items(ctx, max_count):
    after = ctx.cursor.get("after", 0)
    ids = (
        ctx.connection.execute(
            sa.text(
                "SELECT id FROM items WHERE id > :after ORDER BY id LIMIT :n"
            ),
            {"after": after, "n": max_count},
        )
        .scalars()
        .all()
    )
    if not ids:
        return 0, 0
    done = ctx.connection.execute(
        sa.text(
            "UPDATE items SET label = 'seen', counter = counter + 1 "
            "WHERE id > :after AND id <= :last"
        ),
        {"after": after, "last": ids[-1]},
    ).rowcount
    ctx.cursor["after"] = ids[-1]
    return len(ids), done
