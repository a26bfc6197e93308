"""adding-stored-generated-column: computed and written for every row."""

import pytest

RULE = "adding-stored-generated-column"
E, W, OK = ["error"], ["warning"], []

STORED = 'op.add_column("t", sa.Column("g", sa.Integer(), sa.Computed("a + 1", persisted=True)))'
DEFAULT = (
    'op.add_column("t", sa.Column("g", sa.Integer(), sa.Computed("a + 1")))'
)
VIRTUAL = 'op.add_column("t", sa.Column("g", sa.Integer(), sa.Computed("a + 1", persisted=False)))'

CASES = [
    pytest.param(STORED, "postgresql", "12", E, id="pg12-stored"),
    pytest.param(STORED, "postgresql", "11", OK, id="pg11-has-none"),
    pytest.param(STORED, "mysql", None, E, id="mysql-stored"),
    pytest.param(
        DEFAULT, "postgresql", "16", E, id="pg-unspecified-is-stored"
    ),
    pytest.param(
        DEFAULT, "mysql", None, OK, id="mysql-unspecified-is-virtual"
    ),
    pytest.param(VIRTUAL, "mysql", None, OK, id="mysql-virtual"),
    pytest.param(VIRTUAL, "mariadb", None, OK, id="mariadb-virtual"),
    pytest.param(STORED, "sqlite", None, W, id="sqlite-copy"),
]


@pytest.mark.parametrize("body, dialect, version, expected", CASES)
def test_adding_stored_generated_column(
    severities, body, dialect, version, expected
):
    assert severities(RULE, body, dialect, version) == expected
