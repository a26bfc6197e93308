"""Broken inputs give one typed line and the documented exit code."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from zerodown.cli import main


def _one_line_error(result, pattern):
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    assert re.search(pattern, lines[0]), lines[0]


def test_broken_revision_script(project):
    (script,) = project.revision("broken")
    script.write_text(script.read_text() + "\ndef oops(:\n")
    result = project.zerodown("expand")
    _one_line_error(
        result,
        rf"revision script {re.escape(str(script))}:\d+ does not load: SyntaxError",
    )


def test_script_that_raises_on_import(project):
    (script,) = project.revision("raises")
    script.write_text(script.read_text() + "\nraise RuntimeError('boom')\n")
    result = project.zerodown("status")
    _one_line_error(result, r"does not load: RuntimeError: boom")


def test_two_heads_on_a_branch(project):
    (first,) = project.revision("one")
    (second,) = project.revision("two")
    parent = re.search(r"down_revision: .* = '(\w+)'", first.read_text())[1]
    text = second.read_text()
    text = re.sub(r"(down_revision: .* = )'\w+'", rf"\1'{parent}'", text)
    second.write_text(text)
    result = project.zerodown("expand")
    _one_line_error(result, r"branch 'expand' has 2 heads")


def test_contract_without_depends_on(project):
    _, contract = project.revision("pair", "--contract")
    text = re.sub(r"(depends_on: .* = )'\w+'", r"\1None", contract.read_text())
    contract.write_text(text)
    result = project.zerodown("contract")
    _one_line_error(result, r"does not depend on any expand revision")


@pytest.mark.parametrize(
    "url, pattern",
    [
        (
            "postgresql+psycopg://nobody:secret@127.0.0.1:1/none",
            r"cannot connect to the database at postgresql\+psycopg://nobody:\*\*\*@127\.0\.0\.1:1/none",
        ),
        (
            "mysql+pymysql://root@127.0.0.1:1/none",
            r"cannot connect to the database at mysql\+pymysql://root@127\.0\.0\.1:1/none",
        ),
        ("sqlite:////no/such/dir/x.sqlite", r"cannot connect to the database"),
    ],
)
def test_unreachable_database(project, url, pattern):
    result = project.zerodown("--database-url", url, "status")
    _one_line_error(result, pattern)
    assert "secret" not in result.output


def test_malformed_database_url(project):
    result = project.zerodown("--database-url", "not a url", "status")
    assert result.exit_code == 2
    assert "configuration error" in result.output


def test_missing_alembic_ini(tmp_path):
    result = CliRunner().invoke(
        main, ["db", "-c", str(tmp_path / "nope.ini"), "status"]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_init_refuses_to_overwrite(project):
    result = CliRunner().invoke(
        main,
        ["init", str(project.root / "migrations"), "--ini", str(project.ini)],
    )
    assert result.exit_code == 2
    assert "exists; not overwriting it" in result.output


TYPED = """
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.{type}),
)
"""


def test_autogenerate_refuses_a_type_conversion(project):
    project.zerodown("expand"), project.zerodown("contract")
    project.models(TYPED.format(type="String(20)"))
    project.revision("users", "--autogenerate")
    project.zerodown("expand")
    project.models(TYPED.format(type="Integer"))
    result = project.zerodown("revision", "-m", "retype", "--autogenerate")
    _one_line_error(
        result,
        r"cannot split a type change .* on users\.code .* "
        r"write it with the online operation change_column_type",
    )
    scripts = list(
        (project.root / "migrations" / "versions").rglob("*retype*")
    )
    assert scripts == []


def test_autogenerate_on_a_database_behind_the_heads(project):
    result = project.zerodown("revision", "-m", "x", "--autogenerate")
    _one_line_error(
        result, r"run 'zerodown db expand' and 'zerodown db contract'"
    )


def test_exit_codes_through_a_real_process(project):
    """The console script itself maps errors to exit codes."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "zerodown",
            "db",
            "-c",
            str(project.ini),
            "status",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 3, run.stderr
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "zerodown",
            "db",
            "-c",
            str(project.ini),
            "expand",
            "nope",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.strip().startswith("error: no revision 'nope'")
