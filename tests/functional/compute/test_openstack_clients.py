"""OpenStack's own clients against a running compute stack.

python-novaclient (its Python API, keystoneauth's ``token_endpoint``
plugin) and the ``openstack`` CLI (python-openstackclient with
keystoneauth's ``admin_token`` plugin) drive flavors, extra specs,
servers, hypervisors and compute services of one deployment (SQLite
and the embedded broker; a conductor, a scheduler, one fake compute
and the API as processes), with a token of the API's own as
``X-Auth-Token``.  Nothing here is written for zerodown: the calls are
the clients' documented ones, configured as ``docs/compute.md`` says.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.token_endpoint import Token
from novaclient import api_versions
from novaclient import client as nova_client
from novaclient import exceptions as nova_exceptions
from openstackclient import shell as openstack_shell

from zerodown.compute.api.microversion import MAX_VERSION
from zerodown.compute.deployment import ComputeHost, Deployment
from zerodown.testing.waiting import eventually

MAX = f"{MAX_VERSION[0]}.{MAX_VERSION[1]}"
HOST = {
    "host": {
        "cells": 1,
        "cores_per_cell": 4,
        "threads_per_core": 1,
        "memory_mb_per_cell": 4096,
    },
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("clients")
    deployment = Deployment(
        workdir=workdir,
        database_url=f"sqlite:///{workdir}/compute.db",
        transport_url=f"embedded://{workdir}/broker.db",
        computes=(ComputeHost("compute-1", "fake", HOST),),
        topic_prefix=f"zdc-{uuid.uuid4().hex[:8]}-",
    )
    with deployment.running():
        yield deployment


@pytest.fixture(scope="module")
def endpoint(stack) -> str:
    """The compute endpoint, as a service catalog would name it."""
    return stack.processes["api"].url + "/v2.1"


def _nova(endpoint: str, token: str, version: str) -> Any:
    session = ks_session.Session(auth=Token(endpoint, token))
    return nova_client.Client(version, session=session)


@pytest.fixture(scope="module")
def nova(stack, endpoint) -> Any:
    """novaclient at the newest version both sides speak."""
    probe = _nova(endpoint, stack.token(), "2.1")
    version = api_versions.discover_version(
        probe, api_versions.APIVersion("2.latest")
    )
    return _nova(endpoint, stack.token(), version.get_string())


def _wait(nova: Any, server_id: str, status: str) -> Any:
    """The server once it is ``status`` with no task running."""

    def settled() -> Any:
        server = nova.servers.get(server_id)
        return (
            server if server.status == status and not _task(server) else None
        )

    def state() -> str:
        server = nova.servers.get(server_id)
        return (
            f"{server_id} is {server.status} ({_task(server)}), not {status}"
        )

    return eventually(settled, timeout=60, interval=0.2, message=state)


def _task(server: Any) -> Any:
    return getattr(server, "OS-EXT-STS:task_state")


def _gone(nova: Any, server_id: str) -> bool:
    def gone() -> bool:
        try:
            nova.servers.get(server_id)
        except nova_exceptions.NotFound:
            return True
        return False

    return eventually(
        gone, timeout=60, interval=0.2, message=f"{server_id} stayed"
    )


def test_novaclient_negotiates_the_newest_version(nova):
    assert nova.api_version.get_string() == MAX


def test_novaclient_manages_flavors_and_extra_specs(nova):
    flavor = nova.flavors.create("nc-small", 256, 1, 1)  # "id": null
    assert len(flavor.id) == 36
    flavor.set_keys({"hw:cpu_policy": "dedicated", "hw:numa_nodes": "1"})
    assert nova.flavors.get(flavor.id).get_keys() == {
        "hw:cpu_policy": "dedicated",
        "hw:numa_nodes": "1",
    }
    flavor.unset_keys(["hw:numa_nodes"])
    assert flavor.get_keys() == {"hw:cpu_policy": "dedicated"}
    assert "nc-small" in [f.name for f in nova.flavors.list()]
    with pytest.raises(nova_exceptions.BadRequest, match="unknown hw:"):
        flavor.set_keys({"hw:no_such_thing": "1"})
    nova.flavors.delete(flavor)
    with pytest.raises(nova_exceptions.NotFound):
        nova.flavors.get(flavor.id)


@pytest.mark.parametrize("version", ["2.1", MAX])
def test_novaclient_boots_pauses_and_deletes_a_server(
    stack, endpoint, version
):
    nova = _nova(endpoint, stack.token(), version)
    flavor = nova.flavors.create(f"nc-{version}", 256, 1, 1, flavorid=None)
    # From 2.37 on a client must say which networks: there are none.
    nics = "none" if version == MAX else None
    server = nova.servers.create(
        "nc-vm", image="any-image", flavor=flavor.id, nics=nics
    )
    active = _wait(nova, server.id, "ACTIVE")
    assert active.status == "ACTIVE"
    assert active.image == {"id": "any-image"}
    if version == MAX:
        assert active.flavor["original_name"] == flavor.name
    else:
        assert active.flavor["id"] == flavor.id
    assert server.id in [s.id for s in nova.servers.list()]
    assert server.id in [s.id for s in nova.servers.list(detailed=False)]
    nova.servers.pause(server)
    assert _wait(nova, server.id, "PAUSED").status == "PAUSED"
    nova.servers.unpause(server)
    assert _wait(nova, server.id, "ACTIVE").status == "ACTIVE"
    nova.servers.delete(server)
    assert _gone(nova, server.id)
    nova.flavors.delete(flavor)


def test_novaclient_lists_hypervisors_and_services(nova):
    (hypervisor,) = nova.hypervisors.list()
    assert hypervisor.hypervisor_hostname == "compute-1"
    assert nova.hypervisors.get(hypervisor.id).vcpus == 4
    services = {(s.binary, s.host): s for s in nova.services.list()}
    assert set(services) >= {
        ("compute", "compute-1"),
        ("conductor", "conductor"),
        ("scheduler", "scheduler"),
    }
    compute = services["compute", "compute-1"]
    assert isinstance(compute.id, int) and compute.state == "up"


def test_novaclient_without_a_valid_token_is_refused(stack, endpoint):
    forged = stack.token()[:-4] + "AAAA"
    with pytest.raises(nova_exceptions.Unauthorized):
        _nova(endpoint, forged, "2.1").flavors.list()
    member = _nova(endpoint, stack.token(role="member"), "2.1")
    with pytest.raises(nova_exceptions.Forbidden):
        member.services.list()


# -- the openstack CLI ---------------------------------------------------


def _openstack(endpoint: str, token: str, *args: str) -> Any:
    """``openstack --os-auth-type admin_token ... ARGS [-f json]``: the
    CLI's own entry point, run in this process (its start-up alone costs
    seconds a command), its JSON output decoded.

    :raises CliFailed: with what it printed, if it exits non-zero.
    """
    env = {
        "OS_AUTH_TYPE": "admin_token",
        "OS_ENDPOINT": endpoint,
        "OS_TOKEN": token,
        # Every service is reached at the endpoint: without these,
        # the CLI would discover the identity API's version there.
        "OS_IDENTITY_API_VERSION": "3",
        "OS_IDENTITY_ENDPOINT_OVERRIDE": endpoint,
    }
    shows = args[-1] in ("list",) or args[1] in ("create", "show", "list")
    argv = [*args, "-f", "json"] if shows else list(args)
    out, err = io.StringIO(), io.StringIO()
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = openstack_shell.main(argv)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    if code != 0:
        raise CliFailed(err.getvalue()[-2000:] + out.getvalue()[-500:])
    return json.loads(out.getvalue()) if shows else None


class CliFailed(Exception):
    pass


@pytest.fixture(scope="module")
def openstack(stack, endpoint) -> Any:
    # One token for every in-process run: the SDK keeps the first
    # token it was given for the rest of the process.
    token = stack.token()

    def run(*args: str) -> Any:
        return _openstack(endpoint, token, *args)

    return run


def test_openstack_cli_flavor_commands(openstack):
    made = openstack(
        "flavor",
        "create",
        "--vcpus",
        "2",
        "--ram",
        "512",
        "--disk",
        "1",
        "--property",
        "hw:cpu_policy=shared",
        "cli-flavor",
    )
    assert made["properties"] == {"hw:cpu_policy": "shared"}
    openstack("flavor", "set", "--property", "hw:numa_nodes=1", "cli-flavor")
    openstack("flavor", "unset", "--property", "hw:cpu_policy", "cli-flavor")
    shown = openstack("flavor", "show", "cli-flavor")
    assert shown["properties"] == {"hw:numa_nodes": "1"}
    assert (shown["vcpus"], shown["ram"], shown["id"]) == (2, 512, made["id"])
    listed = openstack("flavor", "list")
    assert {"cli-flavor"} <= {f["Name"] for f in listed}
    openstack("flavor", "delete", "cli-flavor")
    assert "cli-flavor" not in {f["Name"] for f in openstack("flavor", "list")}


def test_openstack_cli_server_commands(openstack, nova):
    # `openstack server create` looks its image up in an image service,
    # which this stack has not: the server is booted with novaclient.
    flavor = nova.flavors.create("cli-vm-flavor", 256, 1, 1)
    server = nova.servers.create(
        "cli-vm", image="img-1", flavor=flavor.id, nics="none"
    )
    assert _wait(nova, server.id, "ACTIVE").status == "ACTIVE"
    listed = openstack("server", "list")
    row = next(s for s in listed if s["ID"] == server.id)
    assert (row["Name"], row["Status"], row["Flavor"]) == (
        "cli-vm",
        "ACTIVE",
        "cli-vm-flavor",
    )
    shown = openstack("server", "show", server.id)
    assert shown["status"] == "ACTIVE" and shown["name"] == "cli-vm"
    openstack("server", "pause", server.id)
    assert _wait(nova, server.id, "PAUSED").status == "PAUSED"
    openstack("server", "unpause", server.id)
    assert _wait(nova, server.id, "ACTIVE").status == "ACTIVE"
    openstack("server", "delete", "--wait", server.id)
    assert server.id not in {s["ID"] for s in openstack("server", "list")}
    nova.flavors.delete(flavor)


def test_openstack_cli_hypervisor_and_compute_service_commands(openstack):
    (hypervisor,) = openstack("hypervisor", "list")
    assert hypervisor["Hypervisor Hostname"] == "compute-1"
    assert hypervisor["State"] == "up"
    shown = openstack("hypervisor", "show", "compute-1")
    assert shown["vcpus"] == 4 and shown["service_host"] == "compute-1"
    services = openstack("compute", "service", "list")
    compute = next(s for s in services if s["Binary"] == "compute")
    assert compute["Host"] == "compute-1" and compute["State"] == "up"
    assert isinstance(compute["ID"], int) and compute["Zone"] == "nova"


def test_the_openstack_command_needs_a_valid_token(stack, endpoint):
    # The console script itself, in a process of its own (the token
    # test of novaclient above has the 403 of a member's).
    env = {
        **os.environ,
        "OS_AUTH_TYPE": "admin_token",
        "OS_ENDPOINT": endpoint,
        "OS_IDENTITY_API_VERSION": "3",
        "OS_IDENTITY_ENDPOINT_OVERRIDE": endpoint,
    }
    command = [str(Path(sys.executable).with_name("openstack"))]
    done = subprocess.run(
        [*command, "hypervisor", "list", "-f", "value"],
        env={**env, "OS_TOKEN": "not-a-token"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "401" in done.stderr and "malformed" in done.stderr, done.stderr
