"""invalid-waiver: waivers name a known rule, a target and a reason."""

import pytest

from zerodown.migrations import waive
from zerodown.migrations.errors import InvalidWaiver

RULE = "invalid-waiver"
E, OK = ["error"], []

CASES = [
    pytest.param(
        '[waive("raw-sql", "*", reason="seed rows")]', OK, id="sound"
    ),
    pytest.param('[waive("raw-sql", "*", reason="")]', E, id="empty-reason"),
    pytest.param(
        '[waive("raw-sql", "*", reason="   ")]', E, id="blank-reason"
    ),
    pytest.param('[waive("raw-sql", "*")]', E, id="no-reason"),
    pytest.param(
        '[waive("no-such-rule", "*", reason="r")]', E, id="unknown-rule"
    ),
    pytest.param('[waive("raw-sql", reason="r")]', E, id="no-target"),
    pytest.param(
        '[waive("raw-sql", "*", reason=REASON)]', OK, id="constant-reason"
    ),
    pytest.param(
        '[zerodown.migrations.waive("raw-sql", "*", reason="r")]',
        OK,
        id="module-attribute",
    ),
    pytest.param(
        '[waive("raw-sql", "*", reason=make())]', E, id="computed-reason"
    ),
    pytest.param('["raw-sql"]', E, id="not-a-waive-call"),
    pytest.param("list(WAIVERS)", E, id="not-a-literal-list"),
]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
@pytest.mark.parametrize("waivers, expected", CASES)
def test_invalid_waiver(severities, waivers, expected, dialect):
    header = f'REASON = "seed rows"\nlint_waivers = {waivers}'
    assert severities(RULE, "pass", dialect, header=header) == expected


def test_an_invalid_waiver_waives_nothing(lint_upgrade):
    header = 'lint_waivers = [waive("raw-sql", "*", reason="")]'
    found = lint_upgrade('op.execute("UPDATE t SET c = 1")', header=header)
    by_rule = {f.rule: f for f in found}
    assert by_rule["raw-sql"].blocking
    assert by_rule["invalid-waiver"].line == 11  # the waiver's line


def test_at_run_time_waive_refuses_an_empty_reason():
    with pytest.raises(InvalidWaiver, match="needs a reason"):
        waive("raw-sql", "*", reason=" ")
    assert waive("raw-sql", "UPDATE*", reason=" ok ").reason == "ok"
