"""``zerodown compute ...``: run the compute stack's services, make
tokens for its HTTP API, and a client of that API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from zerodown.cli.compute_run import run
from zerodown.cli.compute_token import token
from zerodown.cli.options import format_option
from zerodown.cli.render import console, table

if TYPE_CHECKING:
    from zerodown.compute.client import ComputeClient

__all__ = ["compute"]


@click.group()
@click.option(
    "--api-url",
    envvar="ZERODOWN_API_URL",
    default="http://127.0.0.1:8774",
    show_default=True,
    help="The compute API (client commands).",
)
@click.option(
    "--token",
    "auth_token",
    envvar="ZERODOWN_TOKEN",
    help="The API token ('token create'); prefer ZERODOWN_TOKEN, which "
    "other users cannot see in the process list.",
)
@format_option()
@click.pass_context
def compute(
    ctx: click.Context, api_url: str, auth_token: str | None, fmt: str
) -> None:
    """The compute stack: run a service, make a token, or talk to its
    API."""
    # OS_TOKEN is deliberately not read: it holds a Keystone token of an
    # OpenStack cloud, which must never be sent to another service.
    ctx.obj = {"url": api_url, "token": auth_token, "format": fmt}


compute.add_command(run)
compute.add_command(token)


def _client(ctx: click.Context) -> ComputeClient:
    from zerodown.compute.client import ComputeClient

    return ComputeClient(ctx.obj["url"], token=ctx.obj["token"])


def _show(
    ctx: click.Context,
    data: Any,
    headers: tuple[str, ...],
    row: Callable[[Any], tuple[str, ...]],
) -> None:
    if ctx.obj["format"] == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    items = data if isinstance(data, list) else [data]
    console().print(table(*headers, rows=[row(i) for i in items]))


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    found = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(
                f"{value!r} is not KEY=VALUE", param_hint=what
            )
        found[key] = item
    return found


_FLAVOR = ("id", "name", "vcpus", "ram", "extra specs")


def _flavor_row(f: dict[str, Any]) -> tuple[str, ...]:
    specs = " ".join(f"{k}={v}" for k, v in sorted(f["extra_specs"].items()))
    return (f["id"], f["name"], str(f["vcpus"]), str(f["ram"]), specs)


@compute.command("flavor-create")
@click.argument("name")
@click.option("--vcpus", type=int, required=True)
@click.option("--ram", type=int, required=True, help="MiB")
@click.option("--disk", type=int, default=1, show_default=True, help="GiB")
@click.option("--id", "flavorid", help="Default: the name.")
@click.option("--property", "props", multiple=True, help="KEY=VALUE")
@click.pass_context
def flavor_create(
    ctx: click.Context,
    name: str,
    vcpus: int,
    ram: int,
    disk: int,
    flavorid: str | None,
    props: tuple[str, ...],
) -> None:
    """Create a flavor with extra specs (hw:cpu_policy=dedicated...)."""
    flavor = _client(ctx).create_flavor(
        name, vcpus, ram, disk, _pairs(props, "--property"), flavorid or name
    )
    _show(ctx, flavor, _FLAVOR, _flavor_row)


@compute.command("flavor-list")
@click.pass_context
def flavor_list(ctx: click.Context) -> None:
    """List flavors with their extra specs."""
    _show(ctx, _client(ctx).list_flavors(), _FLAVOR, _flavor_row)


_SERVER = ("id", "name", "status", "host", "cells", "fault")


def _server_row(s: dict[str, Any]) -> tuple[str, ...]:
    numa = s.get("zerodown:numa") or {}
    cells = ",".join(str(c["host_cell"]) for c in numa.get("cells", []))
    fault = (s.get("fault") or {}).get("message", "")
    return (s["id"], s["name"], s["status"], s["host"] or "-", cells, fault)


@compute.command("boot")
@click.argument("name")
@click.option("--flavor", required=True)
@click.option("--image-property", "props", multiple=True, help="KEY=VALUE")
@click.option("--wait", is_flag=True, help="Until ACTIVE or ERROR.")
@click.pass_context
def boot(
    ctx: click.Context,
    name: str,
    flavor: str,
    props: tuple[str, ...],
    wait: bool,
) -> None:
    """Boot an instance."""
    client = _client(ctx)
    server = client.create_server(
        name, flavor, _pairs(props, "--image-property")
    )
    if wait:
        server = client.wait_for_status(server["id"], "ACTIVE", timeout=120)
    _show(ctx, server, _SERVER, _server_row)
    if server["status"] == "ERROR":
        raise SystemExit(1)


@compute.command("list")
@click.pass_context
def server_list(ctx: click.Context) -> None:
    """List instances: status, host, NUMA cells, fault."""
    _show(ctx, _client(ctx).list_servers(), _SERVER, _server_row)


@compute.command("show")
@click.argument("uuid")
@click.pass_context
def server_show(ctx: click.Context, uuid: str) -> None:
    """Show an instance as JSON (placement included)."""
    server = _client(ctx).get_server(uuid)
    click.echo(json.dumps(server, indent=2, sort_keys=True))


@compute.command("delete")
@click.argument("uuid")
@click.option("--wait", is_flag=True)
@click.pass_context
def server_delete(ctx: click.Context, uuid: str, wait: bool) -> None:
    """Delete an instance."""
    client = _client(ctx)
    client.delete_server(uuid)
    if wait and not client.wait_for_deleted(uuid):
        raise click.ClickException(f"{uuid} is still there")


def _action(name: str, body: Callable[[bool], Any]) -> None:
    @compute.command(name, help=f"{name.capitalize()} an instance.")
    @click.argument("uuid")
    @click.option("--hard", is_flag=True, hidden=name != "reboot")
    @click.pass_context
    def command(ctx: click.Context, uuid: str, hard: bool) -> None:
        _client(ctx).action(uuid, name, body(hard))


_action("pause", lambda hard: None)
_action("unpause", lambda hard: None)
_action("reboot", lambda hard: {"type": "HARD" if hard else "SOFT"})


@compute.command("service-list")
@click.pass_context
def service_list(ctx: click.Context) -> None:
    """List services: binary, host, up or down, service version."""
    _show(
        ctx,
        _client(ctx).list_services(),
        ("binary", "host", "state", "version", "updated"),
        lambda s: (
            s["binary"],
            s["host"],
            s["state"],
            str(s["version"]),
            str(s["updated_at"]),
        ),
    )


@compute.command("hypervisor-list")
@click.pass_context
def hypervisor_list(ctx: click.Context) -> None:
    """Hosts with their usage per NUMA cell."""
    hypervisors = _client(ctx).list_hypervisors()
    if ctx.obj["format"] == "json":
        click.echo(json.dumps(hypervisors, indent=2, sort_keys=True))
        return
    from zerodown.compute.demo_render import hosts_table

    console().print(hosts_table(hypervisors))
