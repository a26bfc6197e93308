"""drop_table: nothing in expand while the old release uses the table;
dropped in contract; refused while another table references it."""

from __future__ import annotations

import time

import pytest
from apps import column_writer, engine_for
from online import Writer, base_schema, downgrade, ok, online, schema

TABLES = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
)
op.create_table(
    "audit",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("note", sa.String(100)),
)
op.create_table(
    "posts",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer,
              sa.ForeignKey("users.id", name="fk_posts_user")),
)
"""


@pytest.fixture
def tables(project):
    base_schema(project, TABLES)
    engine = engine_for(project.database.url)
    yield project, engine
    engine.dispose()


def test_old_release_writes_through_expand(tables):
    project, engine = tables
    before = schema(engine)
    online(project, 'zop.drop_table("audit")')
    old = Writer("old", engine, column_writer("audit", "note"))
    old.start()
    time.sleep(0.1)
    ok(project.zerodown("expand"))
    time.sleep(0.1)
    old.stop()
    assert old.errors == [] and old.writes > 0
    assert schema(engine) == before
    downgrade(project, "expand@-1")
    assert schema(engine) == before
    ok(project.zerodown("expand"))
    ok(project.zerodown("contract"))
    assert "audit" not in project.tables()
    with pytest.raises(Exception, match=r"removed the old shape"):
        downgrade(project, "contract@-1")


def test_referenced_table_refused_before_ddl(tables):
    project, engine = tables
    before = schema(engine)
    online(project, 'zop.drop_table("users")')
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "posts.fk_posts_user references it" in result.output
    assert schema(engine) == before


def test_missing_table_refused(tables):
    project, _ = tables
    online(project, 'zop.drop_table("nope")')
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "table nope does not exist" in result.output


def test_sql_rendering(tables):
    project, _ = tables
    online(project, 'zop.drop_table("audit")')
    ok(project.zerodown("expand"))
    contract = project.zerodown("contract", "--sql")
    ok(contract)
    assert "DROP TABLE audit;" in contract.output
    assert "audit" in project.tables()
