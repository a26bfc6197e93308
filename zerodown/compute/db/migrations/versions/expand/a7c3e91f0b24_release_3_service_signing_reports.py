"""release 3: services report message signing

Three nullable columns of ``zerodown_services`` hold what each service
last reported of message signing (its mode, the unsigned messages it
accepted, the messages it refused), for ``zerodown status``.  Purely
additive: release 2 never reads them.

Revision ID: a7c3e91f0b24
Revises: 5e2b7c4d1a90
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e91f0b24"
down_revision: str | Sequence[str] | None = "5e2b7c4d1a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "zerodown_services",
        sa.Column("rpc_signing", sa.String(16), nullable=True),
    )
    op.add_column(
        "zerodown_services",
        sa.Column("rpc_unsigned", sa.BigInteger(), nullable=True),
    )
    op.add_column(
        "zerodown_services",
        sa.Column("rpc_refused", sa.BigInteger(), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("zerodown_services", "rpc_refused")
    op.drop_column("zerodown_services", "rpc_unsigned")
    op.drop_column("zerodown_services", "rpc_signing")
