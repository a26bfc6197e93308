"""release 2: drop customers.name

Runs once no release-1 process is left; release 3's expand may already
have run (its own online operation on customers is then in flight).

Revision ID: 5e1f0a2b3c4d
Revises: 4acba601a29c
Create Date: 2026-12-07 00:40:00.000000
"""

from collections.abc import Sequence

from zerodown.migrations.operations import zop

revision: str = '5e1f0a2b3c4d'
down_revision: str | Sequence[str] | None = '4acba601a29c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = 'dfc5bf41c36a'


def upgrade() -> None:
    zop.rename_column('customers', 'name', 'full_name')


def downgrade() -> None:
    # Refused: the old column's values are gone once contract ran.
    zop.rename_column('customers', 'name', 'full_name')
