"""require-lock-timeout: DDL must not wait in the lock queue unbounded."""

import pytest

from zerodown.migrations.lint import LintOptions

RULE = "require-lock-timeout"
W, OK = ["warning"], []
ENGINE_OFF = LintOptions(lock_timeout=False)

DDL = 'op.add_column("t", sa.Column("c", sa.Integer()))'
PG_TIMEOUT = "op.execute(\"SET LOCAL lock_timeout = '2s'\")\n" + DDL
MYSQL_TIMEOUT = 'op.execute("SET SESSION lock_wait_timeout = 2")\n' + DDL
DATA_ONLY = 'op.bulk_insert(sa.table("kinds", sa.column("name")), [])'

CASES = [
    pytest.param(DDL, "postgresql", ENGINE_OFF, W, id="pg-none"),
    pytest.param(
        PG_TIMEOUT, "postgresql", ENGINE_OFF, OK, id="pg-revision-sets-it"
    ),
    pytest.param(
        MYSQL_TIMEOUT, "postgresql", ENGINE_OFF, W, id="pg-wrong-setting"
    ),
    pytest.param(DDL, "postgresql", None, OK, id="pg-engine-on"),
    pytest.param(DATA_ONLY, "postgresql", ENGINE_OFF, OK, id="pg-no-ddl"),
    pytest.param(DDL, "mysql", ENGINE_OFF, W, id="mysql-none"),
    pytest.param(
        MYSQL_TIMEOUT, "mysql", ENGINE_OFF, OK, id="mysql-revision-sets-it"
    ),
    pytest.param(
        MYSQL_TIMEOUT, "mariadb", ENGINE_OFF, OK, id="mariadb-revision-sets-it"
    ),
    pytest.param(DDL, "mysql", None, OK, id="mysql-engine-on"),
    pytest.param(DDL, "sqlite", ENGINE_OFF, OK, id="sqlite-has-no-lock-queue"),
]


@pytest.mark.parametrize("body, dialect, options, expected", CASES)
def test_require_lock_timeout(severities, body, dialect, options, expected):
    assert severities(RULE, body, dialect, options=options) == expected


def test_the_message_says_whose_timeout_is_off(lint_upgrade):
    (finding,) = lint_upgrade(DDL, options=ENGINE_OFF, rule=RULE)
    assert finding.message == (
        "1 schema change(s) and no lock timeout: the engine's lock timeout "
        "is off and the revision sets none"
    )
