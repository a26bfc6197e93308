"""release 2: drop instances.image_ref (moved to instance_extra)

Runs through the contract gate: only once the move's backfill is complete
and no release-1 service remains.

Revision ID: 8f1d3a6b2c57
Revises: cae7009e84da
Create Date: 2026-11-24 06:30:00
"""

from collections.abc import Sequence

from zerodown.migrations.operations import zop

revision: str = "8f1d3a6b2c57"
down_revision: str | Sequence[str] | None = "cae7009e84da"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "5e2b7c4d1a90"


def upgrade() -> None:
    zop.move_column(
        "instances",
        "image_ref",
        "instance_extra",
        on={"instance_uuid": "uuid"},
    )


def downgrade() -> None:
    upgrade()  # refuses: the old column's data is gone after contract
