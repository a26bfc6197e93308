"""A project's life through the CLI: init, autogenerate, expand, contract."""

from __future__ import annotations

import json

from alembic.config import main as alembic_main

from zerodown.testing.schema import snapshot

RELEASE_1 = """
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("fax", sa.String(30)),
)
"""

RELEASE_2 = """
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("email", sa.String(100), nullable=False),
    sa.Index("ix_users_name", "name"),
)
"""


def upgrade_of(script):
    text = script.read_text()
    return text[text.index("def upgrade") : text.index("def downgrade")]


def test_status_reports_pending_work_with_exit_3(project):
    result = project.zerodown("status", "--format", "json")
    assert result.exit_code == 3
    state = json.loads(result.output)
    assert state["up_to_date"] is False
    assert len(state["branches"]["expand"]["pending"]) == 1
    assert len(state["branches"]["contract"]["pending"]) == 1


def test_release_to_release_through_expand_and_contract(project):
    assert project.zerodown("expand").exit_code == 0
    assert project.zerodown("contract").exit_code == 0
    project.models(RELEASE_1)
    (first,) = project.revision("create users", "--autogenerate")
    assert "expand" in first.parts
    assert project.zerodown("expand").exit_code == 0
    assert "users" in project.tables()

    project.models(RELEASE_2)
    expand, contract = project.revision(
        "email, index, no fax", "--autogenerate"
    )
    expand_text, contract_text = upgrade_of(expand), upgrade_of(contract)
    # The NOT NULL column arrives nullable; the tightening waits.
    assert "add_column(sa.Column('email'" in expand_text
    assert "nullable=True" in expand_text
    assert (
        "zop.create_index('ix_users_name', 'users', ['name'])" in expand_text
    )
    assert "drop_column" not in expand_text
    assert "drop_column('fax')" in contract_text
    # NOT NULL arrives once the old release is gone, online.
    assert "zop.set_not_null('users', 'email')" in contract_text
    expand_id = expand.stem.split("_")[0]
    assert f"None = '{expand_id}'" in contract.read_text()  # depends_on

    assert project.zerodown("expand").exit_code == 0
    state = json.loads(project.zerodown("status", "--format", "json").output)
    assert state["branches"]["expand"]["pending"] == []
    assert len(state["branches"]["contract"]["pending"]) == 1
    assert project.zerodown("contract").exit_code == 0
    assert project.zerodown("status").exit_code == 0

    history = project.zerodown("history")
    assert history.exit_code == 0
    assert "email, index, no fax" in history.output
    diff = project.zerodown("revision", "-m", "nothing", "--autogenerate")
    assert diff.exit_code == 0


def test_plain_alembic_does_what_zerodown_does(project):
    project.models(RELEASE_1)
    project.zerodown("expand"), project.zerodown("contract")
    project.revision("create users", "--autogenerate")
    alembic_main(["-c", str(project.ini), "downgrade", "base"])
    assert project.versions() == set()

    assert project.zerodown("expand").exit_code == 0
    with project.database.engine.connect() as conn:
        by_zerodown = snapshot(conn)
    zerodown_versions = project.versions()
    assert "users" in by_zerodown

    alembic_main(["-c", str(project.ini), "downgrade", "base"])
    assert project.versions() == set()
    alembic_main(["-c", str(project.ini), "upgrade", "expand@head"])
    with project.database.engine.connect() as conn:
        assert snapshot(conn) == by_zerodown
    assert project.versions() == zerodown_versions


def test_sql_mode_prints_ddl_and_touches_nothing(project):
    project.zerodown("expand"), project.zerodown("contract")
    project.models(RELEASE_1)
    project.revision("create users", "--autogenerate")
    result = project.zerodown("expand", "--sql")
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE users" in result.output
    assert "users" not in project.tables()


def test_revision_with_contract_twin(project):
    expand, contract = project.revision("rename soon", "--contract")
    assert "expand" in expand.parts and "contract" in contract.parts
    assert expand.stem.split("_")[0] in contract.read_text()
    assert project.zerodown("check").exit_code == 0
