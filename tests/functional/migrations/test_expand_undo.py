"""An expand that fails halfway leaves nothing behind, and runs again.

PostgreSQL and SQLite roll the revision back; MySQL and MariaDB commit
each DDL statement, so zerodown undoes the steps that ran.  The failures
here are real: an object in the way, a lock that is never granted.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from apps import column_writer, engine_for
from identifiers import bookkeeping
from online import Writer, base_schema, ok, online, schema

from zerodown.migrations import data
from zerodown.migrations.operations import naming
from zerodown.migrations.operations.sync import ColumnSync

USERS = """
op.create_table(
    "my users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user name", sa.String(100), nullable=False),
)
"""
RENAME = 'zop.rename_column("my users", "user name", "full name")'
MOVE = (
    'zop.move_column("my users", "user name", "user extra", '
    'on={"user id": "id"})'
)
SYNC = ColumnSync("my users", "user name", "full name", key=("id",)).name


@pytest.fixture
def users(project):
    base_schema(project, USERS)
    engine = engine_for(project.database.url)
    bookkeeping(engine)
    old = Writer("old", engine, column_writer("my users", "user name"))
    for _ in range(20):
        old.step()
    yield project, engine, old
    engine.dispose()


def _in_the_way(conn: sa.Connection) -> str:
    """Create what the rename's second statement after ADD COLUMN will
    collide with; return the SQL that drops it."""
    q = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql":
        # The sync function, created right after the column.
        conn.exec_driver_sql(
            f"CREATE FUNCTION {q(SYNC)}() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NEW; END $$"
        )
        return f"DROP FUNCTION {q(SYNC)}()"
    # The second sync trigger (after the column and the first), on a table
    # of its own: trigger names are per schema here.
    mysql = conn.dialect.name == "mysql"
    name = f"{SYNC}_{'bu' if mysql else 'uo'}"
    conn.exec_driver_sql("CREATE TABLE bystander (id INTEGER PRIMARY KEY)")
    body = "SET NEW.id = NEW.id" if mysql else "BEGIN SELECT 1; END"
    conn.exec_driver_sql(
        f"CREATE TRIGGER {q(name)} BEFORE UPDATE ON bystander "
        f"FOR EACH ROW {body}"
    )
    return f"DROP TRIGGER {q(name)}"


def test_an_object_in_the_way_fails_expand_cleanly(users):
    project, engine, old = users
    with engine.begin() as conn:
        cleanup = _in_the_way(conn)
    before = schema(engine)
    online(project, RENAME)
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "was rolled back (nothing of it is applied)" in result.output
    if project.database.backend == "mysql":
        assert "undone: " in result.output
        assert "add_column my users.full name" in result.output
    assert schema(engine) == before  # no column, no trigger of ours

    with engine.begin() as conn:
        conn.exec_driver_sql(cleanup)
    ok(project.zerodown("expand"))  # nothing left to block it
    new = Writer("new", engine, column_writer("my users", "full name"))
    for _ in range(10):
        old.step()
        new.step()
    ok(project.zerodown("migrate"))
    ok(project.zerodown("contract"))
    with engine.connect() as conn:
        rows = dict(conn.exec_driver_sql(_select(conn, "full name")).all())
    assert rows == {**old.owned, **new.owned}


def _select(conn: sa.Connection, column: str) -> str:
    q = conn.dialect.identifier_preparer.quote
    return f"SELECT id, {q(column)} FROM {q('my users')}"


def test_a_lock_never_granted_fails_expand_cleanly(users):
    project, engine, _ = users
    if project.database.backend == "sqlite":
        pytest.skip("capability: SQLite locks the whole file, no lock queue")
    base_schema_extra(project, engine)
    before = schema(engine)
    online(project, MOVE)
    # The target gets its column, then the source's trigger waits behind
    # this reader (PostgreSQL locks both tables first, and waits there).
    holder = engine.connect()
    holder.begin()
    holder.exec_driver_sql(_select(holder, "user name")).all()
    try:
        result = project.zerodown("expand", env=NO_RETRY)
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert "could not get its lock" in result.output
    if project.database.backend == "mysql":
        assert "was rolled back (nothing of it is applied)" in result.output
        assert "undone: add_column user extra.user name" in result.output
    assert schema(engine) == before
    ok(project.zerodown("expand"))


NO_RETRY = {"ZERODOWN_LOCK_TIMEOUT": "1", "ZERODOWN_LOCK_RETRIES": "0"}


def base_schema_extra(project, engine) -> None:
    """``user extra``: one row per user, keyed by ``user id``."""
    (script,) = project.revision("user extra")
    project.write_upgrade(
        script,
        """
        op.create_table(
            "user extra",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("user id", sa.Integer, unique=True),
        )
        """,
    )
    ok(project.zerodown("expand"))


def test_a_later_failure_forgets_the_backfill_it_registered(users):
    project, engine, _ = users
    before = schema(engine)
    expand, _ = online(project, RENAME)
    text = expand.read_text()
    expand.write_text(
        text.replace(
            f"    {RENAME}\n",
            f"    {RENAME}\n"
            '    op.add_column("no_such_table", sa.Column("x", sa.Integer))\n',
            1,
        )
    )
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "failed at add_column no_such_table.x" in result.output
    assert "was rolled back (nothing of it is applied)" in result.output
    assert schema(engine) == before
    name = naming.backfill("rename_column", "my users", "user name")
    with engine.connect() as conn:
        assert data.online_spec(conn, name) is None  # migrate has no work
    expand.write_text(text)
    ok(project.zerodown("expand"))
    with engine.connect() as conn:
        assert data.online_spec(conn, name) is not None


def test_a_taken_staging_name_fails_a_table_rename_cleanly(users):
    project, engine, old = users
    if project.database.backend != "mysql":
        pytest.skip("capability: rename_table stages views on MySQL only")
    staged = naming.generated("view", "my users", "accounts")
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE `{staged}` (id INTEGER)")
    before = schema(engine)
    online(project, 'zop.rename_table("my users", "accounts")')
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "undone: execute CREATE SQL SECURITY INVOKER VIEW" in (
        result.output
    )
    assert schema(engine) == before  # no view "accounts" left behind
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE `{staged}`")
    ok(project.zerodown("expand"))
    old.step()  # the old release, through the view
