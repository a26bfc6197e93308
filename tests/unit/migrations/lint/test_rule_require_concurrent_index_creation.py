"""require-concurrent-index-creation: PostgreSQL's plain build blocks
writes."""

import pytest

RULE = "require-concurrent-index-creation"
E, OK = ["error"], []

PLAIN = 'op.create_index("ix_t_c", "t", ["c"])'
UNIQUE = 'op.create_index("ix_t_c", "t", ["c"], unique=True)'
CONCURRENT = """
with op.get_context().autocommit_block():
    op.create_index("ix_t_c", "t", ["c"], postgresql_concurrently=True)
"""
BATCH = """
with op.batch_alter_table("t") as batch_op:
    batch_op.create_index("ix_t_c", ["c"])
"""
SQL = 'op.execute("CREATE INDEX ix_t_c ON t (c)")'
SQL_CONCURRENT = """
with op.get_context().autocommit_block():
    op.execute("CREATE INDEX CONCURRENTLY ix_t_c ON t (c)")
"""
NEW_TABLE = 'op.create_table("t", sa.Column("c", sa.Integer()))\n' + PLAIN
ZOP = 'zop.create_index("ix_t_c", "t", ["c"])'

CASES = [
    pytest.param(PLAIN, "postgresql", E, id="pg-plain"),
    pytest.param(UNIQUE, "postgresql", E, id="pg-unique"),
    pytest.param(BATCH, "postgresql", E, id="pg-batch"),
    pytest.param(SQL, "postgresql", E, id="pg-raw-sql"),
    pytest.param(CONCURRENT, "postgresql", OK, id="pg-concurrent"),
    pytest.param(SQL_CONCURRENT, "postgresql", OK, id="pg-raw-sql-concurrent"),
    pytest.param(NEW_TABLE, "postgresql", OK, id="pg-new-table"),
    pytest.param(ZOP, "postgresql", OK, id="pg-online-operation"),
    pytest.param(PLAIN, "mysql", OK, id="mysql-inplace"),
    pytest.param(PLAIN, "mariadb", OK, id="mariadb-inplace"),
    pytest.param(PLAIN, "sqlite", OK, id="sqlite-has-no-alternative"),
]


@pytest.mark.parametrize("body, dialect, expected", CASES)
def test_require_concurrent_index_creation(
    severities, body, dialect, expected
):
    assert severities(RULE, body, dialect) == expected


def test_a_waiver_covers_the_named_index_only(lint_upgrade):
    header = (
        'lint_waivers = [waive("require-concurrent-index-creation", '
        '"ix_t_c", reason="t holds ten rows")]'
    )
    body = PLAIN + '\nop.create_index("ix_t_d", "t", ["d"])'
    found = lint_upgrade(body, header=header, rule=RULE)
    assert [(f.target, f.waived) for f in found] == [
        ("ix_t_c", "t holds ten rows"),
        ("ix_t_d", None),
    ]
    assert [f.blocking for f in found] == [False, True]
