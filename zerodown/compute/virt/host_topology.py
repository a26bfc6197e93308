"""A host's NUMA cells as plain data, and the NUMATopology they report.

Both drivers describe the host with :class:`HostCell` values (the fake
driver from its options, libvirt from its capabilities XML) and report
it through :func:`numa_topology`, which splits each cell's CPUs into
shared and dedicated as Nova's ``cpu_shared_set`` / ``cpu_dedicated_set``
do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from zerodown.compute.objects import (
    NetworkMetadata,
    NUMACell,
    NUMAPagesTopology,
    NUMATopology,
    parse_cpu_spec,
)
from zerodown.exceptions import ConfigError

__all__ = ["HostCell", "generated_cells", "numa_topology"]


@dataclasses.dataclass(frozen=True)
class HostCell:
    id: int
    socket: int
    #: CPU id -> its thread siblings (itself included).
    cpus: Mapping[int, frozenset[int]]
    memory_mb: int
    #: Page size in KiB -> number of pages (4 KiB pages included).
    pages: Mapping[int, int]


def generated_cells(
    cells: int = 2,
    cores_per_cell: int = 4,
    threads_per_core: int = 2,
    memory_mb_per_cell: int = 8192,
    pages_per_cell: Mapping[int, int] | None = None,
) -> list[HostCell]:
    """A Linux-numbered host: one socket per cell, thread ``t`` of core
    ``k`` in cell ``c`` is CPU ``t * cells * cores + c * cores + k``."""
    huge = dict(pages_per_cell if pages_per_cell is not None else {2048: 1024})
    stride = cells * cores_per_cell
    found = []
    for cell in range(cells):
        cpus: dict[int, frozenset[int]] = {}
        for core in range(cores_per_cell):
            first = cell * cores_per_cell + core
            siblings = frozenset(
                first + t * stride for t in range(threads_per_core)
            )
            for cpu in siblings:
                cpus[cpu] = siblings
        huge_kb = sum(size * count for size, count in huge.items())
        small = (memory_mb_per_cell * 1024 - huge_kb) // 4
        if small < 0:
            raise ConfigError(
                problem=f"cell {cell}: {huge_kb} KiB of huge pages exceed "
                f"its {memory_mb_per_cell} MiB"
            )
        found.append(
            HostCell(cell, cell, cpus, memory_mb_per_cell, {4: small, **huge})
        )
    return found


def numa_topology(
    cells: Sequence[HostCell],
    cpu_dedicated_set: str | None = None,
    cpu_shared_set: str | None = None,
) -> NUMATopology:
    """The topology a compute reports, nothing used yet."""
    every = {cpu for cell in cells for cpu in cell.cpus}
    dedicated = _cpus(cpu_dedicated_set, every, "cpu_dedicated_set")
    shared = _cpus(cpu_shared_set, every, "cpu_shared_set")
    if dedicated & shared:
        raise ConfigError(
            problem="cpu_dedicated_set and cpu_shared_set overlap on "
            f"{sorted(dedicated & shared)}"
        )
    if not cpu_dedicated_set and not cpu_shared_set:
        shared = every
    elif not cpu_shared_set:
        shared = every - dedicated
    return NUMATopology(
        cells=[_cell(cell, dedicated, shared) for cell in cells]
    )


def _cpus(spec: str | None, every: set[int], name: str) -> set[int]:
    if not spec:
        return set()
    cpus = set(parse_cpu_spec(spec))
    missing = cpus - every
    if missing:
        raise ConfigError(
            problem=f"{name} names CPUs the host lacks: {sorted(missing)}"
        )
    return cpus


def _cell(cell: HostCell, dedicated: set[int], shared: set[int]) -> NUMACell:
    siblings = sorted({s for s in cell.cpus.values() if len(s) > 1}, key=min)
    return NUMACell(
        id=cell.id,
        cpuset={c for c in cell.cpus if c in shared},
        pcpuset={c for c in cell.cpus if c in dedicated},
        memory=cell.memory_mb,
        cpu_usage=0,
        memory_usage=0,
        pinned_cpus=set(),
        siblings=[set(s) for s in siblings],
        mempages=[
            NUMAPagesTopology(size_kb=size, total=count, used=0, reserved=0)
            for size, count in sorted(cell.pages.items())
        ],
        network_metadata=NetworkMetadata(physnets=set(), tunneled=False),
        socket=cell.socket,
    )
