"""``zerodown rpc ...``: version caps, services and dead letters."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zerodown.cli.options import database_options
from zerodown.cli.render import console, table
from zerodown.config import Config, load_config

if TYPE_CHECKING:
    from zerodown.rpc.settings import RPCSettings
    from zerodown.services import ServiceRecord

__all__ = ["rpc"]

pass_config = click.make_pass_decorator(Config)


def _settings(config: Config) -> RPCSettings:
    # zerodown.rpc imports kombu and o.vo: only rpc commands pay for it.
    from zerodown.rpc.settings import RPCSettings

    return config.settings(RPCSettings)


@click.group()
@database_options(
    config_help="The project's alembic.ini (read if it exists).",
    url_help="The deployment's database (its services table).",
)
@click.option(
    "--transport-url",
    default=None,
    help="The message broker (amqp://..., embedded:///path).",
)
@click.option(
    "--history",
    "service_history",
    metavar="MODULE:ATTR",
    default=None,
    help="The project's ServiceHistory.",
)
@click.pass_context
def rpc(
    ctx: click.Context,
    alembic_ini: Path,
    database_url: str | None,
    transport_url: str | None,
    service_history: str | None,
) -> None:
    """Versioned RPC: caps, services, dead letters.

    Settings come from [zerodown] in alembic.ini, [tool.zerodown] in
    pyproject.toml, ZERODOWN_* variables and these options.
    """
    ctx.obj = load_config(
        alembic_ini if alembic_ini.exists() else None,
        pyproject=Path("pyproject.toml"),
        overrides={
            "database_url": database_url,
            "transport_url": transport_url,
            "service_history": service_history,
        },
    )


@rpc.command("caps")
@pass_config
def caps_command(config: Config) -> None:
    """Print the version cap of each API and why.

    This is what clients with version_cap="auto" use now: the RPC version
    spoken by the oldest running service of the API's binary, from the
    services table and the project's service history.
    """
    from zerodown.rpc import command

    report = command.caps(_settings(config))
    out = console()
    out.print(
        f"{report.project}: this release is service version {report.current}"
    )
    out.print(
        table(
            "API",
            "binary",
            "cap",
            "oldest running",
            "on",
            "why",
            rows=(
                (
                    d.api,
                    d.binary,
                    d.cap or "none (latest)",
                    "-" if d.min_version is None else str(d.min_version),
                    ", ".join(d.hosts) or "-",
                    d.reason,
                )
                for d in report.decisions
            ),
        )
    )
    out.print()
    out.print(
        table(
            "binary",
            "host",
            "version",
            "state",
            "last heartbeat (UTC)",
            rows=(
                (
                    s.binary,
                    s.host,
                    str(s.version),
                    _state(s, report.live),
                    _time(s.last_seen_up),
                )
                for s in report.services
            ),
        )
    )


def _state(record: ServiceRecord, live: set[tuple[str, str]]) -> str:
    if (record.host, record.binary) in live:
        return "up"
    if record.forced_down:
        return "forced down"
    if record.stopped_at is not None:
        return "stopped"
    return "down"


def _time(value: datetime.datetime | None) -> str:
    return "-" if value is None else value.isoformat(" ", "seconds")


@rpc.command("dead-letters")
@click.option("--limit", default=100, show_default=True, type=int)
@click.option(
    "--purge", is_flag=True, help="Drop them all after listing them."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.option(
    "--refused",
    is_flag=True,
    help="The sample of refused messages (unsigned, forged, expired, "
    "replayed, misdirected, oversized, unreadable) instead.",
)
@pass_config
def dead_letters_command(
    config: Config, limit: int, purge: bool, as_json: bool, refused: bool
) -> None:
    """List casts that servers could not dispatch.

    A cast of a version or method no server serves, with arguments its
    method cannot take or an object it cannot read is kept in the
    dead-letter queue (not acknowledged and lost, as with
    oslo.messaging).  Refused input - a message that does not prove who
    sent it or cannot be read - is counted, and a sample of it is kept
    apart (--refused), so garbage cannot push out a real dead letter.
    Listing leaves them there.
    """
    from zerodown.rpc import command

    settings = _settings(config)
    letters = command.dead_letters(settings, limit, refused)
    if as_json:
        for letter in letters:
            record = letter.to_wire()
            record["received_at"] = letter.received_at.isoformat()
            record["body"] = len(letter.body)
            click.echo(json.dumps(record, sort_keys=True))
    else:
        console().print(
            table(
                "received (UTC)",
                "topic",
                "server",
                "method",
                "version",
                "reason",
                "request",
                "error",
                rows=(
                    (
                        _time(d.received_at.replace(tzinfo=None)),
                        d.topic,
                        d.server or "-",
                        d.method,
                        d.version,
                        d.reason,
                        d.request_id,
                        d.error,
                    )
                    for d in letters
                ),
            )
        )
        click.echo(f"{len(letters)} dead letter(s)", err=True)
    if purge:
        dropped = command.purge_dead_letters(settings, refused)
        click.echo(f"purged {dropped} dead letter(s)", err=True)
