"""create_index beyond the table (``online_cases``): refusals, --sql, lock
timeouts, the invalid index a failed concurrent build leaves, repaired."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from apps import column_writer, engine_for
from online import (
    FAST_LOCKS,
    Writer,
    base_schema,
    index_names,
    ok,
    online,
    pg_index_valid,
    schema,
)
from online_cases import case, seed_items

CREATE_INDEX = case("create_index")
ITEMS, CREATE = CREATE_INDEX.schema, CREATE_INDEX.call
UNIQUE = 'zop.create_index("ix_items_sku", "items", ["sku"], unique=True)'


def _seed(engine, values):
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO items (sku) VALUES (:v)"),
            [{"v": v} for v in values],
        )


@pytest.fixture
def items(project):
    base_schema(project, ITEMS)
    engine = engine_for(project.database.url)
    seed_items(engine)
    yield project, engine
    engine.dispose()


def test_sql_rendering(items):
    project, _ = items
    online(project, CREATE)
    result = project.zerodown("expand", "--sql")
    ok(result)
    expected = {
        "postgresql": "CREATE INDEX CONCURRENTLY ix_items_sku ON items (sku)",
        "mysql": "CREATE INDEX ix_items_sku ON items (sku) "
        "ALGORITHM=INPLACE LOCK=NONE",
        "sqlite": "CREATE INDEX ix_items_sku ON items (sku)",
    }[project.database.backend]
    assert expected in result.output
    if project.database.backend == "postgresql":
        # Outside the revision's transaction, as the server requires.
        before = result.output.split(expected)[0].rstrip()
        assert before.endswith("COMMIT;")


def test_missing_column_refused_before_ddl(items):
    project, engine = items
    before = schema(engine)
    online(project, 'zop.create_index("ix_x", "items", ["sku", "nope"])')
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "column items.nope does not exist" in result.output
    assert schema(engine) == before


def test_taken_name_refused_before_ddl(items):
    project, engine = items
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE INDEX ix_items_sku ON items (id)"))
    before = schema(engine)
    online(project, CREATE)
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "another index of that name exists" in result.output
    assert schema(engine) == before


@pytest.fixture
def postgresql_items(items):
    project, _ = items
    if project.database.backend != "postgresql":
        pytest.skip("capability: concurrent index builds (PostgreSQL)")
    return items


def test_duplicates_refused_before_a_unique_build(items):
    project, engine = items
    _seed(engine, ["dup", "dup"])
    before = schema(engine)
    online(project, UNIQUE)
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "holds duplicates of (sku), e.g. ('dup',)" in result.output
    assert schema(engine) == before


def test_invalid_index_from_a_killed_build_is_repaired(postgresql_items):
    project, engine = postgresql_items
    _seed(engine, ["dup", "dup"])
    # An earlier run killed mid-build leaves what a failed build leaves.
    with (
        engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as conn,
        pytest.raises(sa.exc.IntegrityError),
    ):
        conn.execute(
            sa.text(
                "CREATE UNIQUE INDEX CONCURRENTLY ix_items_sku ON items (sku)"
            )
        )
    assert pg_index_valid(engine, "ix_items_sku") is False
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM items WHERE sku = 'dup'"))
    online(project, UNIQUE)
    ok(project.zerodown("expand"))
    assert pg_index_valid(engine, "ix_items_sku") is True
    with pytest.raises(sa.exc.IntegrityError):
        _seed(engine, ["again", "again"])


@pytest.fixture
def holder(postgresql_items):
    """An open writing transaction: a concurrent build waits for it and
    times out after it created its (still invalid) index."""
    _, engine = postgresql_items
    connection = engine.connect()
    connection.begin()
    connection.execute(sa.text("UPDATE items SET sku = 'held' WHERE id = 1"))
    yield connection
    connection.close()


def test_build_blocked_by_a_long_transaction_retries(postgresql_items, holder):
    project, engine = postgresql_items
    online(project, CREATE)
    release = threading.Timer(2.0, holder.rollback)
    release.start()
    try:
        result = project.zerodown("expand", env=FAST_LOCKS)
    finally:
        release.join()
    # Each retry dropped the invalid index of the attempt before.
    ok(result)
    assert pg_index_valid(engine, "ix_items_sku") is True


def test_writers_do_not_queue_behind_a_waiting_build(postgresql_items, holder):
    # A plain CREATE INDEX waiting for the holder would queue every writer
    # behind its SHARE lock for the whole wait; the concurrent build's
    # lock lets them pass.
    project, engine = postgresql_items
    online(project, CREATE)
    writer = Writer("app", engine, column_writer("items", "sku"))
    writer.start()
    release = threading.Timer(2.0, holder.rollback)
    release.start()
    try:
        result = project.zerodown(
            "expand", env={**FAST_LOCKS, "ZERODOWN_LOCK_TIMEOUT": "10"}
        )
    finally:
        release.join()
        writer.stop()
    ok(result)
    assert writer.errors == [] and writer.writes > 20
    assert writer.slowest < 1.0, writer.slowest


def test_build_that_never_gets_its_locks_is_repaired_next_run(
    postgresql_items, holder
):
    project, engine = postgresql_items
    online(project, CREATE)
    result = project.zerodown(
        "expand", env={**FAST_LOCKS, "ZERODOWN_LOCK_RETRIES": "2"}
    )
    assert result.exit_code == 1
    assert "could not get its lock" in result.output
    # Dropping the leftover waits for the same transaction, so it stays.
    assert pg_index_valid(engine, "ix_items_sku") is False
    holder.rollback()
    ok(project.zerodown("expand", env=FAST_LOCKS))
    assert pg_index_valid(engine, "ix_items_sku") is True


def test_failure_after_the_build_says_what_stays_and_reruns(items):
    project, engine = items
    expand, _ = online(project, CREATE)
    text = expand.read_text()
    expand.write_text(
        text.replace(
            f"    {CREATE}\n",
            f"    {CREATE}\n"
            '    op.add_column("no_such_table", sa.Column("x", sa.Integer))\n',
            1,
        )
    )
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "failed at add_column no_such_table.x" in result.output
    if project.database.backend == "postgresql":
        # CONCURRENTLY committed on its own: the next run keeps it.
        assert "these steps ran and stay applied: execute CREATE INDEX" in (
            result.output
        )
        assert "ix_items_sku" in index_names(engine, "items")
    else:
        # MySQL commits every DDL: the index was dropped again.
        assert "nothing of it is applied" in result.output
        assert "ix_items_sku" not in index_names(engine, "items")
    expand.write_text(text)
    ok(project.zerodown("expand"))  # the same index, built: left alone
    assert "ix_items_sku" in index_names(engine, "items")
