"""set_not_null: tightened while a writer writes, without a locked scan on
PostgreSQL; NULLs left behind are found and named."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from apps import column_writer, engine_for
from online import (
    Writer,
    base_schema,
    downgrade,
    in_order,
    ok,
    online,
    schema,
)

from zerodown.migrations.operations import SetNotNull, naming

USERS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
)
"""
SET = 'zop.set_not_null("users", "name", existing_type=sa.String(100))'
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
    _insert(engine, *[f"user {i}" for i in range(2000)])
    yield project, engine
    engine.dispose()


def test_tightened_while_a_writer_writes(users):
    project, engine = users
    backend = project.database.backend
    online(project, SET)
    writer = Writer("app", engine, column_writer("users", "name"))
    writer.start()
    time.sleep(0.1)
    ok(project.zerodown("expand"))
    expanded = schema(engine)
    if backend == "postgresql":
        # New writes are checked at once; old rows wait for contract.
        assert expanded["users"]["checks"] == [CHECK]
        with pytest.raises(sa.exc.IntegrityError):
            _insert(engine, None)
    assert _nullable(engine) is True
    time.sleep(0.1)
    ok(project.zerodown("contract"))
    time.sleep(0.1)
    writer.stop()
    assert writer.errors == [] and writer.writes > 0
    assert _nullable(engine) is False
    if backend == "postgresql":
        assert schema(engine)["users"]["checks"] == []
    downgrade(project, "contract@-1")
    assert schema(engine) == expanded


def test_called_in_contract_only(users):
    project, engine = users
    online(project, 'zop.set_not_null("users", "name")', expand=False)
    ok(project.zerodown("expand"))
    writer = Writer("app", engine, column_writer("users", "name"))
    writer.start()
    time.sleep(0.1)
    ok(project.zerodown("contract"))
    writer.stop()
    assert writer.errors == []
    assert _nullable(engine) is False
    if project.database.backend == "postgresql":
        assert schema(engine)["users"]["checks"] == []


def test_backfill_fills_old_rows_and_the_old_release_writes(project):
    base_schema(
        project,
        """
        op.create_table(
            "people",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(100)),
            sa.Column("email", sa.String(100)),
        )
        """,
    )
    engine = engine_for(project.database.url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO people (name, email) VALUES (:n, :e)"),
            [
                {"n": None if i % 3 else f"n{i}", "e": f"P{i}@X.ORG"}
                for i in range(600)
            ],
        )
    online(
        project,
        'zop.set_not_null("people", "name", backfill_sql="lower({email})")',
    )
    # The old release knows no name: it writes email only.
    old = Writer("old", engine, column_writer("people", "email"))
    old.start()
    time.sleep(0.1)
    ok(project.zerodown("expand"))
    time.sleep(0.2)
    ok(project.zerodown("migrate"))
    old.stop()
    assert old.errors == [] and old.writes > 0
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, name FROM people")).all()
    assert rows and all(name is not None for _, name in rows)
    ok(project.zerodown("contract"))
    with engine.connect() as conn:
        columns = sa.inspect(conn).get_columns("people")
        filled = conn.execute(
            sa.text("SELECT name FROM people WHERE id = 2")
        ).scalar_one()
    assert {c["name"]: c["nullable"] for c in columns}["name"] is False
    assert filled == "p1@x.org"
    engine.dispose()


def test_rollback_after_expand_leaves_no_trace(users):
    project, engine = users
    before = schema(engine)
    online(project, SET)
    ok(project.zerodown("expand"))
    downgrade(project, "expand@-1")
    assert schema(engine) == before


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
