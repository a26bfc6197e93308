"""The phase guard's details: raw SQL, what a statement is called, type
widening at the edges, why a phase refuses (no database)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.dialects import mysql, postgresql

from zerodown.migrations import Phase, allow
from zerodown.migrations.errors import PhaseViolation
from zerodown.migrations.guard import (
    Effect,
    check,
    classify,
    is_narrowing,
    is_widening,
    sql_head,
    string_kind,
)

REDEFINES = (
    "raw SQL that redefines a column (MODIFY/CHANGE: its type, "
    "NULL-ability and default at once)"
)


@pytest.mark.parametrize(
    "sql, effect, why",
    [
        ("TRUNCATE t", Effect.BREAKS, "raw SQL that empties a table"),
        ("  drop index ix", Effect.BREAKS, "raw SQL that drops"),
        ("ALTER TABLE t DROP COLUMN c", Effect.BREAKS, "raw SQL that drops"),
        ("RENAME TABLE a TO b", Effect.BREAKS, "raw SQL that renames a table"),
        (
            "ALTER TABLE t RENAME COLUMN a TO b",
            Effect.BREAKS,
            "raw SQL that renames a column",
        ),
        (
            "ALTER TABLE t\nRENAME TO u",
            Effect.BREAKS,
            "raw SQL that renames a table",
        ),
        ("ALTER TABLE t RENAME a", Effect.BREAKS, "raw SQL that renames"),
        (
            "ALTER TABLE t ALTER c SET NOT NULL",
            Effect.BREAKS,
            "raw SQL that makes a column NOT NULL",
        ),
        ("ALTER TABLE t MODIFY c int", Effect.BREAKS, REDEFINES),
        ("alter table t change a b int", Effect.BREAKS, REDEFINES),
        (
            "ALTER TABLE t ALTER c TYPE bigint",
            Effect.BREAKS,
            "raw SQL that changes a column's type",
        ),
        ("ALTER TABLE t ADD c int", Effect.CREATES, ""),
        (" create table x (a int)", Effect.CREATES, ""),
        ("SELECT 1 -- DROP", Effect.NEUTRAL, ""),
        ("INSERT INTO t VALUES (1)", Effect.NEUTRAL, ""),
    ],
)
def test_raw_sql_is_judged_by_what_it_does(sql, effect, why):
    verdict = classify(ops.ExecuteSQLOp(sql))
    assert (verdict.kind, verdict.effect, verdict.why) == (
        "execute",
        effect,
        why,
    )
    assert verdict.target == sql_head(sql)


@pytest.mark.parametrize(
    "sql, limit, head",
    [
        ("a  b\n c", 60, "a b c"),
        ("x" * 60, 60, "x" * 60),
        ("x" * 61, 60, "x" * 60),
        ("aaa bbb ccc", 7, "aaa bbb"),
        ("aaa bbb ccc", 8, "aaa bbb"),
        ("aaa bbb ccc", 10, "aaa bbb"),
        ("aaa bbb ccc", 11, "aaa bbb ccc"),
        ("aaaaaaaaa bb", 5, "aaaaa"),
        ("aaa bbbb c", 7, "aaa"),
    ],
)
def test_a_statement_is_named_by_its_first_whole_words(sql, limit, head):
    assert sql_head(sql, limit) == head


def test_a_statement_is_named_in_sixty_characters_by_default():
    words = " ".join(["word"] * 20)
    assert sql_head(words) == " ".join(["word"] * 12)


def test_a_phase_says_why_it_refuses():
    with pytest.raises(PhaseViolation) as err:
        check(ops.DropTableOp("t"), Phase.EXPAND, "r1")
    assert err.value.why == "the old release still uses it"
    assert err.value.action == "drop table"
    assert err.value.target == "t"
    assert err.value.revision == "r1"
    with pytest.raises(PhaseViolation) as err:
        check(ops.CreateTableOp("t", []), Phase.CONTRACT, "r2")
    assert err.value.why == (
        "contract runs after the new release started; additions belong in "
        "expand"
    )
    with pytest.raises(PhaseViolation) as err:
        check(ops.AlterColumnOp("t", "c", modify_name="d"), Phase.EXPAND, "r")
    assert err.value.why == (
        "renaming a column breaks every query of the other release"
    )


def test_an_exception_keeps_its_reason_stripped_and_defaults_to_any():
    exception = allow("drop_table", reason="  gone for good ")
    assert (exception.kind, exception.target, exception.reason) == (
        "drop_table",
        "*",
        "gone for good",
    )
    assert check(ops.DropTableOp("t"), Phase.EXPAND, "r", [exception])


@pytest.mark.parametrize(
    "op, kind, target, effect",
    [
        (ops.BulkInsertOp(sa.table("t"), []), "bulk_insert", "*", Effect(0)),
        (
            ops.CreateTableCommentOp("t", "c"),
            "comment",
            "t",
            Effect.NEUTRAL,
        ),
        (ops.DropTableCommentOp("t"), "comment", "t", Effect.NEUTRAL),
        (ops.RenameTableOp("t", "u"), "rename_table", "t", Effect.BREAKS),
        (
            ops.AddColumnOp(
                "t", sa.Column("id", sa.Integer, primary_key=True)
            ),
            "add_column",
            "t.id",
            Effect.CREATES,
        ),
        (
            ops.AlterColumnOp(
                "t", "c", existing_server_default=False, modify_nullable=True
            ),
            "alter_column",
            "t.c",
            Effect.NEUTRAL,
        ),
    ],
)
def test_more_classification(op, kind, target, effect):
    verdict = classify(op)
    assert (verdict.kind, verdict.target, verdict.effect) == (
        kind,
        target,
        effect,
    )


def test_a_not_null_column_without_default_says_how_to_add_it():
    verdict = classify(ops.AddColumnOp("t", sa.Column("c", sa.Integer)))
    assert verdict.effect == Effect.CREATES
    verdict = classify(
        ops.AddColumnOp("t", sa.Column("c", sa.Integer, nullable=False))
    )
    assert verdict.why == (
        "a NOT NULL column without a server default makes the old "
        "release's inserts fail; add it nullable in expand and tighten "
        "it in contract"
    )


@pytest.mark.parametrize(
    "old, new, widening",
    [
        (sa.SmallInteger(), sa.Integer(), True),
        (sa.Integer(), sa.SmallInteger(), False),
        (sa.Integer(), sa.Integer(), True),
        (sa.BigInteger(), sa.BIGINT(), True),
        (sa.Numeric(10, 2), sa.Float(), False),
        (sa.Numeric(), sa.Numeric(), True),
        (sa.Numeric(10, 2), sa.Numeric(11, 3), True),
        (sa.Numeric(10, 2), sa.Numeric(12, 1), False),
        (sa.Numeric(10, 2), sa.Numeric(10, 2), True),
        (sa.String(10), sa.String(10), True),
        (sa.String(10), sa.String(9), False),
        (sa.String(), sa.String(), True),
        (sa.String(10), None, False),
        (mysql.TINYTEXT(), sa.Text(), True),
        (sa.Text(), mysql.LONGTEXT(), True),
        (mysql.LONGTEXT(), mysql.MEDIUMTEXT(), False),
        (sa.Text(), sa.Text(), True),
        (sa.String(10), postgresql.CITEXT(), False),
        (postgresql.CITEXT(), postgresql.CITEXT(), True),
        (sa.Enum("a"), sa.String(10), False),
        (sa.String(10), sa.Enum("a"), False),
        (
            sa.String(10, collation="C"),
            sa.String(20, collation="C"),
            True,
        ),
        (mysql.VARCHAR(10, charset="utf8"), mysql.VARCHAR(20), False),
    ],
)
def test_widening_at_the_edges(old, new, widening):
    assert is_widening(old, new) is widening


@pytest.mark.parametrize(
    "old, new, narrowing",
    [
        (sa.String(20), sa.String(10), True),
        (sa.String(10), sa.String(20), False),
        (sa.String(10), sa.String(10), False),
        (sa.String(10), sa.Integer(), False),
    ],
)
def test_narrowing_is_widening_backwards_only(old, new, narrowing):
    assert is_narrowing(old, new) is narrowing


@pytest.mark.parametrize(
    "type_, kind",
    [
        (sa.Enum("a"), "enum"),
        (sa.Unicode(3), "varchar"),
        (sa.CHAR(2), "char"),
        (sa.UnicodeText(), "text"),
        (mysql.SET("a"), "set"),
        (postgresql.CITEXT(), "citext"),
    ],
)
def test_string_kinds(type_, kind):
    assert string_kind(type_) == kind


def test_a_type_change_with_a_side_unknown_is_a_change():
    dialect = sa.engine.make_url("mysql://").get_dialect()()
    operation = ops.AlterColumnOp(
        "t", "c", existing_type=None, modify_type=sa.DateTime(timezone=True)
    )
    verdict = check(operation, Phase.CONTRACT, "r", dialect=dialect)
    assert verdict.kind == "change_column_type"


@pytest.mark.parametrize(
    "old, new, widening",
    [
        (sa.INTEGER(), sa.Integer(), True),
        (sa.Integer(), sa.INTEGER(), True),
        (sa.SMALLINT(), sa.SmallInteger(), True),
        (sa.SmallInteger(), sa.SMALLINT(), True),
        (sa.BIGINT(), sa.BigInteger(), True),
        (sa.SmallInteger(), sa.BigInteger(), True),
        (sa.Text(), mysql.TINYTEXT(), False),
        (mysql.MEDIUMTEXT(), sa.Text(), False),
        (sa.Enum("a", "b"), sa.Enum("a", "b"), True),
        (sa.Numeric(1, 0), sa.Numeric(), False),
        (sa.Numeric(5, 0), sa.Numeric(5), True),
        (sa.Numeric(5), sa.Numeric(4), False),
        (sa.Numeric(5, 1), sa.Numeric(10), False),
        (sa.Numeric(5), sa.Numeric(6, 0), True),
    ],
)
def test_widths_and_ranks_at_their_boundaries(old, new, widening):
    assert is_widening(old, new) is widening


@pytest.mark.parametrize(
    "type_, kind",
    [
        (sa.NCHAR(2), "char"),
        (sa.VARCHAR(2), "varchar"),
        (sa.NVARCHAR(2), "varchar"),
        (sa.String(2), "varchar"),
        (sa.Text(), "text"),
        (sa.TEXT(), "text"),
        (sa.CLOB(), "text"),
        (mysql.TINYTEXT(), "text"),
        (mysql.MEDIUMTEXT(), "text"),
        (mysql.LONGTEXT(), "text"),
        (object(), ""),
    ],
)
def test_every_character_type_has_its_kind(type_, kind):
    assert string_kind(type_) == kind


def test_a_sixty_one_character_statement_is_cut_before_its_last_word():
    assert sql_head("a" * 58 + " bb") == "a" * 58


def test_a_type_the_backend_cannot_render_is_a_change():
    dialect = sa.engine.make_url("mysql://").get_dialect()()
    operation = ops.AlterColumnOp(
        "t", "c", existing_type=postgresql.CITEXT(), modify_type=sa.Text()
    )
    verdict = check(operation, Phase.CONTRACT, "r", dialect=dialect)
    assert verdict.kind == "change_column_type"
    assert verdict.why == (
        "the type change narrows or converts what the column holds"
    )


def test_server_defaults_and_not_null_changes():
    for op, kind in [
        (
            ops.AlterColumnOp(
                "t", "c", existing_server_default="1", modify_nullable=True
            ),
            "alter_column",
        ),
        (
            ops.AlterColumnOp(
                "t",
                "c",
                existing_server_default=False,
                modify_server_default=None,
            ),
            "alter_column",
        ),
    ]:
        assert classify(op).kind == kind
    verdict = classify(ops.AlterColumnOp("t", "c", modify_nullable=False))
    assert verdict.why == (
        "NOT NULL makes the old release's inserts without it fail"
    )


def test_an_unnamed_constraint_is_named_by_its_table():
    op = ops.CreateUniqueConstraintOp(None, "orders", ["c"])
    assert classify(op).target == "orders"


@pytest.mark.parametrize(
    "value",
    [
        classify(ops.DropTableOp("t")),
        allow("drop_table", reason="why"),
    ],
)
def test_verdicts_and_exceptions_are_immutable(value):
    with pytest.raises(AttributeError):
        value.kind = "other"


def test_a_type_the_backend_spells_the_same_is_a_plain_alter():
    dialect = sa.engine.make_url("mysql://").get_dialect()()
    operation = ops.AlterColumnOp(
        "t",
        "c",
        existing_type=sa.DateTime(),
        modify_type=sa.DateTime(timezone=True),
    )
    verdict = check(operation, Phase.EXPAND, "r", dialect=dialect)
    assert (verdict.kind, verdict.target, verdict.effect) == (
        "alter_column",
        "t.c",
        Effect.NEUTRAL,
    )
