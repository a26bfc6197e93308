"""A compute host's resources: what it has, what its instances hold.

The truth is recomputed, not accumulated: every report starts from what
the driver says the host has and adds the instances the conductor says
are on this host (:func:`claims.usage_from_instances`).  A build that died
half-way therefore never leaks a claim: once its instance is in ERROR
without a host, the next report no longer counts it.

Claims run under one lock, and the claimed instance is saved with its
host before the lock is released, so a report running next can only see
the claim, never lose it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from zerodown.compute import claims, states
from zerodown.compute.conf import ComputeDriverConfig
from zerodown.compute.objects import ComputeNode, Instance, PciDevice
from zerodown.compute.pci_alias import PciAlias
from zerodown.compute.rpcapi import ConductorAPI
from zerodown.compute.virt.driver import VirtDriver
from zerodown.rpc import RequestContext

__all__ = ["ResourceTracker"]

LOG = logging.getLogger(__name__)

_NODE_NAMESPACE = uuid.UUID("7d1f7a4e-51b0-4a47-9f0e-2a6f3c0c1d7e")


class ResourceTracker:
    def __init__(
        self,
        host: str,
        driver: VirtDriver,
        conductor: ConductorAPI,
        config: ComputeDriverConfig,
        aliases: dict[str, PciAlias],
    ) -> None:
        self.host, self.driver, self.conductor = host, driver, conductor
        self.config, self.aliases = config, aliases
        self.lock = threading.RLock()
        self.node: ComputeNode | None = None
        self.pci_devices: list[PciDevice] = []

    # -- the periodic truth -------------------------------------------------

    def update_available_resource(self, ctx: RequestContext) -> ComputeNode:
        """Recompute usage from the host's instances and report it."""
        with self.lock:
            base, devices = self._inventory()
            instances = self.conductor.instances_on_host(ctx, self.host)
            node = claims.usage_from_instances(base, instances, devices)
            self.pci_devices = _allocated(devices, instances)
            return self._report(ctx, node)

    def _inventory(self) -> tuple[ComputeNode, list[PciDevice]]:
        """The host as the driver sees it, with nothing used."""
        res = self.driver.get_available_resource()
        topology = self.driver.get_host_numa_topology()
        node_id = self.node.id if self.node is not None else 0
        devices = [_device(node_id, raw, self.host) for raw in res.pci_devices]
        node = ComputeNode(
            uuid=str(
                uuid.uuid5(
                    _NODE_NAMESPACE, f"{self.host}/{res.hypervisor_hostname}"
                )
            ),
            host=self.host,
            hypervisor_hostname=res.hypervisor_hostname,
            hypervisor_type=res.hypervisor_type,
            vcpus=res.vcpus,
            memory_mb=res.memory_mb,
            local_gb=res.local_gb,
            vcpus_used=0,
            memory_mb_used=0,
            local_gb_used=0,
            cpu_info=res.cpu_info,
            numa_topology=topology,
            pci_device_pools=[],
            cpu_allocation_ratio=self.config.cpu_allocation_ratio,
            ram_allocation_ratio=self.config.ram_allocation_ratio,
            disk_allocation_ratio=self.config.disk_allocation_ratio,
        )
        return node, devices

    def _report(self, ctx: RequestContext, node: ComputeNode) -> ComputeNode:
        stored = self.conductor.compute_node_update(
            ctx, node, self.pci_devices
        )
        self.node = stored
        for device in self.pci_devices:
            device.compute_node_id = stored.id
        return stored

    # -- claims ------------------------------------------------------------

    def instance_claim(
        self, ctx: RequestContext, instance: Instance, nodename: str
    ) -> Instance:
        """Claim the instance's resources here and save it as ours.

        :raises ClaimFailed: when the host cannot hold it (any more).
        :raises InstanceInvalidState: when it was deleted meanwhile.
        """
        with self.lock:
            if self.node is None:
                self.update_available_resource(ctx)
            assert self.node is not None
            claim = claims.claim(
                self.node,
                instance,
                aliases=self.aliases,
                pci_devices=self.pci_devices,
            )
            instance.host = self.host
            instance.node = nodename
            instance.compute_id = self.node.id
            instance.numa_topology = claim.numa_topology
            instance.pci_devices = list(claim.pci_devices)
            instance.task_state = states.SPAWNING
            saved = self.conductor.instance_update(
                ctx, instance, expected_task_state=states.SCHEDULING
            )
            self.pci_devices = _merge(self.pci_devices, claim.pci_devices)
            self._report(ctx, claim.node)
            return saved


def _device(node_id: int, raw: Any, host: str) -> PciDevice:
    if isinstance(raw, PciDevice):
        device = raw.obj_clone()
    else:
        device = PciDevice(**dict(raw))
    if not device.obj_attr_is_set("uuid"):
        device.uuid = str(
            uuid.uuid5(_NODE_NAMESPACE, f"{host}/{device.address}")
        )
    device.compute_node_id = node_id
    if not device.obj_attr_is_set("status"):
        device.status = "available"
    for name, default in (
        ("id", 0),
        ("dev_id", None),
        ("label", None),
        ("instance_uuid", None),
        ("request_id", None),
        ("parent_addr", None),
    ):
        if not device.obj_attr_is_set(name):
            setattr(device, name, default)
    if not device.obj_attr_is_set("extra_info"):
        device.extra_info = {}
    return device


def _allocated(
    devices: list[PciDevice], instances: list[Instance]
) -> list[PciDevice]:
    """The host's devices with each instance's marked as allocated."""
    owner = {}
    for instance in instances:
        if instance.obj_attr_is_set("pci_devices"):
            for dev in instance.pci_devices:
                owner[dev.address] = instance.uuid
    for device in devices:
        if device.address in owner:
            device.status = "allocated"
            device.instance_uuid = owner[device.address]
        else:
            device.status = "available"
            device.instance_uuid = None
    return devices


def _merge(devices: list[PciDevice], claimed: Any) -> list[PciDevice]:
    by_address = {d.address: d for d in claimed}
    return [by_address.get(d.address, d) for d in devices]
