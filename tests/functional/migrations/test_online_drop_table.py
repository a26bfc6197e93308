"""drop_table beyond the table (``online_cases``): refused while another
table references it or when missing, --sql."""

from __future__ import annotations

import pytest
from apps import engine_for
from online import base_schema, ok, online, schema
from online_cases import case

TABLES = case("drop_table").schema


@pytest.fixture
def tables(project):
    base_schema(project, TABLES)
    engine = engine_for(project.database.url)
    yield project, engine
    engine.dispose()


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
