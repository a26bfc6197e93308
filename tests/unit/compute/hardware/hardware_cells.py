"""Builders of host and guest cells for the placement tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zerodown.compute import objects as o


def host_cell(
    cell_id: int = 0,
    pcpus: Iterable[int] = (),
    *,
    cpus: Iterable[int] = (),
    siblings: list[set[int]] | None = None,
    pinned: Iterable[int] = (),
    memory: int = 2048,
    memory_usage: int = 0,
    cpu_usage: int = 0,
    pages: list[tuple[int, int, int]] | None = None,
    socket: int | None = None,
    physnets: Iterable[str] | None = None,
    tunneled: bool = False,
) -> o.NUMACell:
    """A host cell; ``pages`` are ``(size_kb, total, used)``, by default
    all its memory in 4 KiB pages; ``siblings`` default to one thread per
    core."""
    pcpus, cpus = set(pcpus), set(cpus)
    if siblings is None:
        siblings = [{cpu} for cpu in sorted(pcpus | cpus)]
    if pages is None:
        pages = [(4, memory * 256, memory_usage * 256)]
    values: dict[str, Any] = dict(
        id=cell_id,
        cpuset=cpus,
        pcpuset=pcpus,
        memory=memory,
        memory_usage=memory_usage,
        cpu_usage=cpu_usage,
        pinned_cpus=set(pinned),
        siblings=siblings,
        mempages=[
            o.NUMAPagesTopology(size_kb=size, total=total, used=used)
            for size, total, used in pages
        ],
        socket=socket,
    )
    if physnets is not None:
        values["network_metadata"] = o.NetworkMetadata(
            physnets=set(physnets), tunneled=tunneled
        )
    return o.NUMACell(**values)


def host(*cells: o.NUMACell) -> o.NUMATopology:
    return o.NUMATopology(cells=list(cells))


def guest_cell(
    cell_id: int = 0,
    pcpus: Iterable[int] = (),
    *,
    cpus: Iterable[int] = (),
    memory: int = 1024,
    policy: str | None = None,
    thread_policy: str | None = None,
    pagesize: int | None = None,
) -> o.InstanceNUMACell:
    pcpus = set(pcpus)
    if policy is None and pcpus:
        policy = "dedicated"
    return o.InstanceNUMACell(
        id=cell_id,
        cpuset=set(cpus),
        pcpuset=pcpus,
        memory=memory,
        pagesize=pagesize,
        cpu_policy=policy,
        cpu_thread_policy=thread_policy,
    )


def guest(
    *cells: o.InstanceNUMACell, emulator: str | None = None
) -> o.InstanceNUMATopology:
    return o.InstanceNUMATopology(
        cells=list(cells), emulator_threads_policy=emulator
    )


def placed(topology: o.InstanceNUMATopology | None) -> list[Any] | None:
    """``(host cell, page size, pinning, reserved)`` per guest cell."""
    if topology is None:
        return None
    return [
        (
            cell.id,
            cell.pagesize,
            cell.pinning() or None,
            cell.cpuset_reserved
            if cell.obj_attr_is_set("cpuset_reserved")
            else None,
        )
        for cell in topology.cells
    ]


def flavor(vcpus: int = 4, memory_mb: int = 2048, **specs: str) -> o.Flavor:
    """A flavor; keyword ``cpu_policy="dedicated"`` is ``hw:cpu_policy``
    (``numa_cpus_0`` is ``hw:numa_cpus.0``)."""
    extra = {"hw:" + _key(k): v for k, v in specs.items()}
    return o.Flavor(vcpus=vcpus, memory_mb=memory_mb, extra_specs=extra)


def _key(name: str) -> str:
    for prefix in ("numa_cpus_", "numa_mem_"):
        if name.startswith(prefix):
            return prefix[:-1] + "." + name[len(prefix) :]
    return name


def image(**props: Any) -> o.ImageMetaProps:
    """Image properties by their names without ``hw_``."""
    return o.ImageMetaProps(**{"hw_" + k: v for k, v in props.items()})
