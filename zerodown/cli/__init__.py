"""The ``zerodown`` command: thin wrappers over the packages' ``api``.

Each subcommand parses its arguments, calls one function of an ``api``
module and renders the result.  Errors of the :mod:`zerodown.exceptions`
tree become a one-line message on stderr and their ``exit_code``.
"""

from __future__ import annotations

import logging
from typing import Any

import click

from zerodown import __version__
from zerodown.exceptions import ZerodownError

__all__ = ["main"]


class ZerodownGroup(click.Group):
    """A click group that turns zerodown errors into exit codes."""

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


# Subcommand modules define their commands and never import this one; the
# command tree is listed here, in one visible place.
from zerodown.cli import (  # noqa: E402 - after main, which they extend
    compute,
    demo,
    grenade,
    migrations,
    objects,
    rpc,
    upgrade,
)

for _command in (
    migrations.init,
    migrations.db,
    objects.objects,
    rpc.rpc,
    compute.compute,
    demo.demo,
    upgrade.upgrade_check,
    upgrade.status,
    grenade.grenade,
):
    main.add_command(_command)
