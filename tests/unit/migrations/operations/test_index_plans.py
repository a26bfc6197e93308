"""Planned steps of create_index, drop_index and add_unique per dialect,
with no database (``inspector=None``: what ``--sql`` renders)."""

from __future__ import annotations

import pytest
from alembic.operations import ops

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import AddUnique, CreateIndex, DropIndex
from zerodown.migrations.operations.base import Target
from zerodown.migrations.operations.index_builds import (
    IndexSpec,
    validate_spec,
)

DIALECTS = ["postgresql", "mysql", "sqlite"]


def test_postgresql_builds_concurrently_outside_the_transaction():
    (build,) = CreateIndex("ix_a", "t", ["a", "b"]).expand(
        Target("postgresql")
    )
    assert build.sql == "CREATE INDEX CONCURRENTLY ix_a ON t (a, b)"
    assert build.autocommit
    # A failed attempt's invalid index goes before a retry.
    assert build.cleanup == "DROP INDEX CONCURRENTLY IF EXISTS ix_a"


def test_postgresql_partial_unique_index():
    (build,) = CreateIndex(
        "ix_a", "t", ["a"], unique=True, where="deleted_at IS NULL"
    ).expand(Target("postgresql"))
    assert build.sql == (
        "CREATE UNIQUE INDEX CONCURRENTLY ix_a ON t (a) "
        "WHERE deleted_at IS NULL"
    )


def test_mysql_refuses_to_lock_or_copy():
    create = CreateIndex("ix_a", "t", ["order"])
    (build,) = create.expand(Target("mysql"))
    assert build.sql == (
        "CREATE INDEX ix_a ON t (`order`) ALGORITHM=INPLACE LOCK=NONE"
    )
    assert not build.autocommit
    (drop,) = create.rollback(Target("mysql"))
    assert drop.sql == (
        "ALTER TABLE t DROP INDEX ix_a, ALGORITHM=INPLACE, LOCK=NONE"
    )


def test_mysql_has_no_partial_index():
    spec = IndexSpec("ix_a", "t", ("a",), where="a > 0")
    with pytest.raises(OperationRefused, match="no partial indexes"):
        validate_spec(spec, Target("mysql"), "create index")


def test_sqlite_uses_alembic_operations():
    create = CreateIndex("ix_a", "t", ["a"], where="a > 0")
    (build,) = create.expand(Target("sqlite"))
    assert isinstance(build.operation, ops.CreateIndexOp)
    assert build.operation.kw["sqlite_where"] is not None
    (drop,) = create.rollback(Target("sqlite"))
    assert isinstance(drop.operation, ops.DropIndexOp)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_create_index_does_nothing_in_contract(dialect):
    create = CreateIndex("ix_a", "t", ["a"])
    assert create.contract(Target(dialect)) == ()
    assert create.uncontract(Target(dialect)) == ()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_drop_index_waits_for_contract(dialect):
    drop = DropIndex("ix_a", "t", columns=["a"])
    assert drop.expand(Target(dialect)) == ()
    (step,) = drop.contract(Target(dialect))
    assert "ix_a" in (step.sql or step.operation.index_name)
    (rebuild,) = drop.uncontract(Target(dialect))
    assert rebuild.description.startswith("build index ix_a")


def test_postgresql_drop_index_concurrently():
    (step,) = DropIndex("ix_a", "t").contract(Target("postgresql"))
    assert step.sql == "DROP INDEX CONCURRENTLY IF EXISTS ix_a"
    assert step.autocommit


def test_drop_index_without_columns_cannot_be_undone():
    with pytest.raises(OperationRefused, match="columns="):
        DropIndex("ix_a", "t").uncontract(Target("postgresql"))


def test_postgresql_unique_is_an_index_then_a_constraint():
    add = AddUnique("uq_email", "users", ["email"])
    build, attach = add.expand(Target("postgresql"))
    assert build.sql == (
        "CREATE UNIQUE INDEX CONCURRENTLY uq_email ON users (email)"
    )
    assert build.autocommit
    assert attach.sql == (
        "ALTER TABLE users ADD CONSTRAINT uq_email UNIQUE USING INDEX uq_email"
    )
    assert not attach.autocommit
    (drop,) = add.rollback(Target("postgresql"))
    assert drop.sql == "ALTER TABLE users DROP CONSTRAINT IF EXISTS uq_email"


def test_mysql_unique_in_place():
    add = AddUnique("uq_email", "users", ["email", "org"])
    (step,) = add.expand(Target("mysql"))
    assert step.sql == (
        "ALTER TABLE users ADD CONSTRAINT uq_email UNIQUE (email, org), "
        "ALGORITHM=INPLACE, LOCK=NONE"
    )


def test_sqlite_unique_is_a_unique_index():
    (step,) = AddUnique("uq_email", "users", ["email"]).expand(
        Target("sqlite")
    )
    assert isinstance(step.operation, ops.CreateIndexOp)
    assert step.operation.unique


def test_an_index_needs_columns():
    with pytest.raises(OperationRefused, match="names no columns"):
        CreateIndex("ix_a", "t", []).validate(Target("postgresql"))
