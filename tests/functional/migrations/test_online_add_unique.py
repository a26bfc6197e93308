"""add_unique: the constraint arrives while a writer inserts."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from apps import column_writer, engine_for
from online import (
    Writer,
    base_schema,
    downgrade,
    ok,
    online,
    pg_index_valid,
    schema,
)

USERS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(100)),
)
"""
ADD = 'zop.add_unique("uq_users_email", "users", ["email"])'


def _insert(engine, *emails):
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO users (email) VALUES (:e)"),
            [{"e": e} for e in emails],
        )


@pytest.fixture
def users(project):
    base_schema(project, USERS)
    engine = engine_for(project.database.url)
    _insert(engine, *[f"u{i}@example.org" for i in range(2000)])
    yield project, engine
    engine.dispose()


def test_added_while_a_writer_inserts_then_rolled_back(users):
    project, engine = users
    before = schema(engine)
    online(project, ADD)
    writer = Writer("app", engine, column_writer("users", "email"))
    writer.start()
    time.sleep(0.2)
    ok(project.zerodown("expand"))
    time.sleep(0.2)
    writer.stop()
    assert writer.errors == [] and writer.writes > 0
    with pytest.raises(sa.exc.IntegrityError):
        _insert(engine, "u1@example.org")
    after = schema(engine)
    if project.database.backend != "sqlite":
        assert ("uq_users_email", ("email",)) in after["users"]["uniques"]
    ok(project.zerodown("contract"))
    assert schema(engine) == after
    downgrade(project, "contract@-1")
    downgrade(project, "expand@-1")
    assert schema(engine) == before
    _insert(engine, "u1@example.org")


def test_duplicates_refused_before_any_ddl(users):
    project, engine = users
    _insert(engine, "u1@example.org")
    before = schema(engine)
    online(project, ADD)
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "('u1@example.org',)" in result.output
    assert schema(engine) == before


def test_sql_rendering(users):
    project, _ = users
    online(project, ADD)
    result = project.zerodown("expand", "--sql")
    ok(result)
    expected = {
        "postgresql": [
            "COMMIT;",
            "CREATE UNIQUE INDEX CONCURRENTLY uq_users_email ON users "
            "(email);",
            "ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE USING "
            "INDEX uq_users_email;",
        ],
        "mysql": [
            "ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE "
            "(email), ALGORITHM=INPLACE, LOCK=NONE;"
        ],
        "sqlite": ["CREATE UNIQUE INDEX uq_users_email ON users (email);"],
    }[project.database.backend]
    lines = [line for line in result.output.splitlines() if line]
    for statement in expected:
        assert statement in lines


def test_postgresql_repairs_the_invalid_index_of_a_killed_run(users):
    project, engine = users
    if project.database.backend != "postgresql":
        pytest.skip("capability: concurrent index builds (PostgreSQL)")
    _insert(engine, "u1@example.org")
    with (
        engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as conn,
        pytest.raises(sa.exc.IntegrityError),
    ):
        conn.execute(
            sa.text(
                "CREATE UNIQUE INDEX CONCURRENTLY uq_users_email "
                "ON users (email)"
            )
        )
    assert pg_index_valid(engine, "uq_users_email") is False
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "DELETE FROM users WHERE email = 'u1@example.org' AND id > 1"
            )
        )
    online(project, ADD)
    ok(project.zerodown("expand"))
    assert pg_index_valid(engine, "uq_users_email") is True
    assert ("uq_users_email", ("email",)) in schema(engine)["users"]["uniques"]


def test_name_taken_by_another_index_refused_before_ddl(users):
    project, engine = users
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE INDEX uq_users_email ON users (id)"))
    before = schema(engine)
    online(project, ADD)
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "cannot add unique constraint uq_users_email" in result.output
    assert schema(engine) == before
