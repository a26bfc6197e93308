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
TO_CHAR = alter("sa.String(20)", "sa.CHAR(20)")
CHAR_TO_VARCHAR = alter("sa.CHAR(20)", "sa.String(20)")
LONGER_CHAR = alter("sa.CHAR(2)", "sa.CHAR(3)")
ENUM_ABC = 'sa.Enum("a", "b", "c", name="state")'
ENUM_LOSES = alter(ENUM_ABC, 'sa.Enum("a", "b", name="state")')
ENUM_APPENDS = alter(ENUM_ABC, 'sa.Enum("a", "b", "c", "d", name="state")')
ENUM_INSERTS = alter(ENUM_ABC, 'sa.Enum("a", "z", "b", "c", name="state")')
TO_TIMESTAMPTZ = alter("sa.DateTime()", "sa.DateTime(timezone=True)")
TEXT_TO_MEDIUMTEXT = alter("mysql.TEXT()", "mysql.MEDIUMTEXT()")
COLLATION = alter('sa.String(20, collation="utf8mb4_bin")', "sa.String(30)")
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
    # One String family no more: CHAR pads, an ENUM holds members.
    pytest.param(TO_CHAR, "postgresql", None, "expand", E, id="pg-to-char"),
    pytest.param(TO_CHAR, "mysql", None, "expand", E, id="mysql-to-char"),
    pytest.param(
        CHAR_TO_VARCHAR, "mysql", None, "expand", E, id="mysql-char-to-varchar"
    ),
    pytest.param(
        LONGER_CHAR, "postgresql", None, "expand", E, id="pg-char-rewrites"
    ),
    pytest.param(
        LONGER_CHAR, "mysql", None, "expand", E, id="mysql-char-copy"
    ),
    pytest.param(
        ENUM_LOSES, "mysql", None, "expand", E, id="mysql-enum-narrows"
    ),
    pytest.param(
        ENUM_LOSES, "mysql", None, "contract", E, id="mysql-enum-loses-copies"
    ),
    pytest.param(
        ENUM_LOSES, "postgresql", None, "contract", E, id="pg-enum-loses"
    ),
    pytest.param(
        ENUM_APPENDS, "mysql", None, "expand", OK, id="mysql-enum-appends"
    ),
    pytest.param(
        ENUM_APPENDS, "mariadb", None, "expand", OK, id="mariadb-enum-appends"
    ),
    pytest.param(
        ENUM_INSERTS, "mysql", None, "expand", E, id="mysql-enum-inserts"
    ),
    pytest.param(
        TEXT_TO_MEDIUMTEXT, "mysql", None, "expand", E, id="mysql-text-copy"
    ),
    pytest.param(
        COLLATION, "mysql", None, "expand", E, id="mysql-collation-converts"
    ),
    # The same type on this backend: nothing changes.
    pytest.param(
        TO_TIMESTAMPTZ, "mysql", None, "expand", OK, id="mysql-tz-is-datetime"
    ),
    pytest.param(
        TO_TIMESTAMPTZ, "mariadb", None, "expand", OK, id="mariadb-tz-same"
    ),
    pytest.param(
        TO_TIMESTAMPTZ, "postgresql", None, "expand", E, id="pg-timestamptz"
    ),
]


@pytest.mark.parametrize("body, dialect, version, phase, expected", CASES)
def test_changing_column_type(
    severities, body, dialect, version, phase, expected
):
    assert severities(RULE, body, dialect, version, phase=phase) == expected


def test_a_table_created_in_the_same_revision_is_exempt(severities):
    body = 'op.create_table("t", sa.Column("c", sa.Integer()))\n' + CONVERT
    assert severities(RULE, body, "postgresql") == OK


def test_the_message_names_the_types_as_the_backend_does(lint_upgrade):
    (finding,) = lint_upgrade(TO_TIMESTAMPTZ, "postgresql", rule=RULE)
    assert (
        "from TIMESTAMP WITHOUT TIME ZONE to TIMESTAMP WITH TIME ZONE"
        in finding.message
    )
    (finding,) = lint_upgrade(TO_CHAR, "mysql", rule=RULE)
    assert "from VARCHAR(20) to CHAR(20) converts" in finding.message


KEY = (
    'op.alter_column("accounts", "{c}", existing_type=sa.INTEGER(), '
    "type_=sa.BigInteger(), existing_nullable=False{extra})"
)


@pytest.mark.parametrize(
    "body",
    [
        KEY.format(c="account_no", extra=", autoincrement=True"),
        KEY.format(c="id", extra=""),
    ],
    ids=["autogenerated-autoincrement", "named-id"],
)
@pytest.mark.parametrize("dialect", ["postgresql", "mariadb", "sqlite"])
def test_a_primary_key_points_at_widen_primary_key(
    lint_upgrade, body, dialect
):
    (finding,) = lint_upgrade(body, dialect, rule=RULE)
    assert "the primary key accounts." in finding.message
    assert finding.recipe.startswith("zop.widen_primary_key(")
    says = {
        "postgresql": "foreign keys move with it",
        "mariadb": "foreign key to or from it, on any column, is refused",
        "sqlite": "nothing to do on SQLite",
    }[dialect]
    assert says in finding.recipe


def test_another_integer_column_keeps_the_general_recipe(lint_upgrade):
    body = KEY.format(c="owner_id", extra="")
    (finding,) = lint_upgrade(body, "postgresql", rule=RULE)
    assert finding.recipe.startswith("zop.change_column_type(")
