"""raw-sql: every statement lint cannot judge needs a reasoned waiver."""

import pytest

from zerodown.migrations.lint.dialects import DialectProfile

RULE = "raw-sql"
E, OK = ["error"], []

UPDATE = 'op.execute("UPDATE orders SET total = 0 WHERE total IS NULL")'
TWO = 'op.execute("CREATE VIEW v AS SELECT 1; GRANT SELECT ON v TO app")'
OPAQUE = "op.execute(build_sql())"
TIMEOUT = "op.execute(\"SET LOCAL lock_timeout = '2s'\")"
WAIVER = 'lint_waivers = [waive("raw-sql", "UPDATE orders*", reason="12 rows, checked")]'

INPLACE = 'op.execute("ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INPLACE, LOCK=NONE")'
INSTANT = 'op.execute("ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INSTANT")'
INPLACE_SHARED = 'op.execute("ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INPLACE, LOCK=SHARED")'
NOCOPY = (
    'op.execute("ALTER TABLE t DROP COLUMN c, ALGORITHM=NOCOPY, LOCK=NONE")'
)

# The form the lint's own advice asks for: the server refuses instead of
# blocking (MySQL/MariaDB only).
ONLINE_CASES = [
    pytest.param(INPLACE, "mysql", OK, id="inplace-lock-none-mysql"),
    pytest.param(INPLACE, "mariadb", OK, id="inplace-lock-none-mariadb"),
    pytest.param(INSTANT, "mysql", OK, id="instant-mysql"),
    pytest.param(NOCOPY, "mariadb", OK, id="nocopy-lock-none-mariadb"),
    pytest.param(INPLACE_SHARED, "mysql", E, id="inplace-lock-shared-mysql"),
    pytest.param(INPLACE, "postgresql", E, id="inplace-means-nothing-pg"),
]


@pytest.mark.parametrize("body, dialect, expected", ONLINE_CASES)
def test_online_ddl_clauses(severities, body, dialect, expected):
    assert severities(RULE, body, dialect, phase="contract") == expected


def test_a_long_statement_is_cut_at_a_word(lint_upgrade):
    sql = "UPDATE orders SET total_cents = total_cents * 100 WHERE currency = 'EUR'"
    (finding,) = lint_upgrade(f'op.execute("{sql}")', rule=RULE)
    assert (
        finding.target
        == "UPDATE orders SET total_cents = total_cents * 100 WHERE"
    )
    assert sql.startswith(finding.target) and len(finding.target) <= 60


CASES = [
    pytest.param(body, dialect, header, expected, id=f"{name}-{dialect}")
    for dialect in sorted(DialectProfile.registry)
    for name, body, header, expected in (
        ("statement", UPDATE, "", E),
        ("two-statements", TWO, "", E + E),
        ("opaque", OPAQUE, "", E),
        ("lock-timeout", TIMEOUT, "", OK),
        ("waived", UPDATE, WAIVER, OK),
        ("alembic-operation", 'op.drop_column("t", "c")', "", OK),
    )
]


@pytest.mark.parametrize("body, dialect, header, expected", CASES)
def test_raw_sql(severities, body, dialect, header, expected):
    assert (
        severities(RULE, body, dialect, header=header, phase="contract")
        == expected
    )


def test_the_target_is_the_statement_a_waiver_names(lint_upgrade):
    (finding,) = lint_upgrade(UPDATE, rule=RULE)
    assert finding.target.startswith("UPDATE orders SET total")
    assert "waive(" in finding.recipe
