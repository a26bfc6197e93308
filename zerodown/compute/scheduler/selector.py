"""Choosing hosts: cheap filters everywhere, then the NUMA fit
best-first, stopping once enough hosts passed.

Nova runs every filter on every host, the NUMA fit included, then
weighs; with 1,000 hosts that is 1,000 fits.  Here the hosts are weighed
first and fitted in that order until ``count + alternates`` fit, which
gives the same first choice whenever the fit does not change the weights
(it does not: weights use RAM and vCPUs only).  When nothing fits, the
reason names the filter that removed the last hosts and why the best
host was refused.  The best-first fit is the ``NUMATopologyFilter``: it
checks pinning, pages, emulator threads and PCI NUMA affinity together.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
from collections.abc import Iterator, Sequence

from zerodown.compute.exceptions import NoValidHost
from zerodown.compute.hardware import fit_instance_to_host
from zerodown.compute.objects import InstanceNUMATopology
from zerodown.compute.scheduler.filters import CHEAP_FILTERS, Filter
from zerodown.compute.scheduler.host_state import HostState
from zerodown.compute.scheduler.request import RequestSpec
from zerodown.compute.scheduler.weighers import (
    DEFAULT_WEIGHERS,
    Weigher,
    weights,
)

__all__ = ["Selection", "select_hosts"]


@dataclasses.dataclass(frozen=True)
class Selection:
    host: str
    nodename: str
    alternates: tuple[str, ...]
    numa_topology: InstanceNUMATopology | None


def select_hosts(
    spec: RequestSpec,
    hosts: Sequence[HostState],
    *,
    filters: Sequence[Filter] = CHEAP_FILTERS,
    weighers: Sequence[Weigher] = DEFAULT_WEIGHERS,
    count: int = 1,
    alternates: int = 2,
    subset_size: int = 1,
    rng: random.Random | None = None,
) -> list[Selection]:
    """``count`` selections, each with up to ``alternates`` other hosts,
    each chosen at random among the ``subset_size`` best that fit
    (Nova's ``host_subset_size``: ties spread instead of all requests
    racing for the same host).  The chosen hosts' states consume the
    request at once, so the next request sees it.

    :raises NoValidHost: with the reason.
    """
    candidates = None
    if filters is CHEAP_FILTERS:
        candidates = _prefiltered(spec, hosts)
    if not candidates:
        candidates = _filtered(spec, hosts, filters)
    fitted: list[tuple[HostState, InstanceNUMATopology | None]] = []
    first_refusal = None
    wanted = max(count + alternates, count - 1 + subset_size)
    for host in _best_first(candidates, weighers):
        if spec.numa_topology is None:
            fitted.append((host, None))
        else:
            fit = fit_instance_to_host(
                host.numa_topology,
                spec.numa_topology,
                host.limits,
                list(spec.pci_requests) or None,
                host.pci_stats,
            )
            if fit.topology is None:
                first_refusal = first_refusal or f"{host.host}: {fit.reason}"
                continue
            fitted.append((host, fit.topology))
        if len(fitted) >= wanted:
            break
    if len(fitted) < count:
        raise NoValidHost(
            reason=f"filter NUMATopologyFilter returned "
            f"{len(fitted)} hosts ({first_refusal})"
        )
    selections = []
    left = list(fitted)
    pick = rng or random
    for _ in range(count):
        host, topology = left.pop(pick.randrange(min(subset_size, len(left))))
        host.consume(spec.vcpus, spec.memory_mb, topology, spec.pci_requests)
        others = tuple(h.host for h, _ in fitted if h is not host)
        selections.append(
            Selection(host.host, host.nodename, others[:alternates], topology)
        )
    return selections


def _prefiltered(
    spec: RequestSpec, hosts: Sequence[HostState]
) -> list[HostState]:
    """What :data:`CHEAP_FILTERS` keep, in one pass over plain numbers.

    The resource amounts go first, as Placement's query does before any
    filter of Nova's runs: liveness, free RAM and vCPUs, hosts not tried
    yet, each compared in place (no call per host and filter), then the
    device pools of the hosts left.  What it keeps is exactly what the
    filters one by one keep; when it keeps nothing they run one by one,
    to say which removed the last hosts and why.
    """
    ignore = set(spec.ignore_hosts)
    memory_mb, vcpus, dedicated = spec.memory_mb, spec.vcpus, spec.dedicated
    found = [
        h
        for h in hosts
        if h.is_up
        and h.total_ram_mb * h.ram_allocation_ratio - h.ram_used_mb
        >= memory_mb
        and (
            dedicated
            or h.total_vcpus * h.cpu_allocation_ratio - h.vcpus_used >= vcpus
        )
        and h.host not in ignore
    ]
    if spec.pci_requests:
        found = [
            h for h in found if h.pci_stats.support_requests(spec.pci_requests)
        ]
    return found


def _filtered(
    spec: RequestSpec, hosts: Sequence[HostState], filters: Sequence[Filter]
) -> list[HostState]:
    """The filters one by one.

    :raises NoValidHost: naming the filter that removed the last hosts.
    """
    candidates = [h for h in hosts if h.host not in spec.ignore_hosts]
    if not candidates:
        raise NoValidHost(reason=_none_left(hosts, spec))
    for flt in filters:
        passed: list[tuple[HostState, str | None]] = []
        refused: list[tuple[HostState, str | None]] = []
        for host in candidates:
            why = flt.reject(host, spec)
            (refused if why else passed).append((host, why))
        if not passed:
            host, why = refused[0]
            raise NoValidHost(
                reason=f"filter {flt.name} returned 0 hosts "
                f"({host.host}: {why})"
            )
        candidates = [h for h, _ in passed]
    return candidates


def _best_first(
    hosts: Sequence[HostState], weighers: Sequence[Weigher]
) -> Iterator[HostState]:
    """``hosts`` as :func:`weigh` orders them, but lazily: a heap, so
    that taking the first few of 10,000 does not sort them all."""
    heap = [(-w, i) for i, w in enumerate(weights(hosts, weighers))]
    heapq.heapify(heap)
    while heap:
        yield hosts[heapq.heappop(heap)[1]]


def _none_left(hosts: Sequence[HostState], spec: RequestSpec) -> str:
    if not hosts:
        return "no compute host has reported"
    return f"every host was tried already ({', '.join(spec.ignore_hosts)})"
