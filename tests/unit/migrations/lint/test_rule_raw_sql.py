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
