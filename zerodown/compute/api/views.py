"""JSON views of the API's resources (Nova's shapes plus ``zerodown:``
extensions for placement)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from zerodown.compute import states
from zerodown.compute.objects import ComputeNode, Flavor, Instance
from zerodown.services import ServiceRecord

__all__ = [
    "FLAVOR_VALUES_VERSION",
    "flavor",
    "hypervisor",
    "server",
    "service",
]

#: From this microversion on, a server shows its flavor's values.
FLAVOR_VALUES_VERSION = (2, 47)


def flavor(obj: Flavor) -> dict[str, Any]:
    return {
        "id": obj.flavorid,
        "name": obj.name,
        "vcpus": obj.vcpus,
        "ram": obj.memory_mb,
        "disk": obj.root_gb,
        "OS-FLV-EXT-DATA:ephemeral": obj.ephemeral_gb,
        # Nova's: no swap is "", not 0.
        "swap": obj.swap or "",
        "rxtx_factor": obj.rxtx_factor,
        "os-flavor-access:is_public": obj.is_public,
        "OS-FLV-DISABLED:disabled": obj.disabled,
        "description": obj.description,
        "extra_specs": dict(obj.extra_specs),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def server(
    obj: Instance,
    fault: Mapping[str, Any] | None,
    *,
    hosts: bool = True,
    version: tuple[int, int] = FLAVOR_VALUES_VERSION,
) -> dict[str, Any]:
    """A server as the API shows it at microversion ``version``; without
    ``hosts`` (a member asks, as in Nova), nothing about the host:
    neither its name nor its CPUs, cells or devices, only ``hostId``,
    which tells two of the project's servers on one host apart from two
    on two hosts."""
    view: dict[str, Any] = {
        "id": obj.uuid,
        "name": obj.display_name,
        "description": obj.description,
        "tenant_id": obj.project_id,
        "user_id": obj.user_id,
        "image": {"id": obj.image_ref} if obj.image_ref else "",
        "status": states.api_status(obj.vm_state, obj.task_state),
        "vm_state": obj.vm_state,
        "task_state": obj.task_state,
        "power_state": obj.power_state,
        # Nova's names of the three states, which its clients show.
        "OS-EXT-STS:vm_state": obj.vm_state,
        "OS-EXT-STS:task_state": obj.task_state,
        "OS-EXT-STS:power_state": obj.power_state,
        # No network service: no addresses.
        "addresses": {},
        "metadata": {},
        "host": obj.host,
        "OS-EXT-SRV-ATTR:host": obj.host,
        "OS-EXT-SRV-ATTR:hypervisor_hostname": obj.node,
        "flavor": _server_flavor(obj.flavor, version),
        "created": _iso(obj.created_at),
        "updated": _iso(obj.updated_at),
        "launched_at": _iso(obj.launched_at),
        "zerodown:numa": _numa(obj) if obj.host else None,
        "zerodown:pci_devices": [str(d.address) for d in obj.pci_devices],
    }
    if not hosts:
        for key in _HOST_KEYS:
            view.pop(key)
    view["hostId"] = _host_id(obj)
    if fault is not None and obj.vm_state == states.ERROR:
        view["fault"] = {
            "code": fault["code"],
            "message": fault["message"],
            "created": fault["created"],
        }
    return view


def _server_flavor(obj: Flavor, version: tuple[int, int]) -> dict[str, Any]:
    if version < FLAVOR_VALUES_VERSION:
        # Nova's before 2.47: a reference to the flavor.
        return {"id": obj.flavorid, "links": []}
    return {
        "original_name": obj.name,
        "vcpus": obj.vcpus,
        "ram": obj.memory_mb,
        "disk": obj.root_gb,
        "ephemeral": obj.ephemeral_gb,
        "swap": obj.swap,
        "extra_specs": dict(obj.extra_specs),
    }


_HOST_KEYS = (
    "host",
    "OS-EXT-SRV-ATTR:host",
    "OS-EXT-SRV-ATTR:hypervisor_hostname",
    "zerodown:numa",
    "zerodown:pci_devices",
)


def _host_id(obj: Instance) -> str:
    # Nova's: a hash of the project and the host, so projects cannot
    # compare their servers' hosts with each other's.
    if not obj.host:
        return ""
    text = f"{obj.project_id or ''}{obj.host}".encode()
    return hashlib.sha224(text).hexdigest()


def _numa(obj: Instance) -> dict[str, Any] | None:
    topology = obj.numa_topology
    if topology is None:
        return None
    cells = []
    emulator: set[int] = set()
    for cell in topology.cells:
        pinning = dict(cell.cpu_pinning or {})
        cells.append(
            {
                "host_cell": cell.id,
                "vcpus": sorted(cell.cpuset | cell.pcpuset),
                "memory": cell.memory,
                "pinning": {str(v): p for v, p in sorted(pinning.items())},
                "pagesize": cell.pagesize,
                "cpu_policy": cell.cpu_policy,
                "realtime_vcpus": sorted(cell.realtime_vcpus),
            }
        )
        emulator |= set(cell.cpuset_reserved or ())
    return {
        "cells": cells,
        "emulator_cpus": sorted(emulator),
        "emulator_threads_policy": topology.emulator_threads_policy,
    }


def service_id(host: str, binary: str) -> int:
    """A number for a service, as Nova's row ids before 2.53: the
    services table has none, so it is derived from the host and binary
    (stable across restarts and API processes; 31 bits)."""
    digest = hashlib.sha256(f"{host}/{binary}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def service(record: ServiceRecord, up: bool) -> dict[str, Any]:
    return {
        "id": service_id(record.host, record.binary),
        # Nova's zones: computes are in the default one.
        "zone": "nova" if record.binary == "compute" else "internal",
        "disabled_reason": None,
        "binary": record.binary,
        "host": record.host,
        "status": "enabled",
        "state": "up" if up else "down",
        "forced_down": record.forced_down,
        "version": record.version,
        "updated_at": _iso(record.last_seen_up),
    }


def hypervisor(
    node: ComputeNode, up: bool | None, detail: bool = True
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": node.id,
        "hypervisor_hostname": node.hypervisor_hostname,
        "state": "up" if up else "down",
        "status": "enabled",
    }
    if not detail:
        return view
    view.update(
        hypervisor_type=node.hypervisor_type,
        vcpus=node.vcpus,
        vcpus_used=node.vcpus_used,
        memory_mb=node.memory_mb,
        memory_mb_used=node.memory_mb_used,
        local_gb=node.local_gb,
        local_gb_used=node.local_gb_used,
        service={
            "host": node.host,
            "id": service_id(node.host, "compute"),
            "disabled_reason": None,
        },
        cpu_allocation_ratio=node.cpu_allocation_ratio,
        ram_allocation_ratio=node.ram_allocation_ratio,
        numa_cells=[
            {
                "id": cell.id,
                "socket": cell.socket,
                "cpus": sorted(cell.cpuset),
                "pcpus": sorted(cell.pcpuset),
                "pinned": sorted(cell.pinned_cpus),
                "cpu_usage": cell.cpu_usage,
                "memory": cell.memory,
                "memory_used": cell.memory_usage,
                "pages": [
                    {"size_kb": p.size_kb, "total": p.total, "used": p.used}
                    for p in cell.mempages
                ],
            }
            for cell in (
                node.numa_topology.cells if node.numa_topology else []
            )
        ],
        pci_pools=[
            {
                "vendor_id": p.vendor_id,
                "product_id": p.product_id,
                "numa_node": p.numa_node,
                "count": p.count,
            }
            for p in node.pci_device_pools
        ],
    )
    return view
