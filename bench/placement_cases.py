"""Placement benchmark cases as plain data, and zerodown's side of them.

A case is JSON both sides read (``placement_nova.py`` builds Nova's
objects from it)::

    {"name": "...", "pack": false,
     "host": {"cells": [{"id", "cpuset", "pcpuset", "memory",
                         "memory_usage", "cpu_usage", "pinned",
                         "siblings", "mempages": [[size_kb, total, used,
                         reserved]], "socket", "network"}]},
     "guest": {"cells": [{"id", "cpuset", "pcpuset", "memory", "pagesize",
                          "cpu_policy", "cpu_thread_policy"}],
               "emulator_threads_policy": null},
     "limits": null | {"cpu", "ram", "network"},
     "pci": null | {"pools": [...], "requests": [...]}}

A result is ``None`` or, per guest cell, ``{"id", "pagesize", "pinning",
"reserved"}`` - what both sides are compared on.
"""

from __future__ import annotations

from typing import Any

from zerodown.compute import objects as o
from zerodown.compute.hardware import (
    PciPool,
    PciRequest,
    PciStats,
    numa_get_constraints,
)

Case = dict[str, Any]


def host_cell(
    cell_id: int,
    cores: int,
    threads: int,
    *,
    first_core: int | None = None,
    stride: int = 0,
    memory: int = 65536,
    pages_2m: int = 16384,
    socket: int | None = None,
    pinned: tuple[int, ...] = (),
    memory_usage: int = 0,
    shared: bool = False,
) -> dict[str, Any]:
    """A cell of ``cores`` cores x ``threads`` threads; thread ``t`` of
    core ``c`` is CPU ``c + t * stride`` (Linux numbering)."""
    start = cell_id * cores if first_core is None else first_core
    stride = stride or cores
    siblings = [
        [core + t * stride for t in range(threads)]
        for core in range(start, start + cores)
    ]
    cpus = sorted(c for sib in siblings for c in sib)
    small = (memory - pages_2m * 2) * 256
    return {
        "id": cell_id,
        "cpuset": cpus if shared else [],
        "pcpuset": [] if shared else cpus,
        "memory": memory,
        "memory_usage": memory_usage,
        "cpu_usage": 0,
        "pinned": list(pinned),
        "siblings": siblings,
        "mempages": [[4, small, 0, 0], [2048, pages_2m, 0, 0]],
        "socket": cell_id if socket is None else socket,
        "network": None,
    }


def guest(
    nodes: int,
    vcpus_per_node: int,
    memory_per_node: int,
    *,
    policy: str | None = "dedicated",
    pagesize: int | None = None,
    thread_policy: str | None = None,
    emulator: str | None = None,
) -> dict[str, Any]:
    cells = []
    for node in range(nodes):
        cpus = list(range(node * vcpus_per_node, (node + 1) * vcpus_per_node))
        pinned = policy == "dedicated"
        cells.append(
            {
                "id": node,
                "cpuset": [] if pinned else cpus,
                "pcpuset": cpus if pinned else [],
                "memory": memory_per_node,
                "pagesize": pagesize,
                "cpu_policy": policy,
                "cpu_thread_policy": thread_policy,
            }
        )
    return {"cells": cells, "emulator_threads_policy": emulator}


def guest_from_flavor(
    vcpus: int, memory_mb: int, extra_specs: dict[str, str]
) -> dict[str, Any]:
    """The guest a flavor asks for, through zerodown's
    ``numa_get_constraints``, as case data."""
    flavor = o.Flavor(
        vcpus=vcpus, memory_mb=memory_mb, extra_specs=extra_specs
    )
    topology = numa_get_constraints(flavor)
    assert topology is not None
    return {
        "cells": [
            {
                "id": cell.id,
                "cpuset": sorted(cell.cpuset),
                "pcpuset": sorted(cell.pcpuset),
                "memory": cell.memory,
                "pagesize": cell.pagesize,
                "cpu_policy": cell.cpu_policy,
                "cpu_thread_policy": cell.cpu_thread_policy,
            }
            for cell in topology.cells
        ],
        "emulator_threads_policy": topology.emulator_threads_policy,
    }


def used(cell: dict[str, Any], cores: int, memory: int) -> dict[str, Any]:
    """``cell`` with its first ``cores`` cores pinned (both threads) and
    ``memory`` MiB of its 2 MiB pages used, as a guest would leave it."""
    siblings = cell["siblings"][:cores]
    cell["pinned"] = sorted(c for sib in siblings for c in sib)
    cell["memory_usage"] = memory
    for page in cell["mempages"]:
        if page[0] == 2048:
            page[2] = memory // 2
    return cell


def nfv_pci(node: int, count: int = 4) -> dict[str, Any]:
    """Mellanox VFs on NUMA node ``node`` and a request for one of them
    that must be NUMA-local."""
    return {
        "pools": [
            {
                "vendor_id": "15b3",
                "product_id": "101e",
                "numa_node": node,
                "count": count,
                "dev_type": "type-VF",
                "tags": {"physical_network": "physnet1"},
            }
        ],
        "requests": [
            {
                "count": 1,
                "spec": [{"vendor_id": "15b3", "product_id": "101e"}],
                "numa_policy": "required",
                "alias_name": "vf",
            }
        ],
    }


# -- zerodown's side ---------------------------------------------------------


def _network(data: dict[str, Any] | None) -> o.NetworkMetadata | None:
    if data is None:
        return None
    return o.NetworkMetadata(
        physnets=set(data["physnets"]), tunneled=data["tunneled"]
    )


def build_host(case: Case) -> o.NUMATopology:
    cells = []
    for cell in case["host"]["cells"]:
        values: dict[str, Any] = dict(
            id=cell["id"],
            cpuset=set(cell["cpuset"]),
            pcpuset=set(cell["pcpuset"]),
            memory=cell["memory"],
            memory_usage=cell["memory_usage"],
            cpu_usage=cell["cpu_usage"],
            pinned_cpus=set(cell["pinned"]),
            siblings=[set(s) for s in cell["siblings"]],
            mempages=[
                o.NUMAPagesTopology(size_kb=s, total=t, used=u, reserved=r)
                for s, t, u, r in cell["mempages"]
            ],
            socket=cell["socket"],
        )
        if cell.get("network") is not None:
            values["network_metadata"] = _network(cell["network"])
        cells.append(o.NUMACell(**values))
    return o.NUMATopology(cells=cells)


def build_guest(case: Case) -> o.InstanceNUMATopology:
    data = case["guest"]
    cells = [
        o.InstanceNUMACell(
            id=cell["id"],
            cpuset=set(cell["cpuset"]),
            pcpuset=set(cell["pcpuset"]),
            memory=cell["memory"],
            pagesize=cell["pagesize"],
            cpu_policy=cell["cpu_policy"],
            cpu_thread_policy=cell["cpu_thread_policy"],
        )
        for cell in data["cells"]
    ]
    return o.InstanceNUMATopology(
        cells=cells, emulator_threads_policy=data["emulator_threads_policy"]
    )


def build_limits(case: Case) -> o.NUMATopologyLimits | None:
    data = case.get("limits")
    if data is None:
        return None
    limits = o.NUMATopologyLimits(
        cpu_allocation_ratio=data["cpu"], ram_allocation_ratio=data["ram"]
    )
    if data.get("network") is not None:
        limits.network_metadata = _network(data["network"])
    return limits


def build_pci(
    case: Case,
) -> tuple[list[PciRequest] | None, PciStats | None]:
    data = case.get("pci")
    if data is None:
        return None, None
    pools = [
        PciPool(
            vendor_id=p["vendor_id"],
            product_id=p["product_id"],
            numa_node=p["numa_node"],
            count=p["count"],
            dev_type=p["dev_type"],
            tags=p["tags"],
        )
        for p in data["pools"]
    ]
    sockets = {c["id"]: c["socket"] for c in case["host"]["cells"]}
    requests = [
        PciRequest(
            count=r["count"],
            spec=tuple(r["spec"]),
            numa_policy=r["numa_policy"],
            alias_name=r.get("alias_name"),
        )
        for r in data["requests"]
    ]
    return requests, PciStats(pools, sockets)


def result_of(fitted: o.InstanceNUMATopology | None) -> Any:
    if fitted is None:
        return None
    cells = []
    for cell in fitted.cells:
        pinning = cell.pinning() or None
        reserved = None
        if cell.obj_attr_is_set("cpuset_reserved") and cell.cpuset_reserved:
            reserved = sorted(cell.cpuset_reserved)
        cells.append(
            {
                "id": cell.id,
                "pagesize": cell.pagesize,
                "pinning": (
                    None
                    if pinning is None
                    else {str(k): v for k, v in pinning.items()}
                ),
                "reserved": reserved,
            }
        )
    return cells
