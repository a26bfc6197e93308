"""renaming-table: the running release still queries the old name."""

import pytest

from zerodown.migrations.lint.dialects import DialectProfile

RULE = "renaming-table"
E, OK = ["error"], []

RENAME = 'op.rename_table("users", "people")'
PG_SQL = 'op.execute("ALTER TABLE users RENAME TO people")'
MYSQL_SQL = 'op.execute("RENAME TABLE users TO people")'
ZOP = 'zop.rename_table("users", "people")'

CASES = [
    pytest.param(body, dialect, expected, id=f"{name}-{dialect}")
    for dialect in sorted(DialectProfile.registry)
    for name, body, expected in (
        ("rename", RENAME, E),
        ("alter-sql", PG_SQL, E),
        ("rename-sql", MYSQL_SQL, E),
        ("online-operation", ZOP, OK),
    )
]


@pytest.mark.parametrize("body, dialect, expected", CASES)
def test_renaming_table(severities, body, dialect, expected):
    assert severities(RULE, body, dialect) == expected
