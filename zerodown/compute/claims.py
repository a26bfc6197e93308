"""A compute's claims: fitting an instance on the host as it is now.

Pure functions over versioned objects; inputs are never modified.
:func:`claim` fits the instance's requested NUMA topology onto the
node's current usage (pinning, pages, emulator threads), checks memory
and vCPUs against the allocation ratios, and picks free PCI devices on
the cells the guest landed on.  :func:`usage_from_instances` recomputes
a node's whole usage from the instances on it: the resource tracker's
periodic truth, which is why a failed build can never leak a claim.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from zerodown.compute.errors import ClaimFailed
from zerodown.compute.hardware import (
    PciPool,
    PciRequest,
    PciStats,
    fit_instance_to_host,
    numa_usage_from_instance_numa,
)
from zerodown.compute.objects import (
    ComputeNode,
    Instance,
    InstanceNUMATopology,
    NetworkMetadata,
    NUMATopologyLimits,
    PciDevice,
    PciDevicePool,
)
from zerodown.compute.pci_alias import PciAlias, pci_requests_from_flavor

__all__ = [
    "Claim",
    "claim",
    "limits_of",
    "pci_pools",
    "pci_stats_of",
    "usage_from_instances",
]


@dataclasses.dataclass(frozen=True)
class Claim:
    """What the instance got, and the node with it counted."""

    numa_topology: InstanceNUMATopology | None
    pci_devices: tuple[PciDevice, ...]
    node: ComputeNode


def limits_of(node: ComputeNode) -> NUMATopologyLimits:
    return NUMATopologyLimits(
        cpu_allocation_ratio=node.cpu_allocation_ratio,
        ram_allocation_ratio=node.ram_allocation_ratio,
        network_metadata=NetworkMetadata(physnets=set(), tunneled=False),
    )


def pci_stats_of(node: ComputeNode) -> PciStats:
    """The node's free devices by pool, with its cells' sockets."""
    sockets = {
        cell.id: cell.socket
        for cell in (node.numa_topology.cells if node.numa_topology else [])
    }
    return PciStats(
        (PciPool.from_object(p) for p in node.pci_device_pools), sockets
    )


def claim(
    node: ComputeNode,
    instance: Instance,
    *,
    aliases: Mapping[str, PciAlias],
    pci_devices: Sequence[PciDevice],
) -> Claim:
    """Fit ``instance`` on ``node`` as it is used now.

    :raises ClaimFailed: with the reason when it does not fit (any more).
    """
    requests = pci_requests_from_flavor(
        instance.flavor, aliases, instance.image_props
    )
    free = [d for d in pci_devices if d.status == "available"]
    _check_totals(node, instance)
    topology = None
    cells: set[int] | None = None
    if instance.numa_topology is not None:
        fit = fit_instance_to_host(
            node.numa_topology,
            instance.numa_topology,
            limits_of(node),
            requests,
            PciStats.from_devices(free, _sockets(node)),
        )
        if fit.topology is None:
            raise ClaimFailed(host=node.host, reason=fit.reason)
        topology = fit.topology
        topology.instance_uuid = instance.uuid
        cells = {cell.id for cell in topology.cells}
    devices = _pick(node.host, free, requests, cells)
    held = [*_clone(devices, instance.uuid)]
    counted = _add(node, instance, topology)
    counted.pci_device_pools = pci_pools(
        _merged(pci_devices, held), node.pci_device_pools
    )
    return Claim(topology, tuple(held), counted)


def usage_from_instances(
    node: ComputeNode,
    instances: Iterable[Instance],
    pci_devices: Sequence[PciDevice],
) -> ComputeNode:
    """``node`` (its inventory; usage ignored) with the usage of every
    live instance in ``instances`` counted from scratch."""
    counted = node.obj_clone()
    counted.vcpus_used = counted.memory_mb_used = counted.local_gb_used = 0
    counted.numa_topology = _empty(node)
    owners = set()
    for instance in instances:
        if instance.deleted or instance.vm_state == "deleted":
            continue
        counted = _add(counted, instance, instance.numa_topology)
        owners.add(instance.uuid)
        for device in instance.pci_devices or []:
            owners.add(device.address)
    free = [
        d
        for d in pci_devices
        if d.address not in owners and d.instance_uuid not in owners
    ]
    counted.pci_device_pools = pci_pools(free, [])
    return counted


def pci_pools(
    devices: Iterable[PciDevice], _previous: Sequence[PciDevicePool]
) -> list[PciDevicePool]:
    """Pools of the available devices (vendor, product, NUMA node)."""
    counts: dict[tuple[str, str, int | None, str], int] = {}
    for device in devices:
        if device.status != "available":
            continue
        key = (
            device.vendor_id,
            device.product_id,
            device.numa_node,
            device.dev_type,
        )
        counts[key] = counts.get(key, 0) + 1
    return [
        PciDevicePool(
            vendor_id=vendor,
            product_id=product,
            numa_node=numa_node,
            tags={"dev_type": dev_type},
            count=count,
        )
        for (vendor, product, numa_node, dev_type), count in counts.items()
    ]


# -- helpers -----------------------------------------------------------------


def _check_totals(node: ComputeNode, instance: Instance) -> None:
    ram_limit = node.memory_mb * node.ram_allocation_ratio
    if node.memory_mb_used + instance.memory_mb > ram_limit:
        raise ClaimFailed(
            host=node.host,
            reason=f"{instance.memory_mb} MiB of RAM asked, "
            f"{ram_limit - node.memory_mb_used:.0f} MiB free",
        )
    cpu_limit = node.vcpus * node.cpu_allocation_ratio
    if node.vcpus_used + instance.vcpus > cpu_limit:
        raise ClaimFailed(
            host=node.host,
            reason=f"{instance.vcpus} vCPUs asked, "
            f"{cpu_limit - node.vcpus_used:.0f} free",
        )


def _sockets(node: ComputeNode) -> dict[int, int | None]:
    if node.numa_topology is None:
        return {}
    return {cell.id: cell.socket for cell in node.numa_topology.cells}


def _pick(
    host: str,
    free: Sequence[PciDevice],
    requests: Sequence[PciRequest],
    cells: set[int] | None,
) -> list[PciDevice]:
    """Free devices for ``requests``, local to ``cells`` first (and only,
    under the ``required`` policy)."""
    chosen: list[PciDevice] = []
    for request in requests:
        local_only = request.numa_policy == "required" and cells is not None
        candidates = [
            d
            for d in free
            if d not in chosen
            and _pool(d).matches(request.spec)
            and (not local_only or d.numa_node in (cells or set()))
        ]
        candidates.sort(
            key=lambda d: cells is None or d.numa_node in cells, reverse=True
        )
        if len(candidates) < request.count:
            raise ClaimFailed(
                host=host,
                reason=f"{request.count} PCI device(s) of alias "
                f"{request.alias_name} asked, {len(candidates)} free",
            )
        chosen.extend(candidates[: request.count])
    return chosen


def _pool(device: PciDevice) -> PciPool:
    return PciPool(
        device.vendor_id,
        device.product_id,
        device.numa_node,
        1,
        device.dev_type,
    )


def _clone(devices: Iterable[PciDevice], owner: str) -> Iterable[PciDevice]:
    for device in devices:
        held = device.obj_clone()
        held.status = "allocated"
        held.instance_uuid = owner
        yield held


def _merged(
    devices: Sequence[PciDevice], held: Sequence[PciDevice]
) -> list[PciDevice]:
    by_address = {d.address: d for d in held}
    return [by_address.get(d.address, d) for d in devices]


def _empty(node: ComputeNode) -> object:
    if node.numa_topology is None:
        return None
    topology = node.numa_topology.obj_clone()
    for cell in topology.cells:
        cell.cpu_usage = 0
        cell.memory_usage = 0
        cell.pinned_cpus = set()
        for pages in cell.mempages:
            pages.used = 0
    return topology


def _add(
    node: ComputeNode,
    instance: Instance,
    topology: InstanceNUMATopology | None,
) -> ComputeNode:
    counted = node.obj_clone()
    counted.vcpus_used += instance.vcpus
    counted.memory_mb_used += instance.memory_mb
    counted.local_gb_used += instance.root_gb + instance.ephemeral_gb
    if topology is not None and node.numa_topology is not None:
        counted.numa_topology = numa_usage_from_instance_numa(
            node.numa_topology, topology
        )
    return counted
