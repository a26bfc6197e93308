"""drop_column beyond the table (``online_cases``): refusals, --sql."""

from __future__ import annotations

import pytest
from apps import engine_for
from online import base_schema, ok, online, schema
from online_cases import case

DROP_COLUMN = case("drop_column")
USERS, DROP = DROP_COLUMN.schema, DROP_COLUMN.call


@pytest.fixture
def users(project):
    base_schema(project, USERS)
    engine = engine_for(project.database.url)
    yield project, engine
    engine.dispose()


def test_refusals_before_any_ddl(users):
    project, engine = users
    before = schema(engine)
    expand, contract = online(project, 'zop.drop_column("users", "strict")')
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "NOT NULL without a server default" in result.output
    for script in (expand, contract):
        script.write_text(script.read_text().replace('"strict"', '"gone"'))
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "column users.gone does not exist" in result.output
    for script in (expand, contract):
        script.write_text(script.read_text().replace('"gone"', '"id"'))
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "part of the primary key" in result.output
    assert schema(engine) == before


def test_sql_rendering(users):
    project, _ = users
    online(project, DROP)
    expand = project.zerodown("expand", "--sql")
    ok(expand)
    assert "DROP COLUMN" not in expand.output
    ok(project.zerodown("expand"))
    contract = project.zerodown("contract", "--sql")
    ok(contract)
    assert "ALTER TABLE users DROP COLUMN legacy;" in contract.output
