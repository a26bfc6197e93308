"""The planned steps of the column operations, per dialect, no database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.operations import ops

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import (
    AddColumn,
    ChangeColumnType,
    MoveColumn,
    RenameColumn,
    naming,
)
from zerodown.migrations.operations.base import Target
from zerodown.migrations.operations.fill import ColumnFill
from zerodown.migrations.operations.reflected import Reflected

DIALECTS = ["postgresql", "mysql", "sqlite"]


def _sql(steps):
    return [s.sql for s in steps if s.sql]


def _ops(steps):
    return [s.operation for s in steps if s.operation is not None]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rename_plans_add_sync_and_drop(dialect):
    rename = RenameColumn("users", "name", "full_name")
    target = Target(dialect)
    expand = rename.expand(target)
    (add,) = _ops(expand)
    assert isinstance(add, ops.AddColumnOp)
    assert add.column.name == "full_name" and add.column.nullable is True
    assert add.column.server_default is None  # NULL means "not written"
    triggers = _sql(expand)
    name = naming.generated("sync", "users", "name", "full_name")
    assert triggers and all(name in sql for sql in triggers)
    contract = rename.contract(target)
    assert all(
        "DROP TRIGGER" in s or "DROP FUNCTION" in s for s in _sql(contract)
    )
    assert isinstance(_ops(contract)[0], ops.DropColumnOp)
    assert _ops(contract)[0].column_name == "name"
    (drop_new,) = _ops(rename.rollback(target))
    assert drop_new.column_name == "full_name"


def test_postgresql_trigger_copies_in_both_directions():
    (function, trigger) = _sql(
        RenameColumn("users", "name", "full_name").expand(Target("postgresql"))
    )
    assert "NEW.full_name := (NEW.name)" in function
    assert "NEW.name := (NEW.full_name)" in function
    assert "IS DISTINCT FROM OLD.name" in function
    assert "BEFORE INSERT OR UPDATE ON users" in trigger


def test_mysql_triggers_use_null_safe_comparison():
    insert, update = _sql(
        RenameColumn("users", "name", "full_name").expand(Target("mysql"))
    )
    assert "BEFORE INSERT ON users" in insert
    assert "NOT (NEW.name <=> OLD.name)" in update


def test_sqlite_rename_of_not_null_relaxes_the_old_column_first():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, "
            "name VARCHAR(10) NOT NULL)"
        )
        target = Target("sqlite", inspector=Reflected(sa.inspect(conn)))
        steps = RenameColumn("users", "name", "full_name").expand(target)
    relax = [o for o in _ops(steps) if isinstance(o, ops.AlterColumnOp)]
    assert len(relax) == 1 and relax[0].modify_nullable is True
    # Relaxing rebuilds the table on SQLite, so it must come before the
    # triggers that the rebuild would drop.
    kinds = ["sql" if s.sql else "op" for s in steps]
    assert kinds.index("sql") > steps.index(
        next(s for s in steps if s.operation is relax[0])
    )


def test_change_type_converts_with_its_expressions():
    change = ChangeColumnType(
        "t",
        "n",
        "n_big",
        sa.BigInteger(),
        up="CAST({value} AS BIGINT)",
        down="CAST({value} AS INTEGER)",
    )
    target = Target("postgresql")
    (add,) = _ops(change.expand(target))
    assert isinstance(add.column.type, sa.BigInteger)
    function = _sql(change.expand(target))[0]
    assert "NEW.n_big := (CAST(NEW.n AS BIGINT))" in function
    assert "NEW.n := (CAST(NEW.n_big AS INTEGER))" in function
    work = change.backfill(target)
    assert work.assignments == "n_big = CAST(n AS BIGINT)"
    assert work.where == "n_big IS NULL AND n IS NOT NULL"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_move_plans_triggers_on_both_tables(dialect):
    move = MoveColumn(
        "instances",
        "numa_topology",
        "instance_extra",
        {"instance_uuid": "uuid"},
    )
    known = {("instances", "numa_topology"): {"type": sa.String(4000)}}
    target = Target(dialect, scripted=lambda *c: known.get(c))
    expand = move.expand(target)
    (add,) = _ops(expand)
    assert add.table_name == "instance_extra"
    # Offline, the type the script gave the old column (TEXT was a guess).
    assert isinstance(add.column.type, sa.String)
    assert add.column.type.length == 4000
    statements = " ".join(_sql(expand))
    assert (
        " ON instances " in statements and " ON instance_extra " in statements
    )
    work = move.backfill(target)
    assert work.table == "instance_extra"
    assert "instances.uuid = instance_extra.instance_uuid" in work.assignments
    (drop,) = _ops(move.contract(target))
    assert (drop.table_name, drop.column_name) == (
        "instances",
        "numa_topology",
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_move_offline_takes_the_models_type_or_refuses_to_guess(dialect):
    move = MoveColumn("instances", "image_ref", "instance_extra", {"u": "u"})
    models = sa.MetaData()
    sa.Table("instance_extra", models, sa.Column("image_ref", sa.String(255)))
    (add,) = _ops(move.expand(Target(dialect, models=models)))
    assert add.column.type.length == 255
    writing = Target(dialect, scripted=lambda *c: None)
    with pytest.raises(OperationRefused, match="the column's type is unknown"):
        move.expand(writing)


def test_move_refuses_an_empty_join():
    class Inspector:
        def has_table(self, table):
            return True

        def get_columns(self, table):
            return [
                {"name": "numa_topology", "type": sa.Text(), "nullable": True}
            ]

    move = MoveColumn(
        "instances", "numa_topology", "instance_extra", {}, "numa"
    )
    with pytest.raises(OperationRefused, match="'on' names no join columns"):
        move.validate(Target("postgresql", inspector=Inspector()))


def test_add_not_null_column_needs_a_value_for_existing_rows():
    class Inspector:
        def has_table(self, table):
            return True

        def get_columns(self, table):
            return [{"name": "id", "type": sa.Integer(), "nullable": False}]

    column = sa.Column("email", sa.String(50), nullable=False)
    with pytest.raises(
        OperationRefused, match="server_default or backfill_sql"
    ):
        AddColumn("users", column).validate(
            Target("mysql", inspector=Inspector())
        )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_add_not_null_column_with_backfill(dialect):
    column = sa.Column("email", sa.String(50), nullable=False)
    add = AddColumn("users", column, backfill_sql="lower({name})")
    target = Target(dialect)
    expand = add.expand(target)
    assert _ops(expand)[0].column.nullable is True
    assert column.nullable is False
    assert any("lower(NEW.name)" in sql for sql in _sql(expand))
    assert add.backfill(target).assignments == "email = (lower(name))"
    tighten = _ops(add.contract(target))[-1]
    assert tighten.modify_nullable is False


def test_fill_expression_quotes_reserved_words():
    fill = ColumnFill("t", "c", "{order} + 1", key=("id",))
    assert (
        fill.render(Target("postgresql").quote, "NEW") == '(NEW."order" + 1)'
    )
    assert fill.render(Target("mysql").quote) == "(`order` + 1)"
