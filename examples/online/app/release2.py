"""Release 2: ``hostname`` is renamed ``display_name`` and the NUMA
topology lives in ``instance_extra`` (Nova's Juno move)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa


def create(conn: sa.Connection, name: str, numa: str) -> int:
    instance_uuid = str(uuid.uuid4())
    conn.execute(
        sa.text("INSERT INTO instances (uuid, display_name) VALUES (:u, :h)"),
        {"u": instance_uuid, "h": name},
    )
    conn.execute(
        sa.text(
            "INSERT INTO instance_extra (instance_uuid, numa_topology) "
            "VALUES (:u, :n)"
        ),
        {"u": instance_uuid, "n": numa},
    )
    query = sa.text("SELECT id FROM instances WHERE uuid = :u")
    return int(conn.execute(query, {"u": instance_uuid}).scalar_one())


def update(
    conn: sa.Connection, instance_id: int, name: str, numa: str
) -> None:
    conn.execute(
        sa.text("UPDATE instances SET display_name = :h WHERE id = :i"),
        {"h": name, "i": instance_id},
    )
    # By uuid: on MySQL/MariaDB a statement that reads instances while it
    # writes instance_extra cannot be synced back to instances (error
    # 1442), so the lookup is its own statement.
    instance_uuid = conn.execute(
        sa.text("SELECT uuid FROM instances WHERE id = :i"), {"i": instance_id}
    ).scalar_one()
    conn.execute(
        sa.text(
            "UPDATE instance_extra SET numa_topology = :n "
            "WHERE instance_uuid = :u"
        ),
        {"n": numa, "u": instance_uuid},
    )


def read(conn: sa.Connection) -> dict[int, tuple[str, str]]:
    rows = conn.execute(
        sa.text(
            "SELECT i.id, i.display_name, e.numa_topology FROM instances i "
            "JOIN instance_extra e ON e.instance_uuid = i.uuid"
        )
    )
    return {row[0]: (row[1], row[2]) for row in rows}
