"""adding-field-with-default: any default rewrites on old servers."""

import pytest

RULE = "adding-field-with-default"
E, W, OK = ["error"], ["warning"], []

CONSTANT = (
    'op.add_column("t", sa.Column("n", sa.Integer(), server_default="0"))'
)
NOW = 'op.add_column("t", sa.Column("c", sa.DateTime(), server_default=sa.func.now()))'
VOLATILE = 'op.add_column("t", sa.Column("u", sa.String(36), server_default=sa.text("gen_random_uuid()")))'
NO_DEFAULT = 'op.add_column("t", sa.Column("n", sa.Integer()))'

CASES = [
    pytest.param(CONSTANT, "postgresql", "10.23", E, id="pg10-rewrites"),
    pytest.param(NOW, "postgresql", "10", E, id="pg10-stable-default"),
    pytest.param(CONSTANT, "postgresql", "11.0", OK, id="pg11-catalog-only"),
    pytest.param(CONSTANT, "postgresql", None, OK, id="pg-assumed-version"),
    pytest.param(
        VOLATILE, "postgresql", "10", OK, id="pg-volatile-is-other-rule"
    ),
    pytest.param(NO_DEFAULT, "postgresql", "9.6", OK, id="pg-no-default"),
    pytest.param(CONSTANT, "mysql", "8.0.11", W, id="mysql-inplace-rebuild"),
    pytest.param(CONSTANT, "mysql", "8.0.12", OK, id="mysql-instant"),
    pytest.param(
        CONSTANT, "mariadb", "10.3.1", W, id="mariadb-inplace-rebuild"
    ),
    pytest.param(CONSTANT, "mariadb", "10.3.2", OK, id="mariadb-instant"),
    pytest.param(CONSTANT, "sqlite", None, OK, id="sqlite-alter"),
]


@pytest.mark.parametrize("body, dialect, version, expected", CASES)
def test_adding_field_with_default(
    severities, body, dialect, version, expected
):
    assert severities(RULE, body, dialect, version) == expected
