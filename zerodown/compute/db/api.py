"""Data access of the compute stack: versioned objects in, objects out.

Only the api, conductor and scheduler services use it; computes reach it
through the conductor.  :class:`ComputeDB` is the one object they hold:
each of its methods is one transaction (a write and the read of what it
wrote included), made of the functions of one module per aggregate:

- :mod:`.flavors`: flavors and their extra specs;
- :mod:`.instances`: instances, with the compare-and-swap on the task
  state that ``save_instance(..., expected_task_state=...)`` does;
- :mod:`.faults`: why an instance is in ERROR;
- :mod:`.nodes` and :mod:`.claims`: the computes' reports and the
  schedulers' claims on them;
- :mod:`.pci_devices`: the nodes' PCI devices and who holds them;
- :mod:`.compat_r1`: release 1's ``instances.image_ref`` until the
  contract drops it (the one place instance reads may be run twice).

Nested objects are stored as the JSON of their versioned primitive
(:mod:`.blobs`), so a row written by an older release is upgraded when it
is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from zerodown.compute.db import (
    claims,
    compat_r1,
    faults,
    flavors,
    instances,
    nodes,
    pci_devices,
)
from zerodown.compute.db.instances import ANY
from zerodown.compute.objects import ComputeNode, Flavor, Instance, PciDevice

__all__ = ["ANY", "ComputeDB"]


class ComputeDB:
    """The façade: composition, not mixins.  The aggregate modules are
    functions of a connection and know nothing of engines or of one
    another; this class owns the engine, opens the transaction and
    says which aggregates one operation spans (``destroy_instance``:
    three of them)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._r1 = compat_r1.ImageRefFallback(engine)

    # -- flavors -------------------------------------------------------------

    def create_flavor(self, flavor: Flavor) -> Flavor:
        """:raises FlavorExists: its flavorid or name is taken."""
        with self.engine.begin() as conn:
            return flavors.create(conn, flavor)

    def get_flavor(self, flavorid: str) -> Flavor:
        with self.engine.begin() as conn:
            return flavors.get(conn, flavorid)

    def list_flavors(self) -> list[Flavor]:
        with self.engine.begin() as conn:
            return flavors.list_all(conn)

    def delete_flavor(self, flavorid: str) -> None:
        with self.engine.begin() as conn:
            flavors.delete(conn, flavorid)

    def update_extra_specs(
        self, flavorid: str, specs: Mapping[str, str]
    ) -> Flavor:
        with self.engine.begin() as conn:
            return flavors.put_specs(conn, flavorid, specs)

    def delete_extra_spec(self, flavorid: str, key: str) -> None:
        with self.engine.begin() as conn:
            flavors.delete_spec(conn, flavorid, key)

    # -- instances -----------------------------------------------------------

    def create_instance(self, instance: Instance) -> Instance:
        return self._r1.transaction(
            lambda conn, image_ref: instances.create(
                conn, instance, image_ref=image_ref
            )
        )

    def get_instance(
        self, uuid: str, *, include_deleted: bool = False
    ) -> Instance:
        return self._r1.transaction(
            lambda conn, image_ref: instances.get(
                conn,
                uuid,
                image_ref=image_ref,
                include_deleted=include_deleted,
            )
        )

    def list_instances(
        self,
        *,
        host: str | None = None,
        vm_states: Sequence[str] | None = None,
        include_deleted: bool = False,
        project_id: str | None = None,
        limit: int | None = None,
        marker: str | None = None,
    ) -> list[Instance]:
        """Instances in the order they were made; with ``limit`` and
        ``marker`` (the uuid of the previous page's last), one page.

        :raises InstanceNotFound: the marker is not one of the instances
            these filters list.
        """
        return self._r1.transaction(
            lambda conn, image_ref: instances.page(
                conn,
                image_ref=image_ref,
                host=host,
                vm_states=vm_states,
                include_deleted=include_deleted,
                project_id=project_id,
                limit=limit,
                marker=marker,
            )
        )

    def save_instance(
        self, instance: Instance, *, expected_task_state: Any = ANY
    ) -> Instance:
        """Write the instance's changed fields; the instance as stored.

        :raises InstanceInvalidState: if ``expected_task_state`` (a value
            or a tuple of values) no longer matches the stored one.
        :raises InstanceNotFound: if it is gone.
        """
        return self._r1.transaction(
            lambda conn, image_ref: instances.save(
                conn,
                instance,
                image_ref=image_ref,
                expected_task_state=expected_task_state,
            )
        )

    def destroy_instance(self, uuid: str) -> None:
        """Soft-delete the instance and free the devices it held (and a
        scheduler's claim it still had)."""
        with self.engine.begin() as conn:
            claims.release(conn, uuid)
            instances.soft_delete(conn, uuid)
            pci_devices.free_held(conn, uuid)

    # -- faults --------------------------------------------------------------

    def add_fault(self, uuid: str, code: int, message: str) -> None:
        with self.engine.begin() as conn:
            faults.add(conn, uuid, code, message)

    def get_fault(self, uuid: str) -> dict[str, Any] | None:
        """The instance's latest fault, as ``{code, message, created}``."""
        with self.engine.begin() as conn:
            return faults.latest(conn, uuid)

    # -- compute nodes -------------------------------------------------------

    def upsert_compute_node(self, node: ComputeNode) -> ComputeNode:
        """Store a compute's report; the claims it now counts go."""
        with self.engine.begin() as conn:
            return nodes.report(conn, node)

    def get_compute_node(self, host: str) -> ComputeNode:
        with self.engine.begin() as conn:
            return nodes.by_host(conn, host)

    def get_compute_node_by_id(self, node_id: int) -> ComputeNode:
        with self.engine.begin() as conn:
            return nodes.by_id(conn, node_id)

    def list_compute_nodes(self) -> list[ComputeNode]:
        with self.engine.begin() as conn:
            return nodes.list_all(conn)

    # -- the schedulers' claims ---------------------------------------------

    def node_stamps(self) -> dict[int, claims.NodeStamp]:
        with self.engine.begin() as conn:
            return claims.stamps(conn)

    def node_views(self, node_ids: Sequence[int]) -> list[claims.NodeView]:
        with self.engine.begin() as conn:
            return claims.load_views(conn, node_ids)

    def claim_on_node(self, seen: int, held: claims.HostClaim) -> bool:
        """Write ``held`` if its node's generation is still ``seen``."""
        with self.engine.begin() as conn:
            return claims.claim(conn, seen, held)

    def release_claim(self, instance_uuid: str) -> bool:
        """Give back a scheduler's claim (the compute refused it, or the
        build failed)."""
        with self.engine.begin() as conn:
            return claims.release(conn, instance_uuid)

    # -- PCI devices ---------------------------------------------------------

    def sync_pci_devices(
        self, compute_node_id: int, devices: Iterable[PciDevice]
    ) -> None:
        """Make the node's rows match the compute's report."""
        with self.engine.begin() as conn:
            pci_devices.sync(conn, compute_node_id, devices)

    def list_pci_devices(
        self,
        *,
        compute_node_id: int | None = None,
        instance_uuid: str | None = None,
    ) -> list[PciDevice]:
        with self.engine.begin() as conn:
            return pci_devices.list_devices(
                conn,
                compute_node_id=compute_node_id,
                instance_uuid=instance_uuid,
            )
