"""Tables of where instances landed and what their hosts hold.

They read the API's views only (``zerodown:numa``, ``numa_cells``), so
what the demo shows is what any API client sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.table import Table

from zerodown.compute.objects import format_cpu_spec

__all__ = ["cpus", "hosts_table", "servers_table"]


def cpus(values: Iterable[int]) -> str:
    """``[0, 1, 2, 5]`` as ``0-2,5`` (``-`` for none)."""
    return format_cpu_spec(values) or "-"


def _placement(numa: Mapping[str, Any] | None) -> tuple[str, str, str]:
    if not numa:
        return "floating", "-", "-"
    cells, pins, pages = [], [], set()
    for cell in numa.get("cells", []):
        cells.append(str(cell["host_cell"]))
        pinning = cell.get("pinning") or {}
        if pinning:
            pins.append(
                " ".join(
                    f"{v}>{p}"
                    for v, p in sorted(
                        pinning.items(), key=lambda i: int(i[0])
                    )
                )
            )
        if cell.get("pagesize"):
            pages.add(cell["pagesize"])
    size = ", ".join(f"{p} KiB" for p in sorted(pages)) or "small"
    emulator = numa.get("emulator_cpus") or []
    if emulator:
        pins.append(f"emu>{cpus(emulator)}")
    return ",".join(cells), " | ".join(pins) or "shared", size


def servers_table(servers: Iterable[Mapping[str, Any]]) -> Table:
    table = Table(title="Instances")
    for column in (
        "name",
        "flavor",
        "status",
        "host",
        "host cells",
        "pinning (vCPU>pCPU)",
        "pages",
        "PCI",
    ):
        table.add_column(column)
    for server in servers:
        cells, pins, pages = _placement(server.get("zerodown:numa"))
        table.add_row(
            server["name"],
            str(server.get("flavor", {}).get("original_name", "?")),
            server["status"],
            str(server.get("host") or "-"),
            cells,
            pins,
            pages,
            ", ".join(server.get("zerodown:pci_devices") or []) or "-",
        )
    return table


def hosts_table(hypervisors: Iterable[Mapping[str, Any]]) -> Table:
    table = Table(title="Host usage per NUMA cell")
    for column in (
        "host",
        "cell",
        "shared CPUs",
        "dedicated CPUs",
        "pinned",
        "memory used/total MiB",
        "pages used/total",
    ):
        table.add_column(column)
    for hypervisor in hypervisors:
        host = str(
            hypervisor.get("service", {}).get("host")
            or hypervisor.get("hypervisor_hostname")
        )
        for cell in hypervisor.get("numa_cells") or []:
            pages = " ".join(
                f"{p['size_kb']}K:{p['used']}/{p['total']}"
                for p in cell.get("pages", [])
            )
            table.add_row(
                host,
                str(cell["id"]),
                cpus(cell.get("cpus", [])),
                cpus(cell.get("pcpus", [])),
                cpus(cell.get("pinned", [])),
                f"{cell.get('memory_used', 0)}/{cell.get('memory', 0)}",
                pages,
            )
    return table
