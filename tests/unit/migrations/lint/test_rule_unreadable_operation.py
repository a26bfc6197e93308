"""unreadable-operation: what lint cannot read is reported, never dropped;
and what a loop, a local name or a helper's parameters hold is read."""

from pathlib import Path

import pytest

from zerodown.migrations.lint.dialects import DialectProfile
from zerodown.migrations.lint.script import read_script

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
# Handed on where lint cannot follow: reported, never dropped.
AS_VALUE = 'create = op.create_index\ncreate("ix_t_c", "t", ["c"])'
GETATTR = 'getattr(op, "create_index")("ix_t_c", "t", ["c"])'
OP_GIVEN_AWAY = "build_indexes(op)"  # defined elsewhere: not readable
BATCH_GIVEN_AWAY = (
    'with op.batch_alter_table("t") as batch_op:\n    trim(batch_op)'
)
METHOD = 'Indexes("t").build()'
FUNCTION_AS_VALUE = "for step in (drop_old,):\n    step()"
UNFOLLOWED_DEF = """
class Indexes:
    def __init__(self, table):
        self.table = table

    def build(self):
        op.create_index("ix_" + self.table, self.table, ["c"])


def drop_old():
    op.drop_index("ix_old", "t")
"""
# Read: a helper given op or zop, and op's methods that change nothing.
OP_GIVEN_TO_HELPER = 'build(op, "t")\nrename(z=zop)'
GIVEN_DEF = """
def build(o, table):
    o.create_index(f"ix_{table}_c", table, ["c"], postgresql_concurrently=True)


def rename(z):
    z.rename_column("t", "a", "b")
"""
NOT_OPERATIONS = (
    "bind = op.get_bind()\n"
    "impl = op.impl\n"
    'if op.get_context().dialect.name == "mysql":\n'
    '    op.create_index(op.f("ix_t_c"), "t", ["c"])'
)
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
        ("operation-as-value", AS_VALUE, "", E),
        ("op-through-getattr", GETATTR, "", E),
        ("op-given-away", OP_GIVEN_AWAY, "", E),
        ("batch-given-away", BATCH_GIVEN_AWAY, "", E),
        ("method-of-a-class", METHOD, UNFOLLOWED_DEF, E),
        ("function-as-value", FUNCTION_AS_VALUE, UNFOLLOWED_DEF, E),
        ("op-given-to-a-helper", OP_GIVEN_TO_HELPER, GIVEN_DEF, OK),
        ("methods-that-change-nothing", NOT_OPERATIONS, "", OK),
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


def test_what_is_handed_on_is_named(lint_upgrade):
    body = f"{AS_VALUE}\n{GETATTR}"
    first, second = lint_upgrade(body, rule=RULE)
    assert first.message == (
        "operation lint cannot read: create = op.create_index (known only "
        "when it runs: op.create_index handed on as a value)"
    )
    assert first.target == "create = op.create_index"
    assert second.message.endswith(
        "(known only when it runs: op handed on as a value)"
    )


def test_operations_lint_does_not_follow_are_each_reported(lint_upgrade):
    """A class's methods and a function used as a value: each operation
    in them, once, at its own line."""
    body = f"{METHOD}\n{METHOD}\n{FUNCTION_AS_VALUE}"
    found = lint_upgrade(body, header=UNFOLLOWED_DEF, rule=RULE)
    assert [(f.target, f.message.rsplit("(", 1)[1]) for f in found] == [
        (
            "op.create_index('ix_' + self.table, self.table, ['c'])",
            "known only when it runs: class Indexes, which lint does not "
            "follow)",
        ),
        (
            "op.drop_index('ix_old', 't')",
            "known only when it runs: function drop_old, which lint does "
            "not follow)",
        ),
    ]
    for finding in found:
        line = Path(finding.path).read_text().splitlines()[finding.line - 1]
        assert line.strip().startswith(finding.target[:14])


def test_a_helper_given_op_is_read_with_its_parameter_as_op(lint_upgrade):
    found = lint_upgrade(OP_GIVEN_TO_HELPER, header=GIVEN_DEF)
    # CONCURRENTLY inside the revision's transaction: the helper's
    # o.create_index was read as op.create_index.
    assert [(f.rule, f.target) for f in found] == [
        ("concurrently-in-transaction", "ix_t_c")
    ]
    # z.rename_column was read as zop.rename_column.
    (path,) = {Path(f.path) for f in found}
    calls = read_script(path).calls
    assert [(c.receiver, c.name, c.target) for c in calls] == [
        ("op", "create_index", "ix_t_c"),
        ("zop", "rename_column", "t.a"),
    ]


def test_op_reached_through_the_alembic_module_is_read(lint_upgrade):
    body = (
        'alembic.op.create_index("ix_t_a", "t", ["a"])\n'
        'aop.create_index("ix_t_b", "t", ["b"])\n'
        'with alembic.op.batch_alter_table("t") as batch_op:\n'
        '    batch_op.drop_column("x")\n'
        "create = alembic.op.create_index"
    )
    header = "import alembic\nimport alembic.op as aop\n"
    found = lint_upgrade(body, header=header)
    assert [
        (f.rule, f.target) for f in found if f.rule != "require-lock-timeout"
    ] == [
        ("require-concurrent-index-creation", "ix_t_a"),
        ("require-concurrent-index-creation", "ix_t_b"),
        ("drop-in-expand", "t.x"),
        ("unreadable-operation", "create = alembic.op.create_index"),
    ]
