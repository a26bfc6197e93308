"""The phase guard on every backend: wrong DDL for a phase never lands."""

from __future__ import annotations

import pytest


def _fresh(project):
    assert project.zerodown("expand").exit_code == 0
    assert project.zerodown("contract").exit_code == 0
    return project.versions()


def test_drop_in_expand_is_refused_before_any_ddl(project):
    before = _fresh(project)
    (script,) = project.revision("sneaky drop")
    project.write_upgrade(
        script,
        """
        op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True))
        op.drop_table("alembic_version_backup")
        """,
    )
    result = project.zerodown("expand")
    assert result.exit_code == 1
    message = result.stderr if hasattr(result, "stderr") else result.output
    assert "expand revision" in message and "must not drop table" in message
    assert len(message.strip().splitlines()) == 1
    # Nothing of the revision ran, whatever the backend's DDL semantics.
    assert "t2" not in project.tables()
    assert project.versions() == before


def test_creation_in_contract_is_refused(project):
    _fresh(project)
    _, contract = project.revision("late table", "--contract")
    project.write_upgrade(
        contract,
        'op.create_table("late", sa.Column("id", sa.Integer, primary_key=True))',
    )
    result = project.zerodown("contract")
    assert result.exit_code == 1
    assert "contract revision" in result.output
    assert "must not create table (late)" in result.output
    assert "late" not in project.tables()


def test_reasoned_exception_lets_the_revision_run(project):
    _fresh(project)
    (script,) = project.revision("replace index")
    project.write_upgrade(
        script,
        """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("a", sa.Integer))
        op.create_index("ix_t_old", "t", ["a"])
        op.drop_index("ix_t_old", table_name="t")
        """,
        header=(
            "from zerodown.migrations import allow\n"
            "phase_exceptions = [allow('drop_index', 'ix_t_*', "
            "reason='created and replaced in this same revision')]\n"
        ),
    )
    result = project.zerodown("expand")
    assert result.exit_code == 0, result.output
    assert "t" in project.tables()


def test_not_null_column_without_default_is_refused_in_expand(project):
    _fresh(project)
    (script,) = project.revision("breaking add")
    project.write_upgrade(
        script,
        """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        op.add_column("t", sa.Column("x", sa.Integer, nullable=False))
        """,
    )
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert "must not add column (t.x)" in result.output
    assert "inserts fail" in result.output
    assert "t" not in project.tables()


def test_failed_revision_rolls_back_or_reports_what_ran(project):
    backend = project.database.backend
    before = _fresh(project)
    (script,) = project.revision("half done")
    project.write_upgrade(
        script,
        """
        op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True))
        op.add_column("no_such_table", sa.Column("x", sa.Integer))
        """,
    )
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert project.versions() == before
    assert "was rolled back (nothing of it is applied)" in result.output
    assert "failed at add_column no_such_table.x" in result.output
    assert "t2" not in project.tables()
    if backend == "mysql":
        # MySQL committed the table: zerodown dropped it again, and says so.
        assert "undone: create_table t2" in result.output


def test_what_cannot_be_undone_stays_and_is_named(project):
    if project.database.backend != "mysql":
        pytest.skip("capability: transactional DDL rolls everything back")
    before = _fresh(project)
    (script,) = project.revision("raw then plain")
    project.write_upgrade(
        script,
        """
        op.create_table("t4", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("CREATE TABLE t5 (id INTEGER PRIMARY KEY)")
        op.create_table("t6", sa.Column("id", sa.Integer, primary_key=True))
        op.add_column("no_such_table", sa.Column("x", sa.Integer))
        """,
    )
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert project.versions() == before
    # t6 is undone; zerodown cannot know what undoes raw SQL, so t5 stays,
    # and with it t4, which ran before it.
    assert (
        "these steps ran and stay applied: create_table t4; execute CREATE "
        "TABLE t5" in result.output
    )
    assert "undone: create_table t6" in result.output
    assert {"t4", "t5"} <= project.tables()
    assert "t6" not in project.tables()


@pytest.mark.parametrize("target", ["deadbeef1234"])
def test_unknown_target_revision(project, target):
    result = project.zerodown("expand", target)
    assert result.exit_code == 1
    assert f"no revision '{target}'" in result.output


def test_target_on_the_wrong_branch(project):
    history = project.zerodown("history").output
    contract_base = next(
        line.split()[1]
        for line in history.splitlines()
        if line.strip().startswith("contract")
    )
    result = project.zerodown("expand", contract_base)
    assert result.exit_code == 1
    assert "is not on the expand branch" in result.output


def test_failed_batch_is_reported_as_one_step(project):
    before = _fresh(project)
    (script,) = project.revision("batched")
    project.write_upgrade(
        script,
        """
        op.create_table("t3", sa.Column("id", sa.Integer, primary_key=True))
        with op.batch_alter_table("t3") as batch_op:
            batch_op.add_column(sa.Column("x", sa.Integer))
            batch_op.drop_column("no_such_column")
        """,
        header=(
            "from zerodown.migrations import allow\n"
            "phase_exceptions = [allow('drop_column', 't3.no_such_column', "
            "reason='exercises a failing batch')]\n"
        ),
    )
    result = project.zerodown("expand")
    assert result.exit_code == 1
    assert project.versions() == before
    assert (
        "failed at batch_alter_table t3 (add_column t3.x; "
        "drop_column t3.no_such_column)" in result.output
    )
    # On MySQL the table was made and dropped again; the batch, which
    # may have run half its statements, goes with it.
    assert "t3" not in project.tables()
