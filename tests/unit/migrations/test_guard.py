"""Which operation each phase may run (no database)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.dialects import mysql, postgresql

from zerodown.migrations import Phase, allow
from zerodown.migrations.errors import MigrationError, PhaseViolation
from zerodown.migrations.guard import Effect, check, classify, is_widening
from zerodown.migrations.operations import (
    AddColumn,
    DropTable,
    MoveColumn,
    RenameColumn,
)

CREATES, BREAKS, NEUTRAL = Effect.CREATES, Effect.BREAKS, Effect.NEUTRAL


def _col(name="c", type_=None, **kw):
    return sa.Column(name, type_ if type_ is not None else sa.Integer(), **kw)


CASES = [
    (
        ops.CreateTableOp("t", [_col(primary_key=True)]),
        "create_table",
        "t",
        CREATES,
    ),
    (ops.DropTableOp("t"), "drop_table", "t", BREAKS),
    (ops.RenameTableOp("t", "u"), "rename_table", "t", BREAKS),
    (ops.CreateIndexOp("ix", "t", ["c"]), "create_index", "ix", CREATES),
    (ops.DropIndexOp("ix", "t"), "drop_index", "ix", BREAKS),
    (
        ops.CreateUniqueConstraintOp("uq", "t", ["c"]),
        "add_constraint",
        "uq",
        CREATES,
    ),
    (ops.DropConstraintOp("uq", "t"), "drop_constraint", "uq", BREAKS),
    (ops.AddColumnOp("t", _col(nullable=True)), "add_column", "t.c", CREATES),
    (
        ops.AddColumnOp("t", _col(nullable=False, server_default="0")),
        "add_column",
        "t.c",
        CREATES,
    ),
    (
        ops.AddColumnOp("t", _col(nullable=False)),
        "add_column",
        "t.c",
        CREATES | BREAKS,
    ),
    (ops.DropColumnOp("t", "c"), "drop_column", "t.c", BREAKS),
    (
        ops.AlterColumnOp("t", "c", modify_name="d"),
        "rename_column",
        "t.c",
        BREAKS,
    ),
    (
        ops.AlterColumnOp("t", "c", modify_nullable=False),
        "set_not_null",
        "t.c",
        BREAKS,
    ),
    (
        ops.AlterColumnOp("t", "c", modify_nullable=True),
        "alter_column",
        "t.c",
        NEUTRAL,
    ),
    (
        ops.AlterColumnOp(
            "t", "c", existing_type=sa.String(10), modify_type=sa.String(20)
        ),
        "alter_column",
        "t.c",
        NEUTRAL,
    ),
    (
        ops.AlterColumnOp(
            "t", "c", existing_type=sa.String(20), modify_type=sa.String(10)
        ),
        "change_column_type",
        "t.c",
        BREAKS,
    ),
    (
        ops.AlterColumnOp(
            "t", "c", existing_type=sa.String(20), modify_type=sa.Integer()
        ),
        "change_column_type",
        "t.c",
        BREAKS,
    ),
    (
        ops.AlterColumnOp(
            "t", "c", existing_server_default="1", modify_server_default=None
        ),
        "drop_server_default",
        "t.c",
        BREAKS,
    ),
    (ops.ExecuteSQLOp("DROP TABLE t"), "execute", "DROP TABLE t", BREAKS),
    (
        ops.ExecuteSQLOp("ALTER TABLE t DROP COLUMN c"),
        "execute",
        "ALTER TABLE t DROP COLUMN c",
        BREAKS,
    ),
    (
        ops.ExecuteSQLOp("alter table t alter column c set not null"),
        "execute",
        "alter table t alter column c set not null",
        BREAKS,
    ),
    (
        ops.ExecuteSQLOp("CREATE INDEX ix ON t (c)"),
        "execute",
        "CREATE INDEX ix ON t (c)",
        CREATES,
    ),
    (
        ops.ExecuteSQLOp("UPDATE t SET c = 1"),
        "execute",
        "UPDATE t SET c = 1",
        NEUTRAL,
    ),
]


@pytest.mark.parametrize("op, kind, target, effect", CASES)
def test_classification(op, kind, target, effect):
    verdict = classify(op)
    assert (verdict.kind, verdict.target, verdict.effect) == (
        kind,
        target,
        effect,
    )


@pytest.mark.parametrize("op, kind, target, effect", CASES)
def test_phase_rules(op, kind, target, effect):
    for phase, forbidden in (
        (Phase.EXPAND, BREAKS),
        (Phase.CONTRACT, CREATES),
    ):
        if effect & forbidden:
            with pytest.raises(PhaseViolation) as caught:
                check(op, phase, "abc123")
            assert (
                caught.value.kind == kind and caught.value.phase == phase.value
            )
        else:
            check(op, phase, "abc123")
    # The migrate phase has no branch of its own and no DDL rule.
    check(op, Phase.MIGRATE, "abc123")


def test_exceptions_match_kind_and_glob():
    drop = ops.DropIndexOp("ix_users_old", "users")
    check(
        drop,
        Phase.EXPAND,
        "r",
        [allow("drop_index", "ix_users_*", reason="why")],
    )
    with pytest.raises(PhaseViolation):
        check(
            drop,
            Phase.EXPAND,
            "r",
            [allow("drop_index", "ix_orders_*", reason="why")],
        )
    with pytest.raises(PhaseViolation):
        check(
            drop, Phase.EXPAND, "r", [allow("drop_table", "*", reason="why")]
        )


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_exception_needs_a_reason(reason):
    with pytest.raises(MigrationError, match="needs a reason"):
        allow("drop_index", "ix", reason=reason)


@pytest.mark.parametrize(
    "old, new, widening",
    [
        (sa.String(10), sa.String(20), True),
        (sa.String(10), sa.String(), True),
        (sa.String(), sa.String(10), False),
        (sa.String(10), sa.Text(), True),
        (sa.Text(), sa.String(10), False),
        (sa.Integer(), sa.BigInteger(), True),
        (sa.BigInteger(), sa.Integer(), False),
        (sa.Numeric(10, 2), sa.Numeric(12, 2), True),
        (sa.Numeric(10, 2), sa.Numeric(10, 3), False),
        (sa.Integer(), sa.String(10), False),
        (None, sa.Integer(), False),
    ],
)
def test_widening(old, new, widening):
    assert is_widening(old, new) is widening


@pytest.mark.parametrize(
    "old, new, widening",
    [
        # A dialect's integer types are their generic type's kin.
        (sa.Integer(), mysql.INTEGER(), True),
        (mysql.INTEGER(), sa.Integer(), True),
        (sa.Integer(), mysql.BIGINT(), True),
        (mysql.BIGINT(), sa.Integer(), False),
        (sa.Integer(), postgresql.INTEGER(), True),
        (mysql.TINYINT(), sa.SmallInteger(), True),
        (sa.SmallInteger(), mysql.TINYINT(), False),
        (mysql.MEDIUMINT(), sa.Integer(), True),
        (sa.Integer(), mysql.MEDIUMINT(), False),
        # Unsigned holds no negative value; a signed type one size up
        # holds every unsigned one.
        (mysql.INTEGER(unsigned=True), mysql.INTEGER(unsigned=True), True),
        (sa.Integer(), mysql.INTEGER(unsigned=True), False),
        (sa.Integer(), mysql.BIGINT(unsigned=True), False),
        (mysql.INTEGER(unsigned=True), sa.Integer(), False),
        (mysql.INTEGER(unsigned=True), sa.BigInteger(), True),
        (mysql.INTEGER(zerofill=True), sa.Integer(), False),  # unsigned
        (mysql.INTEGER(zerofill=True), sa.BigInteger(), True),
    ],
)
def test_integer_widening_across_dialects_and_signs(old, new, widening):
    assert is_widening(old, new) is widening


class _Counter(sa.Integer):
    """An integer type of a dialect the guard has no width for."""

    __visit_name__ = "counter"


@pytest.mark.parametrize(
    "old, new", [(sa.Integer(), _Counter()), (_Counter(), sa.BigInteger())]
)
def test_an_integer_type_of_unknown_width_is_no_widening(old, new):
    assert is_widening(old, new) is False
    assert is_widening(new, old) is False


def _dialect(name):
    return sa.engine.make_url(f"{name}://").get_dialect()()


@pytest.mark.parametrize(
    "dialect, allowed",
    [("mysql", True), ("mariadb", True), ("postgresql", False)],
)
def test_a_type_the_backend_spells_the_same_is_no_change(dialect, allowed):
    # timestamp -> timestamptz: one DATETIME on MySQL/MariaDB, a
    # conversion of every value on PostgreSQL.
    operation = ops.AlterColumnOp(
        "orders",
        "placed_at",
        existing_type=sa.DateTime(),
        modify_type=sa.DateTime(timezone=True),
    )
    if allowed:
        verdict = check(
            operation, Phase.EXPAND, "r1", dialect=_dialect(dialect)
        )
        assert verdict.effect is NEUTRAL
    else:
        with pytest.raises(PhaseViolation, match="change_column_type"):
            check(operation, Phase.EXPAND, "r1", dialect=_dialect(dialect))
    with pytest.raises(PhaseViolation):  # without a dialect: a type change
        check(operation, Phase.EXPAND, "r1")


@pytest.mark.parametrize(
    "old, new, widening",
    [
        (sa.String(20), sa.String(30), True),
        (sa.String(20), sa.CHAR(20), False),
        (sa.CHAR(20), sa.String(20), False),
        (sa.String(20), sa.Text(), True),
        (sa.Text(), sa.String(20), False),
        (sa.Enum("a", "b"), sa.Enum("a", "b", "c"), True),
        (sa.Enum("a", "b", "c"), sa.Enum("a", "b"), False),
        (sa.String(20, collation="C"), sa.String(30), False),
    ],
)
def test_string_kinds_widen_only_within_their_kind(old, new, widening):
    assert is_widening(old, new) is widening


def test_an_online_type_change_is_judged_as_itself():
    from zerodown.migrations.operations import ChangeColumnType

    operation = ChangeColumnType("t", "c", "c2", sa.BigInteger())
    verdict = check(
        operation, Phase.EXPAND, "r1", dialect=_dialect("postgresql")
    )
    assert verdict.kind == "change_column_type"


def test_an_unnamed_foreign_key_is_named_by_its_table():
    op = ops.CreateForeignKeyOp(None, "orders", "customers", ["c"], ["id"])
    assert classify(op).target == "orders"


ONLINE = [
    MoveColumn("instances", "image_ref", "instance_extra", on={"u": "u"}),
    RenameColumn("t", "a", "b"),
    AddColumn("t", _col("n")),
    DropTable("t"),
]


@pytest.mark.parametrize("operation", ONLINE, ids=lambda o: o.name)
def test_online_operations_are_named_in_plain_words(operation):
    """A failure reads "failed at move_column instances.image_ref"."""
    verdict = classify(operation)
    assert verdict.kind == operation.name
    assert verdict.target == operation.target_name
    assert "object at 0x" not in f"{verdict.kind} {verdict.target}"
    # Handed the class, not an instance: its name, never a property.
    by_class = classify(type(operation))
    assert (by_class.kind, by_class.target) == (type(operation).__name__, "*")
