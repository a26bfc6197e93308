"""VARCHAR(20) to CHAR(20): CHAR pads with spaces (MySQL strips them on
read), so values change; MySQL copies the table."""

import sqlalchemy as sa
from alembic import op

revision = "c07"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["changing-column-type:error"],
    "mysql 8.0.40": ["changing-column-type:error"],
    "mariadb 10.6": ["changing-column-type:error"],
}


def upgrade():
    op.alter_column(
        "users", "code", existing_type=sa.String(20), type_=sa.CHAR(20)
    )
