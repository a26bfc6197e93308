"""``zerodown compute token ...``: tokens for the compute API, and the
keys they are signed with."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import click

__all__ = ["token"]


@click.group("token")
def token() -> None:
    """Make API tokens; add keys to a token key file."""


@token.command("create")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The API's TOML file: its [api] token_key_file signs.",
)
@click.option("--project", required=True, help="The project it acts for.")
@click.option("--user", required=True, help="Who it is.")
@click.option(
    "--role",
    type=click.Choice(["member", "admin"]),
    default="member",
    show_default=True,
)
@click.option(
    "--expires",
    default="1h",
    show_default=True,
    help="A duration (90s, 30m, 12h, 7d; at most 7d) or an ISO 8601 "
    "time with its offset.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["token", "json"]),
    help="The bare token (default), or JSON with its claims.",
)
@click.pass_context
def create(
    ctx: click.Context,
    config_path: Path,
    project: str,
    user: str,
    role: str,
    expires: str,
    fmt: str | None,
) -> None:
    """Print a token for PROJECT and USER with a role and an expiry.

    It is signed with the first key of the API's key file; every API
    with that key accepts it until it expires.  Treat it as a password.
    """
    from zerodown.compute import conf
    from zerodown.compute.api.keys import load_keys
    from zerodown.compute.api.tokens import issue, parse_expiry

    api = conf.load(config_path, environ={}).api
    if api.auth_mode() != "token":
        raise click.UsageError(f'{config_path} says [api] auth = "none"')
    keys = load_keys(api.token_key_file, api.token_audience)
    made, claims = issue(
        keys,
        project=project,
        user=user,
        roles=[role],
        lifetime=parse_expiry(expires),
    )
    # `zerodown compute --format json token create` works too.
    if (fmt or (ctx.obj or {}).get("format")) == "json":
        until = datetime.datetime.fromtimestamp(
            claims.expires_at, datetime.timezone.utc
        )
        data = {
            "token": made,
            "claims": claims.to_json(),
            "expires": until.isoformat(),
        }
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        click.echo(made)


@token.command("add-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def add_key_command(path: Path) -> None:
    """Add a new random key at the end of the key file PATH (made 0600
    if missing): it verifies tokens but signs none yet.

    Rotation: add-key, restart each API; promote-key where tokens are
    made; once the old key's tokens have expired (7 days at most),
    retire-key and restart each API again.
    """
    from zerodown.compute.api.keys import add_key

    add_key(path)
    click.echo(f"{path}: added a key at the end (verifies, does not sign)")


@token.command("promote-key")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def promote_key_command(path: str) -> None:
    """Move the last key of PATH first: new tokens are signed with it."""
    from zerodown.compute.api.keys import promote_key

    promote_key(path)
    click.echo(f"{path}: the last key is now first (signs)")


@token.command("retire-key")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def retire_key_command(path: str) -> None:
    """Remove the last key of PATH: tokens it signed stop working once
    the APIs restart."""
    from zerodown.compute.api.keys import retire_key

    retire_key(path)
    click.echo(f"{path}: removed the last key")
