"""Base of the expand branch.

Expand revisions only add: tables, nullable columns, indexes.
They run while the previous release still serves.

Revision ID: 1dd0a86f7cfd
Revises:
Create Date: 2026-11-23T21:51:53.426696+00:00
"""

revision = '1dd0a86f7cfd'
down_revision = None
branch_labels = ('expand',)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
