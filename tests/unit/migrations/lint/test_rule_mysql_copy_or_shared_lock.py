"""mysql-copy-or-shared-lock: clauses that make MySQL block writes."""

import pytest

RULE = "mysql-copy-or-shared-lock"
E, OK = ["error"], []


def sql(text):
    return f'op.execute("{text}")'


CASES = [
    pytest.param(
        sql("ALTER TABLE t ADD COLUMN c INT, ALGORITHM=COPY"),
        "mysql",
        E,
        id="mysql-copy",
    ),
    pytest.param(
        sql("ALTER TABLE t ADD INDEX ix (c), LOCK=SHARED"),
        "mysql",
        E,
        id="mysql-shared",
    ),
    pytest.param(
        sql("ALTER TABLE t ENGINE=InnoDB, ALGORITHM COPY, LOCK = EXCLUSIVE"),
        "mariadb",
        E,
        id="mariadb-both",
    ),
    pytest.param(
        sql("ALTER TABLE t ADD INDEX ix (c), ALGORITHM=INPLACE, LOCK=NONE"),
        "mysql",
        OK,
        id="mysql-inplace-none",
    ),
    pytest.param(
        sql("ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INSTANT"),
        "mariadb",
        OK,
        id="mariadb-instant",
    ),
    pytest.param(
        sql("ALTER TABLE t ADD COLUMN c INT, ALGORITHM=COPY"),
        "postgresql",
        OK,
        id="pg-not-mysql",
    ),
    pytest.param(
        sql("ALTER TABLE t ADD COLUMN c INT, ALGORITHM=COPY"),
        "sqlite",
        OK,
        id="sqlite-not-mysql",
    ),
]


@pytest.mark.parametrize("body, dialect, expected", CASES)
def test_mysql_copy_or_shared_lock(severities, body, dialect, expected):
    assert severities(RULE, body, dialect) == expected
