"""Generated names: unique, within every database's limit, stable, and the
older names still dropped.  Pure logic, no database."""

from __future__ import annotations

import pytest

from zerodown.migrations.operations import MoveColumn, RenameColumn, naming
from zerodown.migrations.operations.base import Target
from zerodown.migrations.operations.cross_sync import TableSync
from zerodown.migrations.operations.fill import ColumnFill
from zerodown.migrations.operations.sync import ColumnSync

LONG = "t" * 64
WIDE = "ж" * 64  # 128 bytes: longer than PostgreSQL's limit of 63
AWKWARD = ["my table", 'we"ird', "back`tick", "dash-t", "select", "größe"]


@pytest.mark.parametrize("table", [LONG, WIDE, *AWKWARD])
def test_names_fit_every_database_with_room_for_a_suffix(table):
    name = naming.generated("sync", table, "a" * 64, "b" * 64)
    assert len(name.encode()) <= naming.MAX_BYTES - naming.SUFFIX_ROOM
    assert name.isascii() and name == name.lower()
    assert naming.is_plain(name)  # no quotes needed, quoted all the same


def test_two_operations_on_a_long_table_differ():
    # Release 2's names were both "zd_sync_" + the table, cut to 56.
    first = naming.generated("sync", LONG, "a", "a2")
    second = naming.generated("sync", LONG, "b", "b2")
    assert first != second
    assert naming.legacy("sync", LONG, "a2", length=56) == naming.legacy(
        "sync", LONG, "b2", length=56
    )


def test_names_depend_on_every_input_and_only_on_them():
    assert naming.generated("sync", "t", "a", "b") == naming.generated(
        "sync", "t", "a", "b"
    )
    assert naming.generated("sync", "a_b", "c") != naming.generated(
        "sync", "a", "b_c"
    )
    assert naming.generated("sync", "t", "a") != naming.generated(
        "fill", "t", "a"
    )


def test_the_readable_part_says_what_the_object_is():
    name = naming.generated("sync", "users", "name", "full_name")
    assert name.startswith("zd_sync_users_name_full_name_")
    assert len(name) == len("zd_sync_users_name_full_name_") + 8
    assert naming.generated("sync", "таблица").startswith("zd_sync_")


def test_expand_contract_and_rollback_use_one_name():
    rename = RenameColumn("users", "name", "full_name")
    target = Target("mysql")
    created = " ".join(s.sql or "" for s in rename.expand(target))
    for steps in (rename.contract(target), rename.rollback(target)):
        dropped = [s.sql for s in steps if s.sql and "zd_sync" in s.sql]
        new = [
            sql for sql in dropped if "IF EXISTS zd_sync_users_name_" in sql
        ]
        assert new and all(sql.split()[-1] in created for sql in new)


@pytest.mark.parametrize(
    "made, expected",
    [
        (ColumnSync("users", "name", "full_name", ("id",)).legacy_name,
         "zd_sync_users_full_name"),
        (ColumnFill("users", "email", "{name}", ("id",)).legacy_name,
         "zd_fill_users_email"),
        (TableSync("instances", "image_ref", "instance_extra", "image_ref",
                   (("instance_uuid", "uuid"),)).legacy_name,
         "zd_move_instances_image_ref"),
        (naming.legacy("sync", "x" * 60, "y", length=56), "zd_sync_" + "x" * 48),
    ],
)  # fmt: skip
def test_legacy_names_are_release_2s(made, expected):
    assert made == expected


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_contract_drops_release_2s_triggers_as_it_wrote_them(dialect):
    move = MoveColumn(
        "instances", "image_ref", "instance_extra", {"instance_uuid": "uuid"}
    )
    drops = [s.sql for s in move.contract(Target(dialect)) if s.sql]
    legacy = [sql for sql in drops if "zd_move_instances_image_ref_" in sql]
    # Unquoted, so that PostgreSQL folds the name as it did on creation.
    expected = {
        "postgresql": [
            "DROP TRIGGER IF EXISTS zd_move_instances_image_ref_s ON instances",
            "DROP FUNCTION IF EXISTS zd_move_instances_image_ref_s()",
            "DROP TRIGGER IF EXISTS zd_move_instances_image_ref_f "
            "ON instance_extra",
            "DROP FUNCTION IF EXISTS zd_move_instances_image_ref_f()",
            "DROP TRIGGER IF EXISTS zd_move_instances_image_ref_t "
            "ON instance_extra",
            "DROP FUNCTION IF EXISTS zd_move_instances_image_ref_t()",
        ],
        "mysql": [
            f"DROP TRIGGER IF EXISTS zd_move_instances_image_ref_{s}"
            for s in ("su", "f", "ti", "tu")
        ],
        "sqlite": [
            f"DROP TRIGGER IF EXISTS zd_move_instances_image_ref_{s}"
            for s in ("si", "su", "ti", "tu")
        ],
    }[dialect]
    assert [
        sql for sql in legacy if "image_ref_instance_extra" not in sql
    ] == (expected)


def test_legacy_names_that_could_not_be_created_are_not_dropped():
    # "zd_sync_my table_new" was a syntax error for release 2: nothing of
    # that name exists, and dropping it unquoted would be one too.
    rename = RenameColumn("my table", "old", "new")
    drops = [s.sql for s in rename.contract(Target("mysql")) if s.sql]
    assert len(drops) == 2  # this release's two triggers only
    assert not any("zd_sync_my table_new" in sql for sql in drops)
    assert naming.is_plain("zd_sync_größe_x")
    assert not naming.is_plain("zd_sync_my table_x")


def test_new_names_are_quoted_by_the_dialect():
    rename = RenameColumn("select", "order", "group")
    for dialect, quote in (("postgresql", '"'), ("mysql", "`")):
        sql = " ".join(s.sql or "" for s in rename.expand(Target(dialect)))
        assert f"ON {quote}select{quote}" in sql
        assert f"NEW.{quote}order{quote}" in sql


def test_postgresql_keeps_63_bytes_without_cutting_a_letter():
    assert naming.clipped("ж" * 40) == "ж" * 31  # 62 bytes
    assert naming.clipped("a" + "ж" * 40) == "a" + "ж" * 31  # 63 bytes
    assert naming.clipped("short") == "short"


@pytest.mark.parametrize(
    "table, column, expected",
    [
        ("users", "name", "rename_column:users.name"),  # release 2's
        ("my table", "größe", "rename_column:my table.größe"),
        ("a.b", "c", 'rename_column#["a.b", "c"]'),
        ("a", "b.c", 'rename_column#["a", "b.c"]'),
    ],
)
def test_backfill_names_keep_two_operations_apart(table, column, expected):
    assert naming.backfill("rename_column", table, column) == expected
