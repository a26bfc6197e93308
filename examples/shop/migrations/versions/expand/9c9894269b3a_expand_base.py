"""Base of the expand branch.

Expand revisions only add: tables, nullable columns, indexes.
They run while the previous release still serves.

Revision ID: 9c9894269b3a
Revises:
Create Date: 2026-11-23T21:50:47.716063+00:00
"""

revision = '9c9894269b3a'
down_revision = None
branch_labels = ('expand',)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
