"""release 3: the schedulers' claims, guarded by a node generation

``compute_claims`` holds what a scheduler gave away on a node until the
node's report counts it; ``compute_nodes.generation`` is bumped by every
change of a node's usage, so two schedulers can never both take the
last room on a host (a claim is written only if the generation is still
the one its scheduler read).  Purely additive: release 2 never reads
them, and a row it writes leaves the generation as it was (the
schedulers also compare ``updated_at``).

Revision ID: d4b8e2f61c3a
Revises: a7c3e91f0b24
Create Date: 2026-12-07 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4b8e2f61c3a"
down_revision: str | Sequence[str] | None = "a7c3e91f0b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compute_claims",
        sa.Column("instance_uuid", sa.String(36), primary_key=True),
        sa.Column("compute_node_id", sa.Integer(), nullable=False),
        sa.Column("vcpus", sa.Integer(), nullable=False),
        sa.Column("memory_mb", sa.Integer(), nullable=False),
        sa.Column("disk_gb", sa.Integer(), nullable=False),
        sa.Column("numa_topology", sa.Text(), nullable=True),
        sa.Column("pci_requests", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "ix_compute_claims_compute_node_id",
        "compute_claims",
        ["compute_node_id"],
    )
    op.add_column(
        "compute_nodes",
        sa.Column("generation", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("compute_nodes", "generation")
    op.drop_index(
        "ix_compute_claims_compute_node_id", table_name="compute_claims"
    )
    op.drop_table("compute_claims")
