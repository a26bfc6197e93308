"""require-concurrent-index-deletion: a plain DROP INDEX waits in the
lock queue with ACCESS EXCLUSIVE."""

import pytest

RULE = "require-concurrent-index-deletion"
W, OK = ["warning"], []

PLAIN = 'op.drop_index("ix_t_c", table_name="t")'
CONCURRENT = """
with op.get_context().autocommit_block():
    op.drop_index("ix_t_c", table_name="t", postgresql_concurrently=True)
"""
SQL = 'op.execute("DROP INDEX ix_t_c")'
SQL_CONCURRENT = """
with op.get_context().autocommit_block():
    op.execute("DROP INDEX CONCURRENTLY ix_t_c")
"""

CASES = [
    pytest.param(PLAIN, "postgresql", W, id="pg-plain"),
    pytest.param(SQL, "postgresql", W, id="pg-raw-sql"),
    pytest.param(CONCURRENT, "postgresql", OK, id="pg-concurrent"),
    pytest.param(SQL_CONCURRENT, "postgresql", OK, id="pg-raw-sql-concurrent"),
    pytest.param(
        'zop.drop_index("ix_t_c", "t")',
        "postgresql",
        OK,
        id="pg-online-operation",
    ),
    pytest.param(PLAIN, "mysql", OK, id="mysql-inplace"),
    pytest.param(PLAIN, "sqlite", OK, id="sqlite"),
]


@pytest.mark.parametrize("body, dialect, expected", CASES)
def test_require_concurrent_index_deletion(
    severities, body, dialect, expected
):
    assert severities(RULE, body, dialect, phase="contract") == expected
