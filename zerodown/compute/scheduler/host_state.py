"""A host as the scheduler sees it: the compute's last report, whether
its service is up, and what this scheduling pass already gave away."""

from __future__ import annotations

import dataclasses

from zerodown.compute.claims import limits_of, pci_stats_of
from zerodown.compute.hardware import (
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


@dataclasses.dataclass
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
    ) -> None:
        """Count an instance this pass placed here (Nova's
        ``consume_from_request``), so the next one sees it."""
        self.vcpus_used += vcpus
        self.ram_used_mb += memory_mb
        if fitted is not None and self.numa_topology is not None:
            self.numa_topology = numa_usage_from_instance_numa(
                self.numa_topology, fitted
            )
