"""Compute nodes (``compute_nodes``): each compute's last report.

Functions of a connection, run in the caller's transaction
(:class:`~zerodown.compute.db.api.ComputeDB`).  A report also settles
the schedulers' claims it now counts (:mod:`.claims`, the rest of this
aggregate: the claims on a node and its generation).
"""

from __future__ import annotations

import sqlalchemy as sa

from zerodown.compute.db import blobs, claims
from zerodown.compute.db.models import COMPUTE_NODES
from zerodown.compute.errors import ComputeHostNotFound
from zerodown.compute.objects import ComputeNode
from zerodown.services import utcnow

__all__ = ["by_host", "by_id", "list_all", "report"]

_COLUMNS = (
    "hypervisor_type",
    "vcpus",
    "memory_mb",
    "local_gb",
    "vcpus_used",
    "memory_mb_used",
    "local_gb_used",
    "cpu_info",
    "cpu_allocation_ratio",
    "ram_allocation_ratio",
    "disk_allocation_ratio",
)


def report(conn: sa.Connection, node: ComputeNode) -> ComputeNode:
    """Store a compute's report of ``node`` (insert or update by host
    and hypervisor hostname); the node as stored."""
    values = {c: getattr(node, c) for c in _COLUMNS}
    values["numa_topology"] = blobs.dump(node.numa_topology)
    values["pci_stats"] = blobs.dump_list(node.pci_device_pools)
    values["updated_at"] = utcnow()
    key = (
        COMPUTE_NODES.c.host == node.host,
        COMPUTE_NODES.c.hypervisor_hostname == node.hypervisor_hostname,
    )
    updated = conn.execute(
        COMPUTE_NODES.update().where(*key).values(**values)
    ).rowcount
    if not updated:
        try:
            with conn.begin_nested():
                conn.execute(
                    COMPUTE_NODES.insert().values(
                        uuid=node.uuid,
                        host=node.host,
                        hypervisor_hostname=node.hypervisor_hostname,
                        created_at=values["updated_at"],
                        generation=0,
                        **values,
                    )
                )
        except sa.exc.IntegrityError:
            # The same compute's report raced itself: update.
            conn.execute(COMPUTE_NODES.update().where(*key).values(**values))
    row = conn.execute(sa.select(COMPUTE_NODES).where(*key)).one()
    # The report counts the instances on the node now: their
    # schedulers' claims go, and the node's generation moves.
    claims.prune_counted(conn, row.id, node.host, node.hypervisor_hostname)
    claims.bump(conn, [row.id])
    return blobs.compute_node(row)


def by_host(conn: sa.Connection, host: str) -> ComputeNode:
    """The host's first node.

    :raises ComputeHostNotFound: it has none.
    """
    row = conn.execute(
        sa.select(COMPUTE_NODES)
        .where(COMPUTE_NODES.c.host == host)
        .order_by(COMPUTE_NODES.c.id)
    ).first()
    if row is None:
        raise ComputeHostNotFound(ident=host)
    return blobs.compute_node(row)


def by_id(conn: sa.Connection, node_id: int) -> ComputeNode:
    """:raises ComputeHostNotFound: no node has that id."""
    row = conn.execute(
        sa.select(COMPUTE_NODES).where(COMPUTE_NODES.c.id == node_id)
    ).first()
    if row is None:
        raise ComputeHostNotFound(ident=node_id)
    return blobs.compute_node(row)


def list_all(conn: sa.Connection) -> list[ComputeNode]:
    rows = conn.execute(
        sa.select(COMPUTE_NODES).order_by(COMPUTE_NODES.c.id)
    ).all()
    return [blobs.compute_node(r) for r in rows]
