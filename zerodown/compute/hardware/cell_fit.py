"""Whether one guest NUMA cell fits one host NUMA cell, and how.

The checks are Nova's ``_numa_fit_instance_cell``, in its order:

1. memory - whole free pages of the requested size (``small`` the
   smallest size, ``large`` the largest other than the smallest that
   fits, ``any`` the largest that fits, or exactly the size asked for -
   huge pages are locked, so never overcommitted); without a request,
   the smallest page size (free pages for pinned guests, total pages
   otherwise), or plain memory on a host that reports no pages (free for
   pinned guests, total otherwise: a guest never overcommits against
   itself);
2. dedicated vCPUs (plus one for isolated emulator threads) against the
   cell's dedicated CPUs, then against its free ones, then a pinning;
3. shared vCPUs against the cell's shared CPUs;
4. for guests with shared vCPUs and given limits, the cell's CPU and RAM
   usage against its allocation ratios.

:func:`cell_misfit` answers from counts (a reason, or ``None`` if it
fits); :func:`place_cell` computes the page size and pinning of a pair
known to fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from zerodown.compute.hardware.pinning import can_pack, pack
from zerodown.compute.hardware.specs import (
    MEMPAGES_ANY,
    MEMPAGES_LARGE,
    MEMPAGES_SMALL,
)
from zerodown.compute.hardware.views import GuestCell, HostCell

__all__ = [
    "CellLimits",
    "CellPlacement",
    "cell_misfit",
    "fit_page_size",
    "page_candidates",
    "place_cell",
    "smallest_page_size",
]


class CellLimits(NamedTuple):
    """Allocation ratios for guests with shared CPUs."""

    cpu_allocation_ratio: float
    ram_allocation_ratio: float


class CellPlacement(NamedTuple):
    """Where a guest cell lands: the host cell, the page size chosen (when
    one was requested), the pinning and the emulator threads' CPUs."""

    host_cell: int
    pagesize: int | None
    pinning: dict[int, int] | None
    reserved: set[int] | None


def cell_misfit(
    host: HostCell,
    guest: GuestCell,
    limits: CellLimits | None = None,
    reserve: int = 0,
) -> str | None:
    """Why ``guest`` does not fit ``host``, or ``None`` if it does."""
    return (
        _memory_misfit(host, guest)
        or _cpu_misfit(host, guest, reserve)
        or _limits_misfit(host, guest, limits)
    )


def _memory_misfit(host: HostCell, guest: GuestCell) -> str | None:
    if guest.pagesize:
        if fit_page_size(host, guest.pagesize, guest.memory) is None:
            return f"no {_size(guest.pagesize)} pages for {guest.memory} MiB"
        return None
    smallest = smallest_page_size(host)
    if smallest is not None:
        pages = host.page(smallest)
        assert pages is not None
        if pages.can_fit(guest.memory * 1024, use_free=guest.pinned):
            return None
        return f"{guest.memory} MiB exceeds the cell's memory"
    have = host.avail_memory if guest.pinned else host.memory
    if guest.memory > have:
        return f"{guest.memory} MiB exceeds the cell's {have} MiB"
    return None


def _size(pagesize: int) -> str:
    names = {-1: "small", -2: "large", -3: "any"}
    return names.get(pagesize, f"{pagesize} KiB")


def _cpu_misfit(host: HostCell, guest: GuestCell, reserve: int) -> str | None:
    dedicated = len(guest.pcpus) + reserve if guest.pinned else 0
    if dedicated > len(host.pcpuset):
        return f"needs {dedicated} dedicated CPUs, the cell has " + str(
            len(host.pcpuset)
        )
    if guest.cpu_policy != "dedicated" and guest.shared > len(host.cpuset):
        return f"needs {guest.shared} shared CPUs, the cell has " + str(
            len(host.cpuset)
        )
    if not guest.pinned:
        return None
    if dedicated > len(host.free_pcpus):
        free = len(host.free_pcpus)
        return f"needs {dedicated} dedicated CPUs, {free} are free"
    if not can_pack(host, len(guest.pcpus), guest.thread_policy, reserve):
        policy = guest.thread_policy or "prefer"
        return f"no {policy} pinning of {len(guest.pcpus)} vCPUs"
    return None


def _limits_misfit(
    host: HostCell, guest: GuestCell, limits: CellLimits | None
) -> str | None:
    if limits is None or guest.cpu_policy == "dedicated":
        return None
    cpu_limit = len(host.cpuset) * limits.cpu_allocation_ratio
    if host.cpu_usage + guest.shared > cpu_limit:
        return f"shared CPU usage would exceed {cpu_limit:g}"
    ram_limit = host.memory * limits.ram_allocation_ratio
    if host.memory_usage + guest.memory > ram_limit:
        return f"memory usage would exceed {ram_limit:g} MiB"
    return None


def place_cell(
    host: HostCell, guest: GuestCell, reserve: int = 0
) -> CellPlacement:
    """The page size and pinning of ``guest`` on ``host``; the pair must
    fit (:func:`cell_misfit` returned ``None``)."""
    pagesize = None
    if guest.pagesize:
        pagesize = fit_page_size(host, guest.pagesize, guest.memory)
    if not guest.pinned:
        return CellPlacement(host.id, pagesize, None, None)
    packing = pack(host, guest.pcpus, guest.thread_policy, reserve)
    if packing is None:
        raise AssertionError(f"guest cell {guest.id} does not fit {host.id}")
    return CellPlacement(host.id, pagesize, *packing)


def page_candidates(host: HostCell, request: int) -> Sequence[int]:
    """The sizes to try for ``request``, preferred first."""
    sizes = host.page_sizes
    if request == MEMPAGES_SMALL:
        return sizes[-1:]
    if request == MEMPAGES_LARGE:
        return sizes[:-1]
    if request == MEMPAGES_ANY:
        return sizes
    return (request,)


def fit_page_size(host: HostCell, request: int, memory_mb: int) -> int | None:
    """The page size ``memory_mb`` gets on ``host`` for ``request``, or
    ``None`` when no candidate size has enough free pages (or the host
    lacks the exact size asked for)."""
    memory_kb = memory_mb * 1024
    for size in page_candidates(host, request):
        pages = host.page(size)
        if pages is not None and pages.can_fit(memory_kb):
            return size
    return None


def smallest_page_size(host: HostCell) -> int | None:
    """The host cell's smallest page size, ``None`` if it reports none."""
    return host.page_sizes[-1] if host.page_sizes else None
