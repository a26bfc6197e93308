"""unreadable-operation: what lint cannot read is reported, never dropped;
and what a loop, a local name or a helper's parameters hold is read."""

import pytest

from zerodown.migrations.lint.dialects import DialectProfile

RULE = "unreadable-operation"
E, OK = ["error"], []

COMPUTED_LOOP = 'for column in columns_of("t"):\n    op.create_index("ix_" + column, "t", [column])'
LITERAL_LOOP = 'for column in ("a", "b"):\n    op.create_index(f"ix_t_{column}", "t", [column])'
COMPUTED_LOCAL = 'name = index_name()\nop.create_index(name, "t", ["c"])'
LITERAL_LOCAL = 'name = "ix_t_c"\nop.create_index(name, "t", ["c"])'
HELPER = "index(TABLE, 'c')"
HELPER_COMPUTED = "index(TABLE, pick())"
HELPER_STAR = "index(*PAIR)"
HELPER_DEF = """
TABLE = "t"
PAIR = ("t", "c")


def index(table, column, unique=False):
    op.create_index(f"ix_{table}_{column}", table, [column], unique=unique)
"""
COLUMN_ARG = (
    'op.add_column("t", sa.Column("c", sa.Integer(), nullable=flag()))'
)
BATCH = 'with op.batch_alter_table("t") as batch_op:\n    batch_op.drop_column(victim())'
ZOP = 'zop.rename_column("t", old_name(), "new")'
ZOP_READ = 'zop.rename_column("t", "old", "new")'
EXECUTE = "op.execute(build_sql())"  # raw-sql's "cannot read"
WAIVED = 'lint_waivers = [waive("unreadable-operation", "op.create_index(name*", reason="one index, built at night")]'

CASES = [
    pytest.param(body, dialect, header, expected, id=f"{name}-{dialect}")
    for dialect in sorted(DialectProfile.registry)
    for name, body, header, expected in (
        ("loop-over-computed", COMPUTED_LOOP, "", E),
        ("loop-over-literals", LITERAL_LOOP, "", OK),
        ("computed-local", COMPUTED_LOCAL, "", E),
        ("literal-local", LITERAL_LOCAL, "", OK),
        ("helper-with-literals", HELPER, HELPER_DEF, OK),
        ("helper-with-computed", HELPER_COMPUTED, HELPER_DEF, E),
        ("helper-with-star-args", HELPER_STAR, HELPER_DEF, E),
        ("computed-inside-column", COLUMN_ARG, "", E),
        ("batch", BATCH, "", E),
        ("online-operation", ZOP, "", E),
        ("online-operation-read", ZOP_READ, "", OK),
        ("execute-is-raw-sql", EXECUTE, "", OK),
        ("waived", COMPUTED_LOCAL, WAIVED, OK),
    )
]


@pytest.mark.parametrize("body, dialect, header, expected", CASES)
def test_unreadable_operation(severities, body, dialect, header, expected):
    assert severities(RULE, body, dialect, header=header) == expected


def test_a_loop_over_literals_is_read_once_per_value(lint_upgrade):
    found = lint_upgrade(
        LITERAL_LOOP, rule="require-concurrent-index-creation"
    )
    assert [f.target for f in found] == ["ix_t_a", "ix_t_b"]


def test_a_helper_is_read_with_each_call_s_arguments(lint_upgrade):
    body = f"{HELPER}\nindex('u', 'd', unique=True)"
    found = lint_upgrade(
        body, header=HELPER_DEF, rule="require-concurrent-index-creation"
    )
    assert [f.target for f in found] == ["ix_t_c", "ix_u_d"]


def test_a_helper_defined_inside_upgrade_is_read(lint_upgrade):
    body = (
        "def drop(name):\n"
        "    op.drop_table(name)\n"
        "drop('legacy')\n"
        "drop(pick())"
    )
    found = lint_upgrade(body)
    # The unreadable drop still breaks expand, whatever it drops.
    assert [(f.rule, f.target) for f in found] == [
        ("drop-in-expand", "legacy"),
        ("drop-in-expand", "*"),
        ("unreadable-operation", "op.drop_table(name)"),
    ]


def test_a_local_name_hides_the_module_constant(lint_upgrade):
    body = "TABLE = pick()\nop.drop_table(TABLE)"
    (finding,) = lint_upgrade(body, header=HELPER_DEF, rule=RULE)
    assert "TABLE = pick()" not in finding.message  # the call is shown
    assert "op.drop_table(TABLE)" in finding.message


def test_the_message_names_what_is_unknown(lint_upgrade):
    (finding,) = lint_upgrade(COMPUTED_LOOP, rule=RULE)
    assert finding.message.startswith("operation lint cannot read: ")
    assert "op.create_index('ix_' + column" in finding.message
    assert finding.message.endswith(
        "(known only when it runs: 'ix_' + column, column)"
    )
    assert finding.target.startswith("op.create_index(")
    assert "waive(" in finding.recipe
