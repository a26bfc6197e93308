"""release 3: message signing reports and the shared replay store

Three nullable columns of ``zerodown_services`` hold what each service
last reported of message signing (its mode, the unsigned messages it
accepted, the messages it refused), for ``zerodown status``; the
``zerodown_rpc_messages`` table holds the ids of the messages that the
conductors and schedulers took from their shared queues, until they
expire, so a captured message runs on none of them twice.  Purely
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
    op.create_table(
        "zerodown_rpc_messages",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("expires", sa.Float(), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
    )
    op.create_index(
        "ix_zerodown_rpc_messages_expires",
        "zerodown_rpc_messages",
        ["expires"],
    )
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
    op.drop_index(
        "ix_zerodown_rpc_messages_expires", table_name="zerodown_rpc_messages"
    )
    op.drop_table("zerodown_rpc_messages")
