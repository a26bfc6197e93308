"""drop_index: left alone in expand, dropped online in contract while a
writer inserts, rebuilt when contract is undone."""

from __future__ import annotations

import pytest
from apps import column_writer, engine_for
from online import (
    Writer,
    base_schema,
    downgrade,
    index_names,
    ok,
    online,
    schema,
)

ITEMS = """
op.create_table(
    "items",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(100)),
)
op.create_index("ix_items_sku", "items", ["sku"])
"""
DROP = 'zop.drop_index("ix_items_sku", "items", columns=["sku"])'


@pytest.fixture
def items(project):
    base_schema(project, ITEMS)
    engine = engine_for(project.database.url)
    yield project, engine
    engine.dispose()


def test_dropped_in_contract_while_a_writer_inserts(items):
    project, engine = items
    kept = schema(engine)
    online(project, DROP, "drop index")
    ok(project.zerodown("expand"))
    assert schema(engine) == kept  # expand leaves it to the old release
    writer = Writer("app", engine, column_writer("items", "sku"))
    writer.start()
    ok(project.zerodown("contract"))
    writer.stop()
    assert writer.errors == []
    assert "ix_items_sku" not in index_names(engine, "items")
    downgrade(project, "contract@-1")  # drop_index knew its columns
    assert schema(engine) == kept


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
