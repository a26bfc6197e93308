"""Instances: the subset of Nova's ``Instance`` the compute stack needs.

Nova's ``Instance`` 2.8 has 73 fields; this one keeps identity, placement,
sizes, state, timestamps and the children that carry NUMA, pinning, PCI
and image properties.  Its history is numbered from 2.0 like Nova's
current major, with Nova's version in the notes.
"""

from __future__ import annotations

from typing import Any

from zerodown.compute.objects.enums import VM_STATES
from zerodown.compute.objects.registry import REGISTRY
from zerodown.objects import Change, History, StepContext, ZerodownObject
from zerodown.objects import fields as f

__all__ = ["Instance"]


def _no_pci_devices(data: dict[str, Any], step: StepContext) -> None:
    # An instance stored before 2.2 had no PCI devices.
    data.setdefault("pci_devices", [])


@REGISTRY.register
class Instance(ZerodownObject):
    """A guest and everything a compute host needs to build it."""

    VERSION = "2.5"
    history = History(
        Change(
            "2.0",
            "initial (Nova 2.0)",
            added=[
                "id",
                "uuid",
                "display_name",
                "hostname",
                "project_id",
                "user_id",
                "host",
                "node",
                "vm_state",
                "task_state",
                "power_state",
                "vcpus",
                "memory_mb",
                "root_gb",
                "ephemeral_gb",
                "image_ref",
                "availability_zone",
                "flavor",
                "system_metadata",
                "metadata",
                "created_at",
                "updated_at",
                "launched_at",
                "deleted",
            ],
        ),
        Change("2.1", "NUMA topology (Nova 1.14)", added=["numa_topology"]),
        Change(
            "2.2",
            "PCI devices (Nova 1.x)",
            added=["pci_devices"],
            upgrade=_no_pci_devices,
        ),
        Change(
            "2.3",
            "image properties travel with the instance",
            added=["image_props"],
        ),
        Change("2.4", "compute node id (Nova 2.8)", added=["compute_id"]),
        # Release 2.  A compute does nothing with it, so an older one
        # gets the instance without it (and, saving only what it changed,
        # never clears it).
        Change("2.5", "the user's description", added=["description"]),
    )
    fields = {
        "id": f.IntegerField(),
        "uuid": f.UUIDField(),
        "display_name": f.StringField(nullable=True),
        "description": f.StringField(nullable=True),
        "hostname": f.StringField(nullable=True),
        "project_id": f.StringField(nullable=True),
        "user_id": f.StringField(nullable=True),
        "host": f.StringField(nullable=True),
        "node": f.StringField(nullable=True),
        "compute_id": f.IntegerField(nullable=True),
        "vm_state": f.EnumField(VM_STATES, nullable=True),
        "task_state": f.StringField(nullable=True),
        "power_state": f.IntegerField(nullable=True),
        "vcpus": f.IntegerField(),
        "memory_mb": f.IntegerField(),
        "root_gb": f.IntegerField(),
        "ephemeral_gb": f.IntegerField(),
        "image_ref": f.StringField(nullable=True),
        "availability_zone": f.StringField(nullable=True),
        "flavor": f.ObjectField("Flavor"),
        "numa_topology": f.ObjectField("InstanceNUMATopology", nullable=True),
        "pci_devices": f.ListOfObjectsField("PciDevice"),
        "image_props": f.ObjectField("ImageMetaProps", nullable=True),
        "system_metadata": f.DictOfNullableStringsField(),
        "metadata": f.DictOfStringsField(),
        "created_at": f.DateTimeField(nullable=True),
        "updated_at": f.DateTimeField(nullable=True),
        "launched_at": f.DateTimeField(nullable=True),
        "deleted": f.BooleanField(default=False),
    }
