"""release 2: image_ref moves to instance_extra; instances.description

``instances.image_ref`` moves next to the image's properties in
``instance_extra`` online: this revision adds the new column with
dual-write triggers, so release 1 (which writes ``instances``) and
release 2 (which writes ``instance_extra``) see each other's writes;
``zerodown db migrate`` copies the rows written before; the contract twin
drops the old column once no release-1 service remains.

``instances.description`` (Instance 2.5) is a plain additive column.

Revision ID: 5e2b7c4d1a90
Revises: 3c51b0e2a9d4
Create Date: 2026-11-24 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zerodown.migrations.operations import zop

revision: str = "5e2b7c4d1a90"
down_revision: str | Sequence[str] | None = "3c51b0e2a9d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "instances", sa.Column("description", sa.Text(), nullable=True)
    )
    zop.move_column(
        "instances",
        "image_ref",
        "instance_extra",
        on={"instance_uuid": "uuid"},
    )


def downgrade() -> None:
    # Legal until contract: the move rolls back, the new column goes.
    zop.move_column(
        "instances",
        "image_ref",
        "instance_extra",
        on={"instance_uuid": "uuid"},
    )
    op.drop_column("instances", "description")
