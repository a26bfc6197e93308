"""adding-not-nullable-field: the old release's inserts would fail."""

import pytest

from zerodown.migrations.lint.dialects import DialectProfile

RULE = "adding-not-nullable-field"
E, OK = ["error"], []

NOT_NULL = 'op.add_column("t", sa.Column("n", sa.Integer(), nullable=False))'
WITH_DEFAULT = 'op.add_column("t", sa.Column("n", sa.Integer(), nullable=False, server_default="0"))'
NULLABLE = 'op.add_column("t", sa.Column("n", sa.Integer()))'
BATCH = """
with op.batch_alter_table("t") as batch_op:
    batch_op.add_column(sa.Column("n", sa.Integer(), nullable=False))
"""
ZOP = 'zop.add_column("t", sa.Column("n", sa.Integer(), nullable=False))'

DIALECTS = sorted(DialectProfile.registry)
CASES = [
    pytest.param(body, dialect, expected, id=f"{name}-{dialect}")
    for dialect in DIALECTS
    for name, body, expected in (
        ("not-null", NOT_NULL, E),
        ("batch", BATCH, E),
        ("server-default", WITH_DEFAULT, OK),
        ("nullable", NULLABLE, OK),
        ("online-operation", ZOP, OK),
    )
]


@pytest.mark.parametrize("body, dialect, expected", CASES)
def test_adding_not_nullable_field(severities, body, dialect, expected):
    assert severities(RULE, body, dialect) == expected
