"""widen_primary_key beyond the table (``online_cases``): a run killed
after each step of expand and contract, and during the copy, resumes;
refusals; --sql; awkward names; PostgreSQL's identity columns and
prepared statements."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from apps import engine_for
from identifiers import CASES, bookkeeping, names
from online import (
    base_schema,
    downgrade,
    leftovers,
    migrate_until_done,
    ok,
    online,
    schema,
)
from online_cases import (
    BIG,
    account_names,
    accounts_schema,
    case,
    execute,
    foreign_key_rebuilt,
    refused,
    releases_engine,
    seed_accounts,
    validated,
    wide,
)

from zerodown.migrations.operations import Step, WidenPrimaryKey
from zerodown.migrations.operations.executor import target_of
from zerodown.migrations.operations.reflected import Reflected
from zerodown.migrations.sqltext import literal

WIDEN_PRIMARY_KEY = case("widen_primary_key")
WIDEN = WIDEN_PRIMARY_KEY.call


@pytest.fixture
def accounts(project):
    backend = project.database.backend
    base_schema(project, accounts_schema(backend))
    engine = releases_engine(project.database.url)
    bookkeeping(engine)
    seed_accounts(engine, 300)
    yield project, engine
    engine.dispose()


def _plan(engine: sa.Engine, phase: str, table: str) -> Sequence[Step]:
    operation = WidenPrimaryKey(table, "id", sa.BigInteger())
    with engine.connect() as conn:
        return list(getattr(operation, phase)(target_of(conn)))


def _killed_after(engine: sa.Engine, steps: Sequence[Step], count: int):
    """What a run killed after ``count`` steps leaves: what committed
    (autocommit steps, and every DDL on MySQL) stays, the revision's open
    transaction is lost."""
    mysql = engine.dialect.name == "mysql"
    with (
        engine.connect() as transaction,
        engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as auto,
    ):
        transaction.begin()
        for step in steps[:count]:
            assert step.sql is not None, step
            conn = auto if step.autocommit or mysql else transaction
            conn.execute(literal(step.sql))
        # The connection closes without a commit: the process died, and
        # its session settings (foreign_key_checks) with it.
        for conn in (transaction, auto):
            conn.invalidate()


# One table per kill point: MySQL's expand has the most steps (six).
TABLES = [f"acct_{k}" for k in range(7)]


def _tables(project, engine) -> None:
    body = "".join(
        f'op.create_table("{t}", sa.Column("id", sa.Integer, '
        'primary_key=True), sa.Column("name", sa.String(100)))\n'
        for t in TABLES
    )
    base_schema(project, body)
    for table in TABLES:
        seed_accounts(engine, 40, table)


def test_a_run_killed_after_any_step_resumes(project):
    """Table k is left as a run killed after step k of expand leaves it;
    expand runs again; then the same for contract; then every table holds
    its rows, the writes made meanwhile and a 64-bit key."""
    engine = releases_engine(project.database.url)
    _tables(project, engine)
    calls = "\n".join(
        f'zop.widen_primary_key("{t}", "id", sa.BigInteger())' for t in TABLES
    )
    online(project, calls, undo="pass")
    assert len(_plan(engine, "expand", TABLES[0])) < len(TABLES)
    for count, table in enumerate(TABLES):
        _killed_after(engine, _plan(engine, "expand", table), count)
        seed_accounts(engine, 3, table)  # the old release writes meanwhile
    ok(project.zerodown("expand"))
    migrate_until_done(project)
    assert len(_plan(engine, "contract", TABLES[0])) < len(TABLES)
    for count, table in enumerate(TABLES):
        _killed_after(engine, _plan(engine, "contract", table), count)
        seed_accounts(engine, 3, table)
    ok(project.zerodown("contract"))
    for table in TABLES:
        names = account_names(engine, table)
        assert sorted(names.values()) == sorted(
            [f"seed-{i}" for i in range(40)]
            + [f"seed-{i}" for i in range(3)] * 2
        ), table
        wide(engine, table)
    assert leftovers(engine) == []
    engine.dispose()


def test_postgresql_contract_killed_before_validate_resumes(accounts):
    """Killed between the swap and VALIDATE: the foreign key that
    references the key is back but NOT VALID (it checks new writes
    already); rollback is refused, and the next contract validates it."""
    project, engine = accounts
    if project.database.backend != "postgresql":
        pytest.skip("capability: NOT VALID foreign keys (PostgreSQL)")
    execute(engine, "INSERT INTO grants (account_id) VALUES (1), (2)")
    online(project, WIDEN)
    ok(project.zerodown("expand"))
    migrate_until_done(project)
    steps = _plan(engine, "contract", "accounts")
    assert steps[-1].description.startswith("validate")
    _killed_after(engine, steps, len(steps) - 1)
    assert validated(engine, "fk_grants_account") is False
    refused(engine, "INSERT INTO grants (account_id) VALUES (-1)")
    seed_accounts(engine, 3)
    with pytest.raises(Exception, match="contract already swapped"):
        downgrade(project, "expand@-1")
    ok(project.zerodown("contract"))
    foreign_key_rebuilt(engine)
    assert len(account_names(engine)) == 300 + 3
    wide(engine)
    assert leftovers(engine) == []


def _migrate(project, *args: str) -> subprocess.Popen[str]:
    command = [
        str(Path(sys.executable).with_name("zerodown")),
        *("db", "-c", str(project.ini), "migrate", "--format", "json", *args),
    ]
    return subprocess.Popen(
        command,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_copy_killed_midway_resumes_without_loss(accounts):
    project, engine = accounts
    if project.database.backend == "sqlite":
        pytest.skip("capability: a copy (SQLite's integers are 64-bit)")
    seed_accounts(engine, 1700)
    online(project, WIDEN)
    ok(project.zerodown("expand"))
    process = _migrate(project, "--batch-size", "40", "--sleep", "0.01")
    assert process.stdout is not None
    batches = 0
    for line in process.stdout:
        batches += json.loads(line)["event"] == "batch"
        if batches == 5:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    assert process.returncode == -signal.SIGKILL
    gate = json.loads(project.zerodown("status", "--format", "json").output)
    assert not gate["gate"]["open"]  # the copy is not complete
    assert project.zerodown("contract").exit_code == 3
    before = account_names(engine)
    migrate_until_done(project)
    ok(project.zerodown("contract"))
    assert account_names(engine) == before
    wide(engine)


def test_sql_rendering(accounts):
    project, _ = accounts
    online(project, WIDEN)
    expanded = project.zerodown("expand", "--sql")
    ok(expanded)
    backend = project.database.backend
    shadow = WidenPrimaryKey("accounts").shadow_name()
    if backend == "sqlite":
        assert shadow not in expanded.output
        return
    expected = {
        "postgresql": f"  ALTER TABLE accounts ADD COLUMN {shadow} BIGINT",
        "mysql": f"CREATE TABLE {shadow} LIKE accounts;",
    }[backend]
    assert expected in expanded.output.splitlines()
    ok(project.zerodown("expand"))
    contracted = project.zerodown("contract", "--sql")
    ok(contracted)
    swap = {
        "postgresql": "PRIMARY KEY USING INDEX",
        "mysql": "RENAME TABLE accounts TO zd_wold_accounts_id_",
    }[backend]
    assert swap in contracted.output


def test_mysql_refuses_foreign_keys_with_the_reason(accounts):
    project, engine = accounts
    if project.database.backend != "mysql":
        pytest.skip("the refusal is MySQL's and MariaDB's")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE grants (id INTEGER PRIMARY KEY, account_id "
                "INTEGER NOT NULL, FOREIGN KEY (account_id) REFERENCES "
                "accounts (id))"
            )
        )
    before = schema(engine)
    online(project, WIDEN)
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "of grants references id itself: InnoDB requires" in (result.output)
    assert schema(engine) == before


def test_mysql_contract_refuses_a_foreign_key_added_after_expand(accounts):
    """The check runs again before the swap: RENAME TABLE would have left
    the new key pointing at the swapped-out table."""
    project, engine = accounts
    if project.database.backend != "mysql":
        pytest.skip("the refusal is MySQL's and MariaDB's")
    online(project, WIDEN)
    ok(project.zerodown("expand"))
    migrate_until_done(project)
    execute(
        engine,
        "CREATE TABLE grants (id INTEGER PRIMARY KEY, account_id INTEGER "
        "NOT NULL, CONSTRAINT fk_late FOREIGN KEY (account_id) REFERENCES "
        "accounts (id))",
    )
    before = schema(engine)
    result = project.zerodown("contract")
    assert result.exit_code == 1, result.output
    assert "the foreign key fk_late of grants references id itself" in (
        result.output
    )
    assert schema(engine) == before  # nothing swapped
    execute(engine, "DROP TABLE grants")
    ok(project.zerodown("contract"))
    wide(engine)


# The compute stack's shape: instance_extra names its instance by uuid.
INSTANCES = """
op.create_table(
    "instances",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uuid", sa.String(36), nullable=False),
    sa.UniqueConstraint("uuid", name="uq_instances_uuid"),
)
op.create_table(
    "instance_extra",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("instance_uuid", sa.String(36), nullable=False),
    sa.ForeignKeyConstraint(["instance_uuid"], ["instances.uuid"],
                            name="fk_instance_extra_instance_uuid"),
    sa.UniqueConstraint("instance_uuid", name="uq_instance_extra_uuid"),
)
"""


def _boot(engine: sa.Engine, uuids: Sequence[str]) -> None:
    rows = [{"u": u} for u in uuids]
    execute(engine, "INSERT INTO instances (uuid) VALUES (:u)", rows)
    execute(
        engine, "INSERT INTO instance_extra (instance_uuid) VALUES (:u)", rows
    )


def test_a_table_referenced_by_another_column(project):
    """``instances``, which ``instance_extra`` references by its uuid:
    the key widens and the foreign key stays, under its name, enforced,
    with children written at every step (on MySQL/MariaDB it moves to the
    shadow before the swap, which carries it to the new table)."""
    backend = project.database.backend
    engine = releases_engine(project.database.url)
    base_schema(project, INSTANCES)
    bookkeeping(engine)
    _boot(engine, [f"u-{i}" for i in range(30)])
    online(project, 'zop.widen_primary_key("instances")')
    ok(project.zerodown("expand"))
    _boot(engine, ["expanded"])
    migrate_until_done(project)
    ok(project.zerodown("contract"))
    _boot(engine, ["contracted"])
    refused(engine, "INSERT INTO instance_extra (instance_uuid) VALUES ('x')")
    refused(engine, "DELETE FROM instances WHERE uuid = 'contracted'")
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        (key,) = inspector.get_foreign_keys("instance_extra")
        key_type = next(
            c["type"]
            for c in inspector.get_columns("instances")
            if c["name"] == "id"
        )
        count = conn.execute(sa.text("SELECT count(*) FROM instances"))
        assert count.scalar_one() == 32
    assert key["name"] == "fk_instance_extra_instance_uuid"
    assert (key["referred_table"], key["referred_columns"]) == (
        "instances",
        ["uuid"],
    )
    wide = "INTEGER" if backend == "sqlite" else "BIGINT"
    assert str(key_type).upper() == wide
    assert leftovers(engine) == []
    engine.dispose()


def _pairs(count: int) -> str:
    """``count`` copies of the compute stack's shape: ``instances_k``,
    referenced by ``extra_k`` on its uuid (ON DELETE CASCADE)."""
    return "".join(
        f"""
op.create_table(
    "instances_{k}",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uuid", sa.String(36), nullable=False),
    sa.Column("state", sa.String(16), nullable=True),
    sa.UniqueConstraint("uuid", name="uq_instances_{k}_uuid"),
)
op.create_table(
    "extra_{k}",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("instance_uuid", sa.String(36), nullable=False),
    sa.ForeignKeyConstraint(["instance_uuid"], ["instances_{k}.uuid"],
                            name="fk_extra_{k}", ondelete="CASCADE"),
)
"""
        for k in range(count)
    )


def _boot_into(engine: sa.Engine, k: int, uuids: Sequence[str]) -> None:
    rows = [{"u": u} for u in uuids]
    execute(engine, f"INSERT INTO instances_{k} (uuid) VALUES (:u)", rows)
    execute(engine, f"INSERT INTO extra_{k} (instance_uuid) VALUES (:u)", rows)


def test_mysql_children_follow_a_contract_killed_after_any_step(project):
    """Pair k is left as a contract killed after step k leaves it (the
    children's keys on the shadow, both names, swapped, ...); both
    releases then boot, update and delete instances with children; the
    next contract finishes every pair: each child key back under its own
    name on the widened table, enforced, cascading, no row lost."""
    if project.database.backend != "mysql":
        pytest.skip("the children's keys move with MySQL's shadow table")
    engine = releases_engine(project.database.url)
    steps = 10  # checks off, add, drop, checks on, rename, again, drop old
    base_schema(project, _pairs(steps))
    bookkeeping(engine)
    for k in range(steps):
        _boot_into(engine, k, [f"u-{i}" for i in range(20)])
    online(
        project,
        "\n".join(
            f'zop.widen_primary_key("instances_{k}")' for k in range(steps)
        ),
        undo="pass",
    )
    ok(project.zerodown("expand"))
    migrate_until_done(project)
    for k in range(steps):
        plan = _plan(engine, "contract", f"instances_{k}")
        assert len(plan) == steps, [s.description for s in plan]
        _killed_after(engine, plan, k)
        _boot_into(engine, k, ["between"])
        # An update of a referenced row goes through the triggers: a
        # REPLACE into the shadow would cascade the child away.
        execute(engine, f"UPDATE instances_{k} SET state = 'x'")
        execute(engine, f"DELETE FROM instances_{k} WHERE uuid = 'u-0'")
    ok(project.zerodown("contract"))
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for k in range(steps):
            (key,) = inspector.get_foreign_keys(f"extra_{k}")
            assert key["name"] == f"fk_extra_{k}", k
            assert key["referred_table"] == f"instances_{k}", k
            assert key["options"].get("ondelete") == "CASCADE", k
            children = conn.execute(
                sa.text(f"SELECT count(*) FROM extra_{k}")
            ).scalar_one()
            assert children == 20, k  # 20 booted + 1, 1 cascaded
            (key_column, *_) = inspector.get_columns(f"instances_{k}")
            assert str(key_column["type"]).upper() == "BIGINT", k
    for k in range(steps):
        refused(engine, f"INSERT INTO extra_{k} (instance_uuid) VALUES ('x')")
        execute(engine, f"DELETE FROM instances_{k} WHERE uuid = 'u-1'")
    assert leftovers(engine) == []
    engine.dispose()


def test_mysql_rollback_puts_the_children_back(project):
    """A contract killed after the children's keys moved to the shadow,
    then rolled back: the keys reference the table again, under their
    names, and nothing of the operation is left."""
    if project.database.backend != "mysql":
        pytest.skip("the children's keys move with MySQL's shadow table")
    engine = releases_engine(project.database.url)
    base_schema(project, _pairs(1))
    bookkeeping(engine)
    _boot_into(engine, 0, ["a", "b"])
    before = schema(engine)
    online(project, 'zop.widen_primary_key("instances_0")')
    ok(project.zerodown("expand"))
    migrate_until_done(project)
    plan = _plan(engine, "contract", "instances_0")
    _killed_after(engine, plan, 3)  # the children's keys on the shadow
    with engine.connect() as conn:
        (key,) = sa.inspect(conn).get_foreign_keys("extra_0")
    assert key["name"] == "fk_extra_0_zdw"
    assert key["referred_table"].startswith("zd_")
    downgrade(project, "expand@-1")
    assert schema(engine) == before
    refused(engine, "INSERT INTO extra_0 (instance_uuid) VALUES ('x')")
    engine.dispose()


NO_RETRY = {"ZERODOWN_LOCK_TIMEOUT": "1", "ZERODOWN_LOCK_RETRIES": "0"}


def test_the_swap_waits_no_longer_than_the_lock_timeout(accounts):
    """A transaction that read the table holds the swap off: the swap
    gives up after the lock timeout, all of it undone (one statement on
    PostgreSQL, one RENAME TABLE on MySQL/MariaDB); the next contract,
    once the reader is gone, swaps."""
    project, engine = accounts
    if project.database.backend == "sqlite":
        pytest.skip("capability: a swap (SQLite's integers are 64-bit)")
    online(project, WIDEN)
    ok(project.zerodown("expand"))
    migrate_until_done(project)
    steps = _plan(engine, "contract", "accounts")
    swap = next(
        i for i, s in enumerate(steps) if s.description.startswith("swap")
    )
    _killed_after(engine, steps, swap)  # PostgreSQL: the index is built
    before = schema(engine)
    holder = engine.connect()
    holder.begin()
    holder.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one()
    try:
        result = project.zerodown("contract", env=NO_RETRY)
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1, result.output
    assert "could not get its lock within 1.0s" in result.output
    assert schema(engine) == before
    ok(project.zerodown("contract"))
    wide(engine)
    if project.database.backend == "postgresql":
        foreign_key_rebuilt(engine)
    assert leftovers(engine) == []


def test_a_key_that_is_not_a_lone_integer_key_is_refused(accounts):
    project, engine = accounts
    before = schema(engine)
    online(project, 'zop.widen_primary_key("accounts", "name")')
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "cannot widen primary key accounts.name" in result.output
    assert schema(engine) == before


def _indexes(engine: sa.Engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        found = sa.inspect(conn).get_indexes("accounts")
    return {i["name"]: (tuple(i["column_names"]), i["unique"]) for i in found}


def test_indexes_on_the_key_are_carried_over(accounts):
    """``(name, id)`` and a unique ``(id, name)`` keep their names,
    columns and uniqueness on the widened key, with writes between the
    steps; a contract killed after the twins were built resumes; on
    MySQL/MariaDB the shadow table has them from the start."""
    project, engine = accounts
    execute(engine, "CREATE INDEX ix_both ON accounts (name, id)")
    execute(engine, "CREATE UNIQUE INDEX ux_both ON accounts (id, name)")
    before = _indexes(engine)
    online(project, WIDEN)
    ok(project.zerodown("expand"))
    seed_accounts(engine, 3)
    migrate_until_done(project)
    if project.database.backend == "postgresql":
        steps = _plan(engine, "contract", "accounts")
        twins = [
            s for s in steps if s.description.startswith("build index zd_wix_")
        ]
        assert len(twins) == 2, [s.description for s in steps]
        _killed_after(engine, steps, steps.index(twins[-1]) + 1)
        seed_accounts(engine, 3)
    ok(project.zerodown("contract"))
    seed_accounts(engine, 3)
    assert _indexes(engine) == before
    written = 9 if project.database.backend == "postgresql" else 6
    assert len(account_names(engine)) == 300 + written
    wide(engine)
    assert leftovers(engine) == []


def test_a_rollback_drops_the_twins(accounts):
    project, engine = accounts
    if project.database.backend != "postgresql":
        pytest.skip("capability: twin indexes (PostgreSQL's shadow column)")
    execute(engine, "CREATE INDEX ix_both ON accounts (name, id)")
    before = schema(engine)
    online(project, WIDEN)
    ok(project.zerodown("expand"))
    migrate_until_done(project)
    steps = _plan(engine, "contract", "accounts")
    _killed_after(engine, steps, len(steps) - 2)  # twins built, no swap
    downgrade(project, "expand@-1")
    assert schema(engine) == before
    assert leftovers(engine) == []


def test_postgresql_refuses_an_index_it_cannot_carry_over(accounts):
    """An index on an expression or with a predicate over the key has no
    twin the swap could rename: refused before anything runs."""
    project, engine = accounts
    if project.database.backend != "postgresql":
        pytest.skip("the check of other indexes on the key is PostgreSQL's")
    with engine.begin() as conn:
        conn.execute(
            sa.text("CREATE INDEX ix_part ON accounts (id) WHERE id > 10")
        )
    online(project, WIDEN)
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "index ix_part" in result.output


def test_a_prepared_statement_fails_once_after_the_swap(accounts):
    """What a client that prepares on the server meets, as it would after
    a plain ALTER TABLE ... TYPE: PostgreSQL refuses a prepared statement
    whose result changed type once; psycopg forgets its prepared
    statements on the rollback, and the next run succeeds."""
    project, _ = accounts
    if project.database.backend != "postgresql":
        pytest.skip("capability: server-side prepared statements (psycopg)")
    engine = engine_for(project.database.url)
    online(project, WIDEN)
    ok(project.zerodown("expand"))
    migrate_until_done(project)
    insert = sa.text("INSERT INTO accounts (name) VALUES ('p') RETURNING id")
    with engine.connect() as conn:
        for _ in range(6):  # prepared from the fifth run on
            conn.execute(insert).scalar_one()
        conn.commit()
        ok(project.zerodown("contract"))
        with pytest.raises(sa.exc.NotSupportedError, match="result type"):
            conn.execute(insert)
        conn.rollback()
        assert conn.execute(insert).scalar_one() > 300
        conn.commit()
    engine.dispose()


def test_awkward_names_on_every_backend(project):
    """Tables and keys named with a space, quotes, a backtick, a dash,
    reserved words, non-ASCII letters or the longest name allowed: one
    table per case, widened together, written at each phase."""
    backend = project.database.backend
    engine = releases_engine(project.database.url)
    cases = [names(case, backend) for case in CASES]
    tables = {
        n.table: sa.Table(
            n.table,
            sa.MetaData(),
            sa.Column(n.key, sa.BigInteger, primary_key=True),
            sa.Column(n.old, sa.String(100)),
        )
        for n in cases
    }
    body = "\n".join(
        f"op.create_table({t.name!r}, "
        f"sa.Column({n.key!r}, sa.Integer, primary_key=True), "
        f"sa.Column({n.old!r}, sa.String(100)))"
        for n, t in zip(cases, tables.values(), strict=True)
    )
    base_schema(project, body)
    bookkeeping(engine)

    def write(phase: str) -> None:
        with engine.begin() as conn:
            for n, table in zip(cases, tables.values(), strict=True):
                conn.execute(
                    table.insert(), [{n.old: f"{phase}-{i}"} for i in range(5)]
                )

    write("before")
    calls = "\n".join(
        f"zop.widen_primary_key({n.table!r}, {n.key!r})" for n in cases
    )
    online(project, calls, undo="pass")
    ok(project.zerodown("expand"))
    write("expanded")
    migrate_until_done(project)
    write("copied")
    ok(project.zerodown("contract"))
    write("contracted")
    expected = [
        f"{phase}-{i}"
        for phase in ("before", "expanded", "copied", "contracted")
        for i in range(5)
    ]
    with engine.begin() as conn:
        for n, table in zip(cases, tables.values(), strict=True):
            rows = conn.execute(sa.select(table).order_by(table.c[n.key]))
            assert [row[1] for row in rows] == expected, n.table
            conn.execute(table.insert().values({n.key: BIG, n.old: "big"}))
            column = next(
                c
                for c in Reflected(sa.inspect(conn)).get_columns(n.table)
                if c["name"] == n.key
            )
            wide = "INTEGER" if backend == "sqlite" else "BIGINT"
            assert str(column["type"]).upper() == wide, n.table
    assert leftovers(engine) == []
    engine.dispose()


def test_postgresql_identity_and_comment_move_over(project):
    if project.database.backend != "postgresql":
        pytest.skip("capability: identity columns and column comments (PG)")
    engine = releases_engine(project.database.url)
    base_schema(
        project,
        """
        op.execute("CREATE TABLE ids (id integer GENERATED ALWAYS AS "
                   "IDENTITY (INCREMENT BY 3) PRIMARY KEY, name text)")
        op.execute("COMMENT ON COLUMN ids.id IS 'the key''s note'")
        """,
    )
    seed_accounts(engine, 20, "ids")
    online(project, 'zop.widen_primary_key("ids")')
    ok(project.zerodown("expand"))
    seed_accounts(engine, 2, "ids")
    migrate_until_done(project)
    ok(project.zerodown("contract"))
    seed_accounts(engine, 1, "ids")
    with engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT id FROM ids ORDER BY id")).scalars()
        assert list(ids) == list(range(1, 1 + 3 * 23, 3))
        row = conn.execute(
            sa.text(
                "SELECT attidentity, format_type(atttypid, atttypmod), "
                "col_description(attrelid, attnum) FROM pg_attribute "
                "WHERE attrelid = 'ids'::regclass AND attname = 'id'"
            )
        ).one()
        assert tuple(row) == ("a", "bigint", "the key's note")
        with pytest.raises(sa.exc.DBAPIError, match="GENERATED ALWAYS"):
            conn.execute(sa.text("INSERT INTO ids (id) VALUES (1)"))
    engine.dispose()
