"""release 3: the 64-bit instances.id swapped in

Runs through the contract gate, once the copy of the old rows is
complete: on PostgreSQL a unique index built concurrently, then one
short locked statement that makes the shadow the primary key under the
old name (sequence and default moved); on MySQL/MariaDB one atomic
``RENAME TABLE``.

Revision ID: e3a9c5d1f7b2
Revises: 8f1d3a6b2c57
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from zerodown.migrations.operations import zop

revision: str = "e3a9c5d1f7b2"
down_revision: str | Sequence[str] | None = "8f1d3a6b2c57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "b6e1f0c9a2d7"


def upgrade() -> None:
    zop.widen_primary_key("instances", "id", sa.BigInteger())


def downgrade() -> None:
    upgrade()  # refuses: the 32-bit key is gone after contract
