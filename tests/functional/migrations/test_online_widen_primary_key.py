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
    case,
    execute,
    foreign_key_rebuilt,
    refused,
    releases_engine,
    seed_accounts,
    validated,
    wide,
)
from widen_steps import killed_after, plan_of, seeded_accounts

from zerodown.migrations.operations import WidenPrimaryKey
from zerodown.migrations.operations.reflected import Reflected

WIDEN_PRIMARY_KEY = case("widen_primary_key")
WIDEN = WIDEN_PRIMARY_KEY.call


# The accounts table of 300 rows: (project, engine).
accounts = pytest.fixture(seeded_accounts, name="accounts")


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
    assert len(plan_of(engine, "expand", TABLES[0])) < len(TABLES)
    for count, table in enumerate(TABLES):
        killed_after(engine, plan_of(engine, "expand", table), count)
        seed_accounts(engine, 3, table)  # the old release writes meanwhile
    ok(project.zerodown("expand"))
    migrate_until_done(project)
    assert len(plan_of(engine, "contract", TABLES[0])) < len(TABLES)
    for count, table in enumerate(TABLES):
        killed_after(engine, plan_of(engine, "contract", table), count)
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
    steps = plan_of(engine, "contract", "accounts")
    assert steps[-1].description.startswith("validate")
    killed_after(engine, steps, len(steps) - 1)
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
    steps = plan_of(engine, "contract", "accounts")
    swap = next(
        i for i, s in enumerate(steps) if s.description.startswith("swap")
    )
    killed_after(engine, steps, swap)  # PostgreSQL: the index is built
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
