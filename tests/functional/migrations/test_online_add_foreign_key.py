"""add_foreign_key beyond the table (``online_cases``): called in contract
only; orphans are found and named; --sql; refusals."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from apps import engine_for
from online import (
    Writer,
    base_schema,
    in_order,
    ok,
    online,
    schema,
)
from online_cases import case, execute, poster, seed_posts, validated

ADD_FOREIGN_KEY = case("add_foreign_key")
TABLES, ADD = ADD_FOREIGN_KEY.schema, ADD_FOREIGN_KEY.call


@pytest.fixture
def posts(project):
    base_schema(project, TABLES)
    engine = engine_for(project.database.url)
    seed_posts(engine)
    yield project, engine
    engine.dispose()


def _validated(engine):
    return validated(engine, "fk_posts_user")


def test_called_in_contract_only(posts):
    project, engine = posts
    online(project, ADD, expand=False)
    ok(project.zerodown("expand"))
    assert schema(engine)["posts"]["fks"] == []
    writer = Writer("app", engine, poster())
    writer.start()
    writer.wait_writes(5)
    ok(project.zerodown("contract"))
    writer.wait_writes(5)
    writer.stop()
    assert writer.errors == []
    fks = schema(engine)["posts"]["fks"]
    assert fks == [("fk_posts_user", ("user_id",), "users")]
    if project.database.backend == "postgresql":
        assert _validated(engine) is True


def test_orphans_are_named(posts):
    project, engine = posts
    execute(engine, "INSERT INTO posts (user_id, title) VALUES (404, 'lost')")
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
    execute(engine, "DELETE FROM posts WHERE user_id = 404")
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
