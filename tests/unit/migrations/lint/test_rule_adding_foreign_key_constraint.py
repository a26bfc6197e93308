"""adding-foreign-key-constraint: validation blocks writes on both
tables."""

import pytest

RULE = "adding-foreign-key-constraint"
E, W, OK = ["error"], ["warning"], []

FK = 'op.create_foreign_key("fk_o_u", "orders", "users", ["user_id"], ["id"])'
NOT_VALID = 'op.create_foreign_key("fk_o_u", "orders", "users", ["user_id"], ["id"], postgresql_not_valid=True)'
SQL = 'op.execute("ALTER TABLE orders ADD CONSTRAINT fk_o_u FOREIGN KEY (user_id) REFERENCES users (id)")'
SQL_NOT_VALID = 'op.execute("ALTER TABLE orders ADD CONSTRAINT fk_o_u FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID")'
NEW_TABLE = (
    'op.create_table("orders", sa.Column("user_id", sa.Integer()))\n' + FK
)
ZOP = 'zop.add_foreign_key("fk_o_u", "orders", "users", ["user_id"], ["id"])'
INLINE = 'op.add_column("orders", sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id")))'
INLINE_NAMED = 'op.add_column("orders", sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_o_u")))'
INLINE_NEW_TABLE = (
    'op.create_table("orders", sa.Column("id", sa.Integer()))\n' + INLINE
)
SQL_INLINE = 'op.execute("ALTER TABLE orders ADD COLUMN user_id INT REFERENCES users (id)")'

CASES = [
    pytest.param(FK, "postgresql", E, id="pg-validates"),
    pytest.param(SQL, "postgresql", E, id="pg-raw-sql"),
    pytest.param(NOT_VALID, "postgresql", OK, id="pg-not-valid"),
    pytest.param(SQL_NOT_VALID, "postgresql", OK, id="pg-raw-sql-not-valid"),
    pytest.param(NEW_TABLE, "postgresql", OK, id="pg-new-table"),
    pytest.param(ZOP, "postgresql", OK, id="pg-online-operation"),
    pytest.param(FK, "mysql", E, id="mysql-copies"),
    pytest.param(NOT_VALID, "mysql", E, id="mysql-has-no-not-valid"),
    pytest.param(FK, "mariadb", E, id="mariadb-copies"),
    pytest.param(FK, "sqlite", W, id="sqlite-copy"),
    pytest.param(INLINE, "postgresql", E, id="pg-inline-in-add-column"),
    pytest.param(INLINE, "mysql", E, id="mysql-inline-in-add-column"),
    pytest.param(INLINE, "mariadb", E, id="mariadb-inline-in-add-column"),
    pytest.param(INLINE_NEW_TABLE, "postgresql", OK, id="pg-inline-new-table"),
    pytest.param(SQL_INLINE, "postgresql", E, id="pg-raw-inline-references"),
    pytest.param(
        'op.add_column("orders", sa.Column("n", sa.Integer()))',
        "postgresql",
        OK,
        id="pg-column-without-key",
    ),
]


@pytest.mark.parametrize("body, dialect, expected", CASES)
def test_adding_foreign_key_constraint(severities, body, dialect, expected):
    assert severities(RULE, body, dialect) == expected


def test_mysql_gets_its_own_recipe(lint_upgrade):
    (finding,) = lint_upgrade(FK, "mysql", rule=RULE)
    assert "pt-online-schema-change" in finding.recipe
    (finding,) = lint_upgrade(FK, "postgresql", rule=RULE)
    assert "NOT VALID" in finding.recipe


def test_an_inline_key_is_named_by_its_column_or_its_name(lint_upgrade):
    (finding,) = lint_upgrade(INLINE, rule=RULE)
    assert finding.target == "orders.user_id"
    assert "on orders.user_id validates every row" in finding.message
    (finding,) = lint_upgrade(INLINE_NAMED, rule=RULE)
    assert finding.target == "fk_o_u"
