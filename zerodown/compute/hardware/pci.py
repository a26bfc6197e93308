"""PCI device pools, requests and NUMA affinity (Nova's ``PciDeviceStats``
for the scheduler's question: can these requests be met from these pools,
with the guest on these host cells?).

A :class:`PciPool` is a count of like devices on one NUMA node.  A
:class:`PciRequest` asks for ``count`` devices matching any of its
``spec`` dicts, under a NUMA affinity policy:

* ``required``: only devices on the guest's host cells;
* ``socket``: on those cells if enough, else on any cell of their sockets;
* ``legacy`` (the default): on those cells if enough, else also devices
  that report no NUMA node;
* ``preferred``: those cells first, then any device.

Requests are met in order, each from the pools left by the ones before, in
pool order.  Physical functions, vDPA devices and remote-managed devices
are only given to requests that ask for them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from zerodown.compute.objects import PciDevice, PciDevicePool

__all__ = ["PciPool", "PciRequest", "PciStats"]

# Spec keys placement matches, not the pools.
_IGNORED_SPEC_KEYS = frozenset({"resource_class", "traits", "rp_uuids"})
_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})


@dataclass(frozen=True)
class PciPool:
    """``count`` like devices; ``tags`` hold the rest of the device spec
    (``physical_network``, ``remote_managed``, ...)."""

    vendor_id: str
    product_id: str
    numa_node: int | None
    count: int
    dev_type: str = "type-PCI"
    tags: Mapping[str, str] = field(default_factory=dict)

    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = dict(self.tags)
        props.update(
            vendor_id=self.vendor_id,
            product_id=self.product_id,
            numa_node=self.numa_node,
            dev_type=self.dev_type,
        )
        return props

    def matches(self, specs: Sequence[Mapping[str, Any]]) -> bool:
        """Whether the pool matches any of ``specs`` (case-insensitive)."""
        props = self.properties()
        return any(_matches(props, spec) for spec in specs)

    @classmethod
    def from_object(cls, pool: PciDevicePool) -> PciPool:
        tags = dict(pool.tags or {})
        dev_type = tags.pop("dev_type", None) or "type-PCI"
        return cls(
            vendor_id=pool.vendor_id,
            product_id=pool.product_id,
            numa_node=pool.numa_node,
            count=pool.count,
            dev_type=dev_type,
            tags={k: v for k, v in tags.items() if v is not None},
        )


def _matches(props: Mapping[str, Any], spec: Mapping[str, Any]) -> bool:
    for key, wanted in spec.items():
        if key in _IGNORED_SPEC_KEYS:
            continue
        have = props.get(key)
        if isinstance(wanted, list) and isinstance(have, list):
            if not all(item in have for item in wanted):
                return False
        elif _lower(have) != _lower(wanted):
            return False
    return True


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


@dataclass(frozen=True)
class PciRequest:
    """``count`` devices matching any of ``spec``; ``numa_policy`` is one
    of ``required``, ``socket``, ``legacy`` (``None``), ``preferred``."""

    count: int
    spec: tuple[Mapping[str, Any], ...]
    numa_policy: str | None = None
    alias_name: str | None = None


class PciStats:
    """A host's free PCI devices by pool, and which socket each host NUMA
    cell is on (for the ``socket`` policy; ``None`` if unknown)."""

    __slots__ = ("pools", "sockets")

    def __init__(
        self,
        pools: Iterable[PciPool],
        sockets: Mapping[int, int | None] | None = None,
    ) -> None:
        self.pools = tuple(pools)
        self.sockets = dict(sockets or {})

    @classmethod
    def from_devices(
        cls,
        devices: Iterable[PciDevice],
        sockets: Mapping[int, int | None] | None = None,
    ) -> PciStats:
        """Pools of the available ``devices``: one per vendor, product,
        NUMA node, type and parent device, in first-seen order."""
        counts: dict[tuple[Any, ...], int] = {}
        for dev in devices:
            if dev.is_available:
                key = _device_key(dev)
                counts[key] = counts.get(key, 0) + 1
        pools = (
            PciPool(vendor, product, node, count, dev_type)
            for (vendor, product, node, dev_type, _), count in counts.items()
        )
        return cls(pools, sockets)

    def with_sockets(self, sockets: Mapping[int, int | None]) -> PciStats:
        """The same pools with the host cells' sockets."""
        return PciStats(self.pools, sockets)

    def devices_by_node(self) -> dict[int | None, int]:
        """Device count per NUMA node (all pools)."""
        found: dict[int | None, int] = {}
        for pool in self.pools:
            found[pool.numa_node] = found.get(pool.numa_node, 0) + pool.count
        return found

    def support_requests(
        self,
        requests: Sequence[PciRequest],
        numa_cells: Collection[int] | None = None,
    ) -> bool:
        """Whether ``requests`` can all be met, the guest being on host
        cells ``numa_cells`` (``None``: affinity is not considered)."""
        return self.apply_requests(requests, numa_cells) is not None

    def apply_requests(
        self,
        requests: Sequence[PciRequest],
        numa_cells: Collection[int] | None = None,
    ) -> PciStats | None:
        """The pools left once ``requests`` are met, ``None`` if they
        cannot be."""
        counts = [pool.count for pool in self.pools]
        for request in requests:
            chosen = self._filter(counts, request, numa_cells)
            if chosen is None:
                return None
            _consume(counts, chosen, request.count)
        pools = (
            replace(pool, count=count)
            for pool, count in zip(self.pools, counts, strict=True)
            if count
        )
        return PciStats(pools, self.sockets)

    def could_support(
        self, request: PciRequest, numa_cells: Collection[int]
    ) -> bool:
        """Whether ``request`` alone could be met with the guest on some
        of ``numa_cells``: a bound that never shrinks as cells are added
        (the affinity filter itself does not have that property - with
        more cells it may settle for local devices a later filter drops).
        """
        policy = request.numa_policy or "legacy"
        nodes: set[int | None] | None = set(numa_cells)
        if policy == "legacy":
            nodes = {*numa_cells, None}
        elif policy == "socket":
            nodes = {*numa_cells, *self._socket_nodes(numa_cells)}
        elif policy == "preferred":
            nodes = None
        usable = sum(
            pool.count
            for pool in self.pools
            if (nodes is None or pool.numa_node in nodes)
            and pool.matches(request.spec)
            and self._allowed(pool, request)
        )
        return usable >= request.count

    def _filter(
        self,
        counts: list[int],
        request: PciRequest,
        cells: Collection[int] | None,
    ) -> list[int] | None:
        """Indexes of the pools ``request`` may take from, in order."""
        wanted = request.count
        found = [
            i
            for i, pool in enumerate(self.pools)
            if counts[i] and pool.matches(request.spec)
        ]
        if _total(counts, found) < wanted:
            return None
        if cells:
            found = self._affine(counts, found, request, cells)
            if _total(counts, found) < wanted:
                return None
        found = [i for i in found if self._allowed(self.pools[i], request)]
        return found if found and _total(counts, found) >= wanted else None

    def _affine(
        self,
        counts: list[int],
        found: list[int],
        request: PciRequest,
        cells: Collection[int],
    ) -> list[int]:
        policy = request.numa_policy or "legacy"
        local = [i for i in found if self.pools[i].numa_node in cells]
        if policy == "required" or _total(counts, local) >= request.count:
            return local
        if policy == "socket":
            same = self._socket_nodes(cells)
            return [i for i in found if self.pools[i].numa_node in same]
        nodes = (*cells, None)
        near = [i for i in found if self.pools[i].numa_node in nodes]
        if policy == "legacy" or _total(counts, near) >= request.count:
            return near
        return sorted(
            found, key=lambda i: self.pools[i].numa_node not in nodes
        )

    def _socket_nodes(self, cells: Collection[int]) -> set[int]:
        sockets = self.sockets
        if not sockets or any(s is None for s in sockets.values()):
            return set()
        mine = {sockets.get(cell) for cell in cells}
        return {cell for cell, socket in sockets.items() if socket in mine}

    @staticmethod
    def _allowed(pool: PciPool, request: PciRequest) -> bool:
        # Only a request naming the type gets a PF or a vDPA device.
        if pool.dev_type in ("type-PF", "vdpa") and not any(
            s.get("dev_type") == pool.dev_type for s in request.spec
        ):
            return False
        remote = str(pool.tags.get("remote_managed", "")).lower() in _TRUE
        if remote and not any(
            str(s.get("remote_managed", "")).lower() in _TRUE
            for s in request.spec
        ):
            return False
        return _live_migratable(pool, request)


def _live_migratable(pool: PciPool, request: PciRequest) -> bool:
    asked = {s.get("live_migratable") for s in request.spec}
    if len(asked) == 1 and asked <= {"true", "false"}:
        return pool.tags.get("live_migratable") == asked.pop()
    return True


def _device_key(dev: PciDevice) -> tuple[Any, ...]:
    parent = dev.parent_addr if dev.obj_attr_is_set("parent_addr") else None
    node = dev.numa_node if dev.obj_attr_is_set("numa_node") else None
    return (dev.vendor_id, dev.product_id, node, dev.dev_type, parent)


def _total(counts: list[int], indexes: list[int]) -> int:
    return sum(counts[i] for i in indexes)


def _consume(counts: list[int], indexes: list[int], wanted: int) -> None:
    for i in indexes:
        taken = min(counts[i], wanted)
        counts[i] -= taken
        wanted -= taken
        if not wanted:
            return
