"""An ENUM member inserted in the middle: every stored index moves, MySQL
copies the table."""

from alembic import op
from sqlalchemy.dialects import mysql

revision = "c09"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["changing-column-type:error"],
    "mysql 8.0.40": ["changing-column-type:error"],
    "mariadb 10.6": ["changing-column-type:error"],
}


def upgrade():
    op.alter_column(
        "orders",
        "state",
        existing_type=mysql.ENUM("new", "paid"),
        type_=mysql.ENUM("new", "held", "paid"),
    )
