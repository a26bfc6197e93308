"""A host as the scheduler sees it: the compute's last report, whether
its service is up, and what the schedulers gave away since (their claims
in the database, and this scheduler's own choices, consumed at once)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from zerodown.compute.claims import limits_of, pci_stats_of
from zerodown.compute.hardware import (
    PciRequest,
    PciStats,
    numa_usage_from_instance_numa,
)
from zerodown.compute.objects import (
    ComputeNode,
    InstanceNUMATopology,
    NUMATopology,
    NUMATopologyLimits,
)

__all__ = ["HostState"]


@dataclasses.dataclass(slots=True)
class HostState:
    host: str
    nodename: str
    is_up: bool
    total_vcpus: int
    vcpus_used: int
    total_ram_mb: int
    ram_used_mb: int
    cpu_allocation_ratio: float
    ram_allocation_ratio: float
    numa_topology: NUMATopology | None
    limits: NUMATopologyLimits
    pci_stats: PciStats
    #: The node's row and the generation its usage here is as of.
    node_id: int = 0
    generation: int = 0

    @classmethod
    def from_compute_node(cls, node: ComputeNode, *, is_up: bool) -> HostState:
        return cls(
            host=node.host,
            nodename=node.hypervisor_hostname,
            is_up=is_up,
            total_vcpus=node.vcpus,
            vcpus_used=node.vcpus_used,
            total_ram_mb=node.memory_mb,
            ram_used_mb=node.memory_mb_used,
            cpu_allocation_ratio=node.cpu_allocation_ratio,
            ram_allocation_ratio=node.ram_allocation_ratio,
            numa_topology=node.numa_topology,
            limits=limits_of(node),
            pci_stats=pci_stats_of(node),
            node_id=node.id if node.obj_attr_is_set("id") else 0,
        )

    @property
    def free_ram_mb(self) -> float:
        return self.total_ram_mb * self.ram_allocation_ratio - self.ram_used_mb

    @property
    def free_vcpus(self) -> float:
        return self.total_vcpus * self.cpu_allocation_ratio - self.vcpus_used

    def consume(
        self,
        vcpus: int,
        memory_mb: int,
        fitted: InstanceNUMATopology | None,
        pci_requests: Sequence[PciRequest] = (),
    ) -> None:
        """Count an instance placed here (Nova's
        ``consume_from_request``), so the next request sees it."""
        self.vcpus_used += vcpus
        self.ram_used_mb += memory_mb
        if fitted is not None and self.numa_topology is not None:
            self.numa_topology = numa_usage_from_instance_numa(
                self.numa_topology, fitted
            )
        if pci_requests:
            cells = (
                {cell.id for cell in fitted.cells}
                if fitted is not None
                else None
            )
            left = self.pci_stats.apply_requests(list(pci_requests), cells)
            # Devices the report still shows but a claim holds: when they
            # no longer add up, count none free rather than too many.
            self.pci_stats = left or PciStats((), self.pci_stats.sockets)
