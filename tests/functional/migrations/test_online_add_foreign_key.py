"""add_foreign_key: the key arrives while a writer inserts; orphans are
found and named."""

from __future__ import annotations

import random
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

TABLES = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
)
op.create_table(
    "posts",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer),
    sa.Column("title", sa.String(100)),
)
"""
ADD = (
    'zop.add_foreign_key("fk_posts_user", "posts", "users", '
    '["user_id"], ["id"])'
)


def poster(conn, row, value):
    """The application: posts by existing users."""
    if row is None:
        user = random.randint(1, 100)
        result = conn.execute(
            sa.text("INSERT INTO posts (user_id, title) VALUES (:u, :t)"),
            {"u": user, "t": value},
        )
        if conn.dialect.name != "postgresql":
            return result.lastrowid
        return conn.execute(sa.text("SELECT max(id) FROM posts")).scalar()
    conn.execute(
        sa.text("UPDATE posts SET title = :t WHERE id = :id"),
        {"t": value, "id": row},
    )
    return row


def _exec(engine, sql, **params):
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.execute(sa.text(sql), params)


@pytest.fixture
def posts(project):
    base_schema(project, TABLES)
    engine = engine_for(project.database.url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO users (id, name) VALUES (:i, :n)"),
            [{"i": i, "n": f"user {i}"} for i in range(1, 101)],
        )
        conn.execute(
            sa.text("INSERT INTO posts (user_id, title) VALUES (:u, :t)"),
            [{"u": 1 + i % 100, "t": f"post {i}"} for i in range(2000)]
            + [{"u": None, "t": "anonymous"}],
        )
    yield project, engine
    engine.dispose()


def _validated(engine):
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT convalidated FROM pg_constraint "
                "WHERE conname = 'fk_posts_user'"
            )
        ).scalar_one()


def test_added_while_a_writer_inserts_then_rolled_back(posts):
    project, engine = posts
    backend = project.database.backend
    before = schema(engine)
    online(project, ADD)
    writer = Writer("app", engine, poster)
    writer.start()
    time.sleep(0.2)
    ok(project.zerodown("expand"))
    time.sleep(0.2)
    writer.stop()
    assert writer.errors == [] and writer.writes > 0
    fks = schema(engine)["posts"]["fks"]
    assert fks == [("fk_posts_user", ("user_id",), "users")]
    with pytest.raises(sa.exc.IntegrityError):
        _exec(engine, "INSERT INTO posts (user_id) VALUES (999)")
    if backend == "postgresql":
        assert _validated(engine) is False  # old rows wait for contract
    downgrade(project, "expand@-1")
    assert schema(engine) == before
    _exec(engine, "INSERT INTO posts (user_id) VALUES (999)")


def test_contract_validates_while_a_writer_inserts(posts):
    project, engine = posts
    online(project, ADD)
    ok(project.zerodown("expand"))
    writer = Writer("app", engine, poster)
    writer.start()
    time.sleep(0.1)
    ok(project.zerodown("contract"))
    writer.stop()
    assert writer.errors == []
    if project.database.backend == "postgresql":
        assert _validated(engine) is True


def test_called_in_contract_only(posts):
    project, engine = posts
    online(project, ADD, expand=False)
    ok(project.zerodown("expand"))
    assert schema(engine)["posts"]["fks"] == []
    writer = Writer("app", engine, poster)
    writer.start()
    time.sleep(0.1)
    ok(project.zerodown("contract"))
    writer.stop()
    assert writer.errors == []
    fks = schema(engine)["posts"]["fks"]
    assert fks == [("fk_posts_user", ("user_id",), "users")]
    if project.database.backend == "postgresql":
        assert _validated(engine) is True


def test_orphans_are_named(posts):
    project, engine = posts
    _exec(engine, "INSERT INTO posts (user_id, title) VALUES (404, 'lost')")
    before = schema(engine)
    online(project, ADD)
    if project.database.backend != "postgresql":
        result = project.zerodown("expand")
        assert result.exit_code == 1
        assert "names no users row, e.g. (404,)" in result.output
        assert schema(engine) == before
        return
    # PostgreSQL: NOT VALID lets expand pass; contract's VALIDATE finds it.
    ok(project.zerodown("expand"))
    result = project.zerodown("contract")
    assert result.exit_code == 1
    assert "fk_posts_user" in result.output
    assert _validated(engine) is False
    _exec(engine, "DELETE FROM posts WHERE user_id = 404")
    ok(project.zerodown("contract"))
    assert _validated(engine) is True


def test_sql_rendering(posts):
    project, _ = posts
    backend = project.database.backend
    online(project, ADD)
    result = project.zerodown("expand", "--sql")
    if backend == "sqlite":
        assert result.exit_code == 1
        assert "needs the live schema" in result.output
        return
    ok(result)
    expected = {
        "postgresql": [
            "ALTER TABLE posts ADD CONSTRAINT fk_posts_user FOREIGN KEY "
            "(user_id) REFERENCES users (id) NOT VALID;"
        ],
        "mysql": [
            "SET foreign_key_checks = 0;",
            "ALTER TABLE posts ADD CONSTRAINT fk_posts_user FOREIGN KEY "
            "(user_id) REFERENCES users (id), ALGORITHM=INPLACE, LOCK=NONE;",
            "SET foreign_key_checks = 1;",
        ],
    }[backend]
    assert in_order(result.output, expected)
    if backend == "postgresql":
        result = project.zerodown("contract", "--sql")
        ok(result)
        assert "COMMIT;" in result.output
        assert (
            "ALTER TABLE posts VALIDATE CONSTRAINT fk_posts_user;"
            in result.output
        )


def test_missing_column_refused_before_ddl(posts):
    project, engine = posts
    before = schema(engine)
    online(project, ADD.replace('["id"]', '["uid"]'))
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "column users.uid does not exist" in result.output
    assert schema(engine) == before


def test_name_taken_by_another_key_refused_before_ddl(posts):
    project, engine = posts
    if project.database.backend == "sqlite":
        pytest.skip("capability: ALTER TABLE ... ADD CONSTRAINT")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "ALTER TABLE posts ADD CONSTRAINT fk_posts_user "
                "FOREIGN KEY (user_id) REFERENCES posts (id)"
            )
        )
    before = schema(engine)
    online(project, ADD)
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "a different foreign key of that name exists" in result.output
    assert schema(engine) == before
