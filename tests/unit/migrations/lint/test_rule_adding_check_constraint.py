"""adding-check-constraint: validation reads every row under a lock."""

import pytest

RULE = "adding-check-constraint"
E, W, OK = ["error"], ["warning"], []

CHECK = 'op.create_check_constraint("ck_t_c", "t", "c > 0")'
NOT_VALID = 'op.create_check_constraint("ck_t_c", "t", "c > 0", postgresql_not_valid=True)'
SQL = 'op.execute("ALTER TABLE t ADD CONSTRAINT ck_t_c CHECK (c > 0)")'
SQL_NOT_VALID = (
    'op.execute("ALTER TABLE t ADD CONSTRAINT ck_t_c CHECK (c > 0) NOT VALID")'
)

CASES = [
    pytest.param(CHECK, "postgresql", None, E, id="pg-validates"),
    pytest.param(SQL, "postgresql", None, E, id="pg-raw-sql"),
    pytest.param(NOT_VALID, "postgresql", None, OK, id="pg-not-valid"),
    pytest.param(
        SQL_NOT_VALID, "postgresql", None, OK, id="pg-raw-sql-not-valid"
    ),
    pytest.param(CHECK, "mysql", "8.0.16", E, id="mysql-enforced-copies"),
    pytest.param(
        CHECK, "mysql", "8.0.15", OK, id="mysql-ignored-before-8.0.16"
    ),
    pytest.param(CHECK, "mariadb", "10.2.1", E, id="mariadb-copies"),
    pytest.param(CHECK, "sqlite", None, W, id="sqlite-copy"),
]


@pytest.mark.parametrize("body, dialect, version, expected", CASES)
def test_adding_check_constraint(severities, body, dialect, version, expected):
    assert severities(RULE, body, dialect, version) == expected
