"""add_unique beyond the table (``online_cases``): refusals, --sql, the
invalid index a killed run leaves on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from apps import engine_for
from online import base_schema, ok, online, pg_index_valid, schema
from online_cases import case, seed_emails

ADD_UNIQUE = case("add_unique")
USERS, ADD = ADD_UNIQUE.schema, ADD_UNIQUE.call


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
    seed_emails(engine)
    yield project, engine
    engine.dispose()


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
