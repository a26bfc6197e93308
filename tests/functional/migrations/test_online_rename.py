"""rename_column with the old and the new release writing throughout."""

from __future__ import annotations

import time

import sqlalchemy as sa
from apps import Writer, column_writer, engine_for

ZOP = "from zerodown.migrations.operations import zop\n"
RENAME = 'zop.rename_column("users", "name", "full_name")'


def _users(project):
    project.zerodown("expand"), project.zerodown("contract")
    (script,) = project.revision("users")
    project.write_upgrade(
        script,
        """
        op.create_table(
            "users",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(100), nullable=False),
        )
        """,
    )
    assert project.zerodown("expand").exit_code == 0
    expand, contract = project.revision("rename users.name", "--contract")
    project.write_upgrade(expand, RENAME, header=ZOP)
    project.write_upgrade(contract, RENAME, header=ZOP)
    return expand, contract


def _rows(engine, *columns):
    with engine.connect() as conn:
        query = f"SELECT id, {', '.join(columns)} FROM users ORDER BY id"
        return {row[0]: tuple(row[1:]) for row in conn.execute(sa.text(query))}


def test_rename_while_both_releases_write(project):
    _users(project)
    engine = engine_for(project.database.url)
    old = Writer("old", engine, column_writer("users", "name"))
    for _ in range(50):
        old.step()  # rows that exist before the upgrade
    old.start()
    time.sleep(0.2)
    result = project.zerodown("expand")
    assert result.exit_code == 0, result.output
    new = Writer("new", engine, column_writer("users", "full_name"))
    new.start()
    time.sleep(0.3)
    migrate = project.zerodown("migrate")
    assert migrate.exit_code == 0, migrate.output
    time.sleep(0.3)
    old.stop()
    # Both columns agree on every row while both releases run.
    for row, (name, full_name) in _rows(engine, "name", "full_name").items():
        assert name == full_name, (row, name, full_name)
    contract = project.zerodown("contract")
    assert contract.exit_code == 0, contract.output
    time.sleep(0.2)
    new.stop()
    assert old.errors == [] and new.errors == []
    assert old.writes > 50 and new.writes > 0

    rows = _rows(engine, "full_name")
    expected = {**old.owned, **new.owned}
    assert {row: value for row, (value,) in rows.items()} == expected
    with engine.connect() as conn:
        columns = {c["name"]: c for c in sa.inspect(conn).get_columns("users")}
    assert "name" not in columns
    assert columns["full_name"]["nullable"] is False
    engine.dispose()


def test_contract_waits_for_the_backfill(project):
    _users(project)
    engine = engine_for(project.database.url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (name) VALUES ('before')"))
    assert project.zerodown("expand").exit_code == 0
    refused = project.zerodown("contract")
    assert refused.exit_code == 3
    assert (
        "data-migrated: data migration rename_column:users.name"
        in refused.output
    )
    assert "run 'zerodown db migrate'" in refused.output
    status = project.zerodown("status")
    assert "WAIT data-migrated" in status.output
    assert project.zerodown("migrate").exit_code == 0
    assert project.zerodown("contract").exit_code == 0
    assert _rows(engine, "full_name") == {1: ("before",)}
    engine.dispose()
