"""NUMA affinity of networks: physnets and tunnels local to host cells.

A host may declare that a physical network, or its tunnel endpoint, is
local to some of its NUMA cells (``NUMACell.network_metadata``).  A guest
whose ports use such networks (``NUMATopologyLimits.network_metadata``)
must then be on at least one of those cells; a network local to no cell
puts no constraint.
"""

from __future__ import annotations

from collections.abc import Iterable

from zerodown.compute.hardware.views import HostCell

__all__ = ["NetworkRequest", "networks_supported"]


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
