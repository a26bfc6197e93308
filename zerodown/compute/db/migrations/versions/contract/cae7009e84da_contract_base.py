"""Base of the contract branch.

Contract revisions remove what the previous release needed.
They run once no service of that release remains.

Revision ID: cae7009e84da
Revises:
Create Date: 2026-11-23T21:51:53.426696+00:00
"""

revision = 'cae7009e84da'
down_revision = None
branch_labels = ('contract',)
depends_on = '1dd0a86f7cfd'


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
