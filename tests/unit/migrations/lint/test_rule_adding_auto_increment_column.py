"""adding-auto-increment-column: every row gets a number in a rewrite."""

import pytest

RULE = "adding-auto-increment-column"
E, W, OK = ["error"], ["warning"], []

IDENTITY = 'op.add_column("t", sa.Column("n", sa.BigInteger(), sa.Identity()))'
SEQUENCE = (
    'op.add_column("t", sa.Column("n", sa.Integer(), sa.Sequence("t_n_seq")))'
)
KEY = 'op.add_column("t", sa.Column("id", sa.Integer(), primary_key=True))'
PLAIN = 'op.add_column("t", sa.Column("n", sa.Integer()))'

CASES = [
    pytest.param(IDENTITY, "postgresql", E, id="pg-identity"),
    pytest.param(SEQUENCE, "postgresql", E, id="pg-sequence"),
    pytest.param(KEY, "postgresql", E, id="pg-serial-key"),
    pytest.param(PLAIN, "postgresql", OK, id="pg-plain"),
    pytest.param(KEY, "mysql", E, id="mysql-auto-increment"),
    pytest.param(PLAIN, "mysql", OK, id="mysql-plain"),
    pytest.param(KEY, "mariadb", E, id="mariadb-auto-increment"),
    pytest.param(KEY, "sqlite", W, id="sqlite-copy"),
    pytest.param(PLAIN, "sqlite", OK, id="sqlite-plain"),
]


@pytest.mark.parametrize("body, dialect, expected", CASES)
def test_adding_auto_increment_column(severities, body, dialect, expected):
    assert severities(RULE, body, dialect) == expected
