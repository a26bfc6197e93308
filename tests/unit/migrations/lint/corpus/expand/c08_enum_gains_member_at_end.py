"""An ENUM member added at the end: MySQL/MariaDB change only the
metadata; PostgreSQL converts the column to the new type."""

import sqlalchemy as sa
from alembic import op

revision = "c08"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["changing-column-type:error"],
    "mysql 8.0.40": [],
    "mariadb 10.6": [],
    "mysql 5.6": ["changing-column-type:error"],
    "mariadb 10.1": ["changing-column-type:error"],
}


def upgrade():
    op.alter_column(
        "orders",
        "state",
        existing_type=sa.Enum("new", "paid", name="state"),
        type_=sa.Enum("new", "paid", "sent", name="state"),
    )
