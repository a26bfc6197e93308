"""drop-in-expand: the phase guard's rule, before anything runs."""

import pytest

RULE = "drop-in-expand"
E, OK = ["error"], []

DROPS = {
    "column": 'op.drop_column("t", "c")',
    "table": 'op.drop_table("t")',
    "index": 'op.drop_index("ix_t_c", table_name="t")',
    "constraint": 'op.drop_constraint("uq_t_c", "t")',
    "raw-sql": 'op.execute("DROP TABLE t")',
    "batch": 'with op.batch_alter_table("t") as batch_op:\n    batch_op.drop_column("c")',
    "opaque-name": "for name in legacy_tables():\n    op.drop_table(name)",
}
SAFE = {
    "online-operation": 'zop.drop_column("t", "c")',
    "add": 'op.add_column("t", sa.Column("c", sa.Integer()))',
}

CASES = [
    *(
        pytest.param(body, "expand", E, id=f"expand-{name}")
        for name, body in DROPS.items()
    ),
    *(
        pytest.param(body, "contract", OK, id=f"contract-{name}")
        for name, body in DROPS.items()
    ),
    *(
        pytest.param(body, "expand", OK, id=f"expand-{name}")
        for name, body in SAFE.items()
    ),
]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
@pytest.mark.parametrize("body, phase, expected", CASES)
def test_drop_in_expand(severities, body, phase, expected, dialect):
    assert severities(RULE, body, dialect, phase=phase) == expected


def test_a_reasoned_phase_exception_allows_it(severities):
    header = 'phase_exceptions = [allow("drop_index", "ix_t_*", reason="replaced above")]'
    body = DROPS["index"]
    assert severities(RULE, body, header=header) == OK
    other = 'op.drop_index("ix_u_c", table_name="u")'
    assert severities(RULE, other, header=header) == E


def test_a_revision_on_no_branch_is_not_judged(lint_upgrade, tmp_path):
    found = lint_upgrade(DROPS["column"], phase="elsewhere", rule=RULE)
    assert found == []


@pytest.mark.parametrize(
    "sql, why",
    [
        (
            "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
            "makes a column NOT NULL",
        ),
        ("ALTER TABLE t MODIFY c INT NOT NULL", "redefines a column"),
        ("ALTER TABLE t CHANGE c d INT", "redefines a column"),
        ("ALTER TABLE t RENAME COLUMN c TO d", "renames a column"),
        ("ALTER TABLE t RENAME TO u", "renames a table"),
        ("RENAME TABLE t TO u", "renames a table"),
        (
            "ALTER TABLE t ALTER COLUMN c TYPE bigint",
            "changes a column's type",
        ),
        ("TRUNCATE t", "empties a table"),
        ("DROP TABLE t", "drops"),
    ],
)
def test_raw_sql_is_described_for_what_it_does(lint_upgrade, sql, why):
    (finding,) = lint_upgrade(f'op.execute("{sql}")', rule=RULE)
    assert finding.message.startswith(
        f"expand must not execute ({sql}): raw SQL that {why}"
    )
