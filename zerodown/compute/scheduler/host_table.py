"""Host states with the numbers the prefilter reads, side by side.

The scheduler's pass starts with what Placement's query does before any
filter of Nova's runs: it keeps only the hosts with room (up, enough
free RAM and vCPUs).  Read from 10,000 host states, each a separate
object with its NUMA topology nearby, those few numbers cost a cache
miss or more per host; kept here in flat arrays (one per resource, in
the states' order) the same pass reads them in sequence, and costs
tens of nanoseconds per host.  Whoever changes a state says so with
:meth:`update` (a selection that consumed it) or :meth:`replace` (a
fresh view of the node).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from zerodown.compute.scheduler.host_state import HostState

__all__ = ["HostTable"]


class HostTable(Sequence[HostState]):
    def __init__(self, states: Iterable[HostState] = ()) -> None:
        self.states: list[HostState] = list(states)
        self.free_ram = array("d", (s.free_ram_mb for s in self.states))
        self.free_vcpus = array("d", (s.free_vcpus for s in self.states))
        self.up = bytearray(bool(s.is_up) for s in self.states)
        self.names = [s.host for s in self.states]
        self._where = {
            (s.host, s.nodename): i for i, s in enumerate(self.states)
        }

    @classmethod
    def of(cls, hosts: Sequence[HostState]) -> HostTable:
        return hosts if isinstance(hosts, HostTable) else cls(hosts)

    def update(self, index: int) -> None:
        """State ``index`` changed in place: read its numbers again."""
        state = self.states[index]
        self.free_ram[index] = state.free_ram_mb
        self.free_vcpus[index] = state.free_vcpus
        self.up[index] = bool(state.is_up)

    def replace(self, index: int, state: HostState) -> None:
        del self._where[self.states[index].host, self.states[index].nodename]
        self.states[index] = state
        self.names[index] = state.host
        self._where[state.host, state.nodename] = index
        self.update(index)

    def index_of(self, host: str, nodename: str) -> int:
        return self._where[host, nodename]

    def with_room(
        self,
        memory_mb: float,
        vcpus: float | None,
        ignore: Iterable[str] = (),
    ) -> list[int]:
        """Indexes of the hosts that are up and have ``memory_mb`` of
        RAM and ``vcpus`` vCPUs free (``None``: not checked), and are
        not in ``ignore``."""
        ram, cpu, up = self.free_ram, self.free_vcpus, self.up
        if vcpus is not None:
            found = [
                i
                for i, (r, c, u) in enumerate(zip(ram, cpu, up, strict=True))
                if u and r >= memory_mb and c >= vcpus
            ]
        else:
            found = [
                i
                for i, (r, u) in enumerate(zip(ram, up, strict=True))
                if u and r >= memory_mb
            ]
        skip = set(ignore)
        if skip:
            names = self.names
            found = [i for i in found if names[i] not in skip]
        return found

    # -- Sequence ---------------------------------------------------------

    @overload
    def __getitem__(self, index: int) -> HostState: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[HostState]: ...

    def __getitem__(
        self, index: int | slice
    ) -> HostState | Sequence[HostState]:
        return self.states[index]

    def __len__(self) -> int:
        return len(self.states)

    def __iter__(self) -> Iterator[HostState]:
        return iter(self.states)
