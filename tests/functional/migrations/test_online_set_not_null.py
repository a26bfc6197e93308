"""set_not_null beyond the table (``online_cases``): called in contract
only; NULLs left behind are found and named; --sql; a refusal."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from apps import column_writer, engine_for
from online import (
    Writer,
    base_schema,
    in_order,
    ok,
    online,
    schema,
)
from online_cases import case, seed_names

from zerodown.migrations.operations import SetNotNull, naming

SET_NOT_NULL = case("set_not_null")
USERS, SET = SET_NOT_NULL.schema, SET_NOT_NULL.call
CHECK = SetNotNull("users", "name").check_name
# The procedure a MySQL script calls to stop where NULLs are left.
NULL_CHECK = naming.generated(
    "check", "SELECT 1 FROM users WHERE name IS NULL LIMIT 1"
)


def _insert(engine, *names):
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO users (name) VALUES (:n)"),
            [{"n": n} for n in names],
        )


def _nullable(engine):
    with engine.connect() as conn:
        columns = sa.inspect(conn).get_columns("users")
    return {c["name"]: c["nullable"] for c in columns}["name"]


@pytest.fixture
def users(project):
    base_schema(project, USERS)
    engine = engine_for(project.database.url)
    seed_names(engine)
    yield project, engine
    engine.dispose()


def test_called_in_contract_only(users):
    project, engine = users
    online(project, 'zop.set_not_null("users", "name")', expand=False)
    ok(project.zerodown("expand"))
    writer = Writer("app", engine, column_writer("users", "name"))
    writer.start()
    writer.wait_writes(5)
    ok(project.zerodown("contract"))
    writer.wait_writes(5)
    writer.stop()
    assert writer.errors == []
    assert _nullable(engine) is False
    if project.database.backend == "postgresql":
        assert schema(engine)["users"]["checks"] == []


def test_nulls_left_stop_contract(users):
    project, engine = users
    _insert(engine, None)
    online(project, SET)
    ok(project.zerodown("expand"))
    expanded = schema(engine)
    result = project.zerodown("contract")
    assert result.exit_code == 1
    if project.database.backend == "postgresql":
        assert CHECK in result.output  # VALIDATE failed
    else:
        assert "rows still hold NULL" in result.output
        assert schema(engine) == expanded
    assert _nullable(engine) is True
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET name = '' WHERE name IS NULL"))
    ok(project.zerodown("contract"))
    assert _nullable(engine) is False


def test_sql_rendering(users):
    project, _ = users
    backend = project.database.backend
    online(project, SET)
    expand = project.zerodown("expand", "--sql")
    ok(expand)
    check = (
        f"ALTER TABLE users ADD CONSTRAINT {CHECK} CHECK "
        "(name IS NOT NULL) NOT VALID;"
    )
    assert (check in expand.output) == (backend == "postgresql")
    if backend == "sqlite":
        return  # its contract rebuilds the table: live schema only
    ok(project.zerodown("expand"))
    contract = project.zerodown("contract", "--sql")
    ok(contract)
    expected = {
        "postgresql": [
            "COMMIT;",
            f"ALTER TABLE users VALIDATE CONSTRAINT {CHECK};",
            "BEGIN;",
            "ALTER TABLE users ALTER COLUMN name SET NOT NULL;",
            f"ALTER TABLE users DROP CONSTRAINT IF EXISTS {CHECK};",
        ],
        "mysql": [
            "DELIMITER //",
            f"CREATE PROCEDURE {NULL_CHECK}() BEGIN IF EXISTS (SELECT 1 FROM "
            "users WHERE name IS NULL LIMIT 1) THEN SIGNAL SQLSTATE '45000' "
            "SET MESSAGE_TEXT = 'cannot set NOT NULL on users.name: rows "
            "still hold NULL; run zerodown db migrate (or fill them) "
            "first'; END IF; END //",
            "DELIMITER ;",
            f"CALL {NULL_CHECK}();",
            f"DROP PROCEDURE {NULL_CHECK};",
            "ALTER TABLE users MODIFY COLUMN name VARCHAR(100) NOT NULL, "
            "ALGORITHM=INPLACE, LOCK=NONE;",
        ],
    }[backend]
    assert in_order(contract.output, expected)


def test_missing_column_refused_before_ddl(users):
    project, engine = users
    before = schema(engine)
    online(project, 'zop.set_not_null("users", "nickname")')
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "column users.nickname does not exist" in result.output
    assert schema(engine) == before
