"""Rows to objects and back; nested objects as versioned JSON.

A nested object is stored as ``json.dumps(obj.obj_to_primitive())`` and
read with ``obj_from_stored``: data an older release wrote is upgraded to
the current version on read.  A blob that cannot be read raises
:class:`StoredDataInvalid` naming the table, row and column, never a bare
decoding error inside a service.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from zerodown.compute.errors import StoredDataInvalid
from zerodown.compute.objects import (
    ComputeNode,
    Flavor,
    ImageMetaProps,
    Instance,
    InstanceNUMATopology,
    NUMATopology,
    PciDevice,
    PciDevicePool,
)
from zerodown.exceptions import ZerodownError
from zerodown.objects import ZerodownObject

__all__ = [
    "compute_node",
    "dump",
    "dump_list",
    "extra_values",
    "instance",
    "load",
    "pci_device",
    "pci_values",
]

T = TypeVar("T", bound=ZerodownObject)


def dump(obj: ZerodownObject | None) -> str | None:
    if obj is None:
        return None
    return json.dumps(obj.obj_to_primitive(), sort_keys=True)


def dump_list(objs: Iterable[ZerodownObject]) -> str:
    return json.dumps([o.obj_to_primitive() for o in objs], sort_keys=True)


def load(
    cls: type[T], text: str | None, where: tuple[str, Any, str]
) -> T | None:
    """``text`` read as ``cls``; ``where`` (table, row, column) names it
    when it cannot be read."""
    if text is None:
        return None
    try:
        return cls.obj_from_stored(text)
    except (ZerodownError, TypeError, ValueError) as err:
        table, row, column = where
        raise StoredDataInvalid(
            table=table, row=row, column=column, problem=str(err)
        ) from err


def _load_list(
    cls: type[T], text: str | None, where: tuple[str, Any, str]
) -> list[T]:
    if not text:
        return []
    try:
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("not a list")
    except ValueError as err:
        table, row, column = where
        raise StoredDataInvalid(
            table=table, row=row, column=column, problem=str(err)
        ) from err
    loaded = []
    for item in items:
        obj = load(cls, json.dumps(item), where)
        assert obj is not None
        loaded.append(obj)
    return loaded


def extra_values(instance: Instance, columns: Sequence[str]) -> dict[str, Any]:
    """``instance_extra`` values of ``columns`` from the instance."""
    values: dict[str, Any] = {}
    for column in columns:
        if not instance.obj_attr_is_set(column):
            values[column] = "[]" if column == "pci_devices" else None
            continue
        value = getattr(instance, column)
        if column == "pci_devices":
            values[column] = dump_list(value or [])
        else:
            values[column] = dump(value)
    return values


def _topology(
    row: Any, where: tuple[str, Any, str]
) -> InstanceNUMATopology | None:
    topology = load(InstanceNUMATopology, row.extra_numa_topology, where)
    if topology is not None and not topology.obj_attr_is_set("instance_uuid"):
        # A pre-Liberty blob does not name its instance: its row does
        # (Nova's reader is handed the uuid too).
        topology.instance_uuid = row.uuid
        topology.obj_reset_changes(["instance_uuid"])
    return topology


def instance(row: Any) -> Instance:
    where = ("instance_extra", row.uuid, "")

    def at(column: str) -> tuple[str, Any, str]:
        return (where[0], where[1], column)

    flavor = load(Flavor, row.extra_flavor, at("flavor"))
    obj = Instance(
        id=row.id,
        uuid=row.uuid,
        display_name=row.display_name,
        hostname=row.display_name,
        project_id=row.project_id,
        user_id=row.user_id,
        host=row.host,
        node=row.node,
        compute_id=row.compute_id,
        vm_state=row.vm_state,
        task_state=row.task_state,
        power_state=row.power_state,
        vcpus=row.vcpus,
        memory_mb=row.memory_mb,
        root_gb=row.root_gb,
        ephemeral_gb=row.ephemeral_gb,
        image_ref=row.image_ref,
        description=row.description,
        availability_zone=None,
        flavor=flavor,
        numa_topology=_topology(row, at("numa_topology")),
        pci_devices=_load_list(
            PciDevice, row.extra_pci_devices, at("pci_devices")
        ),
        image_props=load(
            ImageMetaProps, row.extra_image_props, at("image_props")
        ),
        system_metadata={},
        metadata={},
        created_at=row.created_at,
        updated_at=row.updated_at,
        launched_at=row.launched_at,
        deleted=bool(row.deleted),
    )
    obj.obj_reset_changes()
    return obj


def compute_node(row: Any) -> ComputeNode:
    def at(column: str) -> tuple[str, Any, str]:
        return ("compute_nodes", row.id, column)

    node = ComputeNode(
        id=row.id,
        uuid=row.uuid,
        service_id=None,
        host=row.host,
        hypervisor_hostname=row.hypervisor_hostname,
        hypervisor_type=row.hypervisor_type,
        host_ip=None,
        vcpus=row.vcpus,
        memory_mb=row.memory_mb,
        local_gb=row.local_gb,
        vcpus_used=row.vcpus_used,
        memory_mb_used=row.memory_mb_used,
        local_gb_used=row.local_gb_used,
        cpu_info=row.cpu_info,
        numa_topology=load(
            NUMATopology, row.numa_topology, at("numa_topology")
        ),
        pci_device_pools=_load_list(
            PciDevicePool, row.pci_stats, at("pci_stats")
        ),
        cpu_allocation_ratio=row.cpu_allocation_ratio,
        ram_allocation_ratio=row.ram_allocation_ratio,
        disk_allocation_ratio=row.disk_allocation_ratio,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
    node.obj_reset_changes()
    return node


def pci_values(device: PciDevice) -> dict[str, Any]:
    return {
        "uuid": device.uuid,
        "vendor_id": device.vendor_id,
        "product_id": device.product_id,
        "dev_type": device.dev_type,
        "status": device.status,
        "numa_node": device.numa_node,
        "instance_uuid": device.instance_uuid,
    }


def pci_device(row: Any) -> PciDevice:
    device = PciDevice(
        id=row.id,
        uuid=row.uuid,
        compute_node_id=row.compute_node_id,
        address=row.address,
        vendor_id=row.vendor_id,
        product_id=row.product_id,
        dev_type=row.dev_type,
        status=row.status,
        numa_node=row.numa_node,
        instance_uuid=row.instance_uuid,
        dev_id=None,
        label=None,
        request_id=None,
        extra_info={},
        parent_addr=None,
    )
    device.obj_reset_changes()
    return device
