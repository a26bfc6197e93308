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

from zerodown.compute.errors import NoValidHost
from zerodown.compute.hardware import fit_instance_to_host
from zerodown.compute.objects import InstanceNUMATopology
from zerodown.compute.scheduler.filters import CHEAP_FILTERS, Filter
from zerodown.compute.scheduler.host_state import HostState
from zerodown.compute.scheduler.host_table import HostTable
from zerodown.compute.scheduler.request import RequestSpec
from zerodown.compute.scheduler.weighers import (
    DEFAULT_WEIGHERS,
    Weigher,
    combine,
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
    table = HostTable.of(hosts)
    found = _prefiltered(spec, table) if filters is CHEAP_FILTERS else []
    if not found:
        where = {id(state): i for i, state in enumerate(table)}
        found = [where[id(h)] for h in _filtered(spec, table, filters)]
    fitted: list[tuple[int, InstanceNUMATopology | None]] = []
    first_refusal = None
    wanted = max(count + alternates, count - 1 + subset_size)
    for index in _best_first(table, found, weighers):
        host = table[index]
        if spec.numa_topology is None:
            fitted.append((index, None))
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
            fitted.append((index, fit.topology))
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
        index, topology = left.pop(pick.randrange(min(subset_size, len(left))))
        host = table[index]
        host.consume(spec.vcpus, spec.memory_mb, topology, spec.pci_requests)
        table.update(index)
        others = tuple(table[i].host for i, _ in fitted if i != index)
        selections.append(
            Selection(host.host, host.nodename, others[:alternates], topology)
        )
    return selections


def _prefiltered(spec: RequestSpec, table: HostTable) -> list[int]:
    """What :data:`CHEAP_FILTERS` keep, in one pass over plain numbers.

    The resource amounts go first, as Placement's query does before any
    filter of Nova's runs: liveness, free RAM and vCPUs and the hosts
    not tried yet, read from the table's flat arrays (no call per host
    and filter), then the device pools of the hosts left.  What it keeps
    is exactly what the filters one by one keep; when it keeps nothing
    they run one by one, to say which removed the last hosts and why.
    """
    found = table.with_room(
        spec.memory_mb,
        None if spec.dedicated else spec.vcpus,
        spec.ignore_hosts,
    )
    if spec.pci_requests:
        requests = spec.pci_requests
        found = [
            i for i in found if table[i].pci_stats.support_requests(requests)
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
    table: HostTable, found: Sequence[int], weighers: Sequence[Weigher]
) -> Iterator[int]:
    """``found`` as :func:`.weighers.weigh` orders their hosts, but
    lazily: a heap, so that taking the first few of 10,000 does not sort
    them all.  A weigher's values come from the table's array when it
    has one."""
    raws: list[tuple[Sequence[float], float]] = []
    every = len(found) == len(table)  # found is then range(len(table))
    for weigher in weighers:
        column = getattr(table, weigher.column) if weigher.column else None
        if column is not None:
            raw = column if every else [column[i] for i in found]
            raws.append((raw, weigher.multiplier))
        else:
            states = table.states
            raw = [weigher.raw(states[i]) for i in found]
            raws.append((raw, weigher.multiplier))
    heap = [(-w, k) for k, w in enumerate(combine(raws, len(found)))]
    heapq.heapify(heap)
    while heap:
        yield found[heapq.heappop(heap)[1]]


def _none_left(hosts: Sequence[HostState], spec: RequestSpec) -> str:
    if not hosts:
        return "no compute host has reported"
    return f"every host was tried already ({', '.join(spec.ignore_hosts)})"
