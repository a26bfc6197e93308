"""release 3: drop customers.fax; email becomes contact_email, up to 320

Runs while release 2 serves, and possibly before release 2's contract
(which drops customers.name): the rename of release 2 and the type change
below are then both in flight on customers, each with its own triggers
and backfill.  ``zerodown db migrate`` finishes both; contract drops
release 2's leftovers first, then release 3's.

Revision ID: dcc318961801
Revises: dfc5bf41c36a
Create Date: 2026-11-23 21:55:55.194969
"""

from collections.abc import Sequence

import sqlalchemy as sa

from zerodown.migrations.operations import zop

revision: str = 'dcc318961801'
down_revision: str | Sequence[str] | None = 'dfc5bf41c36a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # RFC 5321 allows addresses of up to 320 characters.
    zop.change_column_type(
        'customers', 'email', 'contact_email', sa.String(320)
    )
    zop.create_index(
        'ix_customers_contact_email', 'customers', ['contact_email']
    )


def downgrade() -> None:
    # In an expand revision's downgrade, an online operation rolls back.
    zop.create_index(
        'ix_customers_contact_email', 'customers', ['contact_email']
    )
    zop.change_column_type(
        'customers', 'email', 'contact_email', sa.String(320)
    )
