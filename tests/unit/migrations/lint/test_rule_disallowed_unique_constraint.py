"""disallowed-unique-constraint: PostgreSQL builds the index under
ACCESS EXCLUSIVE."""

import pytest

RULE = "disallowed-unique-constraint"
E, OK = ["error"], []

UNIQUE = 'op.create_unique_constraint("uq_t_c", "t", ["c"])'
PRIMARY = 'op.create_primary_key("pk_t", "t", ["id"])'
BATCH = """
with op.batch_alter_table("t") as batch_op:
    batch_op.create_unique_constraint("uq_t_c", ["c"])
"""
SQL = 'op.execute("ALTER TABLE t ADD CONSTRAINT uq_t_c UNIQUE (c)")'
USING_INDEX = 'op.execute("ALTER TABLE t ADD CONSTRAINT uq_t_c UNIQUE USING INDEX ix_t_c")'
NEW_TABLE = 'op.create_table("t", sa.Column("c", sa.Integer()))\n' + UNIQUE
ZOP = 'zop.add_unique("uq_t_c", "t", ["c"])'

CASES = [
    pytest.param(UNIQUE, "postgresql", E, id="pg-unique"),
    pytest.param(PRIMARY, "postgresql", E, id="pg-primary-key"),
    pytest.param(BATCH, "postgresql", E, id="pg-batch"),
    pytest.param(SQL, "postgresql", E, id="pg-raw-sql"),
    pytest.param(USING_INDEX, "postgresql", OK, id="pg-using-index"),
    pytest.param(NEW_TABLE, "postgresql", OK, id="pg-new-table"),
    pytest.param(ZOP, "postgresql", OK, id="pg-online-operation"),
    pytest.param(UNIQUE, "mysql", OK, id="mysql-inplace"),
    pytest.param(UNIQUE, "sqlite", OK, id="sqlite"),
]


@pytest.mark.parametrize("body, dialect, expected", CASES)
def test_disallowed_unique_constraint(severities, body, dialect, expected):
    assert severities(RULE, body, dialect) == expected
