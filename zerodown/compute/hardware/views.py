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
    :meth:`cores` counts the cores with at least some free threads.  A
    cell that reports no siblings is taken as one thread per core.  Those
    two are worked out on first use, from the sibling sets (a hardware
    layout, which never changes); the rest is read when the view is built.
    """

    __slots__ = (
        "_cores_with",
        "_free_siblings",
        "_siblings",
        "cpu_usage",
        "cpuset",
        "free_pcpus",
        "id",
        "memory",
        "memory_usage",
        "page_sizes",
        "pages",
        "pcpuset",
        "physnets",
        "sibling_free_count",
        "socket",
        "threads_per_core",
        "tunneled",
    )

    def __init__(self, cell: NUMACell) -> None:
        d = vars(cell)
        self.id = int(_required(cell, d, "id"))
        self.cpuset = frozenset(d.get("_obj_cpuset") or ())
        self.pcpuset = frozenset(d.get("_obj_pcpuset") or ())
        self.free_pcpus = self.pcpuset.difference(
            d.get("_obj_pinned_cpus") or ()
        )
        self.memory = int(_required(cell, d, "memory"))
        self.memory_usage = int(d.get("_obj_memory_usage") or 0)
        self.cpu_usage = int(d.get("_obj_cpu_usage") or 0)
        self.socket: int | None = d.get("_obj_socket")
        self.pages = tuple(_pages(p) for p in d.get("_obj_mempages") or ())
        #: The page sizes, largest first.
        self.page_sizes = tuple(
            sorted((p.size_kb for p in self.pages), reverse=True)
        )
        siblings = d.get("_obj_siblings") or [
            {cpu} for cpu in sorted(self.pcpuset)
        ]
        self._siblings: Sequence[set[int]] = siblings
        # No siblings and no dedicated CPUs (a shared-only host without
        # SMT reports no sibling sets): one thread per core.
        self.threads_per_core = max(map(len, siblings), default=1) or 1
        self.sibling_free_count = len(
            self.free_pcpus.intersection(set().union(*siblings))
        )
        self._free_siblings: tuple[tuple[int, ...], ...] | None = None
        self._cores_with: tuple[int, ...] | None = None
        self._read_network(d.get("_obj_network_metadata"))

    @property
    def free_siblings(self) -> tuple[tuple[int, ...], ...]:
        if self._free_siblings is None:
            free = self.free_pcpus
            cores = (free.intersection(core) for core in self._siblings)
            self._free_siblings = tuple(
                tuple(sorted(core)) for core in cores if core
            )
        return self._free_siblings

    @property
    def cores_with(self) -> tuple[int, ...]:
        """``cores_with[t]``: cores with at least ``t`` free threads."""
        if self._cores_with is None:
            cores = self.free_siblings
            counts = [0] * (max(map(len, cores), default=0) + 1)
            for core in cores:
                counts[len(core)] += 1
            for threads in range(len(counts) - 2, -1, -1):
                counts[threads] += counts[threads + 1]
            self._cores_with = tuple(counts)
        return self._cores_with

    def _read_network(self, meta: Any) -> None:
        self.physnets: frozenset[str] | None = None
        self.tunneled = False
        if meta is not None:
            d = vars(meta)
            self.physnets = frozenset(d.get("_obj_physnets") or ())
            self.tunneled = bool(d.get("_obj_tunneled"))

    @property
    def avail_memory(self) -> int:
        return self.memory - self.memory_usage

    def cores(self, threads: int) -> int:
        """How many cores have at least ``threads`` free threads."""
        counts = self.cores_with
        return counts[threads] if threads < len(counts) else 0

    def page(self, size_kb: int) -> Pages | None:
        for pages in self.pages:
            if pages.size_kb == size_kb:
                return pages
        return None


def _pages(pages: Any) -> Pages:
    d = vars(pages)
    return Pages(
        _required(pages, d, "size_kb"),
        _required(pages, d, "total"),
        d.get("_obj_used") or 0,
        d.get("_obj_reserved") or 0,
    )


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
        "shape",
        "shared",
        "thread_policy",
    )

    def __init__(self, cell: InstanceNUMACell) -> None:
        d = vars(cell)
        self.cell = cell
        self.id = int(_required(cell, d, "id"))
        self.shared = len(d.get("_obj_cpuset") or ())
        self.pcpus = tuple(sorted(d.get("_obj_pcpuset") or ()))
        self.memory = int(_required(cell, d, "memory"))
        self.pagesize: int | None = d.get("_obj_pagesize")
        self.cpu_policy: str | None = d.get("_obj_cpu_policy")
        self.thread_policy: str | None = d.get("_obj_cpu_thread_policy")
        self.pinned = self.cpu_policy in ("dedicated", "mixed")
        #: What fitting depends on: cells of one shape fit alike.
        self.shape = (
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
    """Field ``name`` of an o.vo object, ``None`` when unset.

    Views read fields from where o.vo stores them (``_obj_<name>``, as
    ``ZerodownObject.obj_attr_is_set`` and the wire decoder also do): the
    field property costs several times more, and a view reads every
    field of every cell.
    """
    return vars(obj).get("_obj_" + name)


def _required(obj: object, d: dict[str, Any], name: str) -> Any:
    value = d.get("_obj_" + name)
    if value is None:
        # Let o.vo raise its own error for the unset field.
        return getattr(obj, name)
    return value
