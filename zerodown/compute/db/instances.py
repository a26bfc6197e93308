"""Instances (``instances`` and their ``instance_extra`` row).

Functions of a connection: the caller's transaction
(:class:`~zerodown.compute.db.api.ComputeDB`) holds each operation,
including the read of what it wrote, together.  Nested objects are
stored as the JSON of their versioned primitive (:mod:`.blobs`).

``save(..., expected_task_state=...)`` is Nova's compare-and-swap on the
task state: the check is in the UPDATE's WHERE, so two operations can
never both win.

Reads take ``image_ref`` from the expression they are given:
:data:`IMAGE_REF` by default, release 1's fallback while that release's
column exists (:mod:`.compat_r1`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from zerodown.compute import states
from zerodown.compute.db import blobs
from zerodown.compute.db.models import INSTANCE_EXTRA, INSTANCES
from zerodown.compute.errors import InstanceInvalidState, InstanceNotFound
from zerodown.compute.objects import Instance
from zerodown.services import utcnow

__all__ = [
    "ANY",
    "IMAGE_REF",
    "create",
    "get",
    "page",
    "save",
    "soft_delete",
]

#: ``expected_task_state`` default: no check.
ANY: Any = object()

#: Where ``image_ref`` is read from once release 1's column is gone.
IMAGE_REF: sa.ColumnElement[Any] = INSTANCE_EXTRA.c.image_ref.label(
    "image_ref"
)

_COLUMNS = (
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


def create(
    conn: sa.Connection,
    instance: Instance,
    *,
    image_ref: sa.ColumnElement[Any] = IMAGE_REF,
) -> Instance:
    now = utcnow()
    values = {
        c: getattr(instance, c) if instance.obj_attr_is_set(c) else None
        for c in _COLUMNS
    }
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
    return get(conn, instance.uuid, image_ref=image_ref)


def get(
    conn: sa.Connection,
    uuid: str,
    *,
    image_ref: sa.ColumnElement[Any] = IMAGE_REF,
    include_deleted: bool = False,
) -> Instance:
    found = _select(
        conn,
        [INSTANCES.c.uuid == str(uuid)],
        image_ref,
        include_deleted=include_deleted,
    )
    if not found:
        raise InstanceNotFound(ident=uuid)
    return found[0]


def page(
    conn: sa.Connection,
    *,
    image_ref: sa.ColumnElement[Any] = IMAGE_REF,
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
        where.append(INSTANCES.c.id > _marker_id(conn, marker, where))
    return _select(
        conn, where, image_ref, include_deleted=include_deleted, limit=limit
    )


def save(
    conn: sa.Connection,
    instance: Instance,
    *,
    image_ref: sa.ColumnElement[Any] = IMAGE_REF,
    expected_task_state: Any = ANY,
) -> Instance:
    """Write the instance's changed fields; the instance as stored now.

    :raises InstanceInvalidState: if ``expected_task_state`` (a value
        or a tuple of values) no longer matches the stored one.
    :raises InstanceNotFound: if it is gone.
    """
    changed = set(instance.obj_what_changed())
    values = {c: getattr(instance, c) for c in _COLUMNS if c in changed}
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
    updated = conn.execute(
        INSTANCES.update().where(*where).values(**values)
    ).rowcount
    if not updated:
        _refuse(conn, instance, expected_task_state)
    if extra:
        conn.execute(
            INSTANCE_EXTRA.update()
            .where(INSTANCE_EXTRA.c.instance_uuid == instance.uuid)
            .values(**extra)
        )
    return get(conn, instance.uuid, image_ref=image_ref)


def soft_delete(conn: sa.Connection, uuid: str) -> None:
    """Mark the instance deleted (the row stays, as Nova's does)."""
    now = utcnow()
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


def _marker_id(conn: sa.Connection, marker: str, where: Sequence[Any]) -> int:
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


def _select(
    conn: sa.Connection,
    where: Sequence[Any],
    image_ref: sa.ColumnElement[Any],
    *,
    include_deleted: bool,
    limit: int | None = None,
) -> list[Instance]:
    extra = [INSTANCE_EXTRA.c[c].label(f"extra_{c}") for c in _EXTRA_COLUMNS]
    query = sa.select(INSTANCES, *extra, image_ref).join(
        INSTANCE_EXTRA,
        INSTANCE_EXTRA.c.instance_uuid == INSTANCES.c.uuid,
    )
    if not include_deleted:
        query = query.where(INSTANCES.c.deleted == sa.false())
    query = query.where(*where).order_by(INSTANCES.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [blobs.instance(row) for row in conn.execute(query)]


def _refuse(conn: sa.Connection, instance: Instance, expected: Any) -> None:
    """Say why an update matched no row."""
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


def _image_ref_of(instance: Instance) -> str | None:
    if not instance.obj_attr_is_set("image_ref"):
        return None
    value: str | None = instance.image_ref
    return value


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
