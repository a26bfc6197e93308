"""An instance's NUMA topology: guest cells, their pinning and policies.

Histories follow Nova's ``nova/objects/instance_numa.py`` and
``virt_cpu_topology.py``.  ``InstanceNUMACell`` carries the two backports
Nova made famous: below 1.5 a dedicated cell's pinned CPUs go back into
``cpuset`` (where they lived before ``pcpuset`` existed), and below 1.6 the
``mixed`` policy is refused because an older compute would pin every CPU.
Read the other way, older cells are upgraded and stamped with the current
version - the step whose absence lost pinned CPUs in Nova (bug 2097359).
"""

from __future__ import annotations

from typing import Any

from zerodown.compute.objects.cpuspec import parse_cpu_spec
from zerodown.compute.objects.enums import (
    CPU_ALLOCATION_POLICIES,
    CPU_EMULATOR_THREADS_POLICIES,
    CPU_THREAD_POLICIES,
)
from zerodown.compute.objects.registry import REGISTRY
from zerodown.objects import Change, History, StepContext, ZerodownObject
from zerodown.objects import fields as f
from zerodown.objects.errors import MalformedPayload

__all__ = ["InstanceNUMACell", "InstanceNUMATopology", "VirtCPUTopology"]


@REGISTRY.register
class VirtCPUTopology(ZerodownObject):
    """Sockets, cores and threads of a guest."""

    VERSION = "1.0"
    history = History(
        Change("1.0", "initial", added=["sockets", "cores", "threads"]),
    )
    fields = {
        "sockets": f.IntegerField(nullable=True, default=1),
        "cores": f.IntegerField(nullable=True, default=1),
        "threads": f.IntegerField(nullable=True, default=1),
    }


def _policy_from_pinning(data: dict[str, Any], step: StepContext) -> None:
    # Before 1.3 a cell asked for dedicated CPUs by carrying a pinning.
    if data.get("cpu_pinning_raw") is not None:
        data.setdefault("cpu_policy", "dedicated")


def _pcpuset_into_cpuset(data: dict[str, Any], step: StepContext) -> None:
    # Before 1.5 cpuset held all of a cell's vCPUs, pinned ones included.
    if data.get("cpu_policy") == "dedicated":
        data["cpuset"] = data.get("pcpuset") or []


def _refuse_realtime(data: dict[str, Any], step: StepContext) -> None:
    # An older compute would run these vCPUs as ordinary ones: a guest
    # that asked for realtime scheduling must not silently lose it.
    realtime = data.get("cpuset_realtime")
    if realtime:
        step.refuse(
            "cpuset_realtime",
            realtime,
            "this compute cannot give vCPUs a realtime scheduler",
        )


def _split_pcpuset(data: dict[str, Any], step: StepContext) -> None:
    # The reverse: a dedicated cell's vCPUs move to pcpuset; a shared or
    # unpinned cell has none.
    if data.get("cpu_policy") == "dedicated":
        data["pcpuset"] = data.get("cpuset") or []
        data["cpuset"] = []
    else:
        data["pcpuset"] = []


@REGISTRY.register
class InstanceNUMACell(ZerodownObject):
    """One guest NUMA cell: its vCPUs, memory, page size and pinning."""

    VERSION = "1.7"
    history = History(
        Change("1.0", "initial", added=["id", "cpuset", "memory"]),
        Change("1.1", "huge pages", added=["pagesize"]),
        Change(
            "1.2",
            "CPU pinning and guest topology",
            added=["cpu_pinning_raw", "cpu_topology"],
        ),
        Change(
            "1.3",
            "CPU policies",
            added=["cpu_policy", "cpu_thread_policy"],
            upgrade=_policy_from_pinning,
        ),
        Change(
            "1.4",
            "CPUs reserved for emulator threads",
            added=["cpuset_reserved"],
        ),
        Change(
            "1.5",
            "pinned vCPUs move from cpuset to pcpuset",
            added=["pcpuset"],
            backport=_pcpuset_into_cpuset,
            upgrade=_split_pcpuset,
        ),
        Change("1.6", "the mixed CPU policy"),
        Change(
            "1.7",
            "pinned vCPUs under a realtime scheduler (release 2)",
            added=["cpuset_realtime"],
            backport=_refuse_realtime,
        ),
    )
    fields = {
        "id": f.IntegerField(),
        "cpuset": f.CPUSetField(),
        "pcpuset": f.CPUSetField(),
        "cpuset_reserved": f.CPUSetField(nullable=True),
        "cpuset_realtime": f.CPUSetField(nullable=True),
        "memory": f.IntegerField(),
        "pagesize": f.IntegerField(nullable=True),
        "cpu_topology": f.ObjectField("VirtCPUTopology", nullable=True),
        "cpu_pinning_raw": f.DictOfIntegersField(nullable=True),
        "cpu_policy": f.EnumField(
            CPU_ALLOCATION_POLICIES,
            since={"mixed": "1.6"},
            nullable=True,
            default=None,
        ),
        "cpu_thread_policy": f.EnumField(
            CPU_THREAD_POLICIES, nullable=True, default=None
        ),
    }
    #: ``{vcpu: pcpu}`` over ``cpu_pinning_raw``, whose keys are strings.
    cpu_pinning = f.DictProxyField("cpu_pinning_raw")

    @property
    def realtime_vcpus(self) -> set[int]:
        """The realtime vCPUs; none for a cell stored before 1.7."""
        if not self.obj_attr_is_set("cpuset_realtime"):
            return set()
        return set(self.cpuset_realtime or ())

    id: int
    cpuset: set[int]
    pcpuset: set[int]
    memory: int
    cpu_policy: str | None

    def __len__(self) -> int:
        return len(self.cpuset) + len(self.pcpuset)

    @property
    def total_cpus(self) -> set[int]:
        return self.cpuset | self.pcpuset

    @property
    def cpu_pinning_requested(self) -> bool:
        return self.cpu_policy in ("dedicated", "mixed")

    def pin(self, vcpu: int, pcpu: int) -> None:
        """Pin guest CPU ``vcpu`` to host CPU ``pcpu``."""
        if vcpu not in self.pcpuset:
            raise ValueError(f"vCPU {vcpu} is not a dedicated vCPU")
        pinning = self.pinning()
        pinning[vcpu] = pcpu
        self.cpu_pinning = pinning

    def pinning(self) -> dict[int, int]:
        """A copy of ``cpu_pinning``, empty when there is none."""
        if not self.obj_attr_is_set("cpu_pinning_raw"):
            return {}
        value = self.cpu_pinning
        return dict(value) if isinstance(value, dict) else {}

    def pin_vcpus(self, *pairs: tuple[int, int]) -> None:
        for vcpu, pcpu in pairs:
            self.pin(vcpu, pcpu)


@REGISTRY.register
class InstanceNUMATopology(ZerodownObject):
    """The NUMA cells of one instance."""

    VERSION = "1.3"
    history = History(
        Change("1.0", "initial", added=["id", "instance_uuid", "cells"]),
        # Before Mitaka a parent was bumped with every child bump.
        Change("1.1", "cells may be InstanceNUMACell 1.1"),
        Change("1.2", "cells may be InstanceNUMACell 1.2"),
        Change(
            "1.3",
            "emulator thread policy",
            added=["emulator_threads_policy"],
        ),
    )
    fields = {
        # No longer used; kept so older readers find it.
        "id": f.IntegerField(nullable=True),
        "instance_uuid": f.UUIDField(),
        "cells": f.ListOfObjectsField("InstanceNUMACell"),
        "emulator_threads_policy": f.EnumField(
            CPU_EMULATOR_THREADS_POLICIES, nullable=True, default=None
        ),
    }
    cells: list[InstanceNUMACell]

    @property
    def cpu_pinning_requested(self) -> bool:
        return all(cell.cpu_pinning_requested for cell in self.cells)

    @property
    def cpu_pinning(self) -> dict[int, int]:
        """``{vcpu: pcpu}`` over every cell."""
        pinning: dict[int, int] = {}
        for cell in self.cells:
            pinning.update(cell.pinning())
        return pinning

    @classmethod
    def obj_from_legacy(
        cls, data: Any, context: Any = None
    ) -> InstanceNUMATopology:
        """Read the unversioned dict Nova stored before Liberty::

            {"cells": [{"id": 0, "cpus": "0-1", "mem": {"total": 1024},
                        "pagesize": 2048}]}

        Those guests had no dedicated CPUs.
        """
        try:
            cells = [_legacy_cell(cell) for cell in data["cells"]]
        except (KeyError, TypeError, ValueError) as err:
            raise MalformedPayload(
                reason=f"not a legacy instance NUMA topology: {err!r:.80}"
            ) from None
        # Nova's reader sets every field a later version added: None.
        # The instance's uuid is not in the blob: the caller sets it.
        return cls(context, id=None, cells=cells, emulator_threads_policy=None)


def _legacy_cell(cell: dict[str, Any]) -> InstanceNUMACell:
    pagesize = cell.get("pagesize")
    return InstanceNUMACell(
        id=int(cell["id"]),
        cpuset=parse_cpu_spec(str(cell["cpus"])),
        pcpuset=set(),
        memory=int(cell["mem"]["total"]),
        pagesize=None if pagesize is None else int(pagesize),
        cpu_topology=None,
        cpu_pinning_raw=None,
        cpu_policy=None,
        cpu_thread_policy=None,
        cpuset_reserved=None,
        cpuset_realtime=None,
    )
