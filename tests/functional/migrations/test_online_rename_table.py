"""rename_table beyond the table (``online_cases``): --sql, refusals
(SQLite's with its reason)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from apps import engine_for
from online import (
    base_schema,
    in_order,
    ok,
    online,
    schema,
)
from online_cases import case

from zerodown.migrations.operations import naming

RENAME_TABLE = case("rename_table")
USERS, RENAME = RENAME_TABLE.schema, RENAME_TABLE.call
STAGED = naming.generated("view", "users", "accounts")
GONE = naming.generated("gone", "users", "accounts")


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
