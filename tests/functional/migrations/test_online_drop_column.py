"""drop_column: nothing in expand while the old release writes the
column; dropped in contract while the new release writes."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from apps import engine_for
from online import Writer, base_schema, downgrade, ok, online, schema

USERS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
    sa.Column("legacy", sa.String(100)),
    sa.Column("strict", sa.String(10), nullable=False),
)
"""
DROP = 'zop.drop_column("users", "legacy")'


def release(*columns):
    """A release that writes ``columns`` (the value in each)."""
    meta = sa.MetaData()
    table = sa.Table(
        "users",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("strict", sa.String(10)),
        *(sa.Column(c, sa.String(100)) for c in columns),
    )

    def write(conn, row, value):
        values = dict.fromkeys(columns, value)
        if row is None:
            result = conn.execute(table.insert().values(strict="x", **values))
            return int(result.inserted_primary_key[0])
        conn.execute(table.update().where(table.c.id == row).values(values))
        return row

    return write


@pytest.fixture
def users(project):
    base_schema(project, USERS)
    engine = engine_for(project.database.url)
    yield project, engine
    engine.dispose()


def test_old_release_writes_through_expand_new_through_contract(users):
    project, engine = users
    before = schema(engine)
    online(project, DROP)
    old = Writer("old", engine, release("name", "legacy"))
    old.start()
    time.sleep(0.1)
    ok(project.zerodown("expand"))
    assert schema(engine) == before  # expand leaves it alone
    new = Writer("new", engine, release("name"))
    new.start()
    time.sleep(0.2)
    old.stop()
    ok(project.zerodown("contract"))
    time.sleep(0.1)
    new.stop()
    assert old.errors == [] and new.errors == []
    assert "legacy" not in [c[0] for c in schema(engine)["users"]["columns"]]
    with engine.connect() as conn:
        names = dict(conn.execute(sa.text("SELECT id, name FROM users")).all())
    assert names == {**old.owned, **new.owned}


def test_contract_cannot_be_undone(users):
    project, _ = users
    online(project, DROP)
    ok(project.zerodown("expand"))
    ok(project.zerodown("contract"))
    with pytest.raises(Exception, match=r"removed the old shape"):
        downgrade(project, "contract@-1")


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
