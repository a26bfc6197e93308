"""``zerodown db lint`` (CliRunner, no database)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from zerodown.cli import main

RENAME = 'op.alter_column("users", "name", new_column_name="full_name")'
INDEX = 'op.create_index("ix_users_email", "users", ["email"])'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    result = CliRunner().invoke(
        main,
        [
            "init",
            str(tmp_path / "migrations"),
            "--ini",
            str(tmp_path / "alembic.ini"),
        ],
    )
    assert result.exit_code == 0, result.output
    return tmp_path


def add_revision(project: Path, body: str, header: str = "") -> Path:
    folder = project / "migrations" / "versions" / "expand"
    base = next(folder.glob("*_expand_base.py")).name.split("_")[0]
    script = folder / "ffff00000001_change.py"
    script.write_text(
        f'''"""change"""
import sqlalchemy as sa
from alembic import op
from zerodown.migrations import waive

revision = "ffff00000001"
down_revision = "{base}"
branch_labels = None
depends_on = None
{textwrap.dedent(header)}

def upgrade():
    {body}


def downgrade():
    pass
'''
    )
    return script


def lint(project: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(
        main,
        ["db", "-c", str(project / "alembic.ini"), "lint", *args],
        env=env,
    )


def test_a_clean_project_exits_0(project):
    result = lint(project)
    assert result.exit_code == 0, result.output
    assert "lint: 0 error(s), 0 warning(s), 0 waived" in result.output


def test_an_error_exits_1_with_the_rule_and_its_recipe(project):
    add_revision(project, RENAME)
    result = lint(project)
    assert result.exit_code == 1, result.output
    assert "renaming-column" in result.output
    assert "ffff00000001_change.py:13" in result.output
    assert "fix: zop.rename_column" in result.output
    assert "lint: 1 error(s)" in result.output


def test_json_for_machines(project):
    add_revision(project, RENAME)
    result = lint(project, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["errors"] == 1
    (finding,) = report["findings"]
    assert finding["rule"] == "renaming-column"
    assert finding["phase"] == "expand"
    assert finding["revision"] == "ffff00000001"
    assert finding["target"] == "users.name"


def test_the_dialect_defaults_to_the_database_urls(project):
    add_revision(project, INDEX)
    assert lint(project).exit_code == 0  # sqlite: no concurrent build
    result = lint(project, "--dialect", "postgresql")
    assert result.exit_code == 1
    assert "require-concurrent-index-creation" in result.output
    url = {"ZERODOWN_DATABASE_URL": "postgresql+psycopg://u@db.invalid/x"}
    assert lint(project, env=url).exit_code == 1


def test_the_server_version_decides(project):
    add_revision(
        project,
        'op.add_column("users", sa.Column("n", sa.Integer(), '
        'server_default="0"))',
    )
    old = lint(project, "--dialect", "postgresql", "--server-version", "10")
    assert old.exit_code == 1 and "adding-field-with-default" in old.output
    new = lint(project, "--dialect", "postgresql", "--server-version", "16")
    assert new.exit_code == 0, new.output


def test_paths_limit_what_is_linted(project, tmp_path):
    script = add_revision(project, RENAME)
    other = tmp_path / "elsewhere" / "expand"
    other.mkdir(parents=True)
    assert lint(project, str(other)).exit_code == 0
    assert lint(project, str(script)).exit_code == 1


def test_waived_findings_pass_and_show_on_request(project):
    add_revision(
        project,
        INDEX,
        header='lint_waivers = [waive("require-concurrent-index-creation", '
        '"ix_users_email", reason="users holds 12 rows")]',
    )
    result = lint(project, "--dialect", "postgresql")
    assert result.exit_code == 0, result.output
    assert "1 waived" in result.output and "12 rows" not in result.output
    shown = lint(project, "--dialect", "postgresql", "--show-waived")
    assert "waived: users holds 12 rows" in shown.output


def test_the_engines_lock_timeout_turned_off_is_reported(project):
    add_revision(project, INDEX)
    off = {"ZERODOWN_LOCK_TIMEOUT": "0"}
    result = lint(project, "--dialect", "mysql", env=off)
    assert result.exit_code == 0
    assert "require-lock-timeout" in result.output
    assert (
        "require-lock-timeout"
        not in lint(project, "--dialect", "mysql").output
    )


def test_bad_input_is_a_usage_error(project):
    assert lint(project, "--dialect", "oracle").exit_code == 2
    result = lint(project, "--dialect", "mysql", "--server-version", "new")
    assert result.exit_code == 2
    assert "not a server version" in result.output
    assert lint(project, str(project / "missing.py")).exit_code == 2


def test_a_broken_script_is_reported_not_crashed_on(project):
    script = add_revision(project, "pass")
    script.write_text("def upgrade(:\n")
    result = lint(project)
    assert result.exit_code == 1
    assert "does not load" in result.output
