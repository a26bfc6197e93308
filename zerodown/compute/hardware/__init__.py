"""Placement as pure functions: guest vCPU and NUMA topologies from a
flavor and image, and fitting them onto a host's NUMA cells with CPU
pinning, huge pages and PCI/network NUMA affinity.

Nothing here does I/O or keeps state between calls; inputs are never
modified.  The functions keep the names and semantics of Nova's
``nova.virt.hardware`` (see ``docs/compute-placement.md`` for where they
differ); each module holds one concept:

* :mod:`.specs` - reading ``hw:`` extra specs and ``hw_`` image properties;
* :mod:`.cpu_topology` - sockets, cores and threads of the guest;
* :mod:`.policies` - CPU, thread, emulator and PCI affinity policies;
* :mod:`.numa_request` - the guest NUMA topology a flavor asks for;
* :mod:`.views` - plain read-only views of host and guest cells;
* :mod:`.pinning`, :mod:`.cell_fit` - one guest cell on one host cell
  (pinning; pages, CPUs and limits);
* :mod:`.pci`, :mod:`.affinity` - device and network affinity of the
  chosen cells;
* :mod:`.search` - choosing distinct host cells without permutations;
* :mod:`.numa_fit` - the fit of an instance onto a host;
* :mod:`.usage` - the host's usage after a claim or a release.
"""

from __future__ import annotations

from zerodown.compute.hardware.cell_fit import CellLimits, CellPlacement
from zerodown.compute.hardware.cpu_topology import (
    Topology,
    TopologyConstraints,
    desirable_cpu_topologies,
    get_best_cpu_topology,
    get_cpu_topology_constraints,
    possible_cpu_topologies,
    sort_cpu_topologies,
)
from zerodown.compute.hardware.numa_fit import (
    FitResult,
    check_fit,
    fit_instance_to_host,
    numa_fit_instance_to_host,
)
from zerodown.compute.hardware.numa_request import (
    get_mem_page_size_constraint,
    numa_get_constraints,
)
from zerodown.compute.hardware.pci import PciPool, PciRequest, PciStats
from zerodown.compute.hardware.policies import (
    get_cpu_policy_constraint,
    get_cpu_thread_policy_constraint,
    get_dedicated_cpu_constraint,
    get_emulator_thread_policy_constraint,
    get_pci_numa_policy_constraint,
    get_realtime_cpu_constraint,
    is_realtime_enabled,
)
from zerodown.compute.hardware.specs import (
    MEMPAGES_ANY,
    MEMPAGES_LARGE,
    MEMPAGES_SMALL,
)
from zerodown.compute.hardware.usage import numa_usage_from_instance_numa
from zerodown.compute.hardware.views import GuestView, HostView

__all__ = [
    "MEMPAGES_ANY",
    "MEMPAGES_LARGE",
    "MEMPAGES_SMALL",
    "CellLimits",
    "CellPlacement",
    "FitResult",
    "GuestView",
    "HostView",
    "PciPool",
    "PciRequest",
    "PciStats",
    "Topology",
    "TopologyConstraints",
    "check_fit",
    "desirable_cpu_topologies",
    "fit_instance_to_host",
    "get_best_cpu_topology",
    "get_cpu_policy_constraint",
    "get_cpu_thread_policy_constraint",
    "get_cpu_topology_constraints",
    "get_dedicated_cpu_constraint",
    "get_emulator_thread_policy_constraint",
    "get_mem_page_size_constraint",
    "get_pci_numa_policy_constraint",
    "get_realtime_cpu_constraint",
    "is_realtime_enabled",
    "numa_fit_instance_to_host",
    "numa_get_constraints",
    "numa_usage_from_instance_numa",
    "possible_cpu_topologies",
    "sort_cpu_topologies",
]
