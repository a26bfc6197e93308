"""changing-column-type: conversions break readers, most changes rewrite."""

import pytest

RULE = "changing-column-type"
E, W, OK = ["error"], ["warning"], []


def alter(old, new):
    return f'op.alter_column("t", "c", existing_type={old}, type_={new})'


CONVERT = alter("sa.String(50)", "sa.Integer()")
INT_TO_BIGINT = alter("sa.Integer()", "sa.BigInteger()")
LONGER = alter("sa.String(50)", "sa.String(60)")
ACROSS_PREFIX = alter("sa.String(50)", "sa.String(100)")
TO_TEXT = alter("sa.String(50)", "sa.Text()")
NARROW = alter("sa.String(100)", "sa.String(50)")
NO_EXISTING = 'op.alter_column("t", "c", type_=sa.BigInteger())'
ZOP = 'zop.change_column_type("t", "c", sa.Integer(), up="c::int", down="c::text")'

CASES = [
    pytest.param(CONVERT, "postgresql", None, "expand", E, id="pg-convert"),
    pytest.param(
        INT_TO_BIGINT,
        "postgresql",
        None,
        "expand",
        E,
        id="pg-int-bigint-rewrites",
    ),
    pytest.param(
        LONGER, "postgresql", None, "expand", OK, id="pg-longer-varchar"
    ),
    pytest.param(
        TO_TEXT, "postgresql", None, "expand", OK, id="pg-varchar-to-text"
    ),
    pytest.param(LONGER, "postgresql", "9.1", "expand", E, id="pg91-rewrites"),
    pytest.param(
        NARROW, "postgresql", None, "expand", E, id="pg-narrow-in-expand"
    ),
    pytest.param(
        NARROW, "postgresql", None, "contract", E, id="pg-narrow-rewrites"
    ),
    pytest.param(
        NO_EXISTING, "postgresql", None, "expand", E, id="pg-unknown-old-type"
    ),
    pytest.param(
        ZOP, "postgresql", None, "expand", OK, id="pg-online-operation"
    ),
    pytest.param(CONVERT, "mysql", None, "expand", E, id="mysql-convert"),
    pytest.param(
        LONGER, "mysql", None, "expand", OK, id="mysql-same-length-prefix"
    ),
    pytest.param(
        ACROSS_PREFIX,
        "mysql",
        None,
        "expand",
        E,
        id="mysql-length-prefix-grows",
    ),
    pytest.param(INT_TO_BIGINT, "mysql", None, "expand", E, id="mysql-copy"),
    pytest.param(
        LONGER, "mariadb", "10.11", "expand", OK, id="mariadb-inplace"
    ),
    pytest.param(
        LONGER, "mariadb", "10.1", "expand", E, id="mariadb-old-copies"
    ),
    pytest.param(CONVERT, "sqlite", None, "expand", E, id="sqlite-convert"),
    pytest.param(LONGER, "sqlite", None, "expand", W, id="sqlite-copy"),
]


@pytest.mark.parametrize("body, dialect, version, phase, expected", CASES)
def test_changing_column_type(
    severities, body, dialect, version, phase, expected
):
    assert severities(RULE, body, dialect, version, phase=phase) == expected


def test_a_table_created_in_the_same_revision_is_exempt(severities):
    body = 'op.create_table("t", sa.Column("c", sa.Integer()))\n' + CONVERT
    assert severities(RULE, body, "postgresql") == OK
