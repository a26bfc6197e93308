"""``zerodown compute run SERVICE``: one service of the compute stack."""

from __future__ import annotations

import logging
from pathlib import Path

import click

__all__ = ["run"]

_BINARIES = ("api", "conductor", "scheduler", "compute")


@click.command("run")
@click.argument("binary", type=click.Choice(_BINARIES))
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The service's TOML file (see zerodown.compute.conf).",
)
@click.option("--database-url", help="Overrides database_url.")
@click.option("--transport-url", help="Overrides transport_url.")
@click.option("--host", help="Overrides host (the service's name).")
def run(
    binary: str,
    config_path: Path | None,
    database_url: str | None,
    transport_url: str | None,
    host: str | None,
) -> None:
    """Run BINARY until SIGTERM: api, conductor, scheduler or compute.

    It joins the deployment (refusing to start next to services its
    release no longer supports), prints "READY <binary> <host>" once it
    serves, and on SIGTERM stops consuming, records its stop and leaves.
    """
    from zerodown.compute import conf, service
    from zerodown.rpc import ContextFilter

    config = conf.load(
        config_path,
        database_url=database_url,
        transport_url=transport_url,
        host=host,
    )
    root = logging.getLogger()
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    for handler in root.handlers:
        handler.addFilter(ContextFilter())
        handler.setFormatter(
            logging.Formatter(
                f"%(asctime)s %(levelname)s {binary} "
                "[%(request_id)s] %(name)s: %(message)s"
            )
        )
    raise SystemExit(service.run(binary, config))
