"""``zerodown upgrade-check`` and ``zerodown status``: the operator's
view of a rolling upgrade."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from zerodown.cli.options import database_options, format_option
from zerodown.cli.render import console, table
from zerodown.config import Config, load_config

__all__ = ["status", "upgrade_check"]


def _options(fn: Any) -> Any:
    for option in reversed(
        [
            database_options(),
            click.option(
                "--history",
                "service_history",
                metavar="MODULE:ATTR",
                help="The project's ServiceHistory.",
            ),
            format_option(),
        ]
    ):
        fn = option(fn)
    return fn


def _config(
    alembic_ini: Path, database_url: str | None, service_history: str | None
) -> Config:
    return load_config(
        alembic_ini,
        pyproject=Path("pyproject.toml"),
        overrides={
            "database_url": database_url,
            "service_history": service_history,
        },
    )


@click.command("upgrade-check")
@_options
def upgrade_check(
    alembic_ini: Path,
    database_url: str | None,
    service_history: str | None,
    fmt: str,
) -> None:
    """May the next release start?  Run with the new release's code.

    Checks that the schema is expanded, the previous release's data
    migrations are done, and no running service is older than the new
    release supports.  Exit 0 all passed, 1 a warning, 2 a failure.
    """
    from zerodown.upgrade.checks import run_checks

    report = run_checks(_config(alembic_ini, database_url, service_history))
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        console().print(
            table(
                "check",
                "result",
                "details",
                rows=(
                    (r.name, r.code.name.lower(), r.details)
                    for r in report.results
                ),
            )
        )
    raise SystemExit(report.exit_code)


@click.command("status")
@_options
def status(
    alembic_ini: Path,
    database_url: str | None,
    service_history: str | None,
    fmt: str,
) -> None:
    """The deployment: services, RPC caps, schema heads, pending data
    migrations and the contract gate."""
    from zerodown.upgrade.status import gather

    found = gather(_config(alembic_ini, database_url, service_history))
    if fmt == "json":
        click.echo(json.dumps(found.to_json(), indent=2))
        return
    out = console()
    if found.project:
        out.print(
            f"{found.project}: this code is service version "
            f"{found.release_version}"
        )
    out.print(
        table(
            "binary",
            "host",
            "version",
            "state",
            "last heartbeat (UTC)",
            "signing",
            "unsigned in",
            "refused",
            rows=(
                (
                    s["binary"],
                    s["host"],
                    str(s["version"]),
                    s["state"],
                    s["last_heartbeat"] or "-",
                    s["rpc_signing"] or "-",
                    _count(s["rpc_unsigned"]),
                    _count(s["rpc_refused"]),
                )
                for s in found.services
            ),
        )
    )
    unsigned = [s for s in found.services if s["rpc_signing"] != "required"]
    if found.services and unsigned:
        out.print(
            "message signing is not required by: "
            + ", ".join(f"{s['binary']} on {s['host']}" for s in unsigned)
        )
    out.print()
    out.print(
        table(
            "API",
            "cap",
            "why",
            rows=(
                (c["api"], c["cap"] or "none (latest)", c["reason"])
                for c in found.caps
            ),
        )
    )
    out.print()
    out.print(
        table(
            "branch",
            "current",
            "head",
            "pending",
            rows=(
                (
                    b["branch"],
                    b["current"] or "-",
                    b["head"] or "-",
                    ", ".join(b["pending"]) or "-",
                )
                for b in found.schema
            ),
        )
    )
    migrations = ", ".join(
        f"{m['name']} ({m['error'] or 'rows left'})"
        for m in found.data_migrations
    )
    out.print(f"\ndata migrations with rows left: {migrations or 'none'}")
    gate = found.gate
    if gate:
        state = "open" if gate["open"] else "closed"
        reasons = [r for c in gate["checks"] for r in c["reasons"]]
        out.print(
            f"contract gate: {state}"
            + ("".join(f"\n  - {r}" for r in reasons) if reasons else "")
        )
    for part, error in found.errors.items():
        out.print(f"{part}: cannot read: {error}")


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)
