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
import random
from collections.abc import Sequence

from zerodown.compute.exceptions import NoValidHost
from zerodown.compute.hardware import fit_instance_to_host
from zerodown.compute.objects import InstanceNUMATopology
from zerodown.compute.scheduler.filters import CHEAP_FILTERS, Filter
from zerodown.compute.scheduler.host_state import HostState
from zerodown.compute.scheduler.request import RequestSpec
from zerodown.compute.scheduler.weighers import (
    DEFAULT_WEIGHERS,
    Weigher,
    weigh,
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
    fitted: list[tuple[HostState, InstanceNUMATopology | None]] = []
    first_refusal = None
    wanted = max(count + alternates, count - 1 + subset_size)
    for host in weigh(candidates, weighers):
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


def _none_left(hosts: Sequence[HostState], spec: RequestSpec) -> str:
    if not hosts:
        return "no compute host has reported"
    return f"every host was tried already ({', '.join(spec.ignore_hosts)})"
