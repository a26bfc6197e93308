"""renaming-column: the running release still uses the old name."""

import pytest

from zerodown.migrations.lint.dialects import DialectProfile

RULE = "renaming-column"
E, OK = ["error"], []

ALTER = 'op.alter_column("users", "name", new_column_name="full_name")'
BATCH = """
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("name", new_column_name="full_name")
"""
SQL = 'op.execute("ALTER TABLE users RENAME COLUMN name TO full_name")'
ZOP = 'zop.rename_column("users", "name", "full_name")'
NEW_TABLE = 'op.create_table("users", sa.Column("name", sa.Text()))\n' + ALTER

CASES = [
    pytest.param(body, dialect, expected, id=f"{name}-{dialect}")
    for dialect in sorted(DialectProfile.registry)
    for name, body, expected in (
        ("alter", ALTER, E),
        ("batch", BATCH, E),
        ("raw-sql", SQL, E),
        ("online-operation", ZOP, OK),
        ("new-table", NEW_TABLE, OK),
    )
]


@pytest.mark.parametrize("body, dialect, expected", CASES)
def test_renaming_column(severities, body, dialect, expected):
    assert severities(RULE, body, dialect) == expected


@pytest.mark.parametrize("phase", ["expand", "contract"])
def test_a_rename_breaks_in_either_phase(severities, phase):
    assert severities(RULE, ALTER, "postgresql", phase=phase) == E


def test_the_recipe_is_the_online_rename(lint_upgrade):
    (finding,) = lint_upgrade(ALTER, rule=RULE)
    assert finding.target == "users.name"
    assert "zop.rename_column" in finding.recipe
