"""Every command's --help works and describes the command."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from zerodown.cli import main

# ``literal``, `role`, :role:`x`, **strong**, a ".. directive::"
_RST = re.compile(r"`[^`\n]*`|:[a-z]+:`|\*\*\S|^\s*\.\. \w+::", re.M)


def _commands(group: click.Group, path=()):
    for name, command in group.commands.items():
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
