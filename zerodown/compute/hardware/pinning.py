"""Pinning a guest cell's dedicated vCPUs onto a host cell's free cores.

Nova's packing, thread by thread:

* ``prefer`` (and no policy): fill whole cores first - the cores with the
  most free threads, then fewer - and if no core count fits, spread one
  vCPU per free thread anywhere;
* ``require``: only cores with at least two free threads, no fallback;
* ``isolate``: one vCPU per fully free core, its siblings left idle; a
  host with SMT whose dedicated and shared CPU sets differ cannot isolate
  (Nova bug 1889633: such hosts are filtered by trait instead).

With isolated emulator threads, ``reserve`` more free CPUs are set aside
for them (their siblings too under ``isolate``).  Within a core, threads
are taken in ascending CPU order; cores in the order the host reports them.

:func:`can_pack` answers whether :func:`pack` would succeed, from counts
alone, so a search can try many cells and pack only the chosen ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import NamedTuple

from zerodown.compute.hardware.views import HostCell

__all__ = ["Packing", "can_pack", "pack"]


class Packing(NamedTuple):
    """``pinning`` maps each dedicated vCPU to a host CPU; ``reserved``
    are the host CPUs kept for emulator threads (``None`` if none)."""

    pinning: dict[int, int]
    reserved: set[int] | None


def can_pack(
    host: HostCell, vcpus: int, thread_policy: str | None, reserve: int = 0
) -> bool:
    """Whether :func:`pack` finds a pinning for ``vcpus`` dedicated vCPUs."""
    free = host.sibling_free_count
    if thread_policy == "isolate":
        if not _can_isolate(host):
            return False
        full = host.cores(host.threads_per_core)
        left = free - vcpus * host.threads_per_core
        return full >= vcpus and vcpus > 0 and left >= reserve
    if reserve and not vcpus:
        return False
    if thread_policy == "require":
        return (
            host.threads_per_core > 1
            and free >= vcpus + reserve
            and any(
                t * host.cores(t) >= vcpus
                for t in range(2, len(host.cores_with))
            )
        )
    return free >= vcpus + reserve


def _can_isolate(host: HostCell) -> bool:
    if not host.cores(host.threads_per_core):
        return False
    return host.threads_per_core == 1 or host.pcpuset == host.cpuset


def pack(
    host: HostCell,
    vcpus: Sequence[int],
    thread_policy: str | None,
    reserve: int = 0,
) -> Packing | None:
    """Pin ``vcpus`` (sorted) on ``host``'s free cores, or ``None``."""
    if thread_policy == "isolate":
        return _pack_isolated(host, vcpus, reserve)
    siblings = host.free_siblings
    most = len(host.cores_with) - 1
    lowest = 2 if thread_policy == "require" else 1
    for threads in range(most, lowest - 1, -1):
        cores = [core for core in siblings if len(core) >= threads]
        found = _pin(vcpus, cores, threads, siblings, reserve)
        if found is not None:
            return found
    if thread_policy == "require":
        return None
    singles = [(cpu,) for cpu in chain.from_iterable(siblings)]
    return _pin(vcpus, singles, 1, singles, reserve)


def _pin(
    vcpus: Sequence[int],
    cores: Sequence[tuple[int, ...]],
    threads: int,
    free: Sequence[tuple[int, ...]],
    reserve: int,
) -> Packing | None:
    if threads * len(cores) < len(vcpus):
        return None
    usable = chain.from_iterable(core[:threads] for core in cores)
    pinning = dict(zip(vcpus, usable, strict=False))
    reserved = _reserve(free, set(pinning.values()), reserve, False)
    if reserve and not reserved:
        return None
    return Packing(pinning, reserved)


def _pack_isolated(
    host: HostCell, vcpus: Sequence[int], reserve: int
) -> Packing | None:
    if not _can_isolate(host):
        return None
    width = host.threads_per_core
    cores = [core for core in host.free_siblings if len(core) >= width]
    if len(cores) < len(vcpus) or not vcpus:
        return None
    pinning = dict(zip(vcpus, (core[0] for core in cores), strict=False))
    reserved = _reserve(
        host.free_siblings, set(pinning.values()), reserve, True
    )
    if reserve and not reserved:
        return None
    return Packing(pinning, reserved)


def _reserve(
    free: Sequence[tuple[int, ...]],
    pinned: set[int],
    count: int,
    whole_cores: bool,
) -> set[int] | None:
    """The first ``count`` free CPUs left after pinning; under ``isolate``
    a core with a pinned thread is left out whole."""
    if not count or not pinned:
        return None
    left = (
        cpu
        for core in free
        if not (whole_cores and pinned.intersection(core))
        for cpu in core
        if whole_cores or cpu not in pinned
    )
    taken: set[int] = set()
    for cpu in left:
        if len(taken) == count:
            break
        taken.add(cpu)
    return taken or None
