"""``zerodown init`` and ``zerodown db ...``: the migration engine's CLI."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from zerodown.cli import progress
from zerodown.cli.findings import findings_json, print_findings
from zerodown.cli.options import database_options, format_option
from zerodown.cli.render import console, table
from zerodown.config import Config, load_config
from zerodown.exceptions import EXIT_NOT_SAFE_YET, ConfigError, ZerodownError
from zerodown.migrations import command, gate
from zerodown.migrations.lint import Finding


@click.command()
@click.argument(
    "directory", default="migrations", type=click.Path(path_type=Path)
)
@click.option(
    "--ini",
    "alembic_ini",
    default="alembic.ini",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where to write alembic.ini.",
)
@click.option(
    "--database-url", help="sqlalchemy.url to write into alembic.ini."
)
def init(directory: Path, alembic_ini: Path, database_url: str | None) -> None:
    """Scaffold an Alembic environment with expand and contract branches.

    Writes alembic.ini, DIRECTORY/env.py wired to zerodown, and the base
    revisions of the two branches in DIRECTORY/versions/expand and
    DIRECTORY/versions/contract.  Existing files are never overwritten.
    """
    result = command.init(directory, alembic_ini, database_url)
    for path in result.written:
        click.echo(f"created {path}")


@click.group()
@database_options(
    url_help="Database URL; overrides alembic.ini and ZERODOWN_DATABASE_URL."
)
@click.pass_context
def db(
    ctx: click.Context, alembic_ini: Path, database_url: str | None
) -> None:
    """Expand/contract schema migrations (Alembic underneath)."""
    ctx.obj = load_config(
        alembic_ini,
        pyproject=Path("pyproject.toml"),
        overrides={"database_url": database_url},
    )


pass_config = click.make_pass_decorator(Config)


F = TypeVar("F", bound=Callable[..., Any])


def _sql_options(fn: F) -> F:
    fn = click.option(
        "--from",
        "from_revision",
        default=None,
        help="With --sql: the revision the database is at.",
    )(fn)
    fn = click.option(
        "--sql",
        is_flag=True,
        help="Print the SQL instead of running it (offline mode).",
    )(fn)
    return click.argument("revision", required=False)(fn)


@db.command()
@_sql_options
@pass_config
def expand(
    config: Config, revision: str | None, sql: bool, from_revision: str | None
) -> None:
    """Run additive changes, safe while the old release serves.

    Upgrades the expand branch to REVISION (default: its head); the same
    as 'alembic upgrade expand@head'.
    """
    _report(command.expand(config, revision, sql, from_revision), "expand")


@db.command()
@_sql_options
@click.option(
    "--force",
    is_flag=True,
    help="Run even though the contract gate is closed (warned and "
    "recorded in zerodown_gate_overrides).",
)
@pass_config
def contract(
    config: Config,
    revision: str | None,
    sql: bool,
    from_revision: str | None,
    force: bool,
) -> None:
    """Run destructive changes, once no old service remains.

    Upgrades the contract branch to REVISION (default: its head); the same
    as 'alembic upgrade contract@head', after the contract gate: it
    refuses (exit 3, with its reasons) while an expand revision it needs
    is not applied, a data migration still finds rows, a live service is
    older than the revisions require, or lint finds an error.
    """
    result = command.contract(config, revision, sql, from_revision, force)
    _report(result, "contract")


def _report(sql: str | None, phase: str) -> None:
    if sql is not None:
        click.echo(sql, nl=False)
    else:
        click.echo(f"{phase}: done", err=True)


@db.command()
@format_option()
@pass_config
def status(config: Config, fmt: str) -> None:
    """Show each branch's revision, head and pending revisions.

    Exits 0 when the database is at both heads and 3 when work is pending.
    """
    state = command.status(config)
    if fmt == "json":
        click.echo(json.dumps(_status_json(state), indent=2))
    else:
        rows = [
            (
                str(b.phase),
                b.current or "-",
                b.head,
                ", ".join(b.pending) or "none",
            )
            for b in state.branches
        ]
        console().print(
            table("branch", "current", "head", "pending", rows=rows)
        )
        _print_gate(state.gate)
    sys.exit(0 if state.up_to_date else EXIT_NOT_SAFE_YET)


def _print_gate(report: gate.GateReport) -> None:
    if not report.checks:
        click.echo("contract gate: nothing to contract")
        return
    click.echo(f"contract gate: {'open' if report.open else 'closed'}")
    for check in report.checks:
        mark = "ok" if check.passed else "WAIT"
        click.echo(f"  {mark:4} {check.name}")
        for reason in check.reasons:
            click.echo(f"       {reason}")


def _status_json(state: command.Status) -> dict[str, object]:
    return {
        "up_to_date": state.up_to_date,
        "gate": {
            "open": state.gate.open,
            "checks": {
                c.name: {"passed": c.passed, "reasons": list(c.reasons)}
                for c in state.gate.checks
            },
        },
        "branches": {
            str(b.phase): {
                "current": b.current,
                "head": b.head,
                "pending": list(b.pending),
            }
            for b in state.branches
        },
    }


@db.command()
@pass_config
def history(config: Config) -> None:
    """List every revision, newest first, with its phase."""
    rows = [
        (
            str(e.phase or "-"),
            e.revision + (" (head)" if e.is_head else ""),
            ", ".join(e.down_revision) or "-",
            ", ".join(e.depends_on) or "-",
            e.message.splitlines()[0] if e.message else "",
        )
        for e in command.history(config)
    ]
    console().print(
        table(
            "branch", "revision", "revises", "depends on", "message", rows=rows
        )
    )


@db.command()
@click.option("-m", "--message", required=True, help="What the change does.")
@click.option(
    "--autogenerate",
    is_flag=True,
    help="Compare the models with the database and split the changes.",
)
@click.option(
    "--contract",
    "with_contract",
    is_flag=True,
    help="Also write an (empty) contract script depending on the expand one.",
)
@pass_config
def revision(
    config: Config, message: str, autogenerate: bool, with_contract: bool
) -> None:
    """Write a new expand script and, when needed, its contract twin.

    With --autogenerate, additive changes go to the expand script and
    destructive or tightening ones to a contract script that depends on
    it; a rename or type conversion is refused with the online operation
    that performs it safely.  The scripts written are linted.
    """
    found: list[Finding] = []
    for path in command.revision(
        config, message, autogenerate, with_contract, on_lint=found.extend
    ):
        click.echo(f"created {path}")
    if found:
        print_findings(found)


@db.command()
@pass_config
def check(config: Config) -> None:
    """Validate the layout: one head per branch, contract dependencies."""
    loaded = command.check(config)
    click.echo(
        f"ok: {len(loaded.all_revisions())} revisions in {loaded.location}"
    )


@db.command()
@click.argument(
    "paths", nargs=-1, type=click.Path(exists=True, path_type=Path)
)
@click.option(
    "--dialect",
    type=click.Choice(["postgresql", "mysql", "mariadb", "sqlite"]),
    default=None,
    help="The backend to judge for; default: the database URL's.",
)
@click.option(
    "--server-version",
    default=None,
    help="The server's version (15.4, 8.0.36, 10.11.6-MariaDB); default: "
    "an old release still in wide use (PostgreSQL 13, MySQL 8.0, "
    "MariaDB 10.6).",
)
@format_option()
@click.option("--show-waived", is_flag=True, help="Also list waived findings.")
@pass_config
def lint(
    config: Config,
    paths: tuple[Path, ...],
    dialect: str | None,
    server_version: str | None,
    fmt: str,
    show_waived: bool,
) -> None:
    """Find operations that lock, rewrite or break what is running.

    Reads PATHS (revision files or folders; default: the project's
    revisions) without importing them or touching a database, and reports
    each operation that takes a blocking lock, rewrites a table, breaks
    the release still running or sits in the wrong phase, with its safe
    recipe.  Exits 1 when an error is found that no waiver covers.
    """
    findings = command.lint(config, paths, dialect, server_version)
    if fmt == "json":
        click.echo(json.dumps(findings_json(findings), indent=2))
    else:
        print_findings(findings, show_waived)
    sys.exit(1 if any(f.blocking for f in findings) else 0)


# Nova's online_data_migrations exit codes, which scripts loop on.
EXIT_MORE_REMAINS = 1
EXIT_MIGRATION_FAILED = 2
EXIT_BAD_INPUT = 127


class _BadInput(click.UsageError):
    exit_code = EXIT_BAD_INPUT


class _NovaUsage(click.Command):
    """A command whose usage errors exit 127, as nova-manage's do."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as err:
            raise _BadInput(err.message, err.ctx) from err


@db.command(cls=_NovaUsage)
@click.option(
    "--max-count",
    type=click.IntRange(min=1),
    default=None,
    help="Migrate at most N rows in this run (default: until done).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help="Rows per batch, fixed (default: adapts to migrate_batch_time).",
)
@click.option(
    "--sleep",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds to pause after each batch (default: migrate_sleep).",
)
@click.option(
    "--max-duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Start no batch after this many seconds.",
)
@click.option(
    "--max-impact",
    type=click.FloatRange(min=1, min_open=True),
    default=None,
    help="Latency budget: keep a probe transaction's p99 within this "
    "multiple of its p99 before the run (e.g. 2.0), pacing batch size and "
    "pause (default: migrate_max_impact, unset: no budget).",
)
@click.option(
    "--max-load",
    metavar="NAME=VALUE",
    multiple=True,
    help="Pause while a database signal is above VALUE: active, "
    "lock_waits, or a MySQL/MariaDB global status variable.  Repeatable "
    "(default: migrate_max_load).",
)
@click.option(
    "--critical-load",
    metavar="NAME=VALUE",
    multiple=True,
    help="Stop (cursor saved, exit code 3) when a signal is above VALUE.  "
    "Repeatable (default: migrate_critical_load).",
)
@click.option(
    "--replica",
    "replicas",
    metavar="URL",
    multiple=True,
    help="A replica whose lag to watch (with --max-replica-lag).  "
    "Repeatable (default: migrate_replicas).",
)
@click.option(
    "--max-replica-lag",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Pause while any replica is further behind (default: "
    "migrate_max_replica_lag).",
)
@format_option("json: one JSON line per batch (and per event) on stdout.")
@pass_config
def migrate(
    config: Config,
    max_count: int | None,
    batch_size: int | None,
    sleep: float | None,
    max_duration: float | None,
    max_impact: float | None,
    max_load: tuple[str, ...],
    critical_load: tuple[str, ...],
    replicas: tuple[str, ...],
    max_replica_lag: float | None,
    fmt: str,
) -> None:
    """Run the data migrations in small batches, resumably.

    Runs the backfills of online operations, the data_migrations of the
    applied revisions and of the modules the data_migrations setting
    names; one transaction per batch, the batch size adapted to a target
    time per batch, backing off while the database is busy.  With
    --max-impact it paces itself to a latency budget; with --max-load and
    --max-replica-lag it pauses while the database is loaded or a replica
    lags.  A killed run resumes where it stopped.  Exit codes (Nova's): 0
    nothing left to do, 1 progress made and more remains (run again), 2 a
    migration failed; 3 stopped by --critical-load (cursor saved, run
    again later); 127 bad arguments or settings.
    """
    run = functools.partial(
        command.migrate,
        config,
        max_count=max_count,
        batch_size=batch_size,
        sleep=sleep,
        max_duration=max_duration,
        throttle=command.ThrottleFlags(
            max_impact=max_impact,
            max_load=max_load or None,
            critical_load=critical_load or None,
            replicas=replicas or None,
            max_replica_lag=max_replica_lag,
        ),
    )
    try:
        if fmt == "json":
            result = run(on_event=progress.json_lines)
            click.echo(json.dumps(result.json()))
        else:
            with progress.progress_bars() as bars:
                result = run(on_event=bars, estimate=bars is not None)
            progress.summary(result)
    except ConfigError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except ZerodownError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_MIGRATION_FAILED)
    sys.exit(result.exit_code)
