"""drop_index beyond the table (``online_cases``): a refusal, --sql."""

from __future__ import annotations

import pytest
from apps import engine_for
from online import base_schema, ok, online, schema
from online_cases import case

DROP_INDEX = case("drop_index")
ITEMS, DROP = DROP_INDEX.schema, DROP_INDEX.call


@pytest.fixture
def items(project):
    base_schema(project, ITEMS)
    engine = engine_for(project.database.url)
    yield project, engine
    engine.dispose()


def test_missing_index_refused_before_ddl(items):
    project, engine = items
    before = schema(engine)
    online(project, 'zop.drop_index("ix_nope", "items")')
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "index items.ix_nope does not exist" in result.output
    assert schema(engine) == before


def test_sql_rendering(items):
    project, _ = items
    online(project, DROP)
    ok(project.zerodown("expand"))
    result = project.zerodown("contract", "--sql")
    ok(result)
    expected = {
        "postgresql": "DROP INDEX CONCURRENTLY IF EXISTS ix_items_sku;",
        "mysql": "ALTER TABLE items DROP INDEX ix_items_sku, "
        "ALGORITHM=INPLACE, LOCK=NONE;",
        "sqlite": "DROP INDEX ix_items_sku;",
    }[project.database.backend]
    assert expected in result.output.splitlines()
