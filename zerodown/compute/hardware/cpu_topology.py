"""The guest's vCPU topology: sockets x cores x threads.

The flavor (``hw:cpu_sockets``, ``hw:cpu_cores``, ``hw:cpu_threads`` and
their ``hw:cpu_max_*`` limits) and the image (``hw_cpu_*``) state a
preference and limits; of every topology whose product is the vCPU count
and that stays within the limits, the one closest to the preference wins,
as in Nova:

* image limits may only lower the flavor's (else :class:`VCPUTopologyInvalid`);
* a flavor preference beyond the limits is dropped, an image one is an
  error;
* any image preference replaces the flavor's whole preference;
* candidates are ordered by most sockets x cores (fewest threads), then
  most sockets, then most threads, and then stably by how many of
  sockets, cores and threads match the preference (3 best).
"""

from __future__ import annotations

from typing import NamedTuple

from zerodown.compute.errors import VCPUTopologyInvalid
from zerodown.compute.hardware.specs import Settings
from zerodown.compute.objects import Flavor, ImageMetaProps, VirtCPUTopology

__all__ = [
    "NO_LIMIT",
    "Topology",
    "TopologyConstraints",
    "desirable_cpu_topologies",
    "get_best_cpu_topology",
    "get_cpu_topology_constraints",
    "possible_cpu_topologies",
    "sort_cpu_topologies",
]

#: The limit when neither flavor nor image sets one (Nova's).
NO_LIMIT = 65536
_PARTS = ("sockets", "cores", "threads")


class Topology(NamedTuple):
    """Sockets, cores and threads; 0 means "no preference"."""

    sockets: int
    cores: int
    threads: int

    def __str__(self) -> str:
        return f"{self.sockets}:{self.cores}:{self.threads}"

    def to_object(self) -> VirtCPUTopology:
        return VirtCPUTopology(
            sockets=self.sockets, cores=self.cores, threads=self.threads
        )


class TopologyConstraints(NamedTuple):
    preferred: Topology
    maximum: Topology


def get_cpu_topology_constraints(
    flavor: Flavor, image: ImageMetaProps | None = None
) -> TopologyConstraints:
    """The preferred and the maximum topology a flavor and image ask for.

    :raises InvalidExtraSpec: for a flavor value that is not an integer.
    :raises VCPUTopologyInvalid: when image limits exceed the flavor's, or
        the image's preference exceeds the limits.
    """
    settings = Settings(flavor, image)
    flavor_max = _read(settings, "cpu_max_{}")
    image_max = _read_image(settings, "cpu_max_{}")
    for part, mine, theirs in zip(_PARTS, image_max, flavor_max, strict=True):
        if theirs and mine > theirs:
            raise VCPUTopologyInvalid(
                vcpus=settings.vcpus,
                problem=f"image limits {image_max} exceed the flavor's "
                f"{flavor_max} ({part})",
            )
    maximum = Topology(
        *(
            i or f or NO_LIMIT
            for i, f in zip(image_max, flavor_max, strict=True)
        )
    )
    flavor_pref = _read(settings, "cpu_{}")
    image_pref = _read_image(settings, "cpu_{}")
    if _exceeds(flavor_pref, maximum):
        flavor_pref = Topology(0, 0, 0)
    if _exceeds(image_pref, maximum):
        raise VCPUTopologyInvalid(
            vcpus=settings.vcpus,
            problem=f"image preference {image_pref} exceeds the limits "
            f"{maximum}",
        )
    preferred = image_pref if any(image_pref) else flavor_pref
    return TopologyConstraints(preferred, maximum)


def _read(settings: Settings, pattern: str) -> Topology:
    return Topology(
        *(settings.spec_int(pattern.format(p)) or 0 for p in _PARTS)
    )


def _read_image(settings: Settings, pattern: str) -> Topology:
    return Topology(
        *(settings.prop_int(pattern.format(p)) or 0 for p in _PARTS)
    )


def _exceeds(topology: Topology, limit: Topology) -> bool:
    return any(
        value > most for value, most in zip(topology, limit, strict=True)
    )


def possible_cpu_topologies(
    vcpus: int, maximum: Topology, allow_threads: bool = True
) -> list[Topology]:
    """Every topology of ``vcpus`` within ``maximum``, fewest threads
    first (then most sockets).

    :raises VCPUTopologyInvalid: when there is none.
    """
    most = Topology(
        min(vcpus, maximum.sockets),
        min(vcpus, maximum.cores),
        min(vcpus, maximum.threads) if allow_threads else 1,
    )
    found = [
        Topology(sockets, cores, vcpus // (sockets * cores))
        for sockets in _divisors(vcpus, most.sockets)
        for cores in _divisors(vcpus // sockets, most.cores)
        if vcpus // (sockets * cores) <= most.threads
    ]
    if not found:
        raise VCPUTopologyInvalid(
            vcpus=vcpus,
            problem=f"none fits within sockets:cores:threads {most}",
        )
    found.sort(key=lambda t: (t.sockets * t.cores, t.sockets, t.threads))
    found.reverse()
    return found


def _divisors(number: int, most: int) -> list[int]:
    return [d for d in range(1, min(number, most) + 1) if number % d == 0]


def sort_cpu_topologies(
    possible: list[Topology], preferred: Topology
) -> list[Topology]:
    """``possible`` with the closest matches to ``preferred`` first, the
    order otherwise kept."""
    return sorted(possible, key=lambda t: -_score(t, preferred))


def _score(topology: Topology, preferred: Topology) -> int:
    return sum(
        1
        for want, got in zip(preferred, topology, strict=True)
        if want and want == got
    )


def desirable_cpu_topologies(
    flavor: Flavor,
    image: ImageMetaProps | None = None,
    allow_threads: bool = True,
) -> list[Topology]:
    """Every valid topology for the flavor's vCPUs, best first."""
    preferred, maximum = get_cpu_topology_constraints(flavor, image)
    possible = possible_cpu_topologies(
        int(flavor.vcpus), maximum, allow_threads
    )
    return sort_cpu_topologies(possible, preferred)


def get_best_cpu_topology(
    flavor: Flavor,
    image: ImageMetaProps | None = None,
    allow_threads: bool = True,
) -> VirtCPUTopology:
    """The guest topology to use (Nova's ``get_best_cpu_topology``).

    :param allow_threads: whether the hypervisor exposes threads; without,
        every topology has one thread per core.
    :raises VCPUTopologyInvalid: when no topology is possible or the image
        goes beyond the flavor.
    """
    return desirable_cpu_topologies(flavor, image, allow_threads)[
        0
    ].to_object()
