"""The driver's own check that a fitted guest exists on this host.

The compute's claim chose the cells, CPUs and page size; this checks them
against what the host really has right before the guest is defined, so a
stale or forged placement fails with the reason instead of producing a
guest pinned to nothing (libvirt's test driver accepts such guests).
"""

from __future__ import annotations

from zerodown.compute.errors import HostFitError
from zerodown.compute.objects import Instance, NUMATopology

__all__ = ["check_host_fit"]


def check_host_fit(
    host: str, topology: NUMATopology, instance: Instance
) -> None:
    """:raises HostFitError: naming the first thing the host lacks."""
    guest = instance.numa_topology
    if guest is None:
        return
    cells = {cell.id: cell for cell in topology.cells}
    every = {cpu for c in topology.cells for cpu in c.cpuset | c.pcpuset}
    for guest_cell in guest.cells:
        cell = cells.get(guest_cell.id)
        if cell is None:
            _refuse(
                host,
                instance,
                f"guest cell on host cell {guest_cell.id}, "
                f"which does not exist (cells {sorted(cells)})",
            )
            return
        pinned = set((guest_cell.cpu_pinning or {}).values())
        foreign = pinned - (cell.cpuset | cell.pcpuset)
        if foreign:
            _refuse(
                host,
                instance,
                f"CPUs {sorted(foreign)} are not in host cell {cell.id}",
            )
        if pinned - cell.pcpuset:
            _refuse(
                host,
                instance,
                f"CPUs {sorted(pinned - cell.pcpuset)} "
                f"of cell {cell.id} are not dedicated",
            )
        if guest_cell.pagesize:
            sizes = {p.size_kb for p in cell.mempages if p.total}
            if guest_cell.pagesize not in sizes:
                _refuse(
                    host,
                    instance,
                    f"host cell {cell.id} has no "
                    f"{guest_cell.pagesize} KiB pages (it has "
                    f"{sorted(sizes)})",
                )
        reserved = set(guest_cell.cpuset_reserved or ())
        if reserved - every:
            _refuse(
                host,
                instance,
                f"emulator CPUs {sorted(reserved - every)} do not exist",
            )


def _refuse(host: str, instance: Instance, problem: str) -> None:
    raise HostFitError(uuid=instance.uuid, host=host, problem=problem)
