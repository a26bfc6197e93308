"""Autogenerate's operations, sorted into phases (no database)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.operations import ops

from zerodown.migrations import Phase
from zerodown.migrations.autogen import split_ops
from zerodown.migrations.errors import UnsplittableOperation
from zerodown.migrations.operations import (
    AddForeignKey,
    AddUnique,
    CreateIndex,
    DropIndex,
    SetNotNull,
)

EXPAND, CONTRACT = Phase.EXPAND, Phase.CONTRACT


def _names(operations):
    return [type(op).__name__ for op in operations]


@pytest.mark.parametrize(
    "op, phase",
    [
        (
            ops.CreateTableOp(
                "t", [sa.Column("id", sa.Integer, primary_key=True)]
            ),
            EXPAND,
        ),
        (
            ops.AddColumnOp("t", sa.Column("c", sa.Integer, nullable=True)),
            EXPAND,
        ),
        (
            ops.AddColumnOp(
                "t",
                sa.Column("c", sa.Integer, nullable=False, server_default="0"),
            ),
            EXPAND,
        ),
        (ops.DropTableOp("t"), CONTRACT),
        (ops.DropColumnOp("t", "c"), CONTRACT),
        (ops.DropConstraintOp("fk", "t"), CONTRACT),
    ],
)
def test_whole_operations(op, phase):
    result = split_ops([op])
    assert result[phase] == [op]
    assert result[CONTRACT if phase is EXPAND else EXPAND] == []


@pytest.mark.parametrize(
    "op, phase, online",
    [
        (
            ops.CreateIndexOp("ix", "t", ["c"], unique=True),
            EXPAND,
            CreateIndex("ix", "t", ["c"], unique=True),
        ),
        (
            ops.CreateForeignKeyOp("fk", "t", "u", ["u_id"], ["id"]),
            EXPAND,
            AddForeignKey("fk", "t", "u", ["u_id"], ["id"]),
        ),
        (
            ops.CreateUniqueConstraintOp("uq", "t", ["a", "b"]),
            EXPAND,
            AddUnique("uq", "t", ["a", "b"]),
        ),
        (ops.DropIndexOp("ix", "t"), CONTRACT, DropIndex("ix", "t")),
    ],
)
def test_operations_with_an_online_twin_are_written_online(op, phase, online):
    result = split_ops([op])
    assert result[phase] == [online]
    assert result[CONTRACT if phase is EXPAND else EXPAND] == []


def test_unnamed_or_expression_indexes_stay_plain():
    op = ops.CreateIndexOp("ix", "t", [sa.text("lower(c)")])
    assert split_ops([op])[EXPAND] == [op]


def test_not_null_column_is_added_loose_and_tightened_later():
    column = sa.Column("c", sa.String(10), nullable=False)
    result = split_ops([ops.AddColumnOp("t", column)])
    (added,) = result[EXPAND]
    assert isinstance(added, ops.AddColumnOp) and added.column.nullable is True
    assert column.nullable is False  # the model's column is not mutated
    # Tightened online once the old release is gone (no scan under a
    # lock on PostgreSQL).
    assert result[CONTRACT] == [SetNotNull("t", "c")]
    # Each half can be reversed for its downgrade: an online operation's
    # downgrade is the same call (it rolls back).
    assert ops.UpgradeOps(result[CONTRACT]).reverse().ops == [
        SetNotNull("t", "c")
    ]


def test_alter_column_is_split_by_component():
    op = ops.AlterColumnOp(
        "t",
        "c",
        existing_type=sa.String(10),
        existing_nullable=True,
        modify_type=sa.String(50),
        modify_nullable=False,
        modify_comment="documented",
    )
    result = split_ops([op])
    assert [
        (o.modify_type is not None, o.modify_comment) for o in result[EXPAND]
    ] == [(True, False), (False, "documented")]
    assert result[CONTRACT] == [SetNotNull("t", "c")]


def test_narrowing_waits_for_contract_and_dropping_a_default_too():
    narrow = ops.AlterColumnOp(
        "t", "c", existing_type=sa.String(50), modify_type=sa.String(10)
    )
    no_default = ops.AlterColumnOp(
        "t", "c", existing_server_default="x", modify_server_default=None
    )
    new_default = ops.AlterColumnOp("t", "c", modify_server_default="y")
    result = split_ops([narrow, no_default, new_default])
    assert len(result[CONTRACT]) == 2 and len(result[EXPAND]) == 1
    assert result[EXPAND][0].modify_server_default == "y"


def test_table_groups_are_split_recursively():
    group = ops.ModifyTableOps(
        "t",
        [
            ops.AddColumnOp("t", sa.Column("a", sa.Integer)),
            ops.DropColumnOp("t", "b"),
        ],
    )
    result = split_ops([group])
    assert _names(result[EXPAND][0].ops) == ["AddColumnOp"]
    assert _names(result[CONTRACT][0].ops) == ["DropColumnOp"]
    assert result[EXPAND][0].table_name == "t"


@pytest.mark.parametrize(
    "op, online_op",
    [
        (ops.AlterColumnOp("t", "c", modify_name="d"), "rename_column"),
        (
            ops.AlterColumnOp(
                "t", "c", existing_type=sa.String(5), modify_type=sa.Integer()
            ),
            "change_column_type",
        ),
    ],
)
def test_operations_that_move_data_are_refused_with_the_online_op(
    op, online_op
):
    with pytest.raises(UnsplittableOperation) as caught:
        split_ops([op])
    assert caught.value.online_op == online_op
    assert "t.c" in str(caught.value)
