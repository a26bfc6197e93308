"""Weighers: spread by free RAM and free vCPUs (Nova's defaults).

Each weigher's raw values are normalised to 0..1 over the candidates,
multiplied by its multiplier, and summed, as Nova's weight handler does;
a negative multiplier packs instead of spreading.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

from zerodown.compute.scheduler.host_state import HostState

__all__ = ["DEFAULT_WEIGHERS", "Weigher", "combine", "weigh", "weights"]


@dataclasses.dataclass(frozen=True)
class Weigher:
    name: str
    raw: Callable[[HostState], float]
    multiplier: float = 1.0
    #: The :class:`~.host_table.HostTable` array holding ``raw`` of each
    #: host, if one does (read from there, not host by host).
    column: str | None = None


DEFAULT_WEIGHERS = (
    Weigher("RAMWeigher", lambda h: h.free_ram_mb, column="free_ram"),
    Weigher("CPUWeigher", lambda h: h.free_vcpus, column="free_vcpus"),
)


def weigh(
    hosts: Sequence[HostState],
    weighers: Sequence[Weigher] = DEFAULT_WEIGHERS,
) -> list[HostState]:
    """``hosts`` best first (ties keep their order)."""
    totals = weights(hosts, weighers)
    order = sorted(range(len(hosts)), key=lambda i: -totals[i])
    return [hosts[i] for i in order]


def weights(
    hosts: Sequence[HostState],
    weighers: Sequence[Weigher] = DEFAULT_WEIGHERS,
) -> list[float]:
    """Each host's weight: the sum of its normalised raw values."""
    return combine(
        [([w.raw(h) for h in hosts], w.multiplier) for w in weighers],
        len(hosts),
    )


def combine(
    raws: Iterable[tuple[Sequence[float], float]], count: int
) -> list[float]:
    """Sum each weigher's raw values (one per host, with its
    multiplier), normalised to 0..1 over the hosts."""
    totals = [0.0] * count
    for raw, multiplier in raws:
        low, high = (min(raw), max(raw)) if raw else (0.0, 0.0)
        if high == low:
            continue  # every host the same: 0 for all
        scale = multiplier / (high - low)
        totals = [
            t + (v - low) * scale for t, v in zip(totals, raw, strict=True)
        ]
    return totals
