"""concurrently-in-transaction: PostgreSQL refuses it in a transaction."""

import pytest

RULE = "concurrently-in-transaction"
E, OK = ["error"], []

IN_TX = 'op.create_index("ix_t_c", "t", ["c"], postgresql_concurrently=True)'
DROP_IN_TX = (
    'op.drop_index("ix_t_c", table_name="t", postgresql_concurrently=True)'
)
SQL_IN_TX = 'op.execute(sa.text("CREATE INDEX CONCURRENTLY ix_t_c ON t (c)"))'
AUTOCOMMIT = f"""
with op.get_context().autocommit_block():
    {IN_TX}
    {SQL_IN_TX}
"""
HELPER = "_build()"
HELPER_HEADER = f"""
def _build():
    {IN_TX}
"""

CASES = [
    pytest.param(IN_TX, "postgresql", E, "", id="pg-create"),
    pytest.param(DROP_IN_TX, "postgresql", E, "", id="pg-drop"),
    pytest.param(SQL_IN_TX, "postgresql", E, "", id="pg-raw-sql"),
    pytest.param(HELPER, "postgresql", E, HELPER_HEADER, id="pg-in-a-helper"),
    pytest.param(AUTOCOMMIT, "postgresql", OK, "", id="pg-autocommit-block"),
    pytest.param(
        'zop.create_index("ix_t_c", "t", ["c"])',
        "postgresql",
        OK,
        "",
        id="pg-online-operation",
    ),
    pytest.param(IN_TX, "mysql", OK, "", id="mysql-ignores-the-option"),
    pytest.param(IN_TX, "sqlite", OK, "", id="sqlite-ignores-the-option"),
]


@pytest.mark.parametrize("body, dialect, expected, header", CASES)
def test_concurrently_in_transaction(
    severities, body, dialect, expected, header
):
    assert severities(RULE, body, dialect, header=header) == expected
