"""The keyset backfill's SQL per dialect, with no database."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest
from sqlalchemy.dialects import mysql, postgresql, sqlite

from zerodown.migrations.data import KeysetBackfill
from zerodown.migrations.data.keyset import (
    _Statements,
    decode_key,
    encode_key,
)
from zerodown.migrations.errors import InvalidDataMigration

RENAME = KeysetBackfill(
    name="rename_column:users.name",
    table="users",
    key=("id",),
    assignments="full_name = name",
    where="full_name IS NULL",
)
PAIRS = KeysetBackfill(
    name="pairs", table="pairs", key=("a", "b"), assignments="n = n + 1"
)


def _sql(backfill, dialect, bounded=True, limit=500):
    built = _Statements.build(backfill, dialect, bounded)
    return str(built.window(limit)), str(built.update), str(built.count)


def test_single_key_on_postgresql():
    window, update, count = _sql(RENAME, postgresql.dialect())
    assert window == (
        "SELECT COUNT(*), MAX(zd_k0) FROM (SELECT users.id AS zd_k0 FROM "
        "users WHERE users.id > :zd_lo0 AND (full_name IS NULL) ORDER BY "
        "users.id LIMIT 500) AS zd_window"
    )
    assert update == (
        "UPDATE users SET full_name = name WHERE users.id > :zd_lo0 AND "
        "users.id <= :zd_hi0 AND (full_name IS NULL)"
    )
    assert count == (
        "SELECT COUNT(*) FROM users WHERE users.id > :zd_lo0 AND "
        "(full_name IS NULL)"
    )


def test_the_first_batch_has_no_lower_bound():
    window, update, _ = _sql(RENAME, sqlite.dialect(), bounded=False)
    assert "zd_lo0" not in window + update
    assert "WHERE (full_name IS NULL) ORDER BY" in window


def test_identifiers_are_quoted_per_dialect():
    backfill = KeysetBackfill(
        name="x", table="order", key=("select",), assignments="a = 1"
    )
    assert "`order`.`select`" in _sql(backfill, mysql.dialect())[1]
    assert '"order"."select"' in _sql(backfill, postgresql.dialect())[1]


def test_composite_keys_compare_as_row_values_on_postgresql_and_sqlite():
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        window, update, _ = _sql(PAIRS, dialect)
        assert "(pairs.a, pairs.b) > (:zd_lo0, :zd_lo1)" in window
        assert "(pairs.a, pairs.b) <= (:zd_hi0, :zd_hi1)" in update
        assert window.startswith("SELECT COUNT(*) OVER (), zd_k0, zd_k1")
        assert window.endswith("ORDER BY zd_k0 DESC, zd_k1 DESC LIMIT 1")


def test_composite_keys_are_expanded_on_mysql_for_its_range_optimiser():
    window, update, _ = _sql(PAIRS, mysql.dialect())
    assert (
        "pairs.a >= :zd_lo0 AND (pairs.a > :zd_lo0 OR (pairs.a = :zd_lo0 "
        "AND pairs.b > :zd_lo1))"
    ) in window
    assert (
        "pairs.a <= :zd_hi0 AND (pairs.a < :zd_hi0 OR (pairs.a = :zd_hi0 "
        "AND pairs.b <= :zd_hi1))"
    ) in update


def test_three_column_keys_nest():
    triple = KeysetBackfill(
        name="t", table="t", key=("a", "b", "c"), assignments="n = 1"
    )
    window = _sql(triple, mysql.dialect())[0]
    assert (
        "t.a >= :zd_lo0 AND (t.a > :zd_lo0 OR (t.a = :zd_lo0 AND (t.b > "
        ":zd_lo1 OR (t.b = :zd_lo1 AND t.c > :zd_lo2))))"
    ) in window


def test_a_schema_qualifies_the_table():
    backfill = KeysetBackfill(
        name="s", table="t", key=("id",), assignments="n = 1", schema="app"
    )
    assert "UPDATE app.t SET" in _sql(backfill, postgresql.dialect())[1]


def test_a_table_without_a_key_is_refused():
    with pytest.raises(InvalidDataMigration, match="no primary key"):
        KeysetBackfill(name="k", table="t", key=(), assignments="n = 1")


def test_a_single_key_may_be_given_as_a_string():
    backfill = KeysetBackfill(name="k", table="t", key="id", assignments="x")
    assert backfill.key == ("id",)


@pytest.mark.parametrize(
    "value",
    [
        7,
        "abc",
        None,
        datetime.datetime(2024, 5, 6, 7, 8, 9, 123),
        datetime.date(2024, 5, 6),
        decimal.Decimal("12.50"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        b"\x00\xff",
    ],
)
def test_keys_round_trip_through_the_json_cursor(value):
    import json

    stored = json.loads(json.dumps(encode_key(value)))
    back = decode_key(stored)
    assert back == value and type(back) is type(value)


def test_a_key_json_cannot_carry_is_refused():
    with pytest.raises(InvalidDataMigration, match="cannot be stored"):
        encode_key(object())
