"""A host's NUMA usage after an instance claims (or frees) its cells.

:func:`numa_usage_from_instance_numa` is Nova's function of that name: for
each host cell an instance cell landed on, memory and shared CPU usage go
up by the guest cell's, its pages of the guest's page size (the smallest
size if none was asked for) are used, and its pinned CPUs - with the
emulator threads' and, under ``isolate``, their siblings - are pinned.
With ``free=True`` the same amounts are given back.  The host topology
passed in is not modified.
"""

from __future__ import annotations

from typing import Any

from zerodown.compute.objects import (
    InstanceNUMACell,
    InstanceNUMATopology,
    NUMACell,
    NUMAPagesTopology,
    NUMATopology,
)

__all__ = ["numa_usage_from_instance_numa"]

_COPIED = ("id", "cpuset", "pcpuset", "memory", "pinned_cpus", "siblings")


def numa_usage_from_instance_numa(
    host_topology: NUMATopology | None,
    instance_topology: InstanceNUMATopology | None,
    free: bool = False,
) -> NUMATopology | None:
    """The host topology with the instance's usage added (or removed).

    :raises CPUPinningError: when pinned CPUs are not dedicated in their
        host cell, already pinned (claim) or not pinned (free).
    """
    if not host_topology or not instance_topology:
        return host_topology
    sign = -1 if free else 1
    cells = []
    for host_cell in host_topology.cells:
        cell = _copy(host_cell)
        for guest in instance_topology.cells:
            if guest.id == host_cell.id:
                _account(cell, guest, sign)
        cell.memory_usage = max(0, cell.memory_usage)
        cell.cpu_usage = max(0, cell.cpu_usage)
        cells.append(cell)
    return NUMATopology(cells=cells)


def _copy(cell: NUMACell) -> NUMACell:
    values = {name: getattr(cell, name) for name in _COPIED}
    for name in ("socket", "network_metadata"):
        if cell.obj_attr_is_set(name):
            values[name] = getattr(cell, name)
    values["mempages"] = [
        NUMAPagesTopology(
            size_kb=p.size_kb,
            total=p.total,
            used=_get(p, "used"),
            reserved=_get(p, "reserved"),
        )
        for p in _get(cell, "mempages", [])
    ]
    return NUMACell(
        cpu_usage=_get(cell, "cpu_usage"),
        memory_usage=_get(cell, "memory_usage"),
        **values,
    )


def _get(obj: Any, name: str, default: Any = 0) -> Any:
    return getattr(obj, name) if obj.obj_attr_is_set(name) else default


def _account(cell: NUMACell, guest: InstanceNUMACell, sign: int) -> None:
    _use_pages(cell, guest, sign)
    cell.memory_usage += sign * guest.memory
    cell.cpu_usage += sign * len(guest.cpuset)
    if guest.cpu_policy in (None, "shared"):
        return
    pinned = set(guest.pinning().values())
    reserved = (
        guest.cpuset_reserved
        if guest.obj_attr_is_set("cpuset_reserved")
        else None
    )
    pinned |= set(reserved or ())
    isolate = guest.obj_attr_is_set("cpu_thread_policy") and (
        guest.cpu_thread_policy == "isolate"
    )
    if sign < 0:
        unpin = cell.unpin_cpus_with_siblings if isolate else cell.unpin_cpus
        unpin(pinned)
    else:
        pin = cell.pin_cpus_with_siblings if isolate else cell.pin_cpus
        pin(pinned)


def _use_pages(cell: NUMACell, guest: InstanceNUMACell, sign: int) -> None:
    pagesize = guest.pagesize if guest.obj_attr_is_set("pagesize") else None
    if not pagesize:
        pagesize = min((p.size_kb for p in cell.mempages), default=None)
    for pages in cell.mempages:
        if pages.size_kb == pagesize:
            # Nova's arithmetic: a float, truncated by the integer field.
            used = pages.used + guest.memory * 1024 / pages.size_kb * sign
            pages.used = int(max(0, used))
