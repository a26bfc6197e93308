"""A longer VARCHAR: in place on PostgreSQL 9.2+, MySQL 5.7+ and MariaDB
10.2.2+ when the length prefix keeps its size; older servers copy."""

import sqlalchemy as sa
from alembic import op

revision = "c11"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": [],
    "mysql 8.0.40": [],
    "mariadb 10.6": [],
    "postgresql 9.1": ["changing-column-type:error"],
    "mysql 5.6": ["changing-column-type:error"],
    "mariadb 10.1": ["changing-column-type:error"],
}


def upgrade():
    op.alter_column(
        "users", "name", existing_type=sa.String(20), type_=sa.String(40)
    )
