"""The ``hw_*`` image properties the compute stack places by.

Nova's ``ImageMetaProps`` is at 1.43 with some hundred fields; this is the
CPU, NUMA, page-size and PCI-affinity subset, its history numbered from 1.0
with Nova's version in each note.  Glance stores properties as strings
(``{"hw_numa_nodes": "2", "hw_numa_cpus.0": "0-1"}``);
:meth:`ImageMetaProps.obj_from_legacy` reads that shape, as Nova's
``from_dict`` does.
"""

from __future__ import annotations

from typing import Any

from zerodown.compute.objects.cpuspec import MAX_GUEST_CPUS, parse_cpu_spec
from zerodown.compute.objects.enums import (
    CPU_ALLOCATION_POLICIES,
    CPU_THREAD_POLICIES,
    PCI_NUMA_AFFINITY_POLICIES,
)
from zerodown.compute.objects.registry import REGISTRY
from zerodown.objects import Change, History, ZerodownObject
from zerodown.objects import fields as f
from zerodown.objects.errors import MalformedPayload

__all__ = ["ImageMetaProps"]

_INTEGERS = (
    "hw_cpu_sockets",
    "hw_cpu_cores",
    "hw_cpu_threads",
    "hw_cpu_max_sockets",
    "hw_cpu_max_cores",
    "hw_cpu_max_threads",
    "hw_numa_nodes",
)
_STRINGS = (
    "hw_cpu_policy",
    "hw_cpu_thread_policy",
    "hw_cpu_realtime_mask",
    "hw_mem_page_size",
    "hw_pci_numa_affinity_policy",
)
_TRUE = ("1", "true", "yes", "on")


@REGISTRY.register
class ImageMetaProps(ZerodownObject):
    """CPU, NUMA, huge page and PCI affinity properties of an image."""

    VERSION = "1.6"
    history = History(
        Change(
            "1.0",
            "CPU policy and topology, NUMA nodes, page size (Nova 1.0)",
            added=[
                "hw_cpu_policy",
                "hw_cpu_sockets",
                "hw_cpu_cores",
                "hw_cpu_threads",
                "hw_cpu_max_sockets",
                "hw_cpu_max_cores",
                "hw_cpu_max_threads",
                "hw_mem_page_size",
                "hw_numa_nodes",
                "hw_numa_cpus",
                "hw_numa_mem",
            ],
        ),
        Change(
            "1.1", "thread policy (Nova 1.9)", added=["hw_cpu_thread_policy"]
        ),
        Change(
            "1.2", "realtime mask (Nova 1.10)", added=["hw_cpu_realtime_mask"]
        ),
        Change(
            "1.3",
            "PCI NUMA affinity (Nova 1.25)",
            added=["hw_pci_numa_affinity_policy"],
        ),
        Change("1.4", "the mixed CPU policy (Nova 1.26)"),
        Change("1.5", "the socket PCI affinity policy (Nova 1.28)"),
        Change(
            "1.6",
            "locked guest memory (Nova 1.33)",
            added=["hw_locked_memory"],
        ),
    )
    fields = {
        "hw_cpu_policy": f.EnumField(
            CPU_ALLOCATION_POLICIES, since={"mixed": "1.4"}, nullable=True
        ),
        "hw_cpu_thread_policy": f.EnumField(
            CPU_THREAD_POLICIES, nullable=True
        ),
        "hw_cpu_realtime_mask": f.StringField(nullable=True),
        "hw_cpu_sockets": f.IntegerField(nullable=True),
        "hw_cpu_cores": f.IntegerField(nullable=True),
        "hw_cpu_threads": f.IntegerField(nullable=True),
        "hw_cpu_max_sockets": f.IntegerField(nullable=True),
        "hw_cpu_max_cores": f.IntegerField(nullable=True),
        "hw_cpu_max_threads": f.IntegerField(nullable=True),
        "hw_mem_page_size": f.StringField(nullable=True),
        "hw_numa_nodes": f.IntegerField(nullable=True),
        "hw_numa_cpus": f.ListOfCPUSetsField(nullable=True),
        "hw_numa_mem": f.ListOfIntegersField(nullable=True),
        "hw_pci_numa_affinity_policy": f.EnumField(
            PCI_NUMA_AFFINITY_POLICIES,
            since={"socket": "1.5"},
            nullable=True,
        ),
        "hw_locked_memory": f.BooleanField(nullable=True),
    }

    @classmethod
    def obj_from_legacy(cls, data: Any, context: Any = None) -> ImageMetaProps:
        """Read Glance's string properties; unknown keys are ignored, as
        images carry many properties that are not placement's business.

        :raises MalformedPayload: for a value that does not parse.
        """
        if not isinstance(data, dict):
            raise MalformedPayload(reason="image properties are a mapping")
        props = cls(context)
        try:
            for key in _INTEGERS:
                if key in data:
                    setattr(props, key, int(data[key]))
            for key in _STRINGS:
                if key in data:
                    setattr(props, key, str(data[key]))
            if "hw_locked_memory" in data:
                locked = str(data["hw_locked_memory"]).lower() in _TRUE
                props.hw_locked_memory = locked
            _numa_lists(props, data)
        except (TypeError, ValueError) as err:
            raise MalformedPayload(
                reason=f"bad image properties: {err!r:.80}"
            ) from None
        return props


def _numa_lists(props: ImageMetaProps, data: dict[str, Any]) -> None:
    # hw_numa_cpus.N / hw_numa_mem.N for N = 0, 1, ... with no gaps.  A
    # guest CPU is in one node at most, and numbered below the largest
    # flavor's count: the lists hold a few thousand ids at most, whatever
    # the request says ("0-65535" in every node would be millions).
    cpus: list[set[int]] = []
    mem: list[int] = []
    seen: set[int] = set()
    while f"hw_numa_cpus.{len(cpus)}" in data:
        spec = str(data[f"hw_numa_cpus.{len(cpus)}"])
        node = parse_cpu_spec(spec, MAX_GUEST_CPUS)
        if node & seen:
            raise ValueError(
                f"CPU {min(node & seen)} is in two NUMA nodes (hw_numa_cpus)"
            )
        seen |= node
        cpus.append(node)
    while f"hw_numa_mem.{len(mem)}" in data:
        mem.append(int(data[f"hw_numa_mem.{len(mem)}"]))
    if cpus:
        props.hw_numa_cpus = cpus
    if mem:
        props.hw_numa_mem = mem
