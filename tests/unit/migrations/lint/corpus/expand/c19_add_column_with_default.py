"""A column with a constant default (squawk: adding-field-with-default):
PostgreSQL 11+ keeps it in the catalog, older ones rewrite the table."""

import sqlalchemy as sa
from alembic import op

revision = "c19"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": [],
    "mysql 8.0.40": [],
    "mariadb 10.6": [],
    "postgresql 10": ["adding-field-with-default:error"],
    "mysql 5.6": ["adding-field-with-default:warning"],
}


def upgrade():
    op.add_column(
        "users",
        sa.Column("active", sa.Boolean(), server_default=sa.true()),
    )
