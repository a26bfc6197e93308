"""Base of the contract branch.

Contract revisions remove what the previous release needed.
They run once no service of that release remains.

Revision ID: 4acba601a29c
Revises:
Create Date: 2026-11-23T21:50:47.716063+00:00
"""

revision = '4acba601a29c'
down_revision = None
branch_labels = ('contract',)
depends_on = '9c9894269b3a'


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
