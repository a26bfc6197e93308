"""Options several command groups share, written once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["database_options", "format_option"]

F = TypeVar("F", bound=Callable[..., Any])


def database_options(
    config_help: str = "The project's alembic.ini.",
    url_help: str = "The deployment's database.",
) -> Callable[[F], F]:
    """``-c/--config`` (the alembic.ini, also ``$ZERODOWN_CONFIG``) into
    ``alembic_ini``, and ``--database-url`` into ``database_url``: what a
    command needs to find a project's settings and its database."""

    def decorate(fn: F) -> F:
        fn = click.option("--database-url", default=None, help=url_help)(fn)
        return click.option(
            "-c",
            "--config",
            "alembic_ini",
            default="alembic.ini",
            show_default=True,
            envvar="ZERODOWN_CONFIG",
            type=click.Path(path_type=Path),
            help=config_help,
        )(fn)

    return decorate


def format_option(help: str | None = None) -> Callable[[F], F]:
    """``--format table|json`` into ``fmt`` (default ``table``): how a
    command that lists things prints them."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help=help,
    )
