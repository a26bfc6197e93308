"""Values of the compute objects' enum fields (Nova's names)."""

from __future__ import annotations

__all__ = [
    "CPU_ALLOCATION_POLICIES",
    "CPU_EMULATOR_THREADS_POLICIES",
    "CPU_THREAD_POLICIES",
    "PCI_DEVICE_STATUSES",
    "PCI_DEVICE_TYPES",
    "PCI_NUMA_AFFINITY_POLICIES",
    "VM_STATES",
]

#: ``hw:cpu_policy``: pinned, floating, or both in one instance.
CPU_ALLOCATION_POLICIES = ("dedicated", "shared", "mixed")
#: ``hw:cpu_thread_policy``: how pinned vCPUs use SMT siblings.
CPU_THREAD_POLICIES = ("prefer", "isolate", "require")
#: ``hw:emulator_threads_policy``.
CPU_EMULATOR_THREADS_POLICIES = ("share", "isolate")
PCI_DEVICE_TYPES = ("type-PCI", "type-PF", "type-VF", "vdpa")
PCI_DEVICE_STATUSES = (
    "available",
    "claimed",
    "allocated",
    "removed",
    "deleted",
    "unavailable",
    "unclaimable",
)
#: ``hw:pci_numa_affinity_policy``.
PCI_NUMA_AFFINITY_POLICIES = ("required", "legacy", "preferred", "socket")
VM_STATES = (
    "building",
    "active",
    "paused",
    "suspended",
    "stopped",
    "rescued",
    "resized",
    "soft-delete",
    "deleted",
    "error",
    "shelved",
    "shelved_offloaded",
)
