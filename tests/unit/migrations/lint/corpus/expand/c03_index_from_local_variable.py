"""An index whose name sits in a local variable."""

from alembic import op

revision = "c03"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["require-concurrent-index-creation:error"],
    "mysql 8.0.40": [],
    "mariadb 10.6": [],
}


def upgrade():
    name = "ix_users_email"
    op.create_index(name, "users", ["email"])
