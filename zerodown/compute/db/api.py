"""Data access of the compute stack: versioned objects in, objects out.

Only the api, conductor and scheduler services use it; computes reach it
through the conductor.  Every method is one short transaction.  Nested
objects are stored as the JSON of their versioned primitive
(:mod:`.blobs`), so a row written by an older release is upgraded when it
is read.  ``save_instance(..., expected_task_state=...)`` is Nova's
compare-and-swap on the task state: the check is in the UPDATE's WHERE,
so two operations can never both win.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from zerodown.compute import states
from zerodown.compute.db import blobs, claims
from zerodown.compute.db.models import (
    COMPUTE_NODES,
    FLAVOR_EXTRA_SPECS,
    FLAVORS,
    INSTANCE_EXTRA,
    INSTANCE_FAULTS,
    INSTANCES,
    PCI_DEVICES,
)
from zerodown.compute.errors import (
    ComputeHostNotFound,
    FlavorExists,
    FlavorNotFound,
    InstanceInvalidState,
    InstanceNotFound,
)
from zerodown.compute.objects import ComputeNode, Flavor, Instance, PciDevice
from zerodown.services import utcnow

__all__ = ["ANY", "ComputeDB"]

#: ``expected_task_state`` default: no check.
ANY: Any = object()

_INSTANCE_COLUMNS = (
    "display_name",
    "project_id",
    "user_id",
    "host",
    "node",
    "compute_id",
    "vm_state",
    "task_state",
    "power_state",
    "vcpus",
    "memory_mb",
    "root_gb",
    "ephemeral_gb",
    "description",
    "launched_at",
)
_EXTRA_COLUMNS = ("numa_topology", "flavor", "image_props", "pci_devices")
_NODE_COLUMNS = (
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


class ComputeDB:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        # Whether ``instances.image_ref`` (release 1's place for it) is
        # still there: None until first looked at.
        self._legacy_image_ref: bool | None = None

    @contextlib.contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- flavors -------------------------------------------------------------

    def create_flavor(self, flavor: Flavor) -> Flavor:
        with self._begin() as conn:
            taken = conn.execute(
                sa.select(FLAVORS.c.id).where(
                    (FLAVORS.c.flavorid == flavor.flavorid)
                    | (FLAVORS.c.name == flavor.name)
                )
            ).first()
            if taken is not None:
                raise FlavorExists(ident=flavor.flavorid)
            try:
                result = conn.execute(
                    FLAVORS.insert().values(
                        flavorid=flavor.flavorid,
                        name=flavor.name,
                        memory_mb=flavor.memory_mb,
                        vcpus=flavor.vcpus,
                        root_gb=flavor.root_gb,
                        ephemeral_gb=flavor.ephemeral_gb,
                        swap=flavor.swap,
                        disabled=flavor.disabled,
                        is_public=flavor.is_public,
                        description=flavor.description,
                        created_at=utcnow(),
                    )
                )
            except sa.exc.IntegrityError as err:
                raise FlavorExists(ident=flavor.flavorid) from err
            del result
            _put_specs(
                conn, _flavor_id(conn, flavor.flavorid), flavor.extra_specs
            )
        return self.get_flavor(flavor.flavorid)

    def get_flavor(self, flavorid: str) -> Flavor:
        with self._begin() as conn:
            row = conn.execute(
                sa.select(FLAVORS).where(FLAVORS.c.flavorid == str(flavorid))
            ).first()
            if row is None:
                raise FlavorNotFound(ident=flavorid)
            return _flavor(row, _specs(conn, [row.id]).get(row.id, {}))

    def list_flavors(self) -> list[Flavor]:
        with self._begin() as conn:
            rows = conn.execute(
                sa.select(FLAVORS).order_by(FLAVORS.c.memory_mb, FLAVORS.c.id)
            ).all()
            specs = _specs(conn, [r.id for r in rows])
            return [_flavor(r, specs.get(r.id, {})) for r in rows]

    def delete_flavor(self, flavorid: str) -> None:
        with self._begin() as conn:
            flavor_id = _flavor_id(conn, flavorid)
            conn.execute(
                FLAVOR_EXTRA_SPECS.delete().where(
                    FLAVOR_EXTRA_SPECS.c.flavor_id == flavor_id
                )
            )
            conn.execute(FLAVORS.delete().where(FLAVORS.c.id == flavor_id))

    def update_extra_specs(
        self, flavorid: str, specs: Mapping[str, str]
    ) -> Flavor:
        with self._begin() as conn:
            _put_specs(conn, _flavor_id(conn, flavorid), specs)
        return self.get_flavor(flavorid)

    def delete_extra_spec(self, flavorid: str, key: str) -> None:
        with self._begin() as conn:
            deleted = conn.execute(
                FLAVOR_EXTRA_SPECS.delete().where(
                    FLAVOR_EXTRA_SPECS.c.flavor_id
                    == _flavor_id(conn, flavorid),
                    FLAVOR_EXTRA_SPECS.c.key == key,
                )
            ).rowcount
            if not deleted:
                raise FlavorNotFound(ident=f"{flavorid} extra spec {key}")

    # -- instances -----------------------------------------------------------

    def create_instance(self, instance: Instance) -> Instance:
        now = utcnow()
        values = {
            c: getattr(instance, c) if instance.obj_attr_is_set(c) else None
            for c in _INSTANCE_COLUMNS
        }
        with self._begin() as conn:
            conn.execute(
                INSTANCES.insert().values(
                    uuid=instance.uuid,
                    created_at=now,
                    updated_at=now,
                    deleted=False,
                    **values,
                )
            )
            # The extra row after its instance row: release 2's move of
            # image_ref copies it back to ``instances`` on this insert.
            conn.execute(
                INSTANCE_EXTRA.insert().values(
                    instance_uuid=instance.uuid,
                    image_ref=_image_ref_of(instance),
                    **blobs.extra_values(instance, _EXTRA_COLUMNS),
                )
            )
        return self.get_instance(instance.uuid)

    def get_instance(
        self, uuid: str, *, include_deleted: bool = False
    ) -> Instance:
        found = self._instances(
            INSTANCES.c.uuid == str(uuid), include_deleted=include_deleted
        )
        if not found:
            raise InstanceNotFound(ident=uuid)
        return found[0]

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
        where = []
        if host is not None:
            where.append(INSTANCES.c.host == host)
        if project_id is not None:
            where.append(INSTANCES.c.project_id == project_id)
        if vm_states is not None:
            where.append(INSTANCES.c.vm_state.in_(list(vm_states)))
        if marker is not None:
            where.append(INSTANCES.c.id > self._marker_id(marker, where))
        return self._instances(
            *where, include_deleted=include_deleted, limit=limit
        )

    def _marker_id(self, marker: str, where: Sequence[Any]) -> int:
        with self._begin() as conn:
            found = conn.execute(
                sa.select(INSTANCES.c.id).where(
                    INSTANCES.c.uuid == marker,
                    INSTANCES.c.deleted == sa.false(),
                    *where,
                )
            ).scalar()
        if found is None:
            raise InstanceNotFound(ident=marker)
        return int(found)

    def _instances(
        self, *where: Any, include_deleted: bool, limit: int | None = None
    ) -> list[Instance]:
        try:
            return self._select_instances(where, include_deleted, limit)
        except sa.exc.DBAPIError:
            # The contract may just have dropped instances.image_ref:
            # look again, and retry once without it if it is gone.
            if not self._legacy_image_ref or self._has_legacy_image_ref():
                raise
            self._legacy_image_ref = False
            return self._select_instances(where, include_deleted, limit)

    def _select_instances(
        self,
        where: Sequence[Any],
        include_deleted: bool,
        limit: int | None = None,
    ) -> list[Instance]:
        query = sa.select(
            INSTANCES, *_extra_cols(), self._image_ref_column()
        ).join(
            INSTANCE_EXTRA,
            INSTANCE_EXTRA.c.instance_uuid == INSTANCES.c.uuid,
        )
        if not include_deleted:
            query = query.where(INSTANCES.c.deleted == sa.false())
        query = query.where(*where).order_by(INSTANCES.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self._begin() as conn:
            return [blobs.instance(row) for row in conn.execute(query)]

    def _image_ref_column(self) -> sa.ColumnElement[Any]:
        """``instance_extra.image_ref``, falling back to release 1's
        ``instances.image_ref`` while that column exists.

        Between expand and the end of ``zerodown db migrate`` rows written
        before the expand have only the old copy.  The contract gate drops
        the old column only once every row is copied, so once it is gone
        the new column alone is complete.
        """
        if self._legacy_image_ref is None:
            self._legacy_image_ref = self._has_legacy_image_ref()
        column = INSTANCE_EXTRA.c.image_ref
        if not self._legacy_image_ref:
            return column.label("image_ref")
        legacy = sa.literal_column("instances.image_ref", sa.String)
        return sa.func.coalesce(column, legacy).label("image_ref")

    def _has_legacy_image_ref(self) -> bool:
        with self.engine.connect() as conn:
            columns = sa.inspect(conn).get_columns("instances")
        return any(c["name"] == "image_ref" for c in columns)

    def save_instance(
        self, instance: Instance, *, expected_task_state: Any = ANY
    ) -> Instance:
        """Write the instance's changed fields.

        :raises InstanceInvalidState: if ``expected_task_state`` (a value
            or a tuple of values) no longer matches the stored one.
        :raises InstanceNotFound: if it is gone.
        """
        changed = set(instance.obj_what_changed())
        values = {
            c: getattr(instance, c) for c in _INSTANCE_COLUMNS if c in changed
        }
        extra = blobs.extra_values(
            instance, [c for c in _EXTRA_COLUMNS if c in changed]
        )
        if "image_ref" in changed:
            extra["image_ref"] = _image_ref_of(instance)
        values["updated_at"] = utcnow()
        where = [
            INSTANCES.c.uuid == instance.uuid,
            INSTANCES.c.deleted == sa.false(),
        ]
        if expected_task_state is not ANY:
            where.append(_task_state_is(expected_task_state))
        with self._begin() as conn:
            updated = conn.execute(
                INSTANCES.update().where(*where).values(**values)
            ).rowcount
            if not updated:
                self._refuse(conn, instance, expected_task_state)
            if extra:
                conn.execute(
                    INSTANCE_EXTRA.update()
                    .where(INSTANCE_EXTRA.c.instance_uuid == instance.uuid)
                    .values(**extra)
                )
        saved = self.get_instance(instance.uuid)
        return saved

    def _refuse(
        self, conn: sa.Connection, instance: Instance, expected: Any
    ) -> None:
        row = conn.execute(
            sa.select(INSTANCES.c.vm_state, INSTANCES.c.task_state).where(
                INSTANCES.c.uuid == instance.uuid,
                INSTANCES.c.deleted == sa.false(),
            )
        ).first()
        if row is None:
            raise InstanceNotFound(ident=instance.uuid)
        raise InstanceInvalidState(
            action="update",
            uuid=instance.uuid,
            state=f"{row.vm_state}/{row.task_state}",
            reason=f"expected task state {expected!r}",
        )

    def destroy_instance(self, uuid: str) -> None:
        """Soft-delete the instance and free the devices it held (and a
        scheduler's claim it still had)."""
        now = utcnow()
        with self._begin() as conn:
            claims.release(conn, uuid)
            conn.execute(
                INSTANCES.update()
                .where(INSTANCES.c.uuid == uuid)
                .values(
                    deleted=True,
                    deleted_at=now,
                    vm_state=states.DELETED,
                    task_state=None,
                    updated_at=now,
                )
            )
            conn.execute(
                PCI_DEVICES.update()
                .where(PCI_DEVICES.c.instance_uuid == uuid)
                .values(status="available", instance_uuid=None)
            )

    def add_fault(self, uuid: str, code: int, message: str) -> None:
        with self._begin() as conn:
            conn.execute(
                INSTANCE_FAULTS.insert().values(
                    instance_uuid=uuid,
                    code=code,
                    message=message,
                    created_at=utcnow(),
                )
            )

    def get_fault(self, uuid: str) -> dict[str, Any] | None:
        """The instance's latest fault, as ``{code, message, created}``."""
        with self._begin() as conn:
            row = conn.execute(
                sa.select(INSTANCE_FAULTS)
                .where(INSTANCE_FAULTS.c.instance_uuid == uuid)
                .order_by(INSTANCE_FAULTS.c.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return {
            "code": row.code,
            "message": row.message,
            "created": row.created_at.isoformat(),
        }

    # -- compute nodes -------------------------------------------------------

    def upsert_compute_node(self, node: ComputeNode) -> ComputeNode:
        values = {c: getattr(node, c) for c in _NODE_COLUMNS}
        values["numa_topology"] = blobs.dump(node.numa_topology)
        values["pci_stats"] = blobs.dump_list(node.pci_device_pools)
        values["updated_at"] = utcnow()
        key = (
            COMPUTE_NODES.c.host == node.host,
            COMPUTE_NODES.c.hypervisor_hostname == node.hypervisor_hostname,
        )
        with self._begin() as conn:
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
                    conn.execute(
                        COMPUTE_NODES.update().where(*key).values(**values)
                    )
            row = conn.execute(sa.select(COMPUTE_NODES).where(*key)).one()
            # The report counts the instances on the node now: their
            # schedulers' claims go, and the node's generation moves.
            claims.prune_counted(
                conn, row.id, node.host, node.hypervisor_hostname
            )
            claims.bump(conn, [row.id])
        return blobs.compute_node(row)

    # -- the schedulers' claims ---------------------------------------------

    def node_stamps(self) -> dict[int, claims.NodeStamp]:
        with self._begin() as conn:
            return claims.stamps(conn)

    def node_views(self, node_ids: Sequence[int]) -> list[claims.NodeView]:
        with self._begin() as conn:
            return claims.load_views(conn, node_ids)

    def claim_on_node(self, seen: int, held: claims.HostClaim) -> bool:
        """Write ``held`` if its node's generation is still ``seen``."""
        with self._begin() as conn:
            return claims.claim(conn, seen, held)

    def release_claim(self, instance_uuid: str) -> bool:
        """Give back a scheduler's claim (the compute refused it, or the
        build failed)."""
        with self._begin() as conn:
            return claims.release(conn, instance_uuid)

    def get_compute_node(self, host: str) -> ComputeNode:
        with self._begin() as conn:
            row = conn.execute(
                sa.select(COMPUTE_NODES)
                .where(COMPUTE_NODES.c.host == host)
                .order_by(COMPUTE_NODES.c.id)
            ).first()
        if row is None:
            raise ComputeHostNotFound(ident=host)
        return blobs.compute_node(row)

    def get_compute_node_by_id(self, node_id: int) -> ComputeNode:
        with self._begin() as conn:
            row = conn.execute(
                sa.select(COMPUTE_NODES).where(COMPUTE_NODES.c.id == node_id)
            ).first()
        if row is None:
            raise ComputeHostNotFound(ident=node_id)
        return blobs.compute_node(row)

    def list_compute_nodes(self) -> list[ComputeNode]:
        with self._begin() as conn:
            rows = conn.execute(
                sa.select(COMPUTE_NODES).order_by(COMPUTE_NODES.c.id)
            ).all()
        return [blobs.compute_node(r) for r in rows]

    def sync_pci_devices(
        self, compute_node_id: int, devices: Iterable[PciDevice]
    ) -> None:
        """Make the node's rows match the compute's report."""
        reported = {d.address: d for d in devices}
        now = utcnow()
        with self._begin() as conn:
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
                conn.execute(
                    PCI_DEVICES.delete().where(PCI_DEVICES.c.id.in_(gone))
                )
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

    def list_pci_devices(
        self,
        *,
        compute_node_id: int | None = None,
        instance_uuid: str | None = None,
    ) -> list[PciDevice]:
        query = sa.select(PCI_DEVICES).order_by(PCI_DEVICES.c.id)
        if compute_node_id is not None:
            query = query.where(
                PCI_DEVICES.c.compute_node_id == compute_node_id
            )
        if instance_uuid is not None:
            query = query.where(PCI_DEVICES.c.instance_uuid == instance_uuid)
        with self._begin() as conn:
            return [blobs.pci_device(r) for r in conn.execute(query)]


def _image_ref_of(instance: Instance) -> str | None:
    if not instance.obj_attr_is_set("image_ref"):
        return None
    value: str | None = instance.image_ref
    return value


def _extra_cols() -> list[sa.ColumnElement[Any]]:
    return [INSTANCE_EXTRA.c[c].label(f"extra_{c}") for c in _EXTRA_COLUMNS]


def _task_state_is(expected: Any) -> sa.ColumnElement[bool]:
    values = (
        list(expected) if isinstance(expected, (tuple, list)) else [expected]
    )
    clauses = []
    if None in values:
        clauses.append(INSTANCES.c.task_state.is_(None))
    named = [v for v in values if v is not None]
    if named:
        clauses.append(INSTANCES.c.task_state.in_(named))
    return sa.or_(*clauses)


def _flavor_id(conn: sa.Connection, flavorid: str) -> int:
    found = conn.execute(
        sa.select(FLAVORS.c.id).where(FLAVORS.c.flavorid == str(flavorid))
    ).scalar()
    if found is None:
        raise FlavorNotFound(ident=flavorid)
    return int(found)


def _put_specs(
    conn: sa.Connection, flavor_id: int, specs: Mapping[str, str]
) -> None:
    for key, value in specs.items():
        updated = conn.execute(
            FLAVOR_EXTRA_SPECS.update()
            .where(
                FLAVOR_EXTRA_SPECS.c.flavor_id == flavor_id,
                FLAVOR_EXTRA_SPECS.c.key == key,
            )
            .values(value=value)
        ).rowcount
        if not updated:
            conn.execute(
                FLAVOR_EXTRA_SPECS.insert().values(
                    flavor_id=flavor_id, key=key, value=value
                )
            )


def _specs(
    conn: sa.Connection, flavor_ids: list[int]
) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    if not flavor_ids:
        return found
    rows = conn.execute(
        sa.select(FLAVOR_EXTRA_SPECS).where(
            FLAVOR_EXTRA_SPECS.c.flavor_id.in_(flavor_ids)
        )
    )
    for row in rows:
        found.setdefault(row.flavor_id, {})[row.key] = row.value
    return found


def _flavor(row: Any, specs: dict[str, str]) -> Flavor:
    flavor = Flavor(
        id=row.id,
        flavorid=row.flavorid,
        name=row.name,
        memory_mb=row.memory_mb,
        vcpus=row.vcpus,
        root_gb=row.root_gb,
        ephemeral_gb=row.ephemeral_gb,
        swap=row.swap,
        disabled=row.disabled,
        is_public=row.is_public,
        description=row.description,
        extra_specs=specs,
        rxtx_factor=1.0,
        vcpu_weight=None,
    )
    flavor.obj_reset_changes()
    return flavor
