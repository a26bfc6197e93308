"""``zerodown grenade JOBFILE``: run an upgrade job."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["grenade"]


@click.command()
@click.argument(
    "jobfile", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The git clone whose history holds both releases.",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".grenade"),
    show_default=True,
    help="Worktrees, virtualenvs, logs and the report.",
)
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override one of the job's [vars] (repeatable), e.g. "
    "--var database_url=postgresql+psycopg://...",
)
def grenade(
    jobfile: Path, repo: Path, workdir: Path, variables: tuple[str, ...]
) -> None:
    """Upgrade a deployment from the job's old ref to its new one, phase
    by phase, under load.

    Exit 0 when every phase passed (the report says whether the load
    targets were met), 2 for a bad job file, 10 + the phase's index when
    a phase failed.
    """
    from zerodown.grenade.job import load_job
    from zerodown.grenade.runner import Runner

    overrides: dict[str, str] = {}
    for item in variables:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(
                f"{item!r} is not NAME=VALUE", param_hint="--var"
            )
        overrides[name] = value
    job = load_job(jobfile.resolve(), overrides)
    summary = Runner(job, repo.resolve(), workdir.resolve(), click.echo).run()
    if summary is not None:
        click.echo(
            f"load: {summary.requests} requests, {summary.failed} failed; "
            f"report in {workdir / 'report'}"
        )
