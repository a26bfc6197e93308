"""What one build asks of a host (Nova's ``RequestSpec``, trimmed)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping

from zerodown.compute.hardware import PciRequest
from zerodown.compute.objects import Instance, InstanceNUMATopology
from zerodown.compute.pci_alias import PciAlias, pci_requests_from_flavor

__all__ = ["RequestSpec"]


@dataclasses.dataclass(frozen=True)
class RequestSpec:
    instance_uuid: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    numa_topology: InstanceNUMATopology | None
    pci_requests: tuple[PciRequest, ...] = ()
    ignore_hosts: tuple[str, ...] = ()

    @functools.cached_property
    def dedicated(self) -> bool:
        return self.numa_topology is not None and any(
            cell.cpu_policy == "dedicated" for cell in self.numa_topology.cells
        )

    @classmethod
    def from_instance(
        cls,
        instance: Instance,
        aliases: Mapping[str, PciAlias],
        ignore_hosts: tuple[str, ...] = (),
    ) -> RequestSpec:
        return cls(
            instance_uuid=instance.uuid,
            vcpus=instance.vcpus,
            memory_mb=instance.memory_mb,
            disk_gb=instance.root_gb + instance.ephemeral_gb,
            numa_topology=instance.numa_topology,
            pci_requests=tuple(
                pci_requests_from_flavor(
                    instance.flavor, aliases, instance.image_props
                )
            ),
            ignore_hosts=tuple(ignore_hosts),
        )
