"""release 1: instances and instance_extra

Revision ID: a1c0ffee0001
Revises: d86f83110533
"""

import sqlalchemy as sa
from alembic import op

revision = "a1c0ffee0001"
down_revision = "d86f83110533"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("numa_topology", sa.Text),
    )
    op.create_table(
        "instance_extra",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_uuid", sa.String(36), nullable=False, unique=True),
    )


def downgrade() -> None:
    op.drop_table("instance_extra")
    op.drop_table("instances")
