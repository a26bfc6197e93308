"""Checks on the set of host cells a guest lands on: PCI devices and
networks with NUMA affinity.

Unlike memory and CPUs, these depend on which cells are chosen together,
not on one pair of cells.  :class:`SetChecks` answers them for a set of
host positions given as a bit mask, remembers its answers, and offers
the monotone bound :meth:`SetChecks.possible` the search prunes with.

A host may declare that a physical network, or its tunnel endpoint, is
local to some of its NUMA cells (``NUMACell.network_metadata``).  A guest
whose ports use such networks (``NUMATopologyLimits.network_metadata``)
must then be on at least one of those cells; a network local to no cell
puts no constraint (:func:`networks_supported`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

from zerodown.compute.hardware.pci import PciRequest, PciStats
from zerodown.compute.hardware.views import HostCell

__all__ = ["NetworkRequest", "SetChecks", "networks_supported"]


class SetChecks:
    """PCI and network checks over host cells in search order."""

    def __init__(
        self,
        cells: Sequence[HostCell],
        pci_requests: Sequence[PciRequest] | None = None,
        pci_stats: PciStats | None = None,
        network: NetworkRequest | None = None,
    ) -> None:
        self.cells = cells
        self.requests = (
            list(pci_requests or ()) if pci_stats is not None else []
        )
        self.stats = pci_stats
        if pci_stats is not None and not pci_stats.sockets:
            self.stats = pci_stats.with_sockets(
                {cell.id: cell.socket for cell in cells}
            )
        self.network = network
        self._accepted: dict[int, bool] = {}
        self._possible: dict[int, bool] = {}

    @property
    def active(self) -> bool:
        return bool(self.requests) or self.network is not None

    def accept(self, mask: int) -> bool:
        """Whether a guest on exactly these cells gets its devices and
        networks."""
        known = self._accepted.get(mask)
        if known is None:
            known = self._devices(mask) and self._networks(mask)
            self._accepted[mask] = known
        return known

    def possible(self, mask: int) -> bool:
        """A bound: ``False`` means no subset of these cells passes
        :meth:`accept`."""
        known = self._possible.get(mask)
        if known is None:
            ids = self._ids(mask)
            stats = self.stats
            known = self._networks(mask) and all(
                stats is not None and stats.could_support(request, ids)
                for request in self.requests
            )
            self._possible[mask] = known
        return known

    def cell_class(self, position: int) -> Hashable:
        """Cells of one class are interchangeable for these checks: cells
        with devices are each their own class."""
        cell = self.cells[position]
        has_devices = self.stats is not None and any(
            pool.numa_node == cell.id for pool in self.stats.pools
        )
        return (
            position if has_devices else None,
            cell.socket,
            cell.physnets,
            cell.tunneled,
        )

    def explain(self, mask: int) -> str:
        """Why even ``mask`` cannot pass, for a refusal's reason."""
        if not self._networks(mask):
            return "the networks' NUMA affinity cannot be met"
        ids = self._ids(mask)
        for request in self.requests:
            if self.stats is None or not self.stats.could_support(
                request, ids
            ):
                name = request.alias_name or "a PCI request"
                policy = request.numa_policy or "legacy"
                return (
                    f"{name} ({request.count} device(s), {policy} NUMA "
                    "affinity) cannot be met"
                )
        return "no choice of host cells meets the PCI requests together"

    def _ids(self, mask: int) -> list[int]:
        return [c.id for i, c in enumerate(self.cells) if mask >> i & 1]

    def _devices(self, mask: int) -> bool:
        if not self.requests or self.stats is None:
            return True
        return self.stats.support_requests(self.requests, self._ids(mask))

    def _networks(self, mask: int) -> bool:
        if self.network is None:
            return True
        chosen = [c for i, c in enumerate(self.cells) if mask >> i & 1]
        return networks_supported(self.network, self.cells, chosen)


class NetworkRequest:
    """The physnets and whether a tunnel the guest's ports need."""

    __slots__ = ("physnets", "tunneled")

    def __init__(self, physnets: Iterable[str], tunneled: bool) -> None:
        self.physnets = frozenset(physnets)
        self.tunneled = tunneled


def networks_supported(
    request: NetworkRequest,
    cells: Iterable[HostCell],
    chosen: Iterable[HostCell],
) -> bool:
    """Whether a guest on ``chosen`` has every network that is NUMA-local
    somewhere on the host (``cells``) local to one of its cells.

    Adding cells to ``chosen`` never turns the answer to ``False``.
    """
    chosen = [cell for cell in chosen if cell.physnets is not None]
    declared = [cell for cell in cells if cell.physnets is not None]
    missing = set(request.physnets)
    for cell in chosen:
        missing -= cell.physnets or frozenset()
    if any(missing & (cell.physnets or frozenset()) for cell in declared):
        return False
    if not request.tunneled or any(cell.tunneled for cell in chosen):
        return True
    return not any(cell.tunneled for cell in declared)
