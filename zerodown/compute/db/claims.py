"""The schedulers' claims on compute nodes, guarded by a generation.

A scheduler that chose a node writes a claim row *and* bumps the node's
generation in one transaction, but only if the generation is still the
one it read with the node (``UPDATE ... WHERE generation = :seen``, the
compare-and-swap of Placement's resource providers).  Two schedulers, or
two threads of one, that read the same view therefore cannot both take
the last room: the second one's update matches no row, and it reads the
node again.  Every change of a node's usage bumps the generation: a
compute's report (which also drops the claims it now counts), a claim,
a claim given back.

A claim lives from the scheduler's choice until the node's report
counts its instance (the instance has the node as its host), or until
the build fails; it is what the report cannot know yet.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from zerodown.compute import states
from zerodown.compute.db import blobs
from zerodown.compute.db.models import COMPUTE_CLAIMS, COMPUTE_NODES, INSTANCES
from zerodown.compute.errors import StoredDataInvalid
from zerodown.compute.hardware import PciRequest
from zerodown.compute.objects import ComputeNode, InstanceNUMATopology
from zerodown.services import utcnow

__all__ = [
    "HostClaim",
    "NodeStamp",
    "NodeView",
    "bump",
    "claim",
    "load_views",
    "prune_counted",
    "release",
    "stamps",
]


@dataclasses.dataclass(frozen=True)
class HostClaim:
    """What one instance was given on a node by a scheduler."""

    instance_uuid: str
    compute_node_id: int
    vcpus: int
    memory_mb: int
    disk_gb: int
    numa_topology: InstanceNUMATopology | None = None
    pci_requests: tuple[PciRequest, ...] = ()


@dataclasses.dataclass(frozen=True)
class NodeStamp:
    """Whether a node changed: its generation, and ``updated_at`` for
    the reports a release 2 conductor stores (they leave the generation
    as it was)."""

    generation: int
    updated_at: datetime.datetime | None


@dataclasses.dataclass(frozen=True)
class NodeView:
    """A node's last report, its pending claims, and their stamp."""

    node: ComputeNode
    stamp: NodeStamp
    claims: tuple[HostClaim, ...]


def _generation() -> sa.ColumnElement[int]:
    """The node's generation; a row release 2 inserted has none: 0."""
    return sa.func.coalesce(COMPUTE_NODES.c.generation, 0)


def stamps(conn: sa.Connection) -> dict[int, NodeStamp]:
    """Every node's stamp: one narrow query, whatever the fleet."""
    rows = conn.execute(
        sa.select(
            COMPUTE_NODES.c.id,
            _generation().label("generation"),
            COMPUTE_NODES.c.updated_at,
        )
    )
    return {r.id: NodeStamp(r.generation, r.updated_at) for r in rows}


def load_views(conn: sa.Connection, node_ids: Sequence[int]) -> list[NodeView]:
    """The nodes ``node_ids`` with their claims, as of one read."""
    if not node_ids:
        return []
    ids = list(node_ids)
    rows = conn.execute(
        sa.select(COMPUTE_NODES, _generation().label("stamp_generation"))
        .where(COMPUTE_NODES.c.id.in_(ids))
        .order_by(COMPUTE_NODES.c.id)
    ).all()
    held: dict[int, list[HostClaim]] = {}
    for row in conn.execute(
        sa.select(COMPUTE_CLAIMS).where(
            COMPUTE_CLAIMS.c.compute_node_id.in_(ids)
        )
    ):
        held.setdefault(row.compute_node_id, []).append(_claim(row))
    return [
        NodeView(
            blobs.compute_node(row),
            NodeStamp(row.stamp_generation, row.updated_at),
            tuple(held.get(row.id, ())),
        )
        for row in rows
    ]


def claim(conn: sa.Connection, seen: int, held: HostClaim) -> bool:
    """Write ``held`` if its node's generation is still ``seen``.

    An older claim of the same instance (a node that refused it and was
    not given back) is replaced, and its node's generation moves: on
    another node, that room is free again; on this one, the node moves
    past ``seen + 1``, so the scheduler that counted both reads it again
    instead of counting the instance twice.  Returns whether it was
    written.
    """
    if not _swap(conn, held.compute_node_id, seen):
        return False
    previous = conn.execute(
        sa.select(COMPUTE_CLAIMS.c.compute_node_id).where(
            COMPUTE_CLAIMS.c.instance_uuid == held.instance_uuid
        )
    ).scalar()
    if previous is not None:
        conn.execute(
            COMPUTE_CLAIMS.delete().where(
                COMPUTE_CLAIMS.c.instance_uuid == held.instance_uuid
            )
        )
        bump(conn, [previous])
    conn.execute(
        COMPUTE_CLAIMS.insert().values(
            instance_uuid=held.instance_uuid,
            compute_node_id=held.compute_node_id,
            vcpus=held.vcpus,
            memory_mb=held.memory_mb,
            disk_gb=held.disk_gb,
            numa_topology=blobs.dump(held.numa_topology),
            pci_requests=_dump_requests(held.pci_requests),
            created_at=utcnow(),
        )
    )
    return True


def release(conn: sa.Connection, instance_uuid: str) -> bool:
    """Give back the instance's claim, if it has one."""
    node_id = conn.execute(
        sa.select(COMPUTE_CLAIMS.c.compute_node_id).where(
            COMPUTE_CLAIMS.c.instance_uuid == instance_uuid
        )
    ).scalar()
    if node_id is None:
        return False
    conn.execute(
        COMPUTE_CLAIMS.delete().where(
            COMPUTE_CLAIMS.c.instance_uuid == instance_uuid
        )
    )
    bump(conn, [node_id])
    return True


def prune_counted(
    conn: sa.Connection, node_id: int, host: str, nodename: str
) -> None:
    """Drop the node's claims that its report now counts (the instance
    is on the node) or that nothing needs any more (the instance failed
    or is gone); called with the report, in its transaction.

    A compute saves an instance with its host and then reports, under
    one lock, so a report never misses an instance that has the host.
    """
    done = (
        sa.select(INSTANCES.c.id)
        .where(
            INSTANCES.c.uuid == COMPUTE_CLAIMS.c.instance_uuid,
            sa.or_(
                sa.and_(
                    INSTANCES.c.host == host, INSTANCES.c.node == nodename
                ),
                INSTANCES.c.deleted == sa.true(),
                INSTANCES.c.vm_state.in_([states.ERROR, states.DELETED]),
            ),
        )
        .exists()
    )
    conn.execute(
        COMPUTE_CLAIMS.delete().where(
            COMPUTE_CLAIMS.c.compute_node_id == node_id, done
        )
    )


def bump(conn: sa.Connection, node_ids: Iterable[int]) -> None:
    conn.execute(
        COMPUTE_NODES.update()
        .where(COMPUTE_NODES.c.id.in_(list(node_ids)))
        .values(generation=_generation() + 1)
    )


def _swap(conn: sa.Connection, node_id: int, seen: int) -> bool:
    updated = conn.execute(
        COMPUTE_NODES.update()
        .where(COMPUTE_NODES.c.id == node_id, _generation() == seen)
        .values(generation=seen + 1)
    ).rowcount
    return bool(updated)


def _claim(row: Any) -> HostClaim:
    return HostClaim(
        instance_uuid=row.instance_uuid,
        compute_node_id=row.compute_node_id,
        vcpus=row.vcpus,
        memory_mb=row.memory_mb,
        disk_gb=row.disk_gb,
        numa_topology=blobs.load(
            InstanceNUMATopology,
            row.numa_topology,
            ("compute_claims", row.instance_uuid, "numa_topology"),
        ),
        pci_requests=_load_requests(row),
    )


def _dump_requests(requests: Sequence[PciRequest]) -> str | None:
    if not requests:
        return None
    return json.dumps(
        [
            {
                "count": r.count,
                "spec": [dict(s) for s in r.spec],
                "numa_policy": r.numa_policy,
                "alias_name": r.alias_name,
            }
            for r in requests
        ],
        sort_keys=True,
    )


def _load_requests(row: Any) -> tuple[PciRequest, ...]:
    if not row.pci_requests:
        return ()
    try:
        items = json.loads(row.pci_requests)
        return tuple(
            PciRequest(
                count=int(item["count"]),
                spec=tuple(_mapping(s) for s in item["spec"]),
                numa_policy=item.get("numa_policy"),
                alias_name=item.get("alias_name"),
            )
            for item in items
        )
    except (ValueError, TypeError, KeyError) as err:
        raise StoredDataInvalid(
            table="compute_claims",
            row=row.instance_uuid,
            column="pci_requests",
            problem=str(err),
        ) from err


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("a PCI spec is not a map")
    return value
