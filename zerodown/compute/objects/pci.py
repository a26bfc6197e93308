"""PCI devices and the pools a host reports them in.

``PciDevice`` follows Nova's ``nova/objects/pci_device.py``.  Its statuses
and device types added after 1.0 are dated on the enum fields, so a
backport refuses them for every older target - Nova checked the statuses
only while ``parent_addr`` was still in the primitive, which let targets
below 1.4 through.
"""

from __future__ import annotations

from typing import Any

from zerodown.compute.objects.derived import derived_uuid
from zerodown.compute.objects.enums import (
    PCI_DEVICE_STATUSES,
    PCI_DEVICE_TYPES,
)
from zerodown.compute.objects.registry import REGISTRY
from zerodown.objects import Change, History, StepContext, ZerodownObject
from zerodown.objects import fields as f

__all__ = ["PciDevice", "PciDevicePool"]


def _derived_uuid(data: dict[str, Any], step: StepContext) -> None:
    # A device stored before 1.6: named by its host and address.
    data.setdefault(
        "uuid",
        derived_uuid(
            "pci-device", data.get("compute_node_id"), data.get("address")
        ),
    )


def _parent_into_extra_info(data: dict[str, Any], step: StepContext) -> None:
    # Before 1.4 a VF named its PF in extra_info["phys_function"].
    parent = data.get("parent_addr")
    if parent is not None:
        extra = dict(data.get("extra_info") or {})
        extra["phys_function"] = parent
        data["extra_info"] = extra


def _parent_from_extra_info(data: dict[str, Any], step: StepContext) -> None:
    extra = data.get("extra_info")
    if isinstance(extra, dict) and "phys_function" in extra:
        extra = dict(extra)
        data["parent_addr"] = extra.pop("phys_function")
        data["extra_info"] = extra


@REGISTRY.register
class PciDevice(ZerodownObject):
    """A PCI device of a compute host (a PF, VF or plain device)."""

    VERSION = "1.7"
    history = History(
        Change(
            "1.0",
            "initial",
            added=[
                "id",
                "compute_node_id",
                "address",
                "vendor_id",
                "product_id",
                "dev_type",
                "status",
                "dev_id",
                "label",
                "instance_uuid",
                "extra_info",
            ],
        ),
        Change("1.1", "string fields are unicode"),
        Change("1.2", "the PCI request a device serves", added=["request_id"]),
        Change("1.3", "NUMA node of the device", added=["numa_node"]),
        Change(
            "1.4",
            "parent_addr names a VF's physical function",
            added=["parent_addr"],
            backport=_parent_into_extra_info,
            upgrade=_parent_from_extra_info,
        ),
        Change("1.5", "statuses unavailable and unclaimable"),
        Change("1.6", "uuid", added=["uuid"], upgrade=_derived_uuid),
        Change("1.7", "the vdpa device type"),
    )
    fields = {
        "id": f.IntegerField(),
        "uuid": f.UUIDField(),
        "compute_node_id": f.IntegerField(),
        "address": f.PCIAddressField(),
        "vendor_id": f.StringField(),
        "product_id": f.StringField(),
        "dev_type": f.EnumField(PCI_DEVICE_TYPES, since={"vdpa": "1.7"}),
        "status": f.EnumField(
            PCI_DEVICE_STATUSES,
            since={"unavailable": "1.5", "unclaimable": "1.5"},
        ),
        "dev_id": f.StringField(nullable=True),
        "label": f.StringField(nullable=True),
        "instance_uuid": f.UUIDField(nullable=True),
        "request_id": f.UUIDField(nullable=True),
        "extra_info": f.DictOfStringsField(default={}),
        "numa_node": f.IntegerField(nullable=True),
        "parent_addr": f.PCIAddressField(nullable=True),
    }

    @property
    def is_available(self) -> bool:
        return bool(self.status == "available")


@REGISTRY.register
class PciDevicePool(ZerodownObject):
    """Devices of one vendor/product/NUMA node a host can hand out."""

    VERSION = "1.1"
    history = History(
        Change(
            "1.0",
            "initial",
            added=["product_id", "vendor_id", "tags", "count"],
        ),
        Change("1.1", "NUMA node of the pool", added=["numa_node"]),
    )
    fields = {
        "product_id": f.StringField(),
        "vendor_id": f.StringField(),
        "numa_node": f.IntegerField(nullable=True),
        "tags": f.DictOfNullableStringsField(),
        "count": f.IntegerField(),
    }
