"""A hypervisor's resources, as its compute service reports them.

Modelled on Nova's ``ComputeNode`` 1.19 (its notes give Nova's versions),
with one change the issue asked for: ``numa_topology`` is a real child
object.  Nova keeps it a JSON string, so its ``NUMATopology`` escapes every
backport and every reader parses it by hand.
"""

from __future__ import annotations

from typing import Any

from zerodown.compute.objects.derived import derived_uuid
from zerodown.compute.objects.registry import REGISTRY
from zerodown.objects import Change, History, StepContext, ZerodownObject
from zerodown.objects import fields as f

__all__ = ["ComputeNode"]

# Older nodes are read with what their version meant (so every reader
# finds every field): no pools were reported, the ratios were Nova's
# defaults of the time, and the uuid is derived (.derived).


def _no_pools(data: dict[str, Any], step: StepContext) -> None:
    data.setdefault("pci_device_pools", [])


def _cpu_and_ram_ratios(data: dict[str, Any], step: StepContext) -> None:
    data.setdefault("cpu_allocation_ratio", 16.0)
    data.setdefault("ram_allocation_ratio", 1.5)


def _derived_uuid(data: dict[str, Any], step: StepContext) -> None:
    data.setdefault(
        "uuid",
        derived_uuid(
            "compute-node", data.get("id"), data.get("hypervisor_hostname")
        ),
    )


def _disk_ratio(data: dict[str, Any], step: StepContext) -> None:
    data.setdefault("disk_allocation_ratio", 1.0)


@REGISTRY.register
class ComputeNode(ZerodownObject):
    """CPUs, memory, disk, NUMA cells and PCI pools of one hypervisor."""

    VERSION = "1.7"
    history = History(
        Change(
            "1.0",
            "initial (Nova 1.0-1.3)",
            added=[
                "id",
                "service_id",
                "hypervisor_hostname",
                "hypervisor_type",
                "vcpus",
                "memory_mb",
                "local_gb",
                "vcpus_used",
                "memory_mb_used",
                "local_gb_used",
                "cpu_info",
                "created_at",
                "updated_at",
            ],
        ),
        Change("1.1", "host_ip (Nova 1.4)", added=["host_ip"]),
        Change(
            "1.2",
            "NUMA topology, as an object (Nova 1.5, as a string)",
            added=["numa_topology"],
        ),
        Change("1.3", "host (Nova 1.7)", added=["host"]),
        Change(
            "1.4",
            "PCI device pools (Nova 1.9)",
            added=["pci_device_pools"],
            upgrade=_no_pools,
        ),
        Change(
            "1.5",
            "allocation ratios (Nova 1.14)",
            added=["cpu_allocation_ratio", "ram_allocation_ratio"],
            upgrade=_cpu_and_ram_ratios,
        ),
        Change(
            "1.6", "uuid (Nova 1.15)", added=["uuid"], upgrade=_derived_uuid
        ),
        Change(
            "1.7",
            "disk allocation ratio (Nova 1.16)",
            added=["disk_allocation_ratio"],
            upgrade=_disk_ratio,
        ),
    )
    fields = {
        "id": f.IntegerField(read_only=True),
        "uuid": f.UUIDField(read_only=True),
        "service_id": f.IntegerField(nullable=True),
        "host": f.StringField(nullable=True),
        "hypervisor_hostname": f.StringField(nullable=True),
        "hypervisor_type": f.StringField(),
        "host_ip": f.IPAddressField(nullable=True),
        "vcpus": f.IntegerField(),
        "memory_mb": f.IntegerField(),
        "local_gb": f.IntegerField(),
        "vcpus_used": f.IntegerField(),
        "memory_mb_used": f.IntegerField(),
        "local_gb_used": f.IntegerField(),
        "cpu_info": f.StringField(),
        "numa_topology": f.ObjectField("NUMATopology", nullable=True),
        "pci_device_pools": f.ListOfObjectsField("PciDevicePool"),
        "cpu_allocation_ratio": f.FloatField(),
        "ram_allocation_ratio": f.FloatField(),
        "disk_allocation_ratio": f.FloatField(),
        "created_at": f.DateTimeField(nullable=True),
        "updated_at": f.DateTimeField(nullable=True),
    }

    @property
    def free_vcpus(self) -> float:
        """vCPUs left under the CPU allocation ratio."""
        return float(self.vcpus * self.cpu_allocation_ratio - self.vcpus_used)
