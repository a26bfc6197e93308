"""Plain, read-only views of host and guest NUMA cells.

The fitting functions read a cell's attributes many times; an o.vo field
read costs about a microsecond, so each cell is read once into one of
these views.  A scheduler may keep a host's :class:`HostView` between
requests: it describes the host as reported and changes only with a new
report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zerodown.compute.objects import (
    InstanceNUMACell,
    InstanceNUMATopology,
    NUMACell,
    NUMATopology,
)

__all__ = ["GuestCell", "GuestView", "HostCell", "HostView", "Pages"]


class Pages:
    """One page size of a host cell (sizes in KiB)."""

    __slots__ = ("free_kb", "reserved", "size_kb", "total", "total_kb", "used")

    def __init__(
        self, size_kb: int, total: int, used: int, reserved: int
    ) -> None:
        self.size_kb, self.total = size_kb, total
        self.used, self.reserved = used, reserved
        self.total_kb = total * size_kb
        self.free_kb = (total - used - reserved) * size_kb

    def can_fit(self, memory_kb: int, use_free: bool = True) -> bool:
        """Whether ``memory_kb`` fits in whole pages of this size; huge
        pages are locked, so they are never overcommitted (``use_free``)."""
        avail = self.free_kb if use_free else self.total_kb
        return memory_kb <= avail and memory_kb % self.size_kb == 0


class HostCell:
    """A host NUMA cell as the fitting functions read it.

    ``free_siblings`` are the free dedicated CPUs of each core (sorted,
    empty cores left out), in the order the host reported its cores;
    ``cores_with[t]`` counts the cores with at least ``t`` free threads.
    A cell that reports no siblings is taken as one thread per core.
    """

    __slots__ = (
        "cores_with",
        "cpu_usage",
        "cpuset",
        "free_pcpus",
        "free_siblings",
        "id",
        "memory",
        "memory_usage",
        "pages",
        "pcpuset",
        "physnets",
        "sibling_free_count",
        "socket",
        "threads_per_core",
        "tunneled",
    )

    def __init__(self, cell: NUMACell) -> None:
        self.id = int(cell.id)
        self.cpuset = frozenset(cell.cpuset)
        self.pcpuset = frozenset(cell.pcpuset)
        self.free_pcpus = self.pcpuset - frozenset(cell.pinned_cpus)
        self.memory = int(cell.memory)
        self.memory_usage = int(cell.memory_usage)
        self.cpu_usage = int(cell.cpu_usage)
        self.socket: int | None = _optional(cell, "socket")
        self.pages = tuple(
            Pages(p.size_kb, p.total, p.used, p.reserved)
            for p in _optional(cell, "mempages") or ()
        )
        self._read_siblings(_optional(cell, "siblings") or [])
        self._read_network(cell)

    def _read_siblings(self, siblings: Sequence[set[int]]) -> None:
        if not siblings:
            siblings = [{cpu} for cpu in sorted(self.pcpuset)]
        self.threads_per_core = max(len(core) for core in siblings) or 1
        free = self.free_pcpus
        self.free_siblings = tuple(
            tuple(sorted(core & free)) for core in siblings if core & free
        )
        self.sibling_free_count = sum(len(c) for c in self.free_siblings)
        most = max((len(c) for c in self.free_siblings), default=0)
        self.cores_with = tuple(
            sum(1 for c in self.free_siblings if len(c) >= t)
            for t in range(most + 1)
        )

    def _read_network(self, cell: NUMACell) -> None:
        meta = _optional(cell, "network_metadata")
        self.physnets: frozenset[str] | None = None
        self.tunneled = False
        if meta is not None:
            self.physnets = frozenset(_optional(meta, "physnets") or ())
            self.tunneled = bool(_optional(meta, "tunneled"))

    @property
    def avail_memory(self) -> int:
        return self.memory - self.memory_usage

    def cores(self, threads: int) -> int:
        """How many cores have at least ``threads`` free threads."""
        return (
            self.cores_with[threads] if threads < len(self.cores_with) else 0
        )

    def page(self, size_kb: int) -> Pages | None:
        for pages in self.pages:
            if pages.size_kb == size_kb:
                return pages
        return None


class HostView:
    """A host's cells, in the order it reported them."""

    __slots__ = ("cells", "topology")

    def __init__(self, topology: NUMATopology) -> None:
        self.topology = topology
        self.cells = tuple(HostCell(cell) for cell in topology.cells)

    def __len__(self) -> int:
        return len(self.cells)


class GuestCell:
    """A guest NUMA cell as the fitting functions read it."""

    __slots__ = (
        "cell",
        "cpu_policy",
        "id",
        "memory",
        "pagesize",
        "pcpus",
        "pinned",
        "shared",
        "thread_policy",
    )

    def __init__(self, cell: InstanceNUMACell) -> None:
        self.cell = cell
        self.id = int(cell.id)
        self.shared = len(cell.cpuset)
        self.pcpus = tuple(sorted(cell.pcpuset))
        self.memory = int(cell.memory)
        self.pagesize: int | None = _optional(cell, "pagesize")
        self.cpu_policy: str | None = _optional(cell, "cpu_policy")
        self.thread_policy: str | None = _optional(cell, "cpu_thread_policy")
        self.pinned = self.cpu_policy in ("dedicated", "mixed")

    def shape(self) -> tuple[object, ...]:
        """What fitting depends on: cells of one shape fit alike."""
        return (
            self.shared,
            len(self.pcpus),
            self.memory,
            self.pagesize,
            self.cpu_policy,
            self.thread_policy,
        )


class GuestView:
    """An instance's requested cells and emulator thread policy."""

    __slots__ = ("cells", "emulator_threads_policy", "topology")

    def __init__(self, topology: InstanceNUMATopology) -> None:
        self.topology = topology
        self.cells = tuple(GuestCell(cell) for cell in topology.cells)
        self.emulator_threads_policy: str | None = _optional(
            topology, "emulator_threads_policy"
        )

    @property
    def emulator_threads_isolated(self) -> bool:
        return self.emulator_threads_policy == "isolate"

    def __len__(self) -> int:
        return len(self.cells)


def _optional(obj: object, name: str) -> Any:
    # An unset o.vo field reads as None here rather than raising.
    is_set = getattr(obj, "obj_attr_is_set", None)
    if is_set is not None and not is_set(name):
        return None
    return getattr(obj, name, None)
