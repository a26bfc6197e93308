"""timestamp to timestamptz: PostgreSQL reinterprets every value (in the
session's time zone); MySQL has one DATETIME for both, nothing
changes."""

import sqlalchemy as sa
from alembic import op

revision = "c10"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["changing-column-type:error"],
    "mysql 8.0.40": [],
    "mariadb 10.6": [],
}


def upgrade():
    op.alter_column(
        "orders",
        "placed_at",
        existing_type=sa.DateTime(),
        type_=sa.DateTime(timezone=True),
    )
