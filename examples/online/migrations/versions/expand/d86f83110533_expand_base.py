"""Base of the expand branch.

Expand revisions only add: tables, nullable columns, indexes.
They run while the previous release still serves.

Revision ID: d86f83110533
Revises:
Create Date: 2026-11-23T22:13:04.999381+00:00
"""

revision = 'd86f83110533'
down_revision = None
branch_labels = ('expand',)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
