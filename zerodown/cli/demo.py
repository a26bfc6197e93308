"""``zerodown demo``: boot the compute stack end to end on this machine."""

from __future__ import annotations

from pathlib import Path

import click

from zerodown.cli.render import console

__all__ = ["demo"]


@click.command()
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where files and logs go (default: a new temporary directory).",
)
@click.option(
    "--database-url",
    help="A database to deploy on (default: SQLite in the work "
    "directory). PostgreSQL and MariaDB URLs work too.",
)
@click.option(
    "--transport-url",
    help="The broker (default: the embedded one in the work directory), "
    "e.g. amqp://guest:guest@127.0.0.1:5672//.",
)
@click.option(
    "--driver",
    type=click.Choice(["libvirt", "fake"]),
    default="libvirt",
    show_default=True,
    help="The computes' hypervisor driver (libvirt runs libvirt's test "
    "driver).",
)
def demo(
    workdir: Path | None,
    database_url: str | None,
    transport_url: str | None,
    driver: str,
) -> None:
    """Start api, conductor, scheduler and two computes as processes,
    boot NUMA-pinned, huge-page and PCI instances through the HTTP API,
    show where they landed, and stop cleanly."""
    from zerodown.compute.demo import run_demo

    result = run_demo(
        workdir,
        database_url=database_url,
        transport_url=transport_url,
        driver=driver,
        say=console().print,
    )
    if not result.ok:
        raise SystemExit(1)
