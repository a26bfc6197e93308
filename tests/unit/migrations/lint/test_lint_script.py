"""Reading revision scripts without importing them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from alembic.operations import ops

from zerodown.migrations import Phase
from zerodown.migrations.errors import ScriptError
from zerodown.migrations.lint import lint
from zerodown.migrations.lint.script import read_script
from zerodown.migrations.lint.sources import collect


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_calls_are_read_in_order_with_their_context(tmp_path):
    script = write(
        tmp_path / "a.py",
        """
        import sqlalchemy as sa
        from alembic import op as alembic_op
        from zerodown.migrations.operations import zop

        TABLE = "users"
        revision = "a"

        def upgrade():
            alembic_op.add_column(TABLE, sa.Column("c", sa.Integer()))
            with alembic_op.batch_alter_table(TABLE) as b:
                b.create_index(alembic_op.f("ix_users_c"), ["c"])
            with alembic_op.get_context().autocommit_block():
                alembic_op.execute("CREATE INDEX CONCURRENTLY ix ON users (d)")
            if True:
                zop.rename_column(TABLE, "a", "b")
            _helper()
            alembic_op.get_bind()

        def _helper():
            alembic_op.drop_table("legacy")

        def downgrade():
            alembic_op.drop_column(TABLE, "c")
        """,
    )
    calls = read_script(script).calls
    assert [(c.receiver, c.name) for c in calls] == [
        ("op", "add_column"),
        ("batch", "create_index"),
        ("op", "execute"),
        ("zop", "rename_column"),
        ("op", "drop_table"),
    ]
    add, index, execute, rename, drop = calls
    assert isinstance(add.operation, ops.AddColumnOp)
    assert add.target == "users.c"
    assert index.batch_table == "users" and index.target == "ix_users_c"
    assert execute.autocommit and execute.statements[0].concurrently
    assert rename.operation is None and rename.target == "users.a"
    assert isinstance(drop.operation, ops.DropTableOp)


def test_values_lint_cannot_know_stay_opaque(tmp_path):
    script = write(
        tmp_path / "a.py",
        """
        import sqlalchemy as sa
        from alembic import op
        from myapp import columns

        def upgrade():
            op.add_column("t", columns.make())
            op.add_column("t", sa.Column("c", MyType()))
            op.add_column("t", sa.Column("d", sa.Integer(), server_default=f()))
        """,
    )
    calls = read_script(script).calls
    assert all(call.operation is None for call in calls)
    assert str(calls[0].args[1]) == "columns.make()"


def test_online_operations_name_their_target_as_table_dot_column(tmp_path):
    script = write(
        tmp_path / "a.py",
        """
        from zerodown.migrations.operations import zop

        def upgrade():
            zop.add_unique("uq_users_email", "users", ["email"])
            zop.add_unique("uq_users_a_b", "users", ["a", "b"])
            zop.set_not_null("users", "email")
        """,
    )
    targets = [call.target for call in read_script(script).calls]
    assert targets == ["users.email", "users.a,b", "users.email"]


def test_unknown_arguments_are_named_and_nested_ones_count(tmp_path):
    script = write(
        tmp_path / "a.py",
        """
        import sqlalchemy as sa
        from alembic import op

        def upgrade():
            op.create_index("ix", "t", [column_of()])
            op.add_column("t", sa.Column("c", sa.Integer(), nullable=flag))
            op.create_index("ix2", "t", ["c"])
        """,
    )
    first, second, third = read_script(script).calls
    assert first.unreadable == ("column_of()",) and first.operation is None
    assert second.unreadable == (
        "sa.Column('c', sa.Integer(), nullable=flag)",
    )
    assert third.unreadable == () and third.operation is not None


def test_a_script_is_never_imported(tmp_path):
    script = write(
        tmp_path / "versions" / "expand" / "a.py",
        """
        from alembic import op
        raise SystemExit("imported!")
        revision = "a"

        def upgrade():
            op.rename_table("a", "b")
        """,
    )
    assert [f.rule for f in lint(script, "sqlite")] == ["renaming-table"]


def test_a_syntax_error_is_a_script_error(tmp_path):
    script = write(tmp_path / "a.py", "def upgrade(:\n")
    with pytest.raises(ScriptError, match=r"a\.py:1"):
        read_script(script)


def _revision(folder: Path, rev: str, down: str | None, labels=()) -> None:
    write(
        folder / f"{rev}.py",
        f"""
        revision = {rev!r}
        down_revision = {down!r}
        branch_labels = {tuple(labels)!r}

        def upgrade():
            pass
        """,
    )


def test_phases_come_from_the_branch_chain_then_the_folder(tmp_path):
    chain = tmp_path / "anywhere"
    _revision(chain, "e0", None, ["expand"])
    _revision(chain, "e1", "e0")
    _revision(chain, "c0", None, ["contract"])
    _revision(chain, "c1", "c0")
    _revision(tmp_path / "x" / "contract", "lone", "missing")
    _revision(tmp_path / "y", "stray", "missing")
    write(tmp_path / "anywhere" / "helpers.py", "X = 1\n")
    phases = {s.revision: s.phase for s in collect(tmp_path)}
    assert phases == {
        "e0": Phase.EXPAND,
        "e1": Phase.EXPAND,
        "c0": Phase.CONTRACT,
        "c1": Phase.CONTRACT,
        "lone": Phase.CONTRACT,
        "stray": None,
    }


def test_only_the_requested_revisions_are_linted(tmp_path):
    folder = tmp_path / "versions" / "expand"
    for rev in ("a", "b"):
        write(
            folder / f"{rev}.py",
            f"""
            from alembic import op
            revision = {rev!r}

            def upgrade():
                op.rename_table("t", "u")
            """,
        )
    found = lint(tmp_path, "postgresql", revisions={"b"})
    assert [f.revision for f in found] == ["b"]
