"""Nova's side of ``bench/placement.py``: run in a virtualenv with nova.

    /tmp/nova-venv/bin/python bench/placement_nova.py < cases.json

Reads ``{"cases": [...], "rounds": N, "budget": seconds}`` on stdin (the
case format is in ``placement_cases.py``), builds Nova's objects for each
case, times ``nova.virt.hardware.numa_fit_instance_to_host`` (a case with
``"hosts"`` times choosing among them) until ``rounds`` or ``budget`` is
reached, and writes ``{"nova": version, "cases": [{"name", "times",
"result"}]}`` on stdout.  Nova
changes the instance topology it fits (ids, page sizes, pinning), so each
call gets a fresh deep copy, made outside the timed region.  Imports only
Nova and the standard library: zerodown is not installed there.
"""

from __future__ import annotations

import copy
import json
import sys
import time
import uuid
import warnings
from typing import Any

warnings.filterwarnings("ignore")

from nova import objects  # noqa: E402
from nova.conf import CONF  # noqa: E402
from nova.pci import stats as pci_stats  # noqa: E402
from nova.virt import hardware  # noqa: E402

objects.register_all()


def _network(data: dict[str, Any] | None) -> Any:
    if data is None:
        return None
    return objects.NetworkMetadata(
        physnets=set(data["physnets"]), tunneled=data["tunneled"]
    )


def _host_cell(cell: dict[str, Any]) -> Any:
    built = objects.NUMACell(
        id=cell["id"],
        cpuset=set(cell["cpuset"]),
        pcpuset=set(cell["pcpuset"]),
        memory=cell["memory"],
        memory_usage=cell["memory_usage"],
        cpu_usage=cell["cpu_usage"],
        pinned_cpus=set(cell["pinned"]),
        siblings=[set(s) for s in cell["siblings"]],
        mempages=[
            objects.NUMAPagesTopology(size_kb=s, total=t, used=u, reserved=r)
            for s, t, u, r in cell["mempages"]
        ],
        socket=cell["socket"],
    )
    if cell.get("network") is not None:
        built.network_metadata = _network(cell["network"])
    return built


def _guest(data: dict[str, Any]) -> Any:
    cells = [
        objects.InstanceNUMACell(
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
    return objects.InstanceNUMATopology(
        cells=cells, emulator_threads_policy=data["emulator_threads_policy"]
    )


def _limits(data: dict[str, Any] | None) -> Any:
    if data is None:
        return None
    limits = objects.NUMATopologyLimits(
        cpu_allocation_ratio=data["cpu"], ram_allocation_ratio=data["ram"]
    )
    if data.get("network") is not None:
        limits.network_metadata = _network(data["network"])
    return limits


def _pci(data: dict[str, Any] | None, host: Any) -> tuple[Any, Any]:
    if data is None:
        return None, None
    stats = pci_stats.PciDeviceStats(host)
    # Pools set directly, in the case's order (as zerodown's PciStats).
    stats.pools = [
        {
            "vendor_id": p["vendor_id"],
            "product_id": p["product_id"],
            "numa_node": p["numa_node"],
            "dev_type": p["dev_type"],
            "count": p["count"],
            "devices": [],
            **p["tags"],
        }
        for p in data["pools"]
    ]
    requests = [
        objects.InstancePCIRequest(
            count=r["count"],
            spec=r["spec"],
            numa_policy=r["numa_policy"],
            alias_name=r.get("alias_name") or f"alias{i}",
            request_id=str(uuid.UUID(int=i)),
        )
        for i, r in enumerate(data["requests"])
    ]
    return requests, stats


def _result(fitted: Any) -> list[dict[str, Any]] | None:
    if fitted is None:
        return None
    cells = []
    for cell in fitted.cells:
        pinning = None
        if "cpu_pinning_raw" in cell and cell.cpu_pinning_raw is not None:
            pinning = {str(k): v for k, v in cell.cpu_pinning.items()}
        reserved = None
        if "cpuset_reserved" in cell and cell.cpuset_reserved:
            reserved = sorted(cell.cpuset_reserved)
        cells.append(
            {
                "id": cell.id,
                "pagesize": cell.pagesize,
                "pinning": pinning,
                "reserved": reserved,
            }
        )
    return cells


def run_case(case: dict[str, Any], rounds: int, budget: float) -> dict:
    CONF.set_override(
        "packing_host_numa_cells_allocation_strategy",
        case.get("pack", False),
        "compute",
    )
    host = objects.NUMATopology(
        cells=[_host_cell(c) for c in case["host"]["cells"]]
    )
    guest = _guest(case["guest"])
    limits = _limits(case.get("limits"))
    requests, stats = _pci(case.get("pci"), host)
    times: list[float] = []
    result = None
    started = time.perf_counter()
    for _ in range(rounds):
        fresh = copy.deepcopy(guest)
        begin = time.perf_counter()
        fitted = hardware.numa_fit_instance_to_host(
            host, fresh, None, limits, requests, stats
        )
        times.append(time.perf_counter() - begin)
        result = _result(fitted)
        if time.perf_counter() - started > budget:
            break
    return {"name": case.get("name"), "times": times, "result": result}


def _weight(host: Any) -> int:
    # The benchmark's weigher: most free dedicated CPUs.
    return sum(len(cell.pcpuset - cell.pinned_cpus) for cell in host.cells)


def _choose(
    hosts: list[Any], weights: list[int], guests: list[Any], lazy: bool
) -> Any:
    """Fit every host and take the best, or try hosts best first and take
    the first that fits."""
    if lazy:
        order = sorted(range(len(hosts)), key=lambda i: -weights[i])
        for i in order:
            fitted = hardware.numa_fit_instance_to_host(
                hosts[i], guests[i], None
            )
            if fitted is not None:
                return i, fitted
        return None, None
    fits = [
        (i, hardware.numa_fit_instance_to_host(host, guests[i], None))
        for i, host in enumerate(hosts)
    ]
    found = [(i, f) for i, f in fits if f is not None]
    if not found:
        return None, None
    return max(found, key=lambda pair: (weights[pair[0]], -pair[0]))


def run_choice(case: dict[str, Any], rounds: int, budget: float) -> dict:
    """Hosts and their weights are kept between requests (as a scheduler
    keeps host states); each round fits one request."""
    hosts = [
        objects.NUMATopology(cells=[_host_cell(c) for c in host["cells"]])
        for host in case["hosts"]
    ]
    weights = [_weight(host) for host in hosts]
    guest = _guest(case["guest"])
    times: list[float] = []
    chosen: Any = None
    started = time.perf_counter()
    for _ in range(rounds):
        guests = [copy.deepcopy(guest) for _ in hosts]
        begin = time.perf_counter()
        index, fitted = _choose(
            hosts, weights, guests, case["strategy"] == "lazy"
        )
        times.append(time.perf_counter() - begin)
        chosen = {"host": index, "result": _result(fitted)}
        if time.perf_counter() - started > budget:
            break
    return {"name": case.get("name"), "times": times, "result": chosen}


def main() -> None:
    request = json.load(sys.stdin)
    rounds = request.get("rounds", 1)
    budget = request.get("budget", 60.0)
    out = [
        (run_choice if "hosts" in c else run_case)(c, rounds, budget)
        for c in request["cases"]
    ]
    json.dump({"nova": _nova_version(), "cases": out}, sys.stdout)


def _nova_version() -> str:
    from importlib.metadata import version

    return version("nova")


if __name__ == "__main__":
    main()
