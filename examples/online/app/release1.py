"""Release 1: an instance has a ``hostname`` and its ``numa_topology``."""

from __future__ import annotations

import uuid

import sqlalchemy as sa


def create(conn: sa.Connection, name: str, numa: str) -> int:
    """Boot an instance the way release 1 stores it."""
    instance_uuid = str(uuid.uuid4())
    conn.execute(
        sa.text(
            "INSERT INTO instances (uuid, hostname, numa_topology) "
            "VALUES (:u, :h, :n)"
        ),
        {"u": instance_uuid, "h": name, "n": numa},
    )
    conn.execute(
        sa.text("INSERT INTO instance_extra (instance_uuid) VALUES (:u)"),
        {"u": instance_uuid},
    )
    return _id(conn, instance_uuid)


def update(
    conn: sa.Connection, instance_id: int, name: str, numa: str
) -> None:
    conn.execute(
        sa.text(
            "UPDATE instances SET hostname = :h, numa_topology = :n "
            "WHERE id = :i"
        ),
        {"h": name, "n": numa, "i": instance_id},
    )


def read(conn: sa.Connection) -> dict[int, tuple[str, str]]:
    rows = conn.execute(
        sa.text("SELECT id, hostname, numa_topology FROM instances")
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def _id(conn: sa.Connection, instance_uuid: str) -> int:
    query = sa.text("SELECT id FROM instances WHERE uuid = :u")
    return int(conn.execute(query, {"u": instance_uuid}).scalar_one())
