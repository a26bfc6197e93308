"""The compute stack as separate processes, through its HTTP API.

Two stacks: SQLite with the embedded broker (the demo's defaults), and
PostgreSQL with RabbitMQ (production's).  Each module-scoped deployment
runs a conductor, two schedulers, two computes on the fake driver and
the API; the tests drive it only through the API, as a user would.  Neither
server stack is ever skipped: a missing server fails the run.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from zerodown.compute.client import ComputeClient
from zerodown.compute.deployment import ComputeHost, Deployment
from zerodown.compute.errors import ApiError
from zerodown.testing.backends import fresh_database, start_backend
from zerodown.testing.waiting import eventually

AMQP = "amqp://guest:guest@127.0.0.1:5672//"

# Each host: 2 cells x 4 cores x 2 threads; cores 2-3 of each cell (and
# their siblings) are dedicated: 4 pinnable CPUs per cell.
HOST_OPTIONS = {
    "host": {
        "cells": 2,
        "cores_per_cell": 4,
        "threads_per_core": 2,
        "memory_mb_per_cell": 8192,
        "pages_per_cell": {"2048": 1024},
    },
    "cpu_dedicated_set": "2-3,10-11,6-7,14-15",
}
PCI_ALIASES = ({"name": "nic", "vendor_id": "8086", "product_id": "154d"},)
DEDICATED = {
    "hw:cpu_policy": "dedicated",
    "hw:numa_nodes": "2",
    "hw:mem_page_size": "2048",
}


@pytest.fixture(scope="module", params=["sqlite-embedded", "postgresql-amqp"])
def stack(request, tmp_path_factory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp(request.param)
    prefix = f"zdt-{uuid.uuid4().hex[:8]}-"
    if request.param == "sqlite-embedded":
        deployment = _deployment(
            workdir,
            f"sqlite:///{workdir}/compute.db",
            f"embedded://{workdir}/broker.db",
            prefix,
        )
        with deployment.running():
            yield deployment
        return
    backend = start_backend("postgresql", os.environ)
    amqp = os.environ.get("ZERODOWN_TEST_AMQP_URL", AMQP)
    with fresh_database(backend) as database:
        deployment = _deployment(workdir, database.url, amqp, prefix)
        with deployment.running():
            yield deployment


def _deployment(workdir, db_url, transport_url, prefix) -> Deployment:
    return Deployment(
        workdir=workdir,
        database_url=db_url,
        transport_url=transport_url,
        computes=tuple(
            ComputeHost(name, "fake", HOST_OPTIONS, ram_allocation_ratio=1.0)
            for name in ("compute-1", "compute-2")
        ),
        pci_aliases=PCI_ALIASES,
        topic_prefix=prefix,
        down_after=4.0,
        heartbeat_interval=1.0,
        report_interval=1.0,
    )


@pytest.fixture(scope="module")
def api(stack) -> ComputeClient:
    client = stack.api
    client.create_flavor("shared", 1, 512, 1, flavorid="shared")
    client.create_flavor("pinned", 4, 1024, 1, DEDICATED, flavorid="pinned")
    client.create_flavor(
        "nic",
        2,
        512,
        1,
        {
            "hw:cpu_policy": "dedicated",
            "pci_passthrough:alias": "nic:1",
            "hw:pci_numa_affinity_policy": "required",
        },
        flavorid="nic",
    )
    return client


def _boot(api, flavor, *, props=None, name=None) -> dict:
    server = api.create_server(
        name or f"vm-{uuid.uuid4().hex[:6]}", flavor, props
    )
    return api.wait_for_status(server["id"], "ACTIVE", timeout=60)


def _delete_all(api) -> None:
    servers = api.list_servers()
    for server in servers:
        api.delete_server(server["id"])
    for server in servers:
        assert api.wait_for_deleted(server["id"])


def test_boot_pause_unpause_reboot_delete(api, stack):
    server = _boot(api, "shared")
    assert server["status"] == "ACTIVE", server
    assert server["host"] in ("compute-1", "compute-2")
    api.action(server["id"], "pause")
    assert api.wait_for_status(server["id"], "PAUSED")["status"] == "PAUSED"
    api.action(server["id"], "unpause")
    assert api.wait_for_status(server["id"], "ACTIVE")["status"] == "ACTIVE"
    api.action(server["id"], "reboot", {"type": "HARD"})
    rebooted = api.wait_for_status(server["id"], "ACTIVE")
    assert rebooted["status"] == "ACTIVE" and rebooted["task_state"] is None
    api.delete_server(server["id"])
    assert api.wait_for_deleted(server["id"])


def test_a_pinned_guest_gets_two_cells_pages_and_dedicated_cpus(api):
    server = _boot(api, "pinned")
    assert server["status"] == "ACTIVE", server
    numa = server["zerodown:numa"]
    assert [c["host_cell"] for c in numa["cells"]] == [0, 1]
    dedicated = {2, 3, 10, 11, 6, 7, 14, 15}
    for cell in numa["cells"]:
        assert cell["pagesize"] == 2048
        pcpus = set(cell["pinning"].values())
        assert len(pcpus) == 2 and pcpus <= dedicated
    host = next(
        h
        for h in api.list_hypervisors()
        if h["hypervisor_hostname"] == server["host"]
        or h.get("service", {}).get("host") == server["host"]
    )
    pinned = set().union(*(set(c["pinned"]) for c in host["numa_cells"]))
    assert {p for c in numa["cells"] for p in c["pinning"].values()} <= pinned
    _delete_all(api)


def test_a_pci_guest_lands_on_its_device_cell(api):
    server = _boot(api, "nic")
    assert server["status"] == "ACTIVE", server
    assert len(server["zerodown:pci_devices"]) == 1
    _delete_all(api)


def test_hosts_fill_up_then_no_valid_host_with_the_reason(api):
    # 8 dedicated CPUs per host, 4 per pinned guest, 2 hosts: 4 guests.
    booted = [_boot(api, "pinned") for _ in range(4)]
    assert all(s["status"] == "ACTIVE" for s in booted), booted
    assert {s["host"] for s in booted} == {"compute-1", "compute-2"}
    extra = api.create_server("one-too-many", "pinned")
    failed = api.wait_for_status(extra["id"], "ERROR")
    assert failed["status"] == "ERROR"
    message = failed["fault"]["message"]
    assert "no valid host" in message.lower(), message
    assert "NUMA" in message or "CPU" in message, message
    _delete_all(api)
    # Every claim was released: the same four fit again.
    again = [_boot(api, "pinned") for _ in range(4)]
    assert all(s["status"] == "ACTIVE" for s in again), again
    _delete_all(api)


def test_a_burst_on_two_schedulers_fills_the_fleet_exactly(api, stack):
    """Ten boots at once through both schedulers, room for eight: eight
    go ACTIVE, two fail with "no valid host", no host holds more than it
    has (Nova's thundering herd, which failed boots while room was
    left, cannot happen: each scheduler claims before it answers)."""
    api.create_flavor("quarter", 1, 4096, 1, flavorid="quarter")
    start = threading.Barrier(10)

    def boot(i):
        start.wait()
        made = api.create_server(f"burst-{i}", "quarter")
        return api.wait_for_server(
            made["id"], lambda s: s["status"] in ("ACTIVE", "ERROR")
        )

    with ThreadPoolExecutor(10) as pool:
        ended = list(pool.map(boot, range(10)))
    active = [s for s in ended if s["status"] == "ACTIVE"]
    failed = [s for s in ended if s["status"] == "ERROR"]
    assert len(active) == 8, [s.get("fault") for s in failed]
    assert len(failed) == 2
    for server in failed:
        assert "no valid host" in server["fault"]["message"], server
    for hyper in api.list_hypervisors():
        assert hyper["memory_mb_used"] <= hyper["memory_mb"], hyper
    # Both schedulers served: each logged a claim.
    logs = [
        (stack.workdir / "logs" / f"{name}.log").read_text()
        for name in stack.scheduler_names
    ]
    assert all("claimed on" in log for log in logs), "a scheduler idled"
    _delete_all(api)


def test_bad_requests_get_clear_4xx_answers(api):
    with pytest.raises(ApiError) as caught:
        api.create_flavor("bad", 1, 512, 1, {"hw:cpu_policy": "pinned"})
    assert caught.value.status == 400
    status, _body, _ = api.request("POST", "/servers", None)
    assert status == 400
    # An image may not pin what the flavor keeps shared.
    api.create_flavor(
        "floating", 1, 512, 1, {"hw:cpu_policy": "shared"}, "floating"
    )
    with pytest.raises(ApiError) as caught:
        api.create_server(
            "conflict", "floating", {"hw_cpu_policy": "dedicated"}
        )
    assert caught.value.status == 400, caught.value
    with pytest.raises(ApiError) as caught:
        api.create_server("nope", "no-such-flavor")
    assert caught.value.status == 400


def test_a_page_size_the_hosts_lack_fails_with_the_reason(api):
    api.create_flavor(
        "1g", 1, 1024, 1, {"hw:mem_page_size": "1GB"}, flavorid="1g"
    )
    server = api.create_server("needs-1g", "1g")
    failed = api.wait_for_status(server["id"], "ERROR")
    assert failed["status"] == "ERROR"
    assert "no valid host" in failed["fault"]["message"].lower()
    _delete_all(api)


def _compute_states(api):
    return {
        s["host"]: s["state"]
        for s in api.list_services()
        if s["binary"] == "compute"
    }


def test_a_compute_that_stops_heartbeating_is_excluded(api, stack):
    frozen = stack.processes["compute-2"]
    assert frozen.proc is not None
    os.kill(frozen.proc.pid, signal.SIGSTOP)
    try:
        eventually(
            lambda: _compute_states(api).get("compute-2") == "down",
            timeout=30,
            interval=0.5,
            message=lambda: f"compute-2 stays up: {_compute_states(api)}",
        )
        assert _compute_states(api) == {"compute-1": "up", "compute-2": "down"}
        hosts = {_boot(api, "shared")["host"] for _ in range(3)}
        assert hosts == {"compute-1"}
    finally:
        os.kill(frozen.proc.pid, signal.SIGCONT)
    _delete_all(api)


def test_servers_belong_to_the_tokens_project(api, stack):
    """A member's server, booted through every process, carries its
    project and user; another project's member cannot see or touch it;
    a member cannot write flavors or read the hosts."""
    alice = stack.client(stack.token("project-a", "alice", "member"))
    bob = stack.client(stack.token("project-b", "bob", "member"))
    server = _boot(alice, "shared", name="alices")
    assert (server["tenant_id"], server["user_id"]) == ("project-a", "alice")
    assert [s["id"] for s in alice.list_servers()] == [server["id"]]
    assert bob.list_servers() == []
    for attempt in (
        lambda: bob.get_server(server["id"]),
        lambda: bob.action(server["id"], "pause"),
        lambda: bob.delete_server(server["id"]),
    ):
        with pytest.raises(ApiError) as caught:
            attempt()
        assert caught.value.status == 404, caught.value
    for attempt in (
        lambda: bob.create_flavor("bobs", 1, 128, flavorid="bobs"),
        bob.list_hypervisors,
        bob.list_services,
    ):
        with pytest.raises(ApiError) as caught:
            attempt()
        assert caught.value.status == 403, caught.value
    assert server["id"] in {s["id"] for s in api.list_servers()}  # admin
    alice.delete_server(server["id"])
    assert alice.wait_for_deleted(server["id"])


def test_the_client_commands(api, stack):
    from click.testing import CliRunner

    from zerodown.cli import main

    url = stack.processes["api"].url
    config = str(stack.workdir / "etc" / "api.toml")
    made = CliRunner().invoke(
        main,
        [
            "compute",
            "token",
            "create",
            "--config",
            config,
            "--project",
            "cli",
            "--user",
            "cli-admin",
            "--role",
            "admin",
            "--expires",
            "10m",
        ],
    )
    assert made.exit_code == 0, made.output
    token = made.output.strip()

    def run(*args, token=token):
        return CliRunner().invoke(
            main,
            ["compute", "--api-url", url, *args],
            env={"ZERODOWN_TOKEN": token},
        )

    anonymous = run("list", token=None)
    assert anonymous.exit_code == 1
    assert "401 authentication required: no X-Auth-Token" in anonymous.output

    made = run(
        "flavor-create",
        "cli.pinned",
        "--vcpus",
        "2",
        "--ram",
        "512",
        "--property",
        "hw:cpu_policy=dedicated",
    )
    assert made.exit_code == 0, made.output
    assert "hw:cpu_policy=dedicated" in made.output
    boot = run(
        "--format",
        "json",
        "boot",
        "cli-vm",
        "--flavor",
        "cli.pinned",
        "--wait",
    )
    assert boot.exit_code == 0, boot.output
    server = __import__("json").loads(boot.output)
    assert server["status"] == "ACTIVE"
    listed = run("list")
    assert "cli-vm" in listed.output and "ACTIVE" in listed.output
    hosts = run("hypervisor-list")
    assert hosts.exit_code == 0 and "compute-1" in hosts.output
    assert run("delete", server["id"], "--wait").exit_code == 0
    missing = run("boot", "x", "--flavor", "no-such")
    assert missing.exit_code == 1
    assert "flavor no-such not found" in missing.output
    bad = run(
        "flavor-create",
        "y",
        "--vcpus",
        "1",
        "--ram",
        "1",
        "--property",
        "novalue",
    )
    assert bad.exit_code == 2
    down = CliRunner().invoke(
        main, ["compute", "--api-url", "http://127.0.0.1:9", "list"]
    )
    assert down.exit_code == 1
    assert "cannot reach the compute API" in down.output


def test_a_compute_stops_in_seconds_while_the_conductor_is_gone(stack):
    """Its stop is recorded through the conductor: with the conductor
    gone it must not wait for the RPC timeout (60 s)."""
    stack.processes["conductor"].stop()
    try:
        # Exits by itself within the bound, or is killed (-9).
        compute = stack.processes["compute-2"]
        assert compute.stop(timeout=15) == 0, compute.tail(30)
    finally:
        stack.start_service("conductor")
        stack.start_compute(stack.computes[1])
