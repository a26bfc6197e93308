"""The ``zerodown`` command: thin wrappers over the packages' ``api``.

Each subcommand parses its arguments, calls one function of an ``api``
module and renders the result.  Errors of the :mod:`zerodown.exceptions`
tree become a one-line message on stderr and their ``exit_code``.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

from zerodown import __version__
from zerodown.exceptions import ZerodownError

__all__ = ["main"]


# The command tree, in one visible place: name -> "module:attribute".
# A subcommand's module is imported only when that command runs (or help
# lists it), so a service started with ``zerodown compute run`` does not
# pay for Alembic, and the migrations commands do not pay for the
# compute stack.  Subcommand modules never import this one.
_COMMANDS = {
    "init": "zerodown.cli.migrations:init",
    "db": "zerodown.cli.migrations:db",
    "objects": "zerodown.cli.objects:objects",
    "rpc": "zerodown.cli.rpc:rpc",
    "compute": "zerodown.cli.compute:compute",
    "demo": "zerodown.cli.demo:demo",
    "upgrade-check": "zerodown.cli.upgrade:upgrade_check",
    "status": "zerodown.cli.upgrade:status",
    "grenade": "zerodown.cli.grenade:grenade",
}


class ZerodownGroup(click.Group):
    """A click group that loads its subcommands on first use and turns
    zerodown errors into exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS})

    def get_command(
        self, ctx: click.Context, cmd_name: str
    ) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _COMMANDS:
            module, _, attribute = _COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZerodownError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(err.exit_code)


@click.group(
    cls=ZerodownGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="zerodown")
@click.option(
    "-v", "--verbose", count=True, help="Log more (-v info, -vv debug)."
)
def main(verbose: int) -> None:
    """Upgrade a distributed service with zero downtime.

    Schema changes are split into an additive expand phase that runs
    while the old release still serves, and a destructive contract phase
    that runs once nothing old remains.
    """
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s"
    )
