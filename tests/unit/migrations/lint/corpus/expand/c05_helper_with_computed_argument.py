"""A helper called with a value computed at run time: unreadable."""

from alembic import op

revision = "c05"
down_revision = None


def index(table, column):
    op.create_index(f"ix_{table}_{column}", table, [column])


def pick_column():
    return op.get_context().opts.get("index_column", "email")


# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["unreadable-operation:error"],
    "mysql 8.0.40": ["unreadable-operation:error"],
    "mariadb 10.6": ["unreadable-operation:error"],
}


def upgrade():
    index("users", pick_column())
