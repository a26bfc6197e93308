"""concurrent-index-corruption: PostgreSQL 14.0-14.3 and CONCURRENTLY."""

import pytest

RULE = "concurrent-index-corruption"
E, OK = ["error"], []

CONCURRENT = """
with op.get_context().autocommit_block():
    op.create_index("ix_t_c", "t", ["c"], postgresql_concurrently=True)
"""
ZOP = 'zop.create_index("ix_t_c", "t", ["c"])'
SQL = """
with op.get_context().autocommit_block():
    op.execute("REINDEX INDEX CONCURRENTLY ix_t_c")
"""

CASES = [
    pytest.param(CONCURRENT, "14.0", E, id="14.0"),
    pytest.param(CONCURRENT, "14.3", E, id="14.3"),
    pytest.param(ZOP, "14.2", E, id="14.2-online-operation"),
    pytest.param(SQL, "14.1", E, id="14.1-reindex"),
    pytest.param(CONCURRENT, "14.4", OK, id="14.4-fixed"),
    pytest.param(CONCURRENT, "13.9", OK, id="13-unaffected"),
    pytest.param(CONCURRENT, None, OK, id="assumed-version"),
]


@pytest.mark.parametrize("body, version, expected", CASES)
def test_concurrent_index_corruption(severities, body, version, expected):
    assert severities(RULE, body, "postgresql", version) == expected


def test_other_dialects_are_not_affected(severities):
    assert severities(RULE, ZOP, "mysql", "14.2") == OK
