"""release 3: drop customers.fax and customers.email

Revision ID: 9b4fbc8dc627
Revises: 5e1f0a2b3c4d
Create Date: 2026-11-23 21:55:55.204759
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from zerodown.migrations.operations import zop

revision: str = '9b4fbc8dc627'
down_revision: str | Sequence[str] | None = '5e1f0a2b3c4d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = 'dcc318961801'


def upgrade() -> None:
    # The old column's index goes first (SQLite refuses to drop an
    # indexed column), concurrently on PostgreSQL.
    zop.drop_index('ix_customers_email', 'customers', ['email'])
    zop.change_column_type(
        'customers', 'email', 'contact_email', sa.String(320)
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('fax')


def downgrade() -> None:
    # Refused: the old columns' values are gone once contract ran.
    zop.change_column_type(
        'customers', 'email', 'contact_email', sa.String(320)
    )
