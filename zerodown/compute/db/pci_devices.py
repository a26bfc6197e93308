"""PCI devices (``pci_devices``): what each node has, and who holds it.

Functions of a connection, run in the caller's transaction
(:class:`~zerodown.compute.db.api.ComputeDB`).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from zerodown.compute.db import blobs
from zerodown.compute.db.models import PCI_DEVICES
from zerodown.compute.objects import PciDevice
from zerodown.services import utcnow

__all__ = ["free_held", "list_devices", "sync"]


def sync(
    conn: sa.Connection, compute_node_id: int, devices: Iterable[PciDevice]
) -> None:
    """Make the node's rows match the compute's report."""
    reported = {d.address: d for d in devices}
    now = utcnow()
    stored = {
        r.address: r.id
        for r in conn.execute(
            sa.select(PCI_DEVICES.c.id, PCI_DEVICES.c.address).where(
                PCI_DEVICES.c.compute_node_id == compute_node_id
            )
        )
    }
    gone = [i for a, i in stored.items() if a not in reported]
    if gone:
        conn.execute(PCI_DEVICES.delete().where(PCI_DEVICES.c.id.in_(gone)))
    for address, device in reported.items():
        values = blobs.pci_values(device) | {"updated_at": now}
        if address in stored:
            conn.execute(
                PCI_DEVICES.update()
                .where(PCI_DEVICES.c.id == stored[address])
                .values(**values)
            )
        else:
            conn.execute(
                PCI_DEVICES.insert().values(
                    compute_node_id=compute_node_id,
                    address=address,
                    **values,
                )
            )


def list_devices(
    conn: sa.Connection,
    *,
    compute_node_id: int | None = None,
    instance_uuid: str | None = None,
) -> list[PciDevice]:
    query = sa.select(PCI_DEVICES).order_by(PCI_DEVICES.c.id)
    if compute_node_id is not None:
        query = query.where(PCI_DEVICES.c.compute_node_id == compute_node_id)
    if instance_uuid is not None:
        query = query.where(PCI_DEVICES.c.instance_uuid == instance_uuid)
    return [blobs.pci_device(r) for r in conn.execute(query)]


def free_held(conn: sa.Connection, instance_uuid: str) -> None:
    """Make the devices the instance held available again."""
    conn.execute(
        PCI_DEVICES.update()
        .where(PCI_DEVICES.c.instance_uuid == instance_uuid)
        .values(status="available", instance_uuid=None)
    )
