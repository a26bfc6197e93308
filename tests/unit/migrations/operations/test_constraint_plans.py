"""Planned steps of add_foreign_key, set_not_null, drop_column,
drop_table and rename_table per dialect, with no database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.operations import ops

from zerodown.migrations import guard
from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import (
    AddForeignKey,
    DropColumn,
    DropTable,
    RenameTable,
    SetNotNull,
    naming,
)
from zerodown.migrations.operations.base import Target
from zerodown.migrations.phases import Phase

DIALECTS = ["postgresql", "mysql", "sqlite"]
FK = AddForeignKey("fk_posts_user", "posts", "users", ["user_id"], ["id"])


def _sql(steps):
    return [s.sql for s in steps if s.sql]


def test_postgresql_foreign_key_not_valid_then_validated_alone():
    (add,) = FK.expand(Target("postgresql"))
    assert add.sql == (
        "ALTER TABLE posts ADD CONSTRAINT fk_posts_user FOREIGN KEY "
        "(user_id) REFERENCES users (id) NOT VALID"
    )
    assert not add.autocommit
    (validate,) = FK.contract(Target("postgresql"))
    assert validate.sql == (
        "ALTER TABLE posts VALIDATE CONSTRAINT fk_posts_user"
    )
    assert validate.autocommit  # its own transaction
    assert _sql(FK.rollback(Target("postgresql"))) == [
        "ALTER TABLE posts DROP CONSTRAINT IF EXISTS fk_posts_user"
    ]


def test_mysql_foreign_key_is_checked_around_an_unchecked_add():
    before, off, add, on, after = FK.expand(Target("mysql"))
    assert before.check and after.check
    assert "NOT EXISTS (SELECT 1 FROM users r WHERE r.id = s.user_id)" in (
        before.check.query
    )
    assert off.sql == "SET foreign_key_checks = 0"
    assert add.sql.endswith("ALGORITHM=INPLACE, LOCK=NONE")
    assert on.sql == "SET foreign_key_checks = 1"
    assert not FK.contract(Target("mysql"))
    drop_key, drop_index = FK.rollback(Target("mysql"))
    assert "DROP FOREIGN KEY fk_posts_user" in drop_key.sql
    assert "DROP INDEX fk_posts_user" in drop_index.sql


def test_sqlite_foreign_key_is_a_rebuild_after_a_check():
    check, rebuild = FK.expand(Target("sqlite", inspector=_Inspector()))
    assert check.check is not None
    assert isinstance(rebuild.operation, ops.CreateForeignKeyOp)


def test_sqlite_rebuild_cannot_render_offline():
    with pytest.raises(OperationRefused, match="needs the live schema"):
        FK.expand(Target("sqlite"))


def test_foreign_key_columns_must_pair():
    bad = AddForeignKey("fk", "posts", "users", ["a", "b"], ["id"])
    with pytest.raises(OperationRefused, match="must pair up"):
        bad.validate(Target("postgresql"))


def test_postgresql_not_null_via_a_check():
    op = SetNotNull("users", "name")
    name = naming.generated("nn", "users", "name")
    assert op.check_name == name
    (check,) = op.expand(Target("postgresql"))
    assert check.sql == (
        f"ALTER TABLE users ADD CONSTRAINT {name} CHECK "
        "(name IS NOT NULL) NOT VALID"
    )
    validate, tighten, drop = op.contract(Target("postgresql"))
    assert validate.autocommit and "VALIDATE CONSTRAINT" in validate.sql
    assert tighten.sql == "ALTER TABLE users ALTER COLUMN name SET NOT NULL"
    assert f"DROP CONSTRAINT IF EXISTS {name}" in drop.sql
    (undo,) = op.rollback(Target("postgresql"))
    assert undo.sql == drop.sql


def test_postgresql_before_12_is_refused():
    with pytest.raises(OperationRefused, match="before 12"):
        SetNotNull("users", "name").validate(
            Target("postgresql", server_version=(11, 9))
        )


def test_mysql_not_null_is_an_inplace_modify_after_a_check():
    op = SetNotNull("users", "name", existing_type=sa.String(100))
    assert op.expand(Target("mysql")) == []
    check, modify = op.contract(Target("mysql"))
    assert check.check.query == (
        "SELECT 1 FROM users WHERE name IS NULL LIMIT 1"
    )
    assert modify.sql == (
        "ALTER TABLE users MODIFY COLUMN name VARCHAR(100) NOT NULL, "
        "ALGORITHM=INPLACE, LOCK=NONE"
    )
    (relax,) = op.uncontract(Target("mysql"))
    assert "name VARCHAR(100) NULL," in relax.sql


def test_mysql_modify_offline_needs_the_type():
    with pytest.raises(OperationRefused, match="existing_type"):
        SetNotNull("users", "name").contract(Target("mysql"))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_not_null_with_backfill_fills_on_writes(dialect):
    op = SetNotNull("users", "name", backfill_sql="'user ' || {id}")
    target = Target(dialect, inspector=None)
    expand = op.expand(target)
    assert any("zd_fill_users_name" in s for s in _sql(expand))
    work = op.backfill(target)
    assert work.where == "name IS NULL"
    assert work.assignments == "name = ('user ' || id)"
    assert any("zd_fill_users_name" in s for s in _sql(op.rollback(target)))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_drops_wait_for_contract(dialect):
    target = Target(dialect)
    column = DropColumn("users", "legacy")
    table = DropTable("audit")
    assert column.expand(target) == () and table.expand(target) == ()
    assert column.rollback(target) == () and table.rollback(target) == ()
    (drop,) = column.contract(target)
    assert isinstance(drop.operation, ops.DropColumnOp)
    (drop,) = table.contract(target)
    assert isinstance(drop.operation, ops.DropTableOp)
    with pytest.raises(OperationRefused, match="removed the old shape"):
        column.uncontract(target)


def test_postgresql_rename_is_one_transaction_with_a_view():
    rename = RenameTable("users", "accounts")
    move, view = rename.expand(Target("postgresql", server_version=(15, 2)))
    assert move.sql == "ALTER TABLE users RENAME TO accounts"
    assert move.waiver  # the guard would call a rename breaking
    assert view.sql == (
        "CREATE VIEW users WITH (security_invoker = true) AS "
        "SELECT * FROM accounts"
    )
    (_, older) = rename.expand(Target("postgresql", server_version=(14,)))
    assert "security_invoker" not in older.sql
    assert _sql(rename.contract(Target("postgresql"))) == ["DROP VIEW users"]
    assert _sql(rename.rollback(Target("postgresql"))) == [
        "DROP VIEW IF EXISTS users",
        "ALTER TABLE accounts RENAME TO users",
    ]


def test_mysql_rename_swaps_atomically():
    rename = RenameTable("users", "accounts")
    staged = naming.generated("view", "users", "accounts")
    gone = naming.generated("gone", "users", "accounts")
    expand = rename.expand(Target("mysql"))
    assert _sql(expand) == [
        "CREATE SQL SECURITY INVOKER VIEW accounts AS SELECT * FROM users",
        f"CREATE SQL SECURITY INVOKER VIEW {staged} AS SELECT * FROM accounts",
        f"RENAME TABLE accounts TO {gone}, users TO accounts, "
        f"{staged} TO users",
        f"DROP VIEW {gone}",
    ]
    # Each step's undo takes the schema back to the one before it.
    assert [step.undo for step in expand] == [
        "DROP VIEW IF EXISTS accounts",
        f"DROP VIEW IF EXISTS {staged}",
        f"RENAME TABLE users TO {staged}, accounts TO users, "
        f"{gone} TO accounts",
        f"CREATE VIEW {gone} AS SELECT * FROM accounts",
    ]
    assert _sql(rename.rollback(Target("mysql"))) == [
        f"RENAME TABLE users TO {gone}, accounts TO users",
        f"DROP VIEW {gone}",
    ]


def test_sqlite_rename_is_refused_with_its_reason():
    with pytest.raises(OperationRefused, match="report no row id"):
        RenameTable("users", "accounts").validate(Target("sqlite"))


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_waived_steps_are_the_ones_the_guard_refuses(dialect):
    steps = RenameTable("users", "accounts").expand(Target(dialect))
    for step in steps:
        verdict = guard.classify(ops.ExecuteSQLOp(step.sql))
        breaks = bool(verdict.effect & guard.Effect.BREAKS)
        assert breaks == (step.waiver is not None), step.sql
    # And the guard really refuses them in expand without the waiver.
    with pytest.raises(Exception, match="must not"):
        guard.check(ops.ExecuteSQLOp(steps[-2].sql), Phase.EXPAND, "r1")


class _Inspector:
    bind = None

    def has_table(self, table):
        return True

    def get_columns(self, table):
        names = {"posts": ["id", "user_id"], "users": ["id"]}[table]
        return [
            {"name": n, "type": sa.Integer(), "nullable": True} for n in names
        ]

    def get_foreign_keys(self, table):
        return []
