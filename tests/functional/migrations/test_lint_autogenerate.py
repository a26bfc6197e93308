"""Autogenerate lints the scripts it writes, for the project's backend."""

from __future__ import annotations

import logging

from zerodown.config import load_config
from zerodown.migrations import command

RELEASE_1 = """
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
)
"""
# Autogenerate writes the new column to expand as it is (old code ignores
# it), but a default computed per row makes the backend rewrite the table.
RELEASE_2 = RELEASE_1.replace(
    "primary_key=True),",
    'primary_key=True),\n    sa.Column("token", sa.String(36), '
    'server_default=sa.text("gen_random_uuid()")),',
)


def _release_1(project) -> None:
    for phase in ("expand", "contract"):
        assert project.zerodown(phase).exit_code == 0
    project.models(RELEASE_1)
    project.revision("users", "--autogenerate")
    for phase in ("expand", "contract"):
        assert project.zerodown(phase).exit_code == 0
    project.models(RELEASE_2)


def test_revision_shows_the_findings_of_what_it_wrote(project):
    _release_1(project)
    result = project.zerodown("revision", "-m", "token", "--autogenerate")
    assert result.exit_code == 0, result.output
    assert "created " in result.output
    assert "volatile-default" in result.output
    assert "users.token with the default" in result.output
    assert "gen_random_uuid()" in result.output
    # SQLite has no online alternative: a warning there, an error elsewhere.
    errors = 0 if project.database.url.startswith("sqlite") else 1
    assert f"lint: {errors} error(s)" in result.output


def test_without_a_listener_the_findings_are_logged(project, caplog):
    _release_1(project)
    config = load_config(project.ini, environ={})
    with caplog.at_level(
        logging.WARNING, logger="zerodown.migrations.command"
    ):
        written = command.revision(config, "token", autogenerate=True)
    assert len(written) == 1
    assert any(
        "volatile-default" in record.getMessage() for record in caplog.records
    )


def test_a_listener_receives_the_findings(project):
    _release_1(project)
    config = load_config(project.ini, environ={})
    seen = []
    command.revision(config, "token", autogenerate=True, on_lint=seen.extend)
    assert [(f.rule, f.phase.value) for f in seen] == [
        ("volatile-default", "expand")
    ]
