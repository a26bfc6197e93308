"""adding-exclusion-constraint: PostgreSQL builds it under ACCESS
EXCLUSIVE, with no online form."""

import pytest

RULE = "adding-exclusion-constraint"
E, OK = ["error"], []

EXCLUDE = 'op.create_exclude_constraint("no_overlap", "bookings", ("room", "="), ("during", "&&"), using="gist")'
SQL = 'op.execute("ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)")'
NEW_TABLE = (
    'op.create_table("bookings", sa.Column("room", sa.Integer()), '
    'sa.Column("during", postgresql.TSRANGE()))\n' + EXCLUDE
)
UNIQUE = 'op.create_unique_constraint("uq_b", "bookings", ["room"])'

CASES = [
    pytest.param(EXCLUDE, "postgresql", None, E, id="pg-operation"),
    pytest.param(SQL, "postgresql", None, E, id="pg-raw-sql"),
    pytest.param(EXCLUDE, "postgresql", "17", E, id="pg17-still-locks"),
    pytest.param(NEW_TABLE, "postgresql", None, OK, id="pg-new-table"),
    pytest.param(UNIQUE, "postgresql", None, OK, id="pg-unique-other-rule"),
    pytest.param(SQL, "mysql", None, OK, id="mysql-has-none"),
]


@pytest.mark.parametrize("body, dialect, version, expected", CASES)
def test_adding_exclusion_constraint(
    severities, body, dialect, version, expected
):
    assert severities(RULE, body, dialect, version) == expected


def test_the_finding_names_the_lock(lint_upgrade):
    (finding,) = lint_upgrade(EXCLUDE, rule=RULE)
    assert finding.target == "no_overlap"
    assert "ACCESS EXCLUSIVE" in finding.message
