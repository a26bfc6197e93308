"""volatile-default: a per-row default on a new column rewrites the table."""

import pytest

RULE = "volatile-default"
E, W, OK = ["error"], ["warning"], []

UUID = 'op.add_column("t", sa.Column("u", sa.String(36), server_default=sa.text("gen_random_uuid()")))'
RANDOM = 'op.add_column("t", sa.Column("r", sa.Float(), server_default=sa.func.random()))'
NOW = 'op.add_column("t", sa.Column("c", sa.DateTime(), server_default=sa.func.now()))'
CONSTANT = (
    'op.add_column("t", sa.Column("n", sa.Integer(), server_default="0"))'
)
EXPRESSION = 'op.add_column("t", sa.Column("e", sa.Integer(), server_default=sa.text("(1 + 2)")))'
NEW_TABLE = (
    'op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))\n'
    + UUID
)

CASES = [
    pytest.param(UUID, "postgresql", None, E, id="pg-uuid"),
    pytest.param(RANDOM, "postgresql", "16", E, id="pg-random"),
    pytest.param(NOW, "postgresql", None, OK, id="pg-now-is-stable"),
    pytest.param(CONSTANT, "postgresql", None, OK, id="pg-constant"),
    pytest.param(NEW_TABLE, "postgresql", None, OK, id="pg-new-table"),
    pytest.param(EXPRESSION, "mysql", "8.0.36", E, id="mysql-expression"),
    pytest.param(NOW, "mysql", "8.0.36", OK, id="mysql-now-literal"),
    pytest.param(CONSTANT, "mysql", None, OK, id="mysql-constant"),
    pytest.param(EXPRESSION, "mariadb", "10.11", E, id="mariadb-expression"),
    pytest.param(NOW, "sqlite", None, W, id="sqlite-current-timestamp"),
    pytest.param(CONSTANT, "sqlite", None, OK, id="sqlite-constant"),
]


@pytest.mark.parametrize("body, dialect, version, expected", CASES)
def test_volatile_default(severities, body, dialect, version, expected):
    assert severities(RULE, body, dialect, version) == expected


def test_the_message_names_the_default_and_the_cost(lint_upgrade):
    (finding,) = lint_upgrade(UUID, "postgresql", "15", rule=RULE)
    assert "gen_random_uuid()" in finding.message
    assert "ACCESS EXCLUSIVE" in finding.message
    assert "zop.add_column" in finding.recipe
    assert finding.target == "t.u"
