"""What undoes the plain Alembic operations an expand revision holds."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import ops

from zerodown.migrations import undo


def test_additions_are_undone_by_their_drops():
    added = ops.AddColumnOp("t", sa.Column("x", sa.Integer))
    drop = undo.inverse(added)
    assert isinstance(drop, ops.DropColumnOp)
    assert (drop.table_name, drop.column_name) == ("t", "x")
    table = undo.inverse(ops.CreateTableOp("t", []))
    assert isinstance(table, ops.DropTableOp) and table.table_name == "t"
    index = undo.inverse(ops.CreateIndexOp("ix", "t", ["x"]))
    assert isinstance(index, ops.DropIndexOp)
    assert (index.index_name, index.table_name) == ("ix", "t")


def test_what_zerodown_cannot_reverse_has_no_inverse():
    # Raw SQL, data, and anything that changes what exists.
    assert undo.inverse(ops.ExecuteSQLOp("CREATE TABLE t (x INT)")) is None
    assert undo.inverse(ops.BulkInsertOp(sa.table("t"), [])) is None
    altered = ops.AlterColumnOp("t", "x", modify_nullable=True)
    assert undo.inverse(altered) is None
