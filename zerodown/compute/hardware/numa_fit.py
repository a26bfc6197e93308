"""Fitting an instance's NUMA topology onto a host's.

:func:`numa_fit_instance_to_host` keeps Nova's signature and answer: the
host cells are ordered as Nova orders them (spread or pack by free memory,
then by CPU usage or free dedicated CPUs, then by PCI devices), each guest
cell must fit its own host cell (:mod:`.cell_fit`), the chosen set must
meet the PCI and network affinity (:mod:`.affinity`), and of all such
assignments the first in permutation order wins (:mod:`.search` finds it
without enumerating permutations).  Guest cell 0 also takes one host CPU
for isolated emulator threads.

:func:`fit_instance_to_host` returns the same answer with the reason when
there is none; :func:`check_fit` only answers whether it fits, which is
all a scheduler filter needs.  Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from zerodown.compute.hardware.affinity import NetworkRequest, SetChecks
from zerodown.compute.hardware.cell_fit import (
    CellLimits,
    CellPlacement,
    cell_misfit,
    place_cell,
)
from zerodown.compute.hardware.pci import PciRequest, PciStats
from zerodown.compute.hardware.search import find_assignment, max_matching
from zerodown.compute.hardware.views import (
    GuestCell,
    GuestView,
    HostCell,
    HostView,
)
from zerodown.compute.objects import (
    InstanceNUMACell,
    InstanceNUMATopology,
    NUMATopology,
    NUMATopologyLimits,
)

__all__ = [
    "FitResult",
    "check_fit",
    "fit_instance_to_host",
    "numa_fit_instance_to_host",
]

Host = NUMATopology | HostView
Guest = InstanceNUMATopology | GuestView


@dataclass(frozen=True)
class FitResult:
    """``topology`` is the fitted instance topology (``None`` if it does
    not fit, then ``reason`` says why); ``placements`` the same as data."""

    topology: InstanceNUMATopology | None
    placements: tuple[CellPlacement, ...] = ()
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.topology is not None


def numa_fit_instance_to_host(
    host_topology: Host | None,
    instance_topology: Guest | None,
    limits: NUMATopologyLimits | None = None,
    pci_requests: Sequence[PciRequest] | None = None,
    pci_stats: PciStats | None = None,
    *,
    pack: bool = False,
) -> InstanceNUMATopology | None:
    """The instance topology fitted onto the host, or ``None``.

    Each returned cell is a copy of the instance's cell with ``id`` set to
    its host cell, ``pagesize`` resolved, and - for pinned cells -
    ``cpu_pinning`` and ``cpuset_reserved`` set.

    :param limits: allocation ratios for shared CPUs and RAM, and the
        networks whose NUMA affinity must hold.
    :param pci_requests: devices the instance needs; checked only with
        ``pci_stats``, the host's free devices.
    :param pack: fill the most used host cells first (Nova's
        ``packing_host_numa_cells_allocation_strategy``) instead of the
        least used.
    """
    return fit_instance_to_host(
        host_topology,
        instance_topology,
        limits,
        pci_requests,
        pci_stats,
        pack=pack,
    ).topology


def fit_instance_to_host(
    host_topology: Host | None,
    instance_topology: Guest | None,
    limits: NUMATopologyLimits | None = None,
    pci_requests: Sequence[PciRequest] | None = None,
    pci_stats: PciStats | None = None,
    *,
    pack: bool = False,
) -> FitResult:
    """As :func:`numa_fit_instance_to_host`, with the placements as data
    and the reason when the instance does not fit."""
    fit = _Fit(host_topology, instance_topology, limits, pack=pack)
    found = fit.assign(pci_requests, pci_stats)
    if isinstance(found, str):
        return FitResult(None, reason=found)
    placements = fit.place(found)
    return FitResult(fit.build(placements), placements)


def check_fit(
    host_topology: Host | None,
    instance_topology: Guest | None,
    limits: NUMATopologyLimits | None = None,
    pci_requests: Sequence[PciRequest] | None = None,
    pci_stats: PciStats | None = None,
    *,
    pack: bool = False,
) -> str | None:
    """Why the instance does not fit the host, or ``None`` if it does;
    nothing is pinned or built."""
    fit = _Fit(host_topology, instance_topology, limits, pack=pack)
    found = fit.assign(pci_requests, pci_stats)
    return found if isinstance(found, str) else None


class _Fit:
    """One fitting: the views, the host cell order and the pair fits."""

    def __init__(
        self,
        host: Host | None,
        guest: Guest | None,
        limits: NUMATopologyLimits | None,
        *,
        pack: bool,
    ) -> None:
        self.host = _host_view(host)
        self.guest = _guest_view(guest)
        self.limits, self.network = _limits(limits)
        self.pack = pack
        self.order: list[HostCell] = []

    def assign(
        self,
        pci_requests: Sequence[PciRequest] | None,
        pci_stats: PciStats | None,
    ) -> list[int] | str:
        """Host positions (in ``self.order``) per guest cell, or why not."""
        host, guest = self.host, self.guest
        if host is None or guest is None or not host.cells or not guest.cells:
            return "the host or the instance has no NUMA topology"
        if len(host) < len(guest):
            return (
                f"the instance needs {len(guest)} NUMA cells, the host has "
                f"{len(host)}"
            )
        self.order = _order(host, guest, pci_requests, pci_stats, self.pack)
        masks, misfits = self._pair_fits()
        checks = SetChecks(self.order, pci_requests, pci_stats, self.network)
        found = find_assignment(
            masks,
            _classes(masks, checks),
            checks.accept if checks.active else None,
            checks.possible if checks.active else None,
        )
        if found is None:
            return _why_not(masks, misfits, checks)
        return found

    def _pair_fits(self) -> tuple[list[int], list[list[str]]]:
        """Per guest cell, the mask of host positions it fits and the
        reasons it does not fit the others."""
        masks: list[int] = []
        misfits: list[list[str]] = []
        known: dict[tuple[object, ...], tuple[int, list[str]]] = {}
        for index, cell in enumerate(self.guest_cells):
            reserve = self._reserve(index)
            key = (*cell.shape, reserve)
            if key not in known:
                known[key] = self._fits(cell, reserve)
            mask, reasons = known[key]
            masks.append(mask)
            misfits.append(reasons)
        return masks, misfits

    def _fits(self, cell: GuestCell, reserve: int) -> tuple[int, list[str]]:
        mask = 0
        reasons = []
        for position, host_cell in enumerate(self.order):
            why = cell_misfit(host_cell, cell, self.limits, reserve)
            if why is None:
                mask |= 1 << position
            else:
                reasons.append(f"host cell {host_cell.id}: {why}")
        return mask, reasons

    @property
    def guest_cells(self) -> tuple[GuestCell, ...]:
        assert self.guest is not None
        return self.guest.cells

    def _reserve(self, index: int) -> int:
        # Emulator threads go on the host cell of guest cell 0 (Nova's).
        assert self.guest is not None
        return int(index == 0 and self.guest.emulator_threads_isolated)

    def place(self, positions: list[int]) -> tuple[CellPlacement, ...]:
        return tuple(
            place_cell(self.order[p], cell, self._reserve(i))
            for i, (p, cell) in enumerate(
                zip(positions, self.guest_cells, strict=True)
            )
        )

    def build(
        self, placements: tuple[CellPlacement, ...]
    ) -> InstanceNUMATopology:
        assert self.guest is not None
        cells = [
            _fitted_cell(cell.cell, placement)
            for cell, placement in zip(
                self.guest.cells, placements, strict=True
            )
        ]
        return InstanceNUMATopology(
            cells=cells,
            emulator_threads_policy=self.guest.emulator_threads_policy,
        )


def _host_view(host: Host | None) -> HostView | None:
    if host is None or isinstance(host, HostView):
        return host
    return HostView(host)


def _guest_view(guest: Guest | None) -> GuestView | None:
    if guest is None or isinstance(guest, GuestView):
        return guest
    return GuestView(guest)


def _limits(
    limits: NUMATopologyLimits | None,
) -> tuple[CellLimits | None, NetworkRequest | None]:
    if limits is None:
        return None, None
    cell_limits = CellLimits(
        float(limits.cpu_allocation_ratio),
        float(limits.ram_allocation_ratio),
    )
    if not limits.obj_attr_is_set("network_metadata"):
        return cell_limits, None
    meta = limits.network_metadata
    physnets = meta.physnets if meta.obj_attr_is_set("physnets") else ()
    tunneled = meta.obj_attr_is_set("tunneled") and bool(meta.tunneled)
    return cell_limits, NetworkRequest(physnets, tunneled)


def _order(
    host: HostView,
    guest: GuestView,
    pci_requests: Sequence[PciRequest] | None,
    pci_stats: PciStats | None,
    pack: bool,
) -> list[HostCell]:
    """Host cells in Nova's trial order: each sort is stable and refines
    the previous one's order only among equals of its own key."""
    cells = list(host.cells)
    if len(cells) == len(guest.cells):
        return cells
    cells.sort(key=lambda c: c.avail_memory, reverse=not pack)
    if guest.cells[0].cpu_policy in (None, "shared"):
        cells.sort(key=lambda c: c.cpu_usage, reverse=pack)
    else:
        cells.sort(key=lambda c: len(c.free_pcpus), reverse=not pack)
    if pci_stats is not None:
        devices = pci_stats.devices_by_node()
        cells.sort(
            key=lambda c: devices.get(c.id, 0), reverse=bool(pci_requests)
        )
    return cells


def _classes(
    masks: Sequence[int], checks: SetChecks
) -> Callable[[int], Hashable]:
    """The symmetry class of a host position: the guest cells it fits
    and its role in the set checks (worked out when first asked)."""
    known: dict[int, Hashable] = {}

    def class_of(position: int) -> Hashable:
        if position not in known:
            fits = tuple(mask >> position & 1 for mask in masks)
            known[position] = (fits, checks.cell_class(position))
        return known[position]

    return class_of


def _why_not(
    masks: Sequence[int], misfits: Sequence[list[str]], checks: SetChecks
) -> str:
    for index, mask in enumerate(masks):
        if not mask:
            details = "; ".join(misfits[index])
            return f"guest cell {index} fits no host cell ({details})"
    matched = max_matching(masks)
    if matched < len(masks):
        return (
            f"the {len(masks)} guest cells need as many distinct host "
            f"cells; at most {matched} can take them at once"
        )
    reach = 0
    for mask in masks:
        reach |= mask
    return checks.explain(reach)


def _fitted_cell(
    cell: InstanceNUMACell, placement: CellPlacement
) -> InstanceNUMACell:
    """A copy of ``cell`` placed on its host cell.

    Values are stored where o.vo keeps them (``_obj_<name>``, marked
    changed as a constructor marks them) without a second coercion: those
    copied from ``cell`` were coerced when ``cell`` got them (the wire
    decoder relies on the same), and the placement's are built here with
    the fields' types - ``id`` and ``pagesize`` integers,
    ``cpu_pinning_raw`` a ``{str: int}`` dict, ``cpuset_reserved`` a set of
    integers or ``None``.  Sets are copied.
    """
    fitted = InstanceNUMACell()
    source = vars(cell)
    values = {
        key: set(source[key]) if isinstance(source[key], set) else source[key]
        for key in _CELL_KEYS
        if key in source
    }
    values["_obj_id"] = placement.host_cell
    if placement.pagesize is not None:
        values["_obj_pagesize"] = placement.pagesize
    if placement.pinning is not None:
        values["_obj_cpu_pinning_raw"] = {
            str(vcpu): pcpu for vcpu, pcpu in placement.pinning.items()
        }
        values["_obj_cpuset_reserved"] = placement.reserved
    vars(fitted).update(values)
    fitted._changed_fields.update(key[5:] for key in values)
    return fitted


# A pinned cell's pinning is replaced, an unpinned cell keeps its own.
_CELL_KEYS = tuple("_obj_" + name for name in InstanceNUMACell.fields)
