"""move_column: Nova's numa_topology leaving instances for instance_extra,
with the old and the new release writing throughout."""

from __future__ import annotations

import itertools
import threading
import time

import sqlalchemy as sa
from apps import Writer, engine_for

ZOP = "from zerodown.migrations.operations import zop\n"
MOVE = (
    'zop.move_column("instances", "numa_topology", "instance_extra", '
    'on={"instance_uuid": "uuid"})'
)
_uuids = itertools.count()
_lock = threading.Lock()


def _schema(project):
    project.zerodown("expand"), project.zerodown("contract")
    (script,) = project.revision("instances")
    project.write_upgrade(
        script,
        """
        op.create_table(
            "instances",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("uuid", sa.String(36), nullable=False, unique=True),
            sa.Column("numa_topology", sa.Text),
        )
        op.create_table(
            "instance_extra",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("instance_uuid", sa.String(36), nullable=False, unique=True),
        )
        """,
    )
    assert project.zerodown("expand").exit_code == 0
    expand, contract = project.revision("move numa_topology", "--contract")
    project.write_upgrade(expand, MOVE, header=ZOP)
    project.write_upgrade(contract, MOVE, header=ZOP)


def _new_uuid() -> str:
    with _lock:
        return f"uuid-{next(_uuids):06d}"


def old_release(conn, row, value):
    """Writes numa_topology on instances, creates extra rows without it."""
    if row is None:
        uuid = _new_uuid()
        conn.execute(
            sa.text(
                "INSERT INTO instances (uuid, numa_topology) VALUES (:u, :v)"
            ),
            {"u": uuid, "v": value},
        )
        conn.execute(
            sa.text("INSERT INTO instance_extra (instance_uuid) VALUES (:u)"),
            {"u": uuid},
        )
        return _id(conn, uuid)
    conn.execute(
        sa.text("UPDATE instances SET numa_topology = :v WHERE id = :id"),
        {"v": value, "id": row},
    )
    return row


def new_release(conn, row, value):
    """Writes numa_topology on instance_extra only."""
    if row is None:
        uuid = _new_uuid()
        conn.execute(
            sa.text("INSERT INTO instances (uuid) VALUES (:u)"), {"u": uuid}
        )
        conn.execute(
            sa.text(
                "INSERT INTO instance_extra (instance_uuid, numa_topology) "
                "VALUES (:u, :v)"
            ),
            {"u": uuid, "v": value},
        )
        return _id(conn, uuid)
    # By uuid, as Nova does: on MySQL a statement that reads instances
    # while writing instance_extra cannot be synced back (error 1442).
    uuid = conn.execute(
        sa.text("SELECT uuid FROM instances WHERE id = :id"), {"id": row}
    ).scalar_one()
    conn.execute(
        sa.text(
            "UPDATE instance_extra SET numa_topology = :v "
            "WHERE instance_uuid = :u"
        ),
        {"v": value, "u": uuid},
    )
    return row


def _id(conn, uuid):
    return conn.execute(
        sa.text("SELECT id FROM instances WHERE uuid = :u"), {"u": uuid}
    ).scalar_one()


def _extra(engine):
    query = sa.text(
        "SELECT i.id, e.numa_topology FROM instances i "
        "JOIN instance_extra e ON e.instance_uuid = i.uuid"
    )
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def test_move_while_both_releases_write(project):
    _schema(project)
    engine = engine_for(project.database.url)
    old = Writer("old", engine, old_release)
    for _ in range(40):
        old.step()
    old.start()
    time.sleep(0.2)
    assert project.zerodown("expand").exit_code == 0
    new = Writer("new", engine, new_release)
    new.start()
    time.sleep(0.3)
    migrate = project.zerodown("migrate")
    assert migrate.exit_code == 0, migrate.output
    time.sleep(0.3)
    old.stop()
    with engine.connect() as conn:
        both = conn.execute(
            sa.text(
                "SELECT i.id, i.numa_topology, e.numa_topology FROM instances i "
                "JOIN instance_extra e ON e.instance_uuid = i.uuid"
            )
        ).all()
    assert all(a == b for _, a, b in both), [r for r in both if r[1] != r[2]]
    result = project.zerodown("contract")
    assert result.exit_code == 0, result.output
    time.sleep(0.2)
    new.stop()
    assert old.errors == [] and new.errors == []
    assert _extra(engine) == {**old.owned, **new.owned}
    with engine.connect() as conn:
        columns = [
            c["name"] for c in sa.inspect(conn).get_columns("instances")
        ]
    assert "numa_topology" not in columns
    engine.dispose()
