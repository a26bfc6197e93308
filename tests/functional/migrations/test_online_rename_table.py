"""rename_table: the old release reads and writes through the old name
while the new release uses the new one."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from apps import engine_for
from online import (
    Writer,
    base_schema,
    downgrade,
    in_order,
    ok,
    online,
    schema,
)

from zerodown.migrations.operations import naming

USERS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("status", sa.String(10), nullable=False,
              server_default="active"),
)
"""
RENAME = 'zop.rename_table("users", "accounts")'
STAGED = naming.generated("view", "users", "accounts")
GONE = naming.generated("gone", "users", "accounts")


def release(table: str):
    """A release that knows the table as ``table``: it writes a row, then
    reads it back (defaults and the generated key included)."""

    def write(conn, row, value):
        if row is None:
            insert = f"INSERT INTO {table} (name) VALUES (:v)"
            if conn.dialect.name == "postgresql":
                row = conn.execute(
                    sa.text(f"{insert} RETURNING id"), {"v": value}
                ).scalar_one()
            else:
                row = conn.execute(sa.text(insert), {"v": value}).lastrowid
        else:
            conn.execute(
                sa.text(f"UPDATE {table} SET name = :v WHERE id = :id"),
                {"v": value, "id": row},
            )
        got = conn.execute(
            sa.text(f"SELECT name, status FROM {table} WHERE id = :id"),
            {"id": row},
        ).one()
        assert tuple(got) == (value, "active"), (row, tuple(got))
        return row

    return write


@pytest.fixture
def users(project):
    base_schema(project, USERS)
    engine = engine_for(project.database.url)
    yield project, engine
    engine.dispose()


@pytest.fixture
def renameable(users):
    project, _ = users
    if project.database.backend == "sqlite":
        pytest.skip("capability: updatable views (refused on SQLite)")
    return users


def _names(engine, table):
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT id, name FROM {table}"))
        return dict(rows.all())


def test_both_releases_write_through_expand_and_contract(renameable):
    project, engine = renameable
    online(project, RENAME)
    old = Writer("old", engine, release("users"))
    for _ in range(30):
        old.step()
    old.start()
    time.sleep(0.3)
    ok(project.zerodown("expand"))
    new = Writer("new", engine, release("accounts"))
    new.start()
    time.sleep(0.5)
    old.stop()
    ok(project.zerodown("contract"))
    time.sleep(0.2)
    new.stop()
    assert old.errors == [] and new.errors == []
    assert old.writes > 30 and new.writes > 0
    assert _names(engine, "accounts") == {**old.owned, **new.owned}
    found = schema(engine)
    assert found["views"] == [] and "users" not in found


def test_rollback_while_the_old_release_writes_leaves_no_trace(renameable):
    project, engine = renameable
    before = schema(engine)
    online(project, RENAME)
    old = Writer("old", engine, release("users"))
    old.start()
    time.sleep(0.2)
    ok(project.zerodown("expand"))
    assert schema(engine)["views"] == ["users"]
    time.sleep(0.2)
    downgrade(project, "expand@-1")
    time.sleep(0.2)
    old.stop()
    assert old.errors == [] and old.writes > 0
    assert schema(engine) == before
    assert _names(engine, "users") == old.owned


def test_contract_undone_brings_the_view_back(renameable):
    project, engine = renameable
    online(project, RENAME)
    ok(project.zerodown("expand"))
    expanded = schema(engine)
    ok(project.zerodown("contract"))
    downgrade(project, "contract@-1")
    assert schema(engine) == expanded


def test_sql_rendering(renameable):
    project, _ = renameable
    online(project, RENAME)
    result = project.zerodown("expand", "--sql")
    ok(result)
    expected = {
        "postgresql": [
            "ALTER TABLE users RENAME TO accounts;",
            "CREATE VIEW users WITH (security_invoker = true) AS SELECT * "
            "FROM accounts;",
        ],
        "mysql": [
            "CREATE SQL SECURITY INVOKER VIEW accounts AS SELECT * FROM "
            "users;",
            f"CREATE SQL SECURITY INVOKER VIEW {STAGED} AS SELECT * "
            "FROM accounts;",
            f"RENAME TABLE accounts TO {GONE}, users TO accounts, "
            f"{STAGED} TO users;",
            f"DROP VIEW {GONE};",
        ],
    }[project.database.backend]
    assert in_order(result.output, expected)


def test_taken_name_refused_before_ddl(renameable):
    project, engine = renameable
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE accounts (id INTEGER)"))
    before = schema(engine)
    online(project, RENAME)
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "a table named accounts exists" in result.output
    assert schema(engine) == before


def test_sqlite_refuses_with_its_reason(users):
    project, engine = users
    if project.database.backend != "sqlite":
        pytest.skip("the refusal is SQLite's")
    before = schema(engine)
    online(project, RENAME)
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "cannot rename table users.accounts" in result.output
    assert "report no row id" in result.output
    assert schema(engine) == before


def test_missing_table_refused(renameable):
    project, engine = renameable
    before = schema(engine)
    online(project, 'zop.rename_table("people", "persons")')
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "table people does not exist" in result.output
    assert schema(engine) == before
