"""Base of the contract branch.

Contract revisions remove what the previous release needed.
They run once no service of that release remains.

Revision ID: aba7ebb7554a
Revises:
Create Date: 2026-11-23T22:13:04.999381+00:00
"""

revision = 'aba7ebb7554a'
down_revision = None
branch_labels = ('contract',)
depends_on = 'd86f83110533'


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
