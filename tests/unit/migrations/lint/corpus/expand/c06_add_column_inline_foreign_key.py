"""A column added with an inline sa.ForeignKey: Alembic adds the column,
then a validating ADD FOREIGN KEY (strong_migrations: adding a foreign
key)."""

import sqlalchemy as sa
from alembic import op

revision = "c06"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["adding-foreign-key-constraint:error"],
    "mysql 8.0.40": ["adding-foreign-key-constraint:error"],
    "mariadb 10.6": ["adding-foreign-key-constraint:error"],
}


def upgrade():
    op.add_column(
        "orders",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id")),
    )
