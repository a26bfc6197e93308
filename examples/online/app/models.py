"""The schema of release 2, once its contract ran: what autogenerate and
pytest-alembic compare the migrations with."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

instances = sa.Table(
    "instances",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("display_name", sa.String(255), nullable=False),
)

instance_extra = sa.Table(
    "instance_extra",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("instance_uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("numa_topology", sa.Text),
)
