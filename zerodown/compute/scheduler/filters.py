"""Host filters: each says why a host cannot take the request.

These cheap ones run on every host; the expensive NUMA fit (which also
checks PCI affinity) runs best-first in :mod:`.selector`.  A filter
returns ``None`` for a pass, or the reason.
"""

from __future__ import annotations

from typing import Protocol

from zerodown.compute.scheduler.host_state import HostState
from zerodown.compute.scheduler.request import RequestSpec

__all__ = [
    "CHEAP_FILTERS",
    "ComputeFilter",
    "CoreFilter",
    "Filter",
    "PciPassthroughFilter",
    "RamFilter",
]


class Filter(Protocol):
    name: str

    def reject(self, host: HostState, spec: RequestSpec) -> str | None: ...


class ComputeFilter:
    """The compute service heartbeats (Nova's ComputeFilter)."""

    name = "ComputeFilter"

    def reject(self, host: HostState, spec: RequestSpec) -> str | None:
        return None if host.is_up else "service down"


class RamFilter:
    name = "RamFilter"

    def reject(self, host: HostState, spec: RequestSpec) -> str | None:
        if host.free_ram_mb >= spec.memory_mb:
            return None
        return (
            f"{spec.memory_mb} MiB RAM asked, {host.free_ram_mb:.0f} MiB free"
        )


class CoreFilter:
    """vCPUs against the allocation ratio; pinned guests are checked
    CPU by CPU by the NUMA filter."""

    name = "CoreFilter"

    def reject(self, host: HostState, spec: RequestSpec) -> str | None:
        if spec.dedicated or host.free_vcpus >= spec.vcpus:
            return None
        return f"{spec.vcpus} vCPUs asked, {host.free_vcpus:.0f} free"


class PciPassthroughFilter:
    """Enough matching devices, wherever they are (affinity is the NUMA
    filter's business)."""

    name = "PciPassthroughFilter"

    def reject(self, host: HostState, spec: RequestSpec) -> str | None:
        if not spec.pci_requests or host.pci_stats.support_requests(
            spec.pci_requests
        ):
            return None
        wanted = ", ".join(
            f"{r.count}x {r.alias_name}" for r in spec.pci_requests
        )
        return f"no free PCI devices for {wanted}"


CHEAP_FILTERS: tuple[Filter, ...] = (
    ComputeFilter(),
    RamFilter(),
    CoreFilter(),
    PciPassthroughFilter(),
)
