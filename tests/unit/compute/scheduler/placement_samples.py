"""Hosts and instances for the scheduler and claims tests (their flavors:
``compute_sample_objects.flavor``, imported from here too)."""

from __future__ import annotations

import uuid

from compute_sample_objects import flavor as flavor  # the tests' flavors
from compute_sample_objects import instance as sample_instance

from zerodown.compute.objects import (
    ComputeNode,
    Flavor,
    ImageMetaProps,
    Instance,
    PciDevice,
)
from zerodown.compute.virt.fake import default_pci_devices
from zerodown.compute.virt.host_topology import generated_cells, numa_topology

DEDICATED = "2-3,10-11,6-7,14-15"
PINNED = {
    "hw:cpu_policy": "dedicated",
    "hw:numa_nodes": "2",
    "hw:mem_page_size": "2048",
}


def node(host: str = "h1", dedicated: str = DEDICATED, **usage) -> ComputeNode:
    cells = generated_cells()
    n = ComputeNode(
        id=1,
        uuid=str(uuid.uuid4()),
        host=host,
        hypervisor_hostname=host,
        hypervisor_type="fake",
        vcpus=16,
        memory_mb=16384,
        local_gb=100,
        vcpus_used=usage.get("vcpus_used", 0),
        memory_mb_used=usage.get("memory_mb_used", 0),
        local_gb_used=0,
        cpu_info="{}",
        numa_topology=numa_topology(cells, dedicated),
        pci_device_pools=[],
        cpu_allocation_ratio=usage.get("cpu_ratio", 16.0),
        ram_allocation_ratio=1.0,
        disk_allocation_ratio=1.0,
    )
    from zerodown.compute.claims import pci_pools

    n.pci_device_pools = pci_pools(devices(), [])
    return n


def devices() -> list[PciDevice]:
    found = []
    for raw in default_pci_devices(2):
        found.append(
            PciDevice(
                id=0,
                uuid=str(uuid.uuid4()),
                compute_node_id=1,
                status="available",
                instance_uuid=None,
                extra_info={},
                **raw,
            )
        )
    return found


def instance(fl: Flavor, **props: str) -> Instance:
    image = ImageMetaProps.obj_from_legacy(dict(props))
    return sample_instance(fl, image, deleted=False, launched_at=None)
