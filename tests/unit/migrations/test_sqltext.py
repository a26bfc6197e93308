"""SQL text with awkward names: quoted once, no parameter read into it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from zerodown.migrations import sqltext
from zerodown.migrations.operations.reflected import _unescaped

DIALECTS = {
    "postgresql": "postgresql+psycopg://",  # '%s' parameters: % doubled
    "mysql": "mysql+pymysql://",
    "sqlite": "sqlite://",
}


def _dialect(name: str) -> sa.Dialect:
    return sa.create_mock_engine(DIALECTS[name], lambda *a, **k: None).dialect


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_a_percent_in_a_name_reaches_the_driver_doubled_once(dialect):
    d = _dialect(dialect)
    name = sqltext.quoter(d)("50% off")
    assert "50% off" in name
    compiled = str(sa.text(f"SELECT 1 FROM {name}").compile(dialect=d))
    doubled = "%%" in d.identifier_preparer.quote("%")
    assert ("50%% off" if doubled else "50% off") in compiled


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_quotes_follow_the_dialect(dialect):
    quote = sqltext.quoter(_dialect(dialect))
    assert quote("users") == "users"
    if dialect == "mysql":
        assert quote("back`tick") == "`back``tick`"
        assert quote('we"ird') == '`we"ird`'
    else:
        assert quote('we"ird') == '"we""ird"'
        assert quote("back`tick") == '"back`tick"'


def test_mariadb_reserved_words_are_quoted_on_mariadb():
    dialect = sa.create_mock_engine(
        "mariadb+pymysql://", lambda *a, **k: None
    ).dialect
    assert sqltext.quoter(dialect)("offset") == "`offset`"


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "a :b" FROM t',
        "SELECT x FROM t WHERE at = '10:30'",
        "UPDATE `t` SET `:x` = 1",
    ],
)
def test_colons_in_names_are_no_parameters(sql):
    clause = sqltext.literal(sql)
    assert clause.compile().params == {}
    assert str(clause) == sql


def test_casts_and_real_parameters_are_left_alone():
    assert sqltext.escape_binds("SELECT x::int") == "SELECT x::int"
    assert sqltext.escape_binds("a :b") == "a \\:b"


def test_mysql_reflection_escapes_are_read_back():
    assert _unescaped("o``ld") == "o`ld"
    assert _unescaped("a````b") == "a``b"
    assert _unescaped("plain") == "plain"
