"""A host's NUMA topology: cells, their CPUs, memory pages and pinning.

Histories follow Nova's ``nova/objects/numa.py``.  One deliberate change:
Nova backports ``NUMACell`` below 1.4 by dropping ``pcpuset``, so an older
reader no longer sees the host's dedicated CPUs at all; here they are folded
into ``cpuset``, which before 1.4 meant every CPU usable by guests.
"""

from __future__ import annotations

from typing import Any

from zerodown.compute.errors import (
    CPUPinningInvalid,
    CPUPinningUnknown,
    CPUUnpinningInvalid,
    CPUUnpinningUnknown,
)
from zerodown.compute.objects.cpuspec import format_cpu_spec, parse_cpu_spec
from zerodown.compute.objects.registry import REGISTRY
from zerodown.objects import Change, History, StepContext, ZerodownObject
from zerodown.objects import fields as f
from zerodown.objects.errors import MalformedPayload

__all__ = [
    "NUMACell",
    "NUMAPagesTopology",
    "NUMATopology",
    "NUMATopologyLimits",
    "NetworkMetadata",
]


@REGISTRY.register
class NetworkMetadata(ZerodownObject):
    """Physical networks and tunnels a NUMA cell is affined to."""

    VERSION = "1.0"
    history = History(
        Change("1.0", "initial", added=["physnets", "tunneled"]),
    )
    fields = {
        "physnets": f.SetOfStringsField(),
        "tunneled": f.BooleanField(),
    }


def _no_reservation(data: dict[str, Any], step: StepContext) -> None:
    # Before 1.1 no page was reserved, which is what 0 says now.
    data.setdefault("reserved", 0)


@REGISTRY.register
class NUMAPagesTopology(ZerodownObject):
    """Pages of one size in a host cell."""

    VERSION = "1.1"
    history = History(
        Change("1.0", "initial", added=["size_kb", "total", "used"]),
        Change(
            "1.1",
            "pages reserved for the host",
            added=["reserved"],
            upgrade=_no_reservation,
        ),
    )
    fields = {
        "size_kb": f.IntegerField(),
        "total": f.IntegerField(),
        "used": f.IntegerField(default=0),
        "reserved": f.IntegerField(default=0),
    }

    @property
    def free(self) -> int:
        """Pages neither used nor reserved."""
        reserved = self.reserved if self.obj_attr_is_set("reserved") else 0
        return int(self.total - self.used - reserved)

    @property
    def free_kb(self) -> int:
        return self.free * int(self.size_kb)


def _fold_pcpuset(data: dict[str, Any], step: StepContext) -> None:
    # Before 1.4 cpuset held every guest CPU, pinnable or not.
    pcpus = data.get("pcpuset") or []
    if pcpus:
        data["cpuset"] = sorted(set(data.get("cpuset") or []) | set(pcpus))


def _dual_report(data: dict[str, Any], step: StepContext) -> None:
    # A pre-1.4 host could pin any of its CPUs: report them as dedicated
    # too, as Nova's Train scheduler did for hosts not yet upgraded.
    data.setdefault("pcpuset", list(data.get("cpuset") or []))


def _nothing_pinned(data: dict[str, Any], step: StepContext) -> None:
    # Before 1.1 nothing was pinned, and sibling threads were not told.
    data.setdefault("pinned_cpus", [])
    data.setdefault("siblings", [])


def _no_pages(data: dict[str, Any], step: StepContext) -> None:
    data.setdefault("mempages", [])


def _no_networks(obj: ZerodownObject, attrname: str) -> None:
    """``network_metadata`` of a cell or limits stored before it existed:
    no NUMA-affined networks.  A child object, so it is set when read
    rather than by an upgrade step (steps see no child objects)."""
    if attrname != "network_metadata":
        raise NotImplementedError(
            f"cannot load {attrname!r} of {obj.obj_name()}"
        )
    obj.network_metadata = NetworkMetadata(physnets=set(), tunneled=False)
    obj.obj_reset_changes(["network_metadata"])


@REGISTRY.register
class NUMACell(ZerodownObject):
    """One NUMA cell of a host: shared CPUs, dedicated CPUs and memory."""

    VERSION = "1.5"
    history = History(
        Change(
            "1.0",
            "initial",
            added=["id", "cpuset", "memory", "cpu_usage", "memory_usage"],
        ),
        Change(
            "1.1",
            "CPU pinning",
            added=["pinned_cpus", "siblings"],
            upgrade=_nothing_pinned,
        ),
        Change("1.2", "huge pages", added=["mempages"], upgrade=_no_pages),
        Change("1.3", "NUMA-affined networks", added=["network_metadata"]),
        Change(
            "1.4",
            "dedicated CPUs move from cpuset to pcpuset",
            added=["pcpuset"],
            backport=_fold_pcpuset,
            upgrade=_dual_report,
        ),
        Change("1.5", "socket of the cell", added=["socket"]),
    )
    fields = {
        "id": f.IntegerField(read_only=True),
        "cpuset": f.CPUSetField(),
        "pcpuset": f.CPUSetField(),
        "memory": f.IntegerField(),
        "cpu_usage": f.IntegerField(default=0),
        "memory_usage": f.IntegerField(default=0),
        "pinned_cpus": f.CPUSetField(),
        "siblings": f.ListOfCPUSetsField(),
        "mempages": f.ListOfObjectsField("NUMAPagesTopology"),
        "network_metadata": f.ObjectField("NetworkMetadata"),
        "socket": f.IntegerField(nullable=True),
    }

    obj_load_attr = _no_networks
    id: int
    cpuset: set[int]
    pcpuset: set[int]
    memory: int
    memory_usage: int
    pinned_cpus: set[int]
    siblings: list[set[int]]
    mempages: list[NUMAPagesTopology]

    @property
    def free_pcpus(self) -> set[int]:
        """Dedicated CPUs not pinned yet."""
        return set(self.pcpuset) - set(self.pinned_cpus)

    @property
    def avail_memory(self) -> int:
        return int(self.memory - self.memory_usage)

    @property
    def has_threads(self) -> bool:
        return any(len(group) > 1 for group in self.siblings)

    def pin_cpus(self, cpus: set[int]) -> None:
        """Mark ``cpus`` pinned.

        :raises CPUPinningUnknown: if some are not dedicated CPUs here.
        :raises CPUPinningInvalid: if some are pinned already.
        """
        if cpus - self.pcpuset:
            raise CPUPinningUnknown(
                cell=self.id,
                requested=format_cpu_spec(cpus),
                available=format_cpu_spec(self.pcpuset),
            )
        taken = cpus & self.pinned_cpus
        if taken:
            raise CPUPinningInvalid(
                cell=self.id,
                requested=format_cpu_spec(cpus),
                pinned=format_cpu_spec(taken),
            )
        self.pinned_cpus = self.pinned_cpus | cpus

    def unpin_cpus(self, cpus: set[int]) -> None:
        """Release ``cpus``.

        :raises CPUUnpinningUnknown: if some are not dedicated CPUs here.
        :raises CPUUnpinningInvalid: if some are not pinned.
        """
        if cpus - self.pcpuset:
            raise CPUUnpinningUnknown(
                cell=self.id,
                requested=format_cpu_spec(cpus),
                available=format_cpu_spec(self.pcpuset),
            )
        if cpus - self.pinned_cpus:
            raise CPUUnpinningInvalid(
                cell=self.id,
                requested=format_cpu_spec(cpus),
                pinned=format_cpu_spec(self.pinned_cpus) or "none",
            )
        self.pinned_cpus = self.pinned_cpus - cpus

    def pin_cpus_with_siblings(self, cpus: set[int]) -> None:
        """Pin ``cpus`` and every SMT sibling of them (``isolate``)."""
        self.pin_cpus(self._with_siblings(cpus))

    def unpin_cpus_with_siblings(self, cpus: set[int]) -> None:
        self.unpin_cpus(self._with_siblings(cpus))

    def _with_siblings(self, cpus: set[int]) -> set[int]:
        found = set(cpus)
        for group in self.siblings:
            if group & cpus:
                found |= group
        return found

    def pages(self, size_kb: int) -> NUMAPagesTopology | None:
        """The page pool of ``size_kb``, if the cell has one."""
        for pool in self.mempages:
            if pool.size_kb == size_kb:
                return pool
        return None


@REGISTRY.register
class NUMATopology(ZerodownObject):
    """A host's NUMA cells."""

    VERSION = "1.2"
    history = History(
        Change("1.0", "initial", added=["cells"]),
        # Before Mitaka a parent was bumped with every child bump.
        Change("1.1", "cells may be NUMACell 1.1"),
        Change("1.2", "cells may be NUMACell 1.2"),
    )
    fields = {"cells": f.ListOfObjectsField("NUMACell")}

    @property
    def has_threads(self) -> bool:
        return any(cell.has_threads for cell in self.cells)

    @classmethod
    def obj_from_legacy(cls, data: Any, context: Any = None) -> NUMATopology:
        """Read Juno's unversioned host topology::

            {"cells": [{"id": 0, "cpus": "0-3", "mem": {"total": 2048,
                        "used": 0}, "cpu_usage": 0}]}

        Juno had no pinning, so no CPU is dedicated.
        """
        try:
            cells = [_legacy_cell(cell) for cell in data["cells"]]
        except (KeyError, TypeError, ValueError) as err:
            raise MalformedPayload(
                reason=f"not a legacy NUMA topology: {err!r:.80}"
            ) from None
        return cls(context, cells=cells)


def _legacy_cell(cell: dict[str, Any]) -> NUMACell:
    return NUMACell(
        id=int(cell["id"]),
        cpuset=parse_cpu_spec(str(cell["cpus"])),
        pcpuset=set(),
        memory=int(cell["mem"]["total"]),
        memory_usage=int(cell["mem"].get("used", 0)),
        cpu_usage=int(cell.get("cpu_usage", 0)),
        pinned_cpus=set(),
        siblings=[],
        mempages=[],
    )


@REGISTRY.register
class NUMATopologyLimits(ZerodownObject):
    """Overcommit the scheduler allows on a host's NUMA cells."""

    VERSION = "1.1"
    history = History(
        Change(
            "1.0",
            "initial",
            added=["cpu_allocation_ratio", "ram_allocation_ratio"],
        ),
        Change("1.1", "NUMA-affined networks", added=["network_metadata"]),
    )
    fields = {
        "cpu_allocation_ratio": f.FloatField(),
        "ram_allocation_ratio": f.FloatField(),
        "network_metadata": f.ObjectField("NetworkMetadata"),
    }

    obj_load_attr = _no_networks

    def to_dict_legacy(self, host: NUMATopology) -> dict[str, Any]:
        """The Juno limits dict an RPC API older than objects takes."""
        return {
            "cells": [
                {
                    "cpus": format_cpu_spec(cell.cpuset | cell.pcpuset),
                    "mem": {
                        "total": cell.memory,
                        "limit": cell.memory * self.ram_allocation_ratio,
                    },
                    "cpu_limit": len(cell.cpuset | cell.pcpuset)
                    * self.cpu_allocation_ratio,
                    "id": cell.id,
                }
                for cell in host.cells
            ]
        }
