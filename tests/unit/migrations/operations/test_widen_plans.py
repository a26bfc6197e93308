"""widen_primary_key's plans per dialect, offline (no database)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import Target, WidenPrimaryKey
from zerodown.migrations.operations.widen_primary_key import width


def _sql(steps):
    return [step.sql for step in steps]


def test_postgresql_plan():
    widen = WidenPrimaryKey("it's", 'k"ey')
    target = Target("postgresql")
    shadow = widen.shadow_name()
    (expand,) = widen.expand(target)
    assert expand.autocommit  # the table's lock lasts one statement
    assert f'ALTER TABLE "it\'s" ADD COLUMN {shadow} BIGINT' in expand.sql
    assert f'NEW.{shadow} := NEW."k""ey"' in expand.sql
    assert "CREATE TRIGGER" in expand.sql
    build, swap, validate = widen.contract(target)
    assert build.autocommit and "CREATE UNIQUE INDEX CONCURRENTLY" in build.sql
    assert swap.autocommit and validate.autocommit
    # Names inside string literals have their quote doubled.
    assert "'\"it''s\"'::regclass" in swap.sql
    assert "'k\"ey'" in swap.sql
    assert "PRIMARY KEY USING INDEX" in swap.sql
    assert "VALIDATE CONSTRAINT" in validate.sql
    work = widen.backfill(target)
    assert work.where == f'{shadow} <> "k""ey"' and work.copy_into is None


def test_mysql_plan():
    widen = WidenPrimaryKey("accounts")
    target = Target("mysql")
    shadow = widen.shadow_name()
    create, modify, *triggers = widen.expand(target)
    assert create.sql == f"CREATE TABLE {shadow} LIKE accounts"
    assert modify.sql == (
        f"ALTER TABLE {shadow} MODIFY id BIGINT NOT NULL AUTO_INCREMENT"
    )
    assert [t.sql.split(" AFTER ")[1].split()[0] for t in triggers] == [
        "DELETE",
        "UPDATE",
        "INSERT",
    ]
    assert all(step.undo for step in widen.expand(target))
    swap, drop = widen.contract(target)
    assert swap.sql.startswith("RENAME TABLE accounts TO zd_wold_accounts")
    assert swap.sql.endswith(f", {shadow} TO accounts")
    assert drop.sql.startswith("DROP TABLE IF EXISTS zd_wold_accounts")
    assert widen.backfill(target).copy_into == shadow


def test_sqlite_has_nothing_to_do():
    widen = WidenPrimaryKey("accounts")
    target = Target("sqlite")
    assert not widen.expand(target) and not widen.contract(target)
    assert widen.backfill(target) is None and not widen.rollback(target)


def test_a_type_that_is_not_an_integer_is_refused():
    with pytest.raises(OperationRefused, match="not an integer type"):
        WidenPrimaryKey("t", "id", sa.String(20)).validate(Target("mysql"))


@pytest.mark.parametrize(
    "type_, bytes_",
    [
        (sa.SmallInteger(), 2),
        (sa.Integer(), 4),
        (sa.BigInteger(), 8),
        (sa.dialects.mysql.TINYINT(), 1),
        (sa.dialects.mysql.MEDIUMINT(), 3),
        (sa.dialects.mysql.BIGINT(unsigned=True), 8),
        (sa.dialects.postgresql.INTEGER(), 4),
    ],
)
def test_width(type_, bytes_):
    assert width(type_) == bytes_
