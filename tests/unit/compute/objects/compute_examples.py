"""A populated example of every compute object, children included."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Callable
from typing import Any

from compute_sample_objects import flavor as sample_flavor
from compute_sample_objects import pci_device as sample_pci_device

from zerodown.compute import objects as o

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 5, 4, 12, 30, 15, 123456, tzinfo=UTC)
UUIDS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(20)]


def topology() -> o.VirtCPUTopology:
    return o.VirtCPUTopology(sockets=1, cores=2, threads=1)


def instance_cell(
    i: int = 0, policy: str | None = "dedicated"
) -> o.InstanceNUMACell:
    cell = o.InstanceNUMACell(
        id=i,
        cpuset=set(),
        pcpuset={2 * i, 2 * i + 1},
        cpuset_reserved={9},
        cpuset_realtime=set(),
        memory=2048,
        pagesize=2048,
        cpu_topology=topology(),
        cpu_policy=policy,
        cpu_thread_policy="prefer",
    )
    cell.pin_vcpus((2 * i, 10 + 2 * i), (2 * i + 1, 11 + 2 * i))
    return cell


def shared_cell(i: int = 0) -> o.InstanceNUMACell:
    return o.InstanceNUMACell(
        id=i,
        cpuset={2 * i, 2 * i + 1},
        pcpuset=set(),
        memory=1024,
        pagesize=None,
        cpu_topology=None,
        cpu_pinning_raw=None,
        cpu_policy="shared",
        cpu_thread_policy=None,
    )


def instance_topology() -> o.InstanceNUMATopology:
    return o.InstanceNUMATopology(
        id=None,
        instance_uuid=UUIDS[0],
        cells=[instance_cell(0), instance_cell(1)],
        emulator_threads_policy="isolate",
    )


def pages(size: int = 2048) -> o.NUMAPagesTopology:
    return o.NUMAPagesTopology(size_kb=size, total=1024, used=10, reserved=4)


def network() -> o.NetworkMetadata:
    return o.NetworkMetadata(physnets={"physnet2", "physnet1"}, tunneled=True)


def host_cell(i: int = 0) -> o.NUMACell:
    return o.NUMACell(
        id=i,
        cpuset={16 * i, 16 * i + 1},
        pcpuset=set(range(16 * i + 2, 16 * i + 8)),
        memory=65536,
        cpu_usage=1,
        memory_usage=4096,
        pinned_cpus={16 * i + 2},
        siblings=[{16 * i + 2, 16 * i + 3}],
        mempages=[pages(4), pages(2048)],
        network_metadata=network(),
        socket=i,
    )


def host_topology() -> o.NUMATopology:
    return o.NUMATopology(cells=[host_cell(0), host_cell(1)])


def limits() -> o.NUMATopologyLimits:
    return o.NUMATopologyLimits(
        cpu_allocation_ratio=4.0,
        ram_allocation_ratio=1.5,
        network_metadata=network(),
    )


def pci_device(i: int = 0, **overrides: Any) -> o.PciDevice:
    values: dict[str, Any] = dict(
        uuid=UUIDS[5 + i],
        dev_id=f"pci_{i}",
        instance_uuid=UUIDS[0],
        request_id=UUIDS[10 + i],
        extra_info={"capabilities": "{}"},
    )
    values.update(overrides)
    return sample_pci_device(i, **values)


def pool(i: int = 0) -> o.PciDevicePool:
    return o.PciDevicePool(
        product_id="154c",
        vendor_id="8086",
        numa_node=i,
        tags={"physical_network": "physnet1", "trusted": None},
        count=8,
    )


def flavor() -> o.Flavor:
    return sample_flavor(
        4,
        4096,
        name="m1.pinned",
        id=3,
        flavorid="pinned",
        root_gb=20,
        description="pinned guests",
        **{"hw:cpu_policy": "dedicated", "hw:numa_nodes": "2"},
    )


def image_props() -> o.ImageMetaProps:
    return o.ImageMetaProps(
        hw_cpu_policy="dedicated",
        hw_cpu_thread_policy="isolate",
        hw_cpu_realtime_mask="^0",
        hw_cpu_sockets=1,
        hw_cpu_cores=4,
        hw_cpu_threads=1,
        hw_cpu_max_sockets=2,
        hw_cpu_max_cores=8,
        hw_cpu_max_threads=2,
        hw_mem_page_size="large",
        hw_numa_nodes=2,
        hw_numa_cpus=[{0, 1}, {2, 3}],
        hw_numa_mem=[2048, 2048],
        hw_pci_numa_affinity_policy="preferred",
        hw_locked_memory=True,
    )


def compute_node() -> o.ComputeNode:
    return o.ComputeNode(
        id=7,
        uuid=UUIDS[1],
        service_id=3,
        host="compute-1",
        hypervisor_hostname="compute-1",
        hypervisor_type="QEMU",
        host_ip=ipaddress.ip_address("192.0.2.10"),
        vcpus=32,
        memory_mb=131072,
        local_gb=1000,
        vcpus_used=4,
        memory_mb_used=4096,
        local_gb_used=20,
        cpu_info="{}",
        numa_topology=host_topology(),
        pci_device_pools=[pool(0), pool(1)],
        cpu_allocation_ratio=4.0,
        ram_allocation_ratio=1.5,
        disk_allocation_ratio=1.0,
        created_at=NOW,
        updated_at=NOW,
    )


def instance() -> o.Instance:
    return o.Instance(
        id=1,
        uuid=UUIDS[0],
        display_name="vm",
        description="a guest",
        hostname="vm",
        project_id="p",
        user_id="u",
        host="compute-1",
        node="compute-1",
        compute_id=7,
        vm_state="active",
        task_state=None,
        power_state=1,
        vcpus=4,
        memory_mb=4096,
        root_gb=20,
        ephemeral_gb=0,
        image_ref=UUIDS[2],
        availability_zone="nova",
        flavor=flavor(),
        numa_topology=instance_topology(),
        pci_devices=[pci_device(0), pci_device(1)],
        image_props=image_props(),
        system_metadata={"a": "b", "n": None},
        metadata={"k": "v"},
        created_at=NOW,
        updated_at=NOW,
        launched_at=NOW,
        deleted=False,
    )


def service() -> o.Service:
    return o.Service(
        id=3,
        uuid=UUIDS[3],
        host="compute-1",
        binary="zerodown-compute",
        topic="compute",
        report_count=12,
        disabled=False,
        disabled_reason=None,
        forced_down=False,
        version=4,
        last_seen_up=NOW,
        created_at=NOW,
        updated_at=NOW,
    )


EXAMPLES: dict[str, Callable[[], Any]] = {
    "ComputeNode": compute_node,
    "Flavor": flavor,
    "ImageMetaProps": image_props,
    "Instance": instance,
    "InstanceNUMACell": instance_cell,
    "InstanceNUMATopology": instance_topology,
    "NUMACell": host_cell,
    "NUMAPagesTopology": pages,
    "NUMATopology": host_topology,
    "NUMATopologyLimits": limits,
    "NetworkMetadata": network,
    "PciDevice": pci_device,
    "PciDevicePool": pool,
    "Service": service,
    "VirtCPUTopology": topology,
}


def example(name: str) -> Any:
    obj = EXAMPLES[name]()
    obj.obj_reset_changes(recursive=True)
    return obj
