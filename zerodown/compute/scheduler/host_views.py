"""The scheduler's host views, kept in memory between requests.

Each view is a node's last report with the schedulers' pending claims
counted, as of the node's stamp (its generation and ``updated_at``).
Before each request one narrow query reads every node's stamp, and only
the nodes that changed are read again: a fleet of thousands costs one
small query, not thousands of decoded topologies.  A claim this
scheduler wins moves the view's generation by one, which is exactly
what the database did, so its own choices are never read back; a claim
it loses means another scheduler changed the node, whose view is read
again.
"""

from __future__ import annotations

from typing import Any

from zerodown.compute.db.claims import HostClaim, NodeStamp, NodeView
from zerodown.compute.objects import InstanceNUMATopology
from zerodown.compute.scheduler.host_state import HostState
from zerodown.compute.scheduler.host_table import HostTable
from zerodown.compute.scheduler.request import RequestSpec
from zerodown.services import ServiceDirectory, utcnow

__all__ = ["HostViews"]


class HostViews:
    """Not thread-safe: the scheduler calls it under its lock."""

    def __init__(self, db: Any, directory: ServiceDirectory) -> None:
        self.db, self.directory = db, directory
        self._views: dict[int, tuple[NodeStamp, HostState]] = {}
        self._table = HostTable()
        self._rows: list[int] = []  # the node id of each table row
        self._row_of: dict[int, int] = {}

    def refresh(self) -> HostTable:
        """Every node's view, up to date, in the nodes' order."""
        stamps: dict[int, NodeStamp] = self.db.node_stamps()
        for gone in set(self._views) - set(stamps):
            del self._views[gone]
        stale = [
            node_id
            for node_id, stamp in stamps.items()
            if node_id not in self._views or self._views[node_id][0] != stamp
        ]
        fresh = self.db.node_views(stale)
        for view in fresh:
            self._views[view.node.id] = (view.stamp, _state(view))
        rows = sorted(self._views)
        if rows != self._rows:
            self._rows, self._row_of = rows, {n: r for r, n in enumerate(rows)}
            self._table = HostTable(self._views[i][1] for i in rows)
        else:
            for view in fresh:
                self._table.replace(
                    self._row_of[view.node.id], self._views[view.node.id][1]
                )
        self._mark_liveness()
        return self._table

    def claim(
        self,
        state: HostState,
        spec: RequestSpec,
        fitted: InstanceNUMATopology | None,
    ) -> bool:
        """Claim in the database what ``state`` already consumed.

        :returns: whether the claim was written; if not, the node changed
            since it was read and the next :meth:`refresh` reads it again.
        """
        stamp, _ = self._views[state.node_id]
        held = HostClaim(
            instance_uuid=spec.instance_uuid,
            compute_node_id=state.node_id,
            vcpus=spec.vcpus,
            memory_mb=spec.memory_mb,
            disk_gb=spec.disk_gb,
            numa_topology=fitted,
            pci_requests=spec.pci_requests,
        )
        try:
            won = self.db.claim_on_node(stamp.generation, held)
        except BaseException:
            # The selection consumed the view: nothing was claimed.
            del self._views[state.node_id]
            raise
        if not won:
            # Read it again next time, whatever its stamp says.
            del self._views[state.node_id]
            return False
        state.generation = stamp.generation + 1
        self._views[state.node_id] = (
            NodeStamp(state.generation, stamp.updated_at),
            state,
        )
        return True

    def _mark_liveness(self) -> None:
        now = utcnow()
        services = {s.host: s for s in self.directory.services("compute")}
        for row, state in enumerate(self._table):
            service = services.get(state.host)
            is_up = service is not None and service.is_up(
                now, self.directory.down_after
            )
            if is_up != state.is_up:
                state.is_up = is_up
                self._table.update(row)


def _state(view: NodeView) -> HostState:
    state = HostState.from_compute_node(view.node, is_up=False)
    state.generation = view.stamp.generation
    for held in view.claims:
        state.consume(
            held.vcpus, held.memory_mb, held.numa_topology, held.pci_requests
        )
    return state
