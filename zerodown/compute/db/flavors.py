"""Flavors and their extra specs (``flavors``, ``flavor_extra_specs``).

Functions of a connection: the caller's transaction
(:class:`~zerodown.compute.db.api.ComputeDB`) holds each operation,
including the read of what it wrote, together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from zerodown.compute.db.models import FLAVOR_EXTRA_SPECS, FLAVORS
from zerodown.compute.errors import FlavorExists, FlavorNotFound
from zerodown.compute.objects import Flavor
from zerodown.services import utcnow

__all__ = [
    "create",
    "delete",
    "delete_spec",
    "get",
    "list_all",
    "put_specs",
]


def create(conn: sa.Connection, flavor: Flavor) -> Flavor:
    """:raises FlavorExists: its flavorid or name is taken."""
    taken = conn.execute(
        sa.select(FLAVORS.c.id).where(
            (FLAVORS.c.flavorid == flavor.flavorid)
            | (FLAVORS.c.name == flavor.name)
        )
    ).first()
    if taken is not None:
        raise FlavorExists(ident=flavor.flavorid)
    try:
        conn.execute(
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
        # Another request took it between the check and the insert.
        raise FlavorExists(ident=flavor.flavorid) from err
    _put(conn, _row_id(conn, flavor.flavorid), flavor.extra_specs)
    return get(conn, flavor.flavorid)


def get(conn: sa.Connection, flavorid: str) -> Flavor:
    row = conn.execute(
        sa.select(FLAVORS).where(FLAVORS.c.flavorid == str(flavorid))
    ).first()
    if row is None:
        raise FlavorNotFound(ident=flavorid)
    return _flavor(row, _specs(conn, [row.id]).get(row.id, {}))


def list_all(conn: sa.Connection) -> list[Flavor]:
    """Smallest memory first."""
    rows = conn.execute(
        sa.select(FLAVORS).order_by(FLAVORS.c.memory_mb, FLAVORS.c.id)
    ).all()
    specs = _specs(conn, [r.id for r in rows])
    return [_flavor(r, specs.get(r.id, {})) for r in rows]


def delete(conn: sa.Connection, flavorid: str) -> None:
    row_id = _row_id(conn, flavorid)
    conn.execute(
        FLAVOR_EXTRA_SPECS.delete().where(
            FLAVOR_EXTRA_SPECS.c.flavor_id == row_id
        )
    )
    conn.execute(FLAVORS.delete().where(FLAVORS.c.id == row_id))


def put_specs(
    conn: sa.Connection, flavorid: str, specs: Mapping[str, str]
) -> Flavor:
    """Set ``specs`` (others stay); the flavor as it is now."""
    _put(conn, _row_id(conn, flavorid), specs)
    return get(conn, flavorid)


def delete_spec(conn: sa.Connection, flavorid: str, key: str) -> None:
    """:raises FlavorNotFound: the flavor or its spec ``key`` is not
    there."""
    deleted = conn.execute(
        FLAVOR_EXTRA_SPECS.delete().where(
            FLAVOR_EXTRA_SPECS.c.flavor_id == _row_id(conn, flavorid),
            FLAVOR_EXTRA_SPECS.c.key == key,
        )
    ).rowcount
    if not deleted:
        raise FlavorNotFound(ident=f"{flavorid} extra spec {key}")


def _row_id(conn: sa.Connection, flavorid: str) -> int:
    found = conn.execute(
        sa.select(FLAVORS.c.id).where(FLAVORS.c.flavorid == str(flavorid))
    ).scalar()
    if found is None:
        raise FlavorNotFound(ident=flavorid)
    return int(found)


def _put(conn: sa.Connection, row_id: int, specs: Mapping[str, str]) -> None:
    for key, value in specs.items():
        updated = conn.execute(
            FLAVOR_EXTRA_SPECS.update()
            .where(
                FLAVOR_EXTRA_SPECS.c.flavor_id == row_id,
                FLAVOR_EXTRA_SPECS.c.key == key,
            )
            .values(value=value)
        ).rowcount
        if not updated:
            conn.execute(
                FLAVOR_EXTRA_SPECS.insert().values(
                    flavor_id=row_id, key=key, value=value
                )
            )


def _specs(
    conn: sa.Connection, row_ids: list[int]
) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    if not row_ids:
        return found
    rows = conn.execute(
        sa.select(FLAVOR_EXTRA_SPECS).where(
            FLAVOR_EXTRA_SPECS.c.flavor_id.in_(row_ids)
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
