"""What ``zop.widen_primary_key`` carries along with the key: other
tables' foreign keys (MySQL/MariaDB move them to the shadow and back;
PostgreSQL rebuilds those on the key) and indexes that include the key
(PostgreSQL builds twins), on every backend, killed between steps and
rolled back."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from identifiers import bookkeeping
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
    account_names,
    case,
    execute,
    refused,
    releases_engine,
    seed_accounts,
    wide,
)
from sqlclient import client
from widen_steps import killed_after, plan_of, seeded_accounts

WIDEN_PRIMARY_KEY = case("widen_primary_key")
WIDEN = WIDEN_PRIMARY_KEY.call


# The accounts table of 300 rows: (project, engine).
accounts = pytest.fixture(seeded_accounts, name="accounts")


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
        plan = plan_of(engine, "contract", f"instances_{k}")
        assert len(plan) == steps, [s.description for s in plan]
        killed_after(engine, plan, k)
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
    plan = plan_of(engine, "contract", "instances_0")
    killed_after(engine, plan, 3)  # the children's keys on the shadow
    with engine.connect() as conn:
        (key,) = sa.inspect(conn).get_foreign_keys("extra_0")
    assert key["name"] == "fk_extra_0_zdw"
    assert key["referred_table"].startswith("zd_")
    downgrade(project, "expand@-1")
    assert schema(engine) == before
    refused(engine, "INSERT INTO extra_0 (instance_uuid) VALUES ('x')")
    engine.dispose()


def _offline_expanded(project) -> sa.Engine:
    """``instances_0`` (20 rows, each with a child that cascades), widened
    by an expand run by the database's own client from ``--sql``
    (offline it cannot name the columns: its triggers copy with
    REPLACE), then migrated."""
    engine = releases_engine(project.database.url)
    base_schema(project, _pairs(1))
    bookkeeping(engine)
    _boot_into(engine, 0, [f"u-{i}" for i in range(20)])
    online(project, 'zop.widen_primary_key("instances_0")')
    with engine.connect() as conn:
        query = sa.text("SELECT version_num FROM alembic_version")
        (current,) = conn.execute(query).scalars()
    script = project.zerodown("expand", "--sql", "--from", current)
    ok(script)
    client(project.database.url, script.stdout)
    assert _copies(engine) == {
        "_ad": "DELETE",
        "_au": "REPLACE",
        "_ai": "REPLACE",
    }
    migrate_until_done(project)
    return engine


def test_mysql_contract_after_an_offline_expand(project):
    """``zerodown contract`` itself, from the offline triggers: the
    children keep their rows and their key, which still cascades."""
    if project.database.backend != "mysql":
        pytest.skip("the children's keys move with MySQL's shadow table")
    engine = _offline_expanded(project)
    ok(project.zerodown("contract"))
    assert _children(engine) == 20
    with engine.connect() as conn:
        (key,) = sa.inspect(conn).get_foreign_keys("extra_0")
    assert (key["name"], key["referred_table"]) == (
        "fk_extra_0",
        "instances_0",
    )
    execute(engine, "DELETE FROM instances_0 WHERE uuid = 'u-0'")
    assert _children(engine) == 19
    assert leftovers(engine) == []
    engine.dispose()


def test_mysql_offline_triggers_are_gone_before_the_children_move(project):
    """Contract puts in-place copies in place of the offline REPLACE
    triggers before the children's keys move to the shadow: an update of
    every referenced row while they point there, or of a row's key,
    cascades no child away (without the twins, 20 of 20 went), and a
    contract killed halfway through the replacement makes only what is
    missing."""
    if project.database.backend != "mysql":
        pytest.skip("the children's keys move with MySQL's shadow table")
    engine = _offline_expanded(project)
    plan = plan_of(engine, "contract", "instances_0")
    swap = next(
        i for i, s in enumerate(plan) if s.sql.startswith("RENAME TABLE")
    )
    killed_after(engine, plan, 1)  # one twin made, its REPLACE still there
    replan = plan_of(engine, "contract", "instances_0")
    assert len(replan) == len(plan) - 1
    killed_after(engine, replan, swap - 1)  # the children on the shadow
    assert _copies(engine) == {
        "_ad": "DELETE",
        "_cu": "INSERT",
        "_ci": "INSERT",
    }
    with engine.connect() as conn:
        (key,) = sa.inspect(conn).get_foreign_keys("extra_0")
    assert key["referred_table"].startswith("zd_")
    execute(engine, "UPDATE instances_0 SET state = 'x'")
    # a key that changes moves the shadow's row, deleting nothing
    execute(engine, "UPDATE instances_0 SET id = id + 1000 WHERE id < 5")
    _boot_into(engine, 0, ["between"])
    assert _children(engine) == 21
    ok(project.zerodown("contract"))
    assert _children(engine) == 21
    with engine.connect() as conn:
        query = (
            "SELECT count(*) FROM instances_0 WHERE id BETWEEN 1001 AND 1004"
        )
        assert conn.execute(sa.text(query)).scalar_one() == 4
    assert leftovers(engine) == []
    engine.dispose()


def test_mysql_rollback_drops_the_twins(project):
    """Rolled back after the twins exist: nothing of the operation is
    left, and the table takes writes."""
    if project.database.backend != "mysql":
        pytest.skip("the children's keys move with MySQL's shadow table")
    engine = _offline_expanded(project)
    plan = plan_of(engine, "contract", "instances_0")
    killed_after(engine, plan, 3)  # a twin of each, one REPLACE left
    downgrade(project, "expand@-1")
    assert leftovers(engine) == []
    _boot_into(engine, 0, ["after"])
    assert _children(engine) == 21
    engine.dispose()


def _copies(engine: sa.Engine) -> dict[str, str]:
    """The widen's triggers on instances_0: suffix -> first word of the
    statement that writes the shadow."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT trigger_name, action_statement "
                "FROM information_schema.triggers "
                "WHERE trigger_schema = DATABASE() "
                "AND event_object_table = 'instances_0'"
            )
        )
        found = {}
        for name, body in rows:
            words = " ".join(str(body).split()).upper()
            last = words.rsplit("END IF; ", 1)[-1]
            found[str(name)[-3:]] = last.split(" ", 1)[0]
    return found


def _children(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM extra_0")
        return int(conn.execute(query).scalar_one())


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
        steps = plan_of(engine, "contract", "accounts")
        twins = [
            s for s in steps if s.description.startswith("build index zd_wix_")
        ]
        assert len(twins) == 2, [s.description for s in steps]
        killed_after(engine, steps, steps.index(twins[-1]) + 1)
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
    steps = plan_of(engine, "contract", "accounts")
    killed_after(engine, steps, len(steps) - 2)  # twins built, no swap
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
