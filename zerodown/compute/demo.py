"""``zerodown demo``: the compute stack, booted end to end on one machine.

The services run as separate processes (conductor, two schedulers, two
computes, API) on SQLite and the embedded broker by default.  The demo
creates three flavors (shared CPUs; dedicated CPUs on two NUMA nodes with
2 MiB pages; a pinned guest with a PCI device on its own NUMA node),
boots instances through the HTTP API, shows where each landed, its
pinning, page size and devices, the hosts' usage per NUMA cell, what the
API answers to bad requests, and stops everything cleanly.

The API checks tokens: the demo works with an admin token its
deployment makes, and shows what the API answers to a request without
one, to a member who writes a flavor and to another project's member.
"""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from zerodown.compute.client import ComputeClient
from zerodown.compute.deployment import ComputeHost, Deployment
from zerodown.compute.errors import ApiError

__all__ = ["FLAVORS", "DemoResult", "run_demo"]

#: name -> (vcpus, ram MiB, extra specs)
FLAVORS: dict[str, tuple[int, int, dict[str, str]]] = {
    "m1.shared": (2, 1024, {}),
    "numa.dedicated": (
        4,
        2048,
        {
            "hw:cpu_policy": "dedicated",
            "hw:numa_nodes": "2",
            "hw:mem_page_size": "2048",
        },
    ),
    "pci.affine": (
        2,
        1024,
        {
            "hw:cpu_policy": "dedicated",
            "pci_passthrough:alias": "nic:1",
            "hw:pci_numa_affinity_policy": "required",
        },
    ),
}

#: instance name -> flavor
BOOTS = (
    ("web-1", "m1.shared"),
    ("web-2", "m1.shared"),
    ("vnf-1", "numa.dedicated"),
    ("vnf-2", "numa.dedicated"),
    ("dpdk-1", "pci.affine"),
)

PCI_ALIASES = ({"name": "nic", "vendor_id": "8086", "product_id": "154d"},)


@dataclasses.dataclass
class DemoResult:
    servers: list[dict[str, Any]]
    hypervisors: list[dict[str, Any]]
    refusals: list[tuple[str, str]]
    exit_codes: dict[str, int | None]

    @property
    def ok(self) -> bool:
        return all(s["status"] == "ACTIVE" for s in self.servers) and all(
            code == 0 for code in self.exit_codes.values()
        )


#: Each demo host: 2 sockets, one NUMA cell each, 4 cores x 2 threads,
#: 8 GiB and 1024 pages of 2 MiB per cell; cores 2-3 of each cell (and
#: their siblings) are dedicated; one NIC per cell.
HOST = {
    "cells": 2,
    "cores_per_cell": 4,
    "threads_per_core": 2,
    "memory_mb_per_cell": 8192,
    "pages_per_cell": {"2048": 1024},
}
DEDICATED_CPUS = "2-3,10-11,6-7,14-15"


def compute_hosts(driver: str, workdir: Path) -> tuple[ComputeHost, ...]:
    """Two such hosts.  With libvirt, the host is presented to the driver
    as capabilities XML (libvirt's test driver has no huge pages or
    thread siblings of its own) and the guests run in libvirt's test
    driver."""
    from zerodown.compute.virt.fake import default_pci_devices, host_cells

    cells = host_cells(HOST)
    options: dict[str, Any] = {
        "cpu_dedicated_set": DEDICATED_CPUS,
        "pci_devices": default_pci_devices(len(cells)),
    }
    if driver == "libvirt":
        from zerodown.compute.virt.libvirt import capabilities

        caps = workdir / "etc" / "host-capabilities.xml"
        caps.parent.mkdir(parents=True, exist_ok=True)
        caps.write_text(capabilities.render(cells))
        options |= {"uri": "test:///default", "host_capabilities": str(caps)}
    else:
        options["host"] = HOST
    return tuple(
        ComputeHost(name, driver, options=options, ram_allocation_ratio=1.0)
        for name in ("compute-1", "compute-2")
    )


def run_demo(
    workdir: Path | None = None,
    *,
    database_url: str | None = None,
    transport_url: str | None = None,
    driver: str = "libvirt",
    say: Callable[[Any], None] = print,
) -> DemoResult:
    """Run the demo; ``say`` receives rich renderables or text."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="zerodown-demo-"))
    deployment = Deployment(
        workdir=workdir,
        database_url=database_url or f"sqlite:///{workdir}/compute.db",
        transport_url=transport_url or f"embedded://{workdir}/broker.db",
        computes=compute_hosts(driver, workdir),
        pci_aliases=PCI_ALIASES,
        # Its own topics: a shared broker may carry other deployments.
        topic_prefix=f"demo-{uuid.uuid4().hex[:8]}-",
    )
    say(f"work directory {workdir} (logs in {workdir}/logs)")
    deployment.start()
    try:
        services = ", ".join(
            f"{n} (pid {p.proc.pid if p.proc else '?'})"
            for n, p in deployment.processes.items()
        )
        say(f"services up: {services}")
        say(
            f"message signing: {deployment.rpc_signing}, with a key made "
            f"for this deployment ({workdir}/etc/*.toml); the API checks "
            f"tokens ({deployment.token_key_file})"
        )
        result = _exercise(deployment.api, say)
        result.refusals += _auth_refusals(deployment, say)
    except BaseException:
        say(deployment.logs())
        deployment.stop()
        raise
    result.exit_codes = deployment.stop()
    say(
        "services stopped: "
        + ", ".join(f"{n} exit {c}" for n, c in result.exit_codes.items())
    )
    return result


def _exercise(api: ComputeClient, say: Callable[[Any], None]) -> DemoResult:
    from zerodown.compute.demo_render import hosts_table, servers_table

    for name, (vcpus, ram, specs) in FLAVORS.items():
        api.create_flavor(name, vcpus, ram, 1, specs, flavorid=name)
        say(f"flavor {name}: {vcpus} vCPU, {ram} MiB {_specs(specs)}")
    refusals = _refusals(api)
    for name, reason in refusals:
        say(f"refused {name}: {reason}")
    booted = [api.create_server(name, flavor)["id"] for name, flavor in BOOTS]
    servers = [api.wait_for_status(sid, "ACTIVE") for sid in booted]
    say(servers_table(servers))
    hypervisors = api.list_hypervisors()
    say(hosts_table(hypervisors))
    first = servers[0]["id"]
    api.action(first, "pause")
    paused = api.wait_for_status(first, "PAUSED")
    api.action(first, "unpause")
    active = api.wait_for_status(first, "ACTIVE")
    say(
        f"{servers[0]['name']}: pause -> {paused['status']}, "
        f"unpause -> {active['status']}"
    )
    for server_id in booted:
        api.delete_server(server_id)
    gone = all(api.wait_for_deleted(server_id) for server_id in booted)
    say(f"deleted {len(booted)} instances: {'done' if gone else 'NOT ALL'}")
    return DemoResult(servers, hypervisors, refusals, {})


def _refusals(api: ComputeClient) -> list[tuple[str, str]]:
    """Bad requests and what the API says about them."""
    found = []
    try:
        api.create_flavor("bad", 2, 512, 1, {"hw:cpu_policy": "pinned"})
    except ApiError as err:
        found.append(
            ("flavor hw:cpu_policy=pinned", str(err.fields["detail"]))
        )
    huge = api.create_flavor(
        "numa.1g", 2, 2048, 1, {"hw:mem_page_size": "1GB"}, flavorid="numa.1g"
    )
    server = api.create_server("needs-1g-pages", huge["id"])
    failed = api.wait_for_status(server["id"], "ERROR")
    fault = failed.get("fault", {}).get("message", failed["status"])
    found.append(("1 GiB pages on hosts without them", fault))
    api.delete_server(server["id"])
    return found


def _auth_refusals(
    deployment: Deployment, say: Callable[[Any], None]
) -> list[tuple[str, str]]:
    """What the API answers to requests its tokens do not allow."""
    admin = deployment.api
    server = admin.create_server("owned-by-demo", "m1.shared")
    other = deployment.client(
        deployment.token(project="other", user="someone", role="member")
    )
    attempts: list[tuple[str, Callable[[], object]]] = [
        ("no token", deployment.client(None).list_flavors),
        (
            "a member creating a flavor",
            lambda: other.create_flavor("mine", 1, 128, flavorid="mine"),
        ),
        (
            "another project's server",
            lambda: other.get_server(server["id"]),
        ),
    ]
    found = []
    for name, attempt in attempts:
        try:
            attempt()
        except ApiError as err:
            status, detail = err.fields["status"], err.fields["detail"]
            found.append((name, f"{status} {detail}"))
            say(f"refused {name}: {status} {detail}")
    admin.delete_server(server["id"])
    admin.wait_for_deleted(server["id"])
    return found


def _specs(specs: Mapping[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in specs.items())
