"""Every command's --help works and describes the command."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from zerodown.cli import main

# ``literal``, `role`, :role:`x`, **strong**, a ".. directive::"
_RST = re.compile(r"`[^`\n]*`|:[a-z]+:`|\*\*\S|^\s*\.\. \w+::", re.M)


def _commands(group: click.Group, path=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


@pytest.mark.parametrize(
    "path, command",
    list(_commands(main)),
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else "",
)
def test_help(path, command):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert (
        f"Usage: main {' '.join(path)}" in result.output
        or f"Usage: zerodown {' '.join(path)}" in result.output
    )
    first_line = (command.help or "").strip().splitlines()[0]
    assert first_line and first_line in result.output
    # Written for a terminal: no reStructuredText markup.
    markup = _RST.findall(result.output)
    assert not markup, f"reStructuredText in --help: {markup}"


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "zerodown" in result.output


def test_a_service_start_imports_no_migration_tooling():
    """``zerodown compute run`` loads only its own command: Alembic and
    the migrations package are half a second of CPU a process start."""
    code = (
        "import sys; from zerodown.cli import main; "
        "main.get_command(None, 'compute'); "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] == 'alembic' or m.startswith('zerodown.migrations')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"
